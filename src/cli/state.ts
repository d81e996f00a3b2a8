import type { Command } from 'commander';
import type { CliSession } from './context.js';

const run = () => import('./state-run.js');

/** `hookflow state …`: the key/value state hooks share (get, set, list, delete). */
export function registerStateCommands(program: Command, session: CliSession): void {
  const state = program.command('state').description('read and write the key/value state hooks share');

  state
    .command('get')
    .description('print the value of a key (strings as they are, other values as JSON)')
    .argument('<key>', 'state key')
    .action(async (key: string, _flags: unknown, command: Command) => (await run()).get(session, key, command));

  state
    .command('set')
    .description('set a key; VALUE is JSON when it parses as JSON (42, true, {"a":1}), else a string')
    .argument('<key>', 'state key')
    .argument('<value>', 'the value')
    .action(async (key: string, text: string, _flags: unknown, command: Command) => (await run()).set(session, key, text, command));

  state
    .command('list')
    .description('list keys with their values')
    .option('--prefix <prefix>', 'only keys starting with this')
    .action(async (flags: { prefix?: string }, command: Command) => (await run()).list(session, flags, command));

  state
    .command('delete')
    .description('delete a key')
    .argument('<key>', 'state key')
    .action(async (key: string, _flags: unknown, command: Command) => (await run()).remove(session, key, command));
}
