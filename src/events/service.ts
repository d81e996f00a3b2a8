import { withWorkflowCorrelation } from '../actions/correlation.js';
import { HookflowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { eventCategories, listEventTypes, type EventTypeInfo } from './catalogue.js';
import type { Dispatcher } from './dispatcher.js';
import type { EventRecord, EventStatus, HookExecutionRecord, NewEvent } from './model.js';
import { EVENT_STATUSES } from './model.js';
import { isValidPattern } from './patterns.js';

export interface EventWithExecutions extends EventRecord {
  executions: HookExecutionRecord[];
}

export interface ListEventsQuery {
  type?: string;
  status?: string;
  stack?: string;
  /** epoch ms */
  since?: number;
  before?: string;
  limit?: number;
}

export const MAX_LIST_LIMIT = 1000;

/** Event operations, shared by the CLI and the HTTP API. */
export class EventService {
  constructor(
    private readonly store: Store,
    private readonly dispatcher: Dispatcher,
  ) {}

  /** Publishes durably; `created` is false when the idempotency key was used before. */
  async dispatch(input: NewEvent): Promise<{ event: EventRecord; created: boolean }> {
    // A workflow id in the data becomes the correlation id, so a parked step finds it by index.
    return this.dispatcher.publish(withWorkflowCorrelation(input));
  }

  /**
   * Publishes and returns once the event is processed, with its hook executions. With no
   * dispatcher running anywhere (the CLI on a bare store), this process runs the hooks itself.
   */
  async dispatchAndWait(input: NewEvent, timeoutMs = 120_000): Promise<EventWithExecutions> {
    const { event, created } = await this.dispatch(input);
    if (!created || event.status === 'completed' || event.status === 'failed') return this.get(event.id);
    if (this.dispatcher.state === 'running') {
      // Another process may claim it first, so poll too; whichever ends first, stop the other.
      const done = new AbortController();
      try {
        await Promise.race([this.dispatcher.waitFor(event.id, done.signal), this.pollUntilDone(event.id, timeoutMs, done.signal)]);
      } finally {
        done.abort();
      }
      return this.get(event.id);
    }
    const servers = await this.store.listLiveProcesses('dispatcher', this.dispatcher.leaseMs);
    if (servers.length === 0) {
      await this.dispatcher.processOne(event.id);
      return this.get(event.id);
    }
    await this.pollUntilDone(event.id, timeoutMs);
    return this.get(event.id);
  }

  private async pollUntilDone(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let delay = 5;
    while (Date.now() < deadline) {
      if (signal?.aborted) return;
      const event = await this.store.getEvent(id);
      if (event && (event.status === 'completed' || event.status === 'failed')) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 200);
    }
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `event ${id} was not processed within ${Math.round(timeoutMs / 1000)} s`, {
      hint: 'is `hookflow serve` running and healthy? See `hookflow events get ID`',
    });
  }

  async list(query: ListEventsQuery = {}): Promise<EventRecord[]> {
    if (query.type && !isValidPattern(query.type)) {
      throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `type pattern "${query.type}" is not valid`, {
        hint: 'use a type (task.failed), a prefix (task.*) or *',
      });
    }
    if (query.status && !EVENT_STATUSES.includes(query.status as EventStatus)) {
      throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `status "${query.status}" is not an event status`, {
        hint: `use one of ${EVENT_STATUSES.join(', ')}`,
      });
    }
    const limit = Math.max(1, Math.min(query.limit ?? 50, MAX_LIST_LIMIT));
    return this.store.listEvents({
      type: query.type,
      status: query.status as EventStatus | undefined,
      stack: query.stack,
      since: query.since,
      before: query.before,
      limit,
    });
  }

  async get(id: string): Promise<EventWithExecutions> {
    const event = await this.store.getEvent(id);
    if (!event) throw new HookflowError('HF_ERR_NOT_FOUND', `no event with id ${id}`, { hint: 'see `hookflow events list`' });
    return { ...event, executions: await this.store.listExecutionsForEvent(id) };
  }

  async delete(id: string): Promise<void> {
    const outcome = await this.store.deleteEvent(id);
    if (outcome === 'not_found') throw new HookflowError('HF_ERR_NOT_FOUND', `no event with id ${id}`);
    if (outcome === 'in_progress') {
      throw new HookflowError('HF_ERR_CONFLICT', `event ${id} is still pending or processing`, { hint: 'delete it once it has been processed' });
    }
  }

  /** Deletes processed events older than `olderThanMs`; pending and processing ones are never touched. */
  cleanup(olderThanMs: number): Promise<number> {
    return this.store.deleteEventsBefore(Date.now() - olderThanMs);
  }

  /** Publishes a copy of an event as a new event naming the original (parent_id). */
  async replay(id: string): Promise<EventRecord> {
    const original = await this.get(id);
    const { event } = await this.dispatch({
      type: original.type,
      data: original.data,
      stack: original.stack,
      source: 'replay',
      correlation_id: original.correlation_id,
      parent_id: original.id,
    });
    return event;
  }

  /** Replays every event of a type pattern created since `since` (oldest first). */
  async replayMatching(type: string, since: number, limit = MAX_LIST_LIMIT): Promise<EventRecord[]> {
    const originals = (await this.list({ type, since, limit })).reverse();
    const copies: EventRecord[] = [];
    for (const original of originals) copies.push(await this.replay(original.id));
    return copies;
  }

  types(category?: string): EventTypeInfo[] {
    return eventTypes(category);
  }
}

/** The catalogue, optionally one category; an unknown category is an error naming the known ones. */
export function eventTypes(category?: string): EventTypeInfo[] {
  if (category && !eventCategories().includes(category)) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `no event category "${category}"`, { hint: `use one of ${eventCategories().join(', ')}` });
  }
  return listEventTypes(category);
}
