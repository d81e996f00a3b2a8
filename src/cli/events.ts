import { Option, type Command } from 'commander';
import type { CliSession } from './context.js';
import { duration, positiveInt } from './parse.js';
import type { DispatchFlags, ListFlags } from './events-run.js';

const run = () => import('./events-run.js');

/** `hookflow events …`: dispatch, list, get, show, delete, cleanup, replay, types. */
export function registerEventCommands(program: Command, session: CliSession): void {
  const events = program.command('events').alias('event').description('publish, inspect and replay events');

  events
    .command('dispatch')
    .description('publish an event (durably; hooks run in `hookflow serve`, or here with --wait)')
    .argument('<type>', 'event type, e.g. task.failed')
    .option('--data <json>', 'event data: a JSON object, or @FILE (@- reads standard input)')
    .option('--stack <stack>', 'the stack the event belongs to')
    .option('--correlation-id <id>', 'ties related events together')
    .option('--idempotency-key <key>', 'publishing again with the same key returns the first event')
    .option('--wait', 'wait until the event is processed and show its hook executions')
    .addOption(new Option('--timeout <duration>', 'with --wait: give up after this long').argParser(duration).default(120_000, '2m'))
    .action(async (type: string, flags: DispatchFlags, command: Command) => (await run()).dispatch(session, type, flags, command));

  events
    .command('list')
    .description('list events, newest first')
    .option('--type <pattern>', 'type or pattern (task.failed, task.*)')
    .option('--status <status>', 'pending, processing, completed or failed')
    .option('--stack <stack>', 'only events of this stack')
    .option('--since <duration>', 'only events newer than this (1h, 7d)', duration)
    .option('--limit <n>', 'how many events (at most 1000)', positiveInt, 50)
    .option('--before <id>', 'page on: events older than this id')
    .action(async (flags: ListFlags, command: Command) => (await run()).list(session, flags, command));

  events
    .command('get')
    .description('one event with its hook executions, as JSON')
    .argument('<id>', 'event id')
    .action(async (id: string, _flags: unknown, command: Command) => (await run()).get(session, id, command));

  events
    .command('show')
    .description('one event with a table of its hook executions')
    .argument('<id>', 'event id')
    .action(async (id: string, _flags: unknown, command: Command) => (await run()).show(session, id, command));

  events
    .command('delete')
    .description('delete a processed event and its executions')
    .argument('<id>', 'event id')
    .action(async (id: string, _flags: unknown, command: Command) => (await run()).remove(session, id, command));

  events
    .command('cleanup')
    .description('delete processed events older than a duration (pending and processing ones are kept)')
    .requiredOption('--older-than <duration>', 'age, e.g. 720h or 30d', duration)
    .action(async (flags: { olderThan: number }, command: Command) => (await run()).cleanup(session, flags, command));

  events
    .command('replay')
    .description('publish copies of past events (each names its original as parent)')
    .argument('[id]', 'the event to replay')
    .option('--type <pattern>', 'replay every event of this type or pattern (needs --since)')
    .option('--since <duration>', 'with --type: events newer than this (1h, 7d)', duration)
    .action(async (id: string | undefined, flags: { type?: string; since?: number }, command: Command) => (await run()).replay(session, id, flags, command));

  events
    .command('types')
    .description('the catalogue of known event types')
    .option('--category <category>', 'only this category (task, agent, system, …)')
    .action(async (flags: { category?: string }, command: Command) => (await run()).catalogue(session, flags, command));
}
