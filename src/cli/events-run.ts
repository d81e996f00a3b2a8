import type { Command } from 'commander';
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
import { readEventData, UsageError } from './parse.js';

/** What the `hookflow events …` commands do (declared in events.ts). */

export interface DispatchFlags {
  data?: string;
  stack?: string;
  correlationId?: string;
  idempotencyKey?: string;
  wait?: boolean;
  timeout: number;
}

export interface ListFlags {
  type?: string;
  status?: string;
  stack?: string;
  since?: number;
  limit: number;
  before?: string;
}

export async function dispatch(session: CliSession, type: string, flags: DispatchFlags, command: Command): Promise<void> {
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
}

export async function list(session: CliSession, flags: ListFlags, command: Command): Promise<void> {
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
}

export async function get(session: CliSession, id: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    out.data(eventWithExecutionsJson(await services.events.get(id)));
  });
}

export async function show(session: CliSession, id: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const event = await services.events.get(id);
    if (out.json) return out.data(eventWithExecutionsJson(event));
    printEventDetails(out, event);
  });
}

export async function remove(session: CliSession, id: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    await services.events.delete(id);
    if (out.json) return out.data({ deleted: id });
    out.line(`deleted event ${id}`);
  });
}

export async function cleanup(session: CliSession, flags: { olderThan: number }, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const deleted = await services.events.cleanup(flags.olderThan);
    if (out.json) return out.data({ deleted });
    out.line(`deleted ${deleted} event${deleted === 1 ? '' : 's'} older than ${formatDuration(flags.olderThan)}`);
  });
}

export async function replay(session: CliSession, id: string | undefined, flags: { type?: string; since?: number }, command: Command): Promise<void> {
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
}

export async function catalogue(session: CliSession, flags: { category?: string }, command: Command): Promise<void> {
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
}
