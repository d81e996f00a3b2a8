import type { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { errorMessage, HookflowError } from '../../errors.js';
import type { ProcessedEvent } from '../../events/dispatcher.js';
import type { EventRecord } from '../../events/model.js';
import type { Store } from '../../store/store.js';
import { SseClient } from './client.js';
import { idSuccessor } from './event-ids.js';
import { filterMatches, type StreamFilter } from './filter.js';
import { hookStartedFrame, processedFrame, publishedFrame, truncatedFrame, type Frame, type HookStart } from './sse.js';
import { StoreTail, type TailOptions } from './tail.js';
import { walkDown } from './walk.js';

export interface LiveHubOptions {
  tail: Partial<TailOptions>;
  heartbeatMs: number;
  /** Events a resume replays at most (the newest of those missed). */
  replayLimit: number;
  /** Rows a resume reads at most looking for them (a filter may skip many). */
  replayScanLimit: number;
  maxClients: number;
  /** Per client: see SseClientOptions.maxBufferBytes. */
  maxClientBufferBytes: number;
  drainTimeoutMs: number;
  retryMs: number;
  /** Recent events whose type and stack are kept for hook.started frames. */
  knownLimit: number;
  /** Events whose processed/hook.started frames may wait for their event.published at most. */
  stashLimit: number;
  /** How long such frames wait before the event is looked up in the store instead. */
  stashMaxAgeMs: number;
}

export const DEFAULT_LIVE_HUB_OPTIONS: LiveHubOptions = {
  tail: {},
  heartbeatMs: 15_000,
  replayLimit: 1_000,
  replayScanLimit: 20_000,
  maxClients: 1_000,
  maxClientBufferBytes: 1024 * 1024,
  drainTimeoutMs: 30_000,
  retryMs: 2_000,
  knownLimit: 20_000,
  stashLimit: 10_000,
  stashMaxAgeMs: 5_000,
};

/** What the hub needs of the engine. */
export interface LiveSource {
  store: Pick<Store, 'listEvents' | 'getEvent' | 'listExecutionsForEvent'>;
  /** The dispatcher: 'processed' (ProcessedEvent) and 'hook-start' (event id, hook name, epoch ms). */
  dispatcher: Pick<EventEmitter, 'on' | 'off'>;
}

interface EventKey {
  type: string;
  stack: string | null;
}

type Waiting = { kind: 'processed'; done: ProcessedEvent } | { kind: 'hook'; start: HookStart };

interface StashEntry {
  since: number;
  messages: Waiting[];
  lookingUp: boolean;
}

export interface ConnectRequest {
  filter: StreamFilter;
  lastEventId: string | null;
  headers: Record<string, string>;
}

/**
 * The live stream's fan-out: one store tail and one set of dispatcher listeners per server,
 * however many clients, running only while a client is connected.
 *
 * Order per event: event.published first, then its hook.started and event.processed frames. The
 * dispatcher signals processing as it happens while the tail sees a commit only after `settleMs`,
 * so frames about an event not yet passed on by the tail wait (bounded, in `stash`) for it.
 */
export class LiveHub {
  private readonly options: LiveHubOptions;
  private readonly clients = new Set<SseClient>();
  private readonly tail: StoreTail;
  private readonly known = new Map<string, EventKey>();
  private readonly stash = new Map<string, StashEntry>();
  private heartbeat: NodeJS.Timeout | null = null;
  private attached = false;
  private closing = false;

  private readonly onProcessed = (done: ProcessedEvent) => this.processed(done);
  private readonly onHookStart = (eventId: string, hookName: string, startedAt: number) => this.hookStarted({ eventId, hookName, startedAt });

  constructor(
    private readonly source: LiveSource,
    options: Partial<LiveHubOptions> = {},
    private readonly report: (message: string) => void = (message) => process.stderr.write(`hookflow stream: ${message}\n`),
  ) {
    this.options = { ...DEFAULT_LIVE_HUB_OPTIONS, ...options };
    this.tail = new StoreTail(
      source.store,
      {
        published: (event, inOrder) => this.published(event, inOrder),
        polled: () => this.sweepStash(),
        error: (error) => this.report(`reading the event log failed: ${errorMessage(error)}`),
      },
      this.options.tail,
    );
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Throws the error a new stream gets now (shutting down, too many), before any byte is written. */
  admit(): void {
    if (this.closing) throw new HookflowError('HF_ERR_SHUTTING_DOWN', 'the server is shutting down', { hint: 'reconnect to another server or later' });
    if (this.clients.size >= this.options.maxClients) {
      throw new HookflowError('HF_ERR_RATE_LIMITED', `too many live streams open (at most ${this.options.maxClients})`, { hint: 'close other streams or try again later' });
    }
  }

  /**
   * Takes over `res` as a stream: a replay of what was missed after `lastEventId` (from the
   * store), then live frames. Frames that arrive during the replay wait, so there is no gap
   * between the two and no frame twice.
   */
  async connect(res: ServerResponse, request: ConnectRequest): Promise<SseClient> {
    this.admit();
    const client = new SseClient(res, {
      filter: request.filter,
      resumeAfter: request.lastEventId,
      maxBufferBytes: this.options.maxClientBufferBytes,
      drainTimeoutMs: this.options.drainTimeoutMs,
      retryMs: this.options.retryMs,
      onClose: (closed) => this.remove(closed),
    });
    client.open(request.headers);
    if (request.lastEventId !== null) client.beginReplay();
    this.clients.add(client);
    this.ensureRunning();
    if (request.lastEventId === null) return client;
    // Everything at or below the tail's cursor comes from the store; everything above, live.
    const upTo = this.tail.cursor;
    try {
      const replayed = await this.replay(request.lastEventId, upTo, request.filter);
      await client.finishReplay(replayed);
    } catch (error) {
      this.report(`a replay failed: ${errorMessage(error)}`);
      client.drop('the replay failed');
    }
    return client;
  }

  /** Ends every stream and stops the tail (server shutdown: app.close must not wait on streams). */
  async close(): Promise<void> {
    this.closing = true;
    for (const client of [...this.clients]) client.end('the server is shutting down');
    this.clients.clear();
    await this.stopRunning();
  }

  private ensureRunning(): void {
    if (this.attached) return;
    this.attached = true;
    this.source.dispatcher.on('processed', this.onProcessed);
    this.source.dispatcher.on('hook-start', this.onHookStart);
    this.tail.start();
    this.heartbeat = setInterval(() => {
      for (const client of this.clients) client.heartbeat();
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  private async stopRunning(): Promise<void> {
    if (!this.attached) return;
    this.attached = false;
    this.source.dispatcher.off('processed', this.onProcessed);
    this.source.dispatcher.off('hook-start', this.onHookStart);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.stash.clear();
    this.known.clear();
    await this.tail.stop();
  }

  private remove(client: SseClient): void {
    this.clients.delete(client);
    if (this.clients.size === 0 && !this.closing) {
      void this.stopRunning().catch((error: unknown) => this.report(errorMessage(error)));
    }
  }

  private broadcast(frame: Frame, key: EventKey): void {
    for (const client of this.clients) {
      if (filterMatches(client.filter, key)) client.deliver(frame);
    }
  }

  // ── from the tail ──────────────────────────────────────────────────────────────────────────

  private published(event: EventRecord, inOrder: boolean): void {
    const key = { type: event.type, stack: event.stack };
    this.broadcast(publishedFrame(event, inOrder), key);
    this.known.delete(event.id);
    this.known.set(event.id, key);
    if (this.known.size > this.options.knownLimit) this.known.delete(this.known.keys().next().value as string);
    this.release(event.id, key);
  }

  // ── from the dispatcher ────────────────────────────────────────────────────────────────────

  private processed(done: ProcessedEvent): void {
    if (this.clients.size === 0) return;
    const { event } = done;
    const waiting = this.stash.get(event.id);
    if (waiting) {
      waiting.messages.push({ kind: 'processed', done });
    } else if (this.known.has(event.id) || event.id <= this.tail.cursor) {
      // Passed on already, or older than the tail: nothing to wait for.
      this.broadcast(processedFrame(event, done.executions), { type: event.type, stack: event.stack });
    } else {
      this.hold(event.id, { kind: 'processed', done });
    }
  }

  private hookStarted(start: HookStart): void {
    if (this.clients.size === 0) return;
    const key = this.known.get(start.eventId);
    const waiting = this.stash.get(start.eventId);
    if (key && !waiting) {
      this.broadcast(hookStartedFrame(start, key), key);
    } else if (waiting) {
      waiting.messages.push({ kind: 'hook', start });
    } else {
      this.hold(start.eventId, { kind: 'hook', start });
      // Older than the tail: its type and stack must come from the store.
      if (start.eventId <= this.tail.cursor) this.lookUp(start.eventId);
    }
  }

  // ── frames waiting for their event ─────────────────────────────────────────────────────────

  private hold(eventId: string, message: Waiting): void {
    this.stash.set(eventId, { since: Date.now(), messages: [message], lookingUp: false });
    if (this.stash.size > this.options.stashLimit) this.settle(this.stash.keys().next().value as string);
  }

  private release(eventId: string, key: EventKey): void {
    const entry = this.stash.get(eventId);
    if (!entry) return;
    this.stash.delete(eventId);
    for (const message of entry.messages) {
      if (message.kind === 'hook') this.broadcast(hookStartedFrame(message.start, key), key);
      else this.broadcast(processedFrame(message.done.event, message.done.executions), key);
    }
  }

  /** Releases an entry without its event.published: with the key a processed frame carries, or from the store. */
  private settle(eventId: string): void {
    const entry = this.stash.get(eventId);
    if (!entry) return;
    const processed = entry.messages.find((message) => message.kind === 'processed');
    if (processed) this.release(eventId, { type: processed.done.event.type, stack: processed.done.event.stack });
    else this.lookUp(eventId);
  }

  private lookUp(eventId: string): void {
    const entry = this.stash.get(eventId);
    if (!entry || entry.lookingUp) return;
    entry.lookingUp = true;
    this.source.store.getEvent(eventId).then(
      (event) => {
        if (event) this.release(eventId, { type: event.type, stack: event.stack });
        else this.stash.delete(eventId);
      },
      (error: unknown) => {
        this.stash.delete(eventId);
        this.report(`looking up event ${eventId} failed: ${errorMessage(error)}`);
      },
    );
  }

  private sweepStash(): void {
    const oldest = Date.now() - this.options.stashMaxAgeMs;
    for (const [eventId, entry] of this.stash) {
      if (entry.since > oldest) break;
      this.settle(eventId);
    }
  }

  // ── resume ─────────────────────────────────────────────────────────────────────────────────

  /** The events after `lastEventId` up to `upTo` (the newest `replayLimit` that match), oldest first. */
  private async replay(lastEventId: string, upTo: string, filter: StreamFilter): Promise<{ frames: Frame[]; published: Set<string>; processed: Set<string> }> {
    const { store } = this.source;
    const { replayLimit, replayScanLimit } = this.options;
    const walk = await walkDown(store, idSuccessor(upTo), lastEventId, replayScanLimit);
    const matching = walk.rows.filter((event) => filterMatches(filter, event));
    const chosen = matching.slice(0, replayLimit).reverse();
    const frames: Frame[] = [];
    if (!walk.complete || matching.length > replayLimit) frames.push(truncatedFrame(lastEventId, chosen.length, replayLimit));
    const published = new Set<string>();
    const processed = new Set<string>();
    const executions = await inChunks(chosen, 20, (event) => (event.status === 'completed' || event.status === 'failed' ? store.listExecutionsForEvent(event.id) : Promise.resolve([])));
    chosen.forEach((event, index) => {
      frames.push(publishedFrame(event, true));
      published.add(event.id);
      // Only events whose hooks ran have a processed form (live, too, only those are signalled).
      if (executions[index].length > 0) {
        frames.push(processedFrame(event, executions[index]));
        processed.add(event.id);
      }
    });
    return { frames, published, processed };
  }
}

/** Maps with at most `size` calls in flight (PostgreSQL runs them on its pool; SQLite one by one anyway). */
async function inChunks<T, R>(items: readonly T[], size: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let at = 0; at < items.length; at += size) results.push(...(await Promise.all(items.slice(at, at + size).map(map))));
  return results;
}
