import type { Command } from 'commander';
import type { CliSession } from './context.js';
import { collect, duration } from './parse.js';

const run = () => import('./actions-run.js');

/** `hookflow actions list|describe|run`. */
export function registerActionCommands(program: Command, session: CliSession): void {
  const actions = program.command('actions').alias('action').description('typed actions: list, describe and run them');

  actions
    .command('list')
    .description('every action: built-ins and discovered plugins')
    .option('--category <category>', 'only this category')
    .action(async (flags: { category?: string }, command: Command) => (await run()).list(session, flags, command));

  actions
    .command('describe')
    .description("an action's params and outputs, with an example")
    .argument('<type>')
    .action(async (type: string, _flags: unknown, command: Command) => (await run()).describe(session, type, command));

  actions
    .command('run')
    .description('run an action once and print its result (event-driven ones wait for their event or timeout)')
    .argument('<type>')
    .option('--param <key=value>', 'a param (the value is JSON when it parses, else text); repeat for several', collect)
    .option('--params <json>', 'params as one JSON object (or @FILE); --param entries override it')
    .option('--timeout <duration>', "override the action's timeout", duration)
    .option('--strict', 'a missing or mistyped declared output fails the run')
    .action(async (type: string, flags: { param?: string[]; params?: string; timeout?: number; strict?: boolean }, command: Command) => (await run()).runAction(session, type, flags, command));
}
