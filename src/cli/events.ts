import { Option, type Command } from 'commander';
import type { NewEvent } from '../events/model.js';
import { eventTypes } from '../events/service.js';
import type { CliSession } from './context.js';
import {
  eventJson,
  eventWithExecutionsJson,
  formatDuration,
  formatStatus,
  formatTime,
  printEventDetails,
  truncate,
} from './output.js';
import { duration, positiveInt, readEventData, UsageError } from './parse.js';

interface DispatchFlags {
  data?: string;
  stack?: string;
  correlationId?: string;
  idempotencyKey?: string;
  wait?: boolean;
  timeout: number;
}

interface ListFlags {
  type?: string;
  status?: string;
  stack?: string;
  since?: number;
  limit: number;
  before?: string;
}

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
    .action(async (type: string, flags: DispatchFlags, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const input: NewEvent = {
          type,
          data: (await readEventData(flags.data, services.maxEventBytes, () => session.readStdin())) ?? {},
          stack: flags.stack ?? null,
          source: 'cli',
          correlation_id: flags.correlationId ?? null,
          idempotency_key: flags.idempotencyKey ?? null,
        };
        if (flags.wait) {
          const done = await services.events.dispatchAndWait(input, flags.timeout);
          if (done.status === 'failed') session.exitCode = 1;
          if (out.json) return out.data(eventWithExecutionsJson(done));
          printEventDetails(out, done);
          return;
        }
        const { event, created } = await services.events.dispatch(input);
        if (out.json) return out.data({ ...eventJson(event), created });
        out.line(created ? event.id : `${event.id} (existing event: idempotency key already used)`);
      });
    });

  events
    .command('list')
    .description('list events, newest first')
    .option('--type <pattern>', 'type or pattern (task.failed, task.*)')
    .option('--status <status>', 'pending, processing, completed or failed')
    .option('--stack <stack>', 'only events of this stack')
    .option('--since <duration>', 'only events newer than this (1h, 7d)', duration)
    .option('--limit <n>', 'how many events (at most 1000)', positiveInt, 50)
    .option('--before <id>', 'page on: events older than this id')
    .action(async (flags: ListFlags, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const found = await services.events.list({
          type: flags.type,
          status: flags.status,
          stack: flags.stack,
          since: flags.since === undefined ? undefined : Date.now() - flags.since,
          before: flags.before,
          limit: flags.limit,
        });
        if (out.json) return out.data(found.map(eventJson));
        if (found.length === 0) {
          out.line('no events');
          return;
        }
        out.table(
          ['ID', 'Type', 'Stack', 'Status', 'Created', 'Processed', 'Error'],
          found.map((event) => [
            event.id,
            event.type,
            event.stack ?? '-',
            formatStatus(event.status),
            formatTime(event.created_at),
            formatTime(event.processed_at),
            truncate(event.error ?? '', 50),
          ]),
        );
        if (found.length === flags.limit) out.note(`more may exist: add --before ${found[found.length - 1].id}`);
      });
    });

  events
    .command('get')
    .description('one event with its hook executions, as JSON')
    .argument('<id>', 'event id')
    .action(async (id: string, _flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        out.data(eventWithExecutionsJson(await services.events.get(id)));
      });
    });

  events
    .command('show')
    .description('one event with a table of its hook executions')
    .argument('<id>', 'event id')
    .action(async (id: string, _flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const event = await services.events.get(id);
        if (out.json) return out.data(eventWithExecutionsJson(event));
        printEventDetails(out, event);
      });
    });

  events
    .command('delete')
    .description('delete a processed event and its executions')
    .argument('<id>', 'event id')
    .action(async (id: string, _flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        await services.events.delete(id);
        if (out.json) return out.data({ deleted: id });
        out.line(`deleted event ${id}`);
      });
    });

  events
    .command('cleanup')
    .description('delete processed events older than a duration (pending and processing ones are kept)')
    .requiredOption('--older-than <duration>', 'age, e.g. 720h or 30d', duration)
    .action(async (flags: { olderThan: number }, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const deleted = await services.events.cleanup(flags.olderThan);
        if (out.json) return out.data({ deleted });
        out.line(`deleted ${deleted} event${deleted === 1 ? '' : 's'} older than ${formatDuration(flags.olderThan)}`);
      });
    });

  events
    .command('replay')
    .description('publish copies of past events (each names its original as parent)')
    .argument('[id]', 'the event to replay')
    .option('--type <pattern>', 'replay every event of this type or pattern (needs --since)')
    .option('--since <duration>', 'with --type: events newer than this (1h, 7d)', duration)
    .action(async (id: string | undefined, flags: { type?: string; since?: number }, command: Command) => {
      if (id !== undefined && (flags.type !== undefined || flags.since !== undefined)) {
        throw new UsageError('give an event ID or --type with --since, not both');
      }
      if (id === undefined && (flags.type === undefined || flags.since === undefined)) {
        throw new UsageError('nothing to replay', 'give an event ID, or --type PATTERN --since DURATION (e.g. --type task.failed --since 1h)');
      }
      await session.withServices(command, async (services, out) => {
        const copies =
          id !== undefined ? [await services.events.replay(id)] : await services.events.replayMatching(flags.type ?? '*', Date.now() - (flags.since ?? 0));
        if (out.json) return out.data(copies.map(eventJson));
        for (const copy of copies) out.line(copy.id);
        if (id === undefined) out.note(`replayed ${copies.length} event${copies.length === 1 ? '' : 's'}`);
      });
    });

  events
    .command('types')
    .description('the catalogue of known event types')
    .option('--category <category>', 'only this category (task, agent, system, …)')
    .action(async (flags: { category?: string }, command: Command) => {
      // The catalogue needs no store: this command creates no files.
      const out = session.output(command);
      const types = eventTypes(flags.category);
      if (out.json) return out.data(types);
      out.table(
        ['Type', 'Category', 'Description', 'Data'],
        types.map((info) => [info.type, info.category, info.description, info.data]),
        [null, null, 42, 52],
      );
      out.note(`${types.length} types; hooks may also use custom types`);
    });
}
