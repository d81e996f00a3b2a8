import { EventEmitter, setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { errorMessage, HookflowError } from '../errors.js';
import type { HookHost, HookRecord, HookRunResult, HookRuntime, HookRuntimeName } from '../hooks/model.js';
import { HookIndex } from '../hooks/matcher.js';
import type { EventCompletion, EventInsert, InsertedEvent, Store } from '../store/store.js';
import { GroupCommit } from './group-commit.js';
import { newId } from './ids.js';
import type { EventRecord, HookExecutionRecord, NewEvent } from './model.js';
import { LocalQueueSize } from './local-queue.js';
import { checkedEventData, DEFAULT_MAX_EVENT_BYTES, validateEventType, validateStack } from './validate.js';
import { pause as sleep } from '../util/pause.js';

/** Where the dispatcher finds a runtime; runtimes may be loaded on first use. */
export interface RuntimeProvider {
  get(name: HookRuntimeName): HookRuntime | undefined | Promise<HookRuntime | undefined>;
}

export interface DispatcherOptions {
  store: Store;
  runtimes: RuntimeProvider;
  /** Builds the host a hook run talks to; it gets the dispatcher so hooks can publish. */
  host: (dispatcher: Dispatcher) => HookHost;
  /** Events processed at once by this process. */
  concurrency?: number;
  /**
   * Claimed events waiting for a slot (a local queue, as graphile-worker has), at most: claims are
   * made in batches this large instead of one slot's worth at a time, and new events are claimed
   * at insert while it has room. Leases cover them like running ones. The queue holds no more than
   * half a second of this process's work at its recent rate (local-queue.ts).
   */
  prefetch?: number;
  /** How long a claim lasts without renewal; a dead owner's events come back after this. */
  leaseMs?: number;
  /** Fallback poll for events published by other processes and for expired leases. */
  pollMs?: number;
  maxEventBytes?: number;
  /** Emit `hook.failed` events for failed hook runs (never for failures on hook.failed itself). */
  emitHookFailed?: boolean;
}

export interface ProcessedEvent {
  event: EventRecord;
  executions: HookExecutionRecord[];
}

export type DispatcherState = 'idle' | 'running' | 'stopping' | 'stopped';

/** Claims in flight at once (see claimLoops). */
const MAX_CLAIMS_IN_FLIGHT = 2;
/** Rows per insert or completion batch. */
const MAX_BATCH = 2000;
/**
 * The local queue's default size. A claim is made when half of it is free, so claims take about
 * 500 rows: a claim's fixed cost (a round trip, a plan, the walk past rows this process holds)
 * is shared by more events than with 500 (PostgreSQL drain +13 %, SQLite +5 %, docs/benchmarks.md).
 */
const DEFAULT_PREFETCH = 1000;

/**
 * The dispatcher: persists events (group commit), claims them with leases, runs the matching hooks
 * and records the outcome. One instance per process. `publish` works in every state; processing
 * happens only between start() and stop().
 *
 * Emits `processed` (ProcessedEvent) after an event's outcome is durable, and `hook-start`
 * (event id, hook name, epoch ms) when a hook run is handed to its runtime.
 */
export class Dispatcher extends EventEmitter {
  readonly owner: string;
  readonly concurrency: number;
  /** The local queue's largest size; its size now follows this process's rate (local-queue.ts). */
  readonly prefetch: number;
  private readonly localQueue: LocalQueueSize;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly maxEventBytes: number;
  private readonly store: Store;
  private readonly runtimes: RuntimeProvider;
  private readonly host: HookHost;
  private readonly emitHookFailed: boolean;
  private readonly inserts: GroupCommit<EventInsert, InsertedEvent>;
  private readonly completions: GroupCommit<EventCompletion, boolean>;
  private index = new HookIndex([]);
  private revision = -1;
  private revisionCheckedAt = 0;
  private revisionReadThisTurn = false;
  /** Events whose hooks are running. */
  private inFlight = 0;
  /** Claimed events waiting for a slot, oldest first. */
  private readonly queue: EventRecord[] = [];
  /** Room promised to events claimed at insert whose batch is still being written. */
  private reserved = 0;
  /** Events whose hooks run or whose outcome is not committed yet. */
  private settling = 0;
  /** Aborts every running hook when a stop runs past its deadline. */
  private readonly shutdown = new AbortController();
  // Every running hook listens on the one shutdown signal.
  /** True when the store may hold claimable events we have not claimed yet. */
  private backlog = true;
  /**
   * True when we ourselves left events pending for lack of room: new events then queue behind
   * them instead of taking the fast path, so an overload never starves the older ones.
   */
  private pendingBehind = false;
  private pumping = false;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => Promise<void>) | null = null;
  /** True when a store subscription tells us about hook changes, so claims need no revision check. */
  private hooksWatched = false;
  private drainWaiters: Array<() => void> = [];
  private stateValue: DispatcherState = 'idle';

  constructor(options: DispatcherOptions) {
    super();
    this.setMaxListeners(0);
    setMaxListeners(0, this.shutdown.signal);
    this.store = options.store;
    this.runtimes = options.runtimes;
    this.concurrency = Math.max(1, options.concurrency ?? 100);
    this.prefetch = Math.max(0, options.prefetch ?? DEFAULT_PREFETCH);
    this.localQueue = new LocalQueueSize(this.prefetch);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? (options.store.kind === 'sqlite' ? 250 : 2000);
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.emitHookFailed = options.emitHookFailed ?? true;
    this.owner = `${hostname()}:${process.pid}:${newId().slice(-12)}`;
    // Two insert batches in flight: a publish that arrives while one is being written starts its
    // own at once instead of waiting out the other's round trip (p99 publish → hook start).
    this.inserts = new GroupCommit((rows) => this.store.insertEvents(rows), MAX_BATCH, 2);
    this.completions = new GroupCommit((rows) => this.writeCompletions(rows), MAX_BATCH);
    this.host = options.host(this);
  }

  /** Reports an error to `error` listeners, or to stderr when there are none (never throws). */
  private fail(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else process.stderr.write(`hookflow dispatcher: ${errorMessage(error)}\n`);
  }

  get state(): DispatcherState {
    return this.stateValue;
  }

  /**
   * How many more events this process may claim now: free slots plus free local queue, as long
   * as the outcomes not yet committed stay within one full completion batch. Slots are freed
   * before the commit (see releaseSlot); without that bound, a store that commits slower than
   * hooks finish would let claims and leases grow without end.
   */
  private room(): number {
    const waiting = this.queue.length + this.reserved;
    const prefetch = this.localQueue.current();
    return Math.min(this.concurrency + prefetch - this.inFlight - waiting, this.concurrency + prefetch + MAX_BATCH - this.settling - waiting);
  }

  /**
   * Room left for another claim: rows asked for by the claims in flight count as taken. (The fast
   * path at publish does not count them: a poll's claim that finds nothing must not send the
   * events published meanwhile the long way round.)
   */
  private claimRoom(): number {
    return this.room() - this.claimsRequested;
  }

  // ── publishing ─────────────────────────────────────────────────────────────────────────────

  /**
   * Validates and durably stores an event; resolves once it is committed (never before).
   * With an idempotency key already used, resolves with the first event and `created: false`.
   */
  async publish(input: NewEvent): Promise<InsertedEvent> {
    const event = this.validEvent(input);
    const now = event.created_at;
    // A store that notifies hook changes keeps the index fresh; otherwise check the revision.
    if (!this.hooksWatched && (this.refreshing || !this.revisionFresh())) await this.refreshHooks(false);
    let matched = this.hooksFor(event);
    if (matched.length === 0 && this.store.kind !== 'sqlite' && !this.hooksWatched) {
      // About to record it as needing no hook, with no notification of hook changes to rely on:
      // make sure no other process added one meanwhile.
      await this.refreshHooks(true);
      matched = this.hooksFor(event);
    }
    let claim: EventInsert['claim'] = null;
    if (matched.length > 0 && this.stateValue === 'running' && !this.pendingBehind && this.room() > 0) {
      claim = { owner: this.owner, lease_expires_at: now + this.leaseMs };
      this.reserved += 1;
    }
    let inserted: InsertedEvent;
    try {
      inserted = await this.inserts.submit({ event, claim, completed: matched.length === 0 });
    } catch (error) {
      if (claim) this.reserved -= 1;
      throw error;
    }
    if (claim) {
      this.reserved -= 1;
      if (inserted.created) this.enqueue([inserted.event]);
    } else if (inserted.created && matched.length > 0) {
      this.backlog = true;
      if (this.stateValue === 'running') this.pendingBehind = true;
      this.schedulePump();
    }
    // After the commit, once per event (not for a repeated idempotency key): metrics count it here.
    if (inserted.created) this.emit('published', inserted.event);
    return inserted;
  }

  /** The hooks a new event fires; its record is built only if a filter has to read it. */
  private hooksFor(event: EventInsert['event']): readonly HookRecord[] {
    return this.index.matchType(event.type, event.stack ?? null, () => asPending(event));
  }

  /** A new event's row, validated (throws HF_ERR_… as publish rejects). */
  private validEvent(input: NewEvent): EventInsert['event'] {
    const type = validateEventType(input.type);
    const stack = validateStack(input.stack ?? null);
    const { data, text } = checkedEventData(input.data ?? {}, { maxBytes: this.maxEventBytes });
    const now = Date.now();
    return {
      id: newId(now),
      type,
      data,
      data_text: text,
      stack,
      source: input.source ?? 'api',
      correlation_id: input.correlation_id ?? null,
      idempotency_key: input.idempotency_key ?? null,
      parent_id: input.parent_id ?? null,
      created_at: now,
    };
  }

  // ── outbox: events another write inserts in its own transaction ─────────────────────────────

  /**
   * Before a write that inserts events of this dispatcher's making (outboxInsert): brings the hook
   * set they are matched against up to date, as publish does.
   */
  async prepareOutbox(): Promise<void> {
    if (!this.hooksWatched) await this.refreshHooks(this.store.kind !== 'sqlite');
  }

  /** An event's insert for another write's transaction: validated, and stored completed when no hook wants it. */
  outboxInsert(input: NewEvent): EventInsert {
    const event = this.validEvent(input);
    return { event, claim: null, completed: this.hooksFor(event).length === 0 };
  }

  /** After that write committed: what publish does after its own commit. */
  outboxCommitted(inserted: readonly InsertedEvent[]): void {
    let pending = false;
    for (const { event, created } of inserted) {
      if (!created) continue;
      if (event.status === 'pending') pending = true;
      this.emit('published', event);
    }
    if (!pending) return;
    this.backlog = true;
    if (this.stateValue === 'running') this.pendingBehind = true;
    this.schedulePump();
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    if (this.stateValue === 'running') return;
    this.stateValue = 'running';
    await this.refreshHooks(true);
    await this.store.registerProcess({
      id: this.owner,
      kind: 'dispatcher',
      host: hostname(),
      pid: process.pid,
      started_at: Date.now(),
      heartbeat_at: Date.now(),
      info: { concurrency: this.concurrency, lease_ms: this.leaseMs },
    });
    this.unsubscribe = await this.store.subscribeEvents((change) => {
      if (change === 'hooks') {
        this.revisionCheckedAt = 0;
        void this.refreshHooks(true).catch((error) => this.fail(error));
        return;
      }
      this.backlog = true;
      this.schedulePump();
    });
    this.hooksWatched = this.unsubscribe !== null;
    const every = (ms: number, task: () => Promise<unknown>) => {
      // One run at a time: renewals that overlap on a slow database queue on each other's row
      // locks, and the completions they block make the next renewal longer still.
      let running = false;
      // Referenced on purpose: a running dispatcher keeps its process alive until stop().
      this.timers.push(
        setInterval(() => {
          if (running) return;
          running = true;
          void task()
            .catch((error) => this.fail(error))
            .finally(() => {
              running = false;
            });
        }, ms),
      );
    };
    every(this.pollMs, async () => {
      await this.refreshHooks(true);
      this.backlog = true;
      this.schedulePump();
    });
    every(Math.max(50, Math.floor(this.leaseMs / 3)), async () => {
      await this.store.heartbeatProcess(this.owner);
      if (this.settling > 0) await this.store.renewLeases(this.owner, this.leaseMs);
    });
    this.schedulePump();
  }

  /**
   * Graceful stop: claim nothing more, let running hooks finish within `deadlineMs`, record
   * their outcomes, and put whatever is still running back to pending for another process.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (this.stateValue !== 'running') {
      // Never started (publish only, or processOne): still let its own work reach the store.
      await this.drainedWithin(deadlineMs);
      await this.inserts.idle();
      await this.completions.idle();
      this.stateValue = 'stopped';
      return;
    }
    this.stateValue = 'stopping';
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.unsubscribe) await this.unsubscribe().catch(() => undefined);
    this.unsubscribe = null;
    if (this.settling > 0) {
      // Leases must outlive the wait, or another process would take these events over meanwhile.
      const renew = setInterval(() => void this.store.renewLeases(this.owner, this.leaseMs).catch(() => undefined), Math.max(50, Math.floor(this.leaseMs / 3)));
      await this.drainedWithin(deadlineMs);
      clearInterval(renew);
    }
    await this.inserts.idle();
    await this.completions.idle();
    // A claim still in flight would otherwise take events after the release below.
    await Promise.allSettled(this.claimLoops);
    this.shutdown.abort(new HookflowError('HF_ERR_SHUTTING_DOWN', 'hookflow is shutting down'));
    // Queued events never started, and running ones past the deadline: both go back to pending.
    this.queue.length = 0;
    await this.store.releaseEvents(this.owner);
    await this.store.removeProcess(this.owner).catch(() => undefined);
    this.stateValue = 'stopped';
  }

  /** Waits for the work in hand to settle, at most `deadlineMs`; the timer never outlives it (it would hold the process open). */
  private async drainedWithin(deadlineMs: number): Promise<void> {
    const settled = new AbortController();
    try {
      await Promise.race([this.drained(), sleep(deadlineMs, settled.signal)]);
    } finally {
      settled.abort();
    }
  }

  private drained(): Promise<void> {
    if (this.settling === 0 && (this.queue.length === 0 || this.stateValue !== 'running')) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Processes claimable events until none is left, then resolves (for `hookflow drain`).
   * Call after start(); counts what this call processed.
   */
  async drain(): Promise<number> {
    let processed = 0;
    const count = () => {
      processed += 1;
    };
    this.on('processed', count);
    try {
      for (;;) {
        this.backlog = true;
        await this.pump();
        await this.drained();
        await this.completions.idle();
        if (!(await this.store.hasClaimableEvents())) break;
        await sleep(5);
      }
    } finally {
      this.off('processed', count);
    }
    return processed;
  }

  /** Claims one given event and processes it here (for `events dispatch --wait` with no server running). */
  async processOne(id: string): Promise<ProcessedEvent | null> {
    await this.refreshHooks(true);
    const event = await this.store.claimEvent(id, this.owner, this.leaseMs);
    if (!event) return null;
    const waiting = this.waitFor(id);
    this.startEvent(event);
    return waiting;
  }

  /**
   * Resolves when this process has recorded the outcome of event `id`. Aborting `signal` stops
   * waiting (the promise then never resolves) and removes the listener.
   */
  waitFor(id: string, signal?: AbortSignal): Promise<ProcessedEvent> {
    return new Promise((resolve) => {
      const listener = (done: ProcessedEvent) => {
        if (done.event.id !== id) return;
        this.off('processed', listener);
        resolve(done);
      };
      this.on('processed', listener);
      signal?.addEventListener('abort', () => this.off('processed', listener), { once: true });
    });
  }

  // ── claiming ───────────────────────────────────────────────────────────────────────────────

  private schedulePump(): void {
    if (this.pumping || !this.backlog || this.stateValue !== 'running') return;
    if (this.claimLoops.size >= MAX_CLAIMS_IN_FLIGHT || !this.claimWorthwhile()) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      void this.pump().catch((error) => this.fail(error));
    });
  }

  /**
   * Refill when the local queue is half empty, so claims stay few and large (or whenever there
   * is room and nothing at all to do). Rows asked for by claims in flight count as taken.
   */
  private claimWorthwhile(): boolean {
    const room = this.claimRoom();
    return room >= Math.max(1, Math.floor(this.localQueue.current() / 2)) || (room > 0 && this.inFlight + this.queue.length + this.claimsRequested === 0);
  }

  /** Claim loops running; a second starts when half the local queue drained during a claim's round trip. */
  private readonly claimLoops = new Set<Promise<void>>();
  /** Rows asked for by the claims in flight. */
  private claimsRequested = 0;

  /** Starts a claim loop if one is worth it; resolves when every claim loop has stopped. */
  private pump(): Promise<void> {
    if (this.claimLoops.size < MAX_CLAIMS_IN_FLIGHT && this.claimWorthwhile()) {
      const loop: Promise<void> = this.claimBatch().finally(() => this.claimLoops.delete(loop));
      this.claimLoops.add(loop);
    }
    return Promise.all(this.claimLoops).then(() => undefined);
  }

  private async claimBatch(): Promise<void> {
    while (this.stateValue === 'running' && this.backlog && this.claimWorthwhile()) {
      const limit = Math.min(this.claimRoom(), 1000);
      this.claimsRequested += limit;
      let claimed: EventRecord[];
      try {
        claimed = await this.store.claimEvents(this.owner, this.leaseMs, limit);
      } finally {
        this.claimsRequested -= limit;
      }
      if (claimed.length < limit) {
        this.backlog = false;
        this.pendingBehind = false;
      }
      if (claimed.length === 0) return;
      // Claimed events may come from other processes that know hooks we have not loaded yet. A
      // store that notifies hook changes saves the check; SQLite answers it in microseconds.
      await this.refreshHooks(!this.hooksWatched);
      this.enqueue(claimed);
    }
  }

  private refreshing: Promise<void> | null = null;

  /**
   * Whether the hooks revision was read recently enough not to read it again. SQLite answers it
   * in microseconds, so it is read again for every event-loop turn (publishes arriving together
   * share one read); a PostgreSQL round trip is worth saving longer.
   */
  private revisionFresh(): boolean {
    return this.store.kind === 'sqlite' ? this.revisionReadThisTurn : Date.now() - this.revisionCheckedAt < 250;
  }

  /**
   * Reloads the hook index when the store's hooks revision moved. Callers share one refresh in
   * progress, so nobody goes on with the old index while a newer one is still loading.
   */
  private async refreshHooks(force: boolean): Promise<void> {
    if (this.refreshing) {
      // A refresh that began before this call may have read the revision too early to count.
      await this.refreshing;
      if (!force) return;
      if (this.refreshing) return this.refreshing;
    }
    if (!force && this.revisionFresh()) return;
    this.revisionCheckedAt = Date.now();
    if (!this.revisionReadThisTurn) {
      this.revisionReadThisTurn = true;
      setImmediate(() => {
        this.revisionReadThisTurn = false;
      });
    }
    this.refreshing = (async () => {
      const revision = await this.store.hooksRevision();
      if (revision === this.revision) return;
      const hooks = await this.store.listHooks({ enabledOnly: true });
      this.index = new HookIndex(hooks);
      this.revision = revision;
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  // ── processing ─────────────────────────────────────────────────────────────────────────────

  private enqueue(events: readonly EventRecord[]): void {
    for (const event of events) this.queue.push(event);
    this.startQueued();
  }

  private startQueued(): void {
    while (this.inFlight < this.concurrency && this.queue.length > 0 && this.stateValue === 'running') {
      this.startEvent(this.queue.shift() as EventRecord);
    }
  }

  private startEvent(event: EventRecord): void {
    this.inFlight += 1;
    this.settling += 1;
    void this.runEvent(event);
  }

  /**
   * A slot is freed when the event's hooks are done, not when their outcome is committed: the
   * commit is batched with others, and holding slots through it would cap throughput at
   * concurrency / commit time. Until the commit the event stays `processing` under our lease.
   */
  private releaseSlot(): void {
    this.inFlight -= 1;
    this.localQueue.finishedOne();
    this.startQueued();
    this.schedulePump();
    if (this.settling === 0 || this.queue.length === 0) this.wakeDrainWaiters();
  }

  private settled(): void {
    this.settling -= 1;
    this.schedulePump();
    this.wakeDrainWaiters();
  }

  private wakeDrainWaiters(): void {
    if (this.drainWaiters.length === 0) return;
    if (this.settling !== 0 || (this.queue.length > 0 && this.stateValue === 'running')) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Runs an event's hooks in the slot startEvent took, frees the slot, then records the outcome. */
  private async runEvent(event: EventRecord): Promise<void> {
    try {
      const hooks = this.index.match(event);
      let executions: HookExecutionRecord[];
      try {
        executions =
          hooks.length === 1
            ? await this.runHook(hooks[0], event, this.shutdown.signal)
            : (await Promise.all(hooks.map((hook) => this.runHook(hook, event, this.shutdown.signal)))).flat();
      } finally {
        this.releaseSlot();
      }
      // Interrupted by a stop past its deadline: stop() puts the event back to pending, unrecorded.
      if (this.shutdown.signal.aborted) return;
      const failures = lastAttempts(executions).filter((execution) => !execution.success);
      const status = failures.length === 0 ? 'completed' : 'failed';
      const error = failures.length === 0 ? null : `hooks failed: [${failures.map((f) => `hook ${f.hook_name}: ${f.error ?? 'failed'}`).join(', ')}]`;
      const processed_at = Date.now();
      let applied = false;
      try {
        applied = await this.completions.submit({ id: event.id, owner: this.owner, status, error, processed_at, executions });
      } catch (error_) {
        this.fail(error_);
        return;
      }
      if (applied) {
        this.emit('processed', { event: { ...event, status, error, processed_at }, executions } satisfies ProcessedEvent);
      }
      if (this.emitHookFailed && event.type !== 'hook.failed') {
        for (const failure of failures) {
          await this.publish({
            type: 'hook.failed',
            stack: event.stack,
            source: 'hookflow',
            parent_id: event.id,
            data: { hook_name: failure.hook_name, event_id: event.id, event_type: event.type, error: failure.error, attempt: failure.attempt },
          }).catch((error_) => this.fail(error_));
        }
      }
    } finally {
      this.settled();
    }
  }

  private async writeCompletions(rows: EventCompletion[]): Promise<boolean[]> {
    const applied = new Set(await this.store.completeEvents(rows));
    return rows.map((row) => applied.has(row.id));
  }

  /** Runs one hook for one event with its retry policy; one execution record per attempt. */
  private async runHook(hook: HookRecord, event: EventRecord, signal: AbortSignal): Promise<HookExecutionRecord[]> {
    const records: HookExecutionRecord[] = [];
    const attempts = Math.max(1, hook.retry.max_attempts);
    let delay = hook.retry.backoff_ms;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const executed_at = Date.now();
      const started = performance.now();
      this.emit('hook-start', event.id, hook.name, executed_at);
      const result = await this.invoke(hook, event, attempt, signal);
      records.push({
        event_id: event.id,
        hook_name: hook.name,
        success: result.success,
        output: result.output,
        error: result.error,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        executed_at,
        attempt,
      });
      if (result.success || attempt === attempts || signal.aborted) break;
      await sleep(delay, signal);
      delay = Math.round(delay * hook.retry.backoff_multiplier);
    }
    return records;
  }

  /** Not async: a runtime already loaded is called in this turn, with no promise of our own around it. */
  private invoke(hook: HookRecord, event: EventRecord, attempt: number, signal: AbortSignal): Promise<HookRunResult> {
    try {
      const runtime = this.runtimes.get(hook.runtime);
      return runtime instanceof Promise
        ? runtime.then((loaded) => this.runOn(loaded, hook, event, attempt, signal), failedRun)
        : this.runOn(runtime, hook, event, attempt, signal);
    } catch (error) {
      return Promise.resolve(failedRun(error));
    }
  }

  private runOn(runtime: HookRuntime | undefined, hook: HookRecord, event: EventRecord, attempt: number, signal: AbortSignal): Promise<HookRunResult> {
    if (!runtime) return Promise.resolve({ success: false, output: '', error: `runtime "${hook.runtime}" is not available in this process` });
    try {
      return runtime.run({ hook, event, attempt, signal }, this.host).catch(failedRun);
    } catch (error) {
      return Promise.resolve(failedRun(error));
    }
  }
}

/** A runtime must not throw, but if one does the event still gets an honest record. */
function failedRun(error: unknown): HookRunResult {
  return { success: false, output: '', error: errorMessage(error) };
}

function asPending(event: EventInsert['event']): EventRecord {
  return {
    id: event.id,
    type: event.type,
    stack: event.stack ?? null,
    source: event.source ?? 'api',
    data: event.data ?? {},
    status: 'pending',
    attempts: 0,
    error: null,
    created_at: event.created_at,
    processed_at: null,
    correlation_id: event.correlation_id ?? null,
    idempotency_key: event.idempotency_key ?? null,
    parent_id: event.parent_id ?? null,
  };
}

/** The final attempt of each hook decides the event's outcome. */
function lastAttempts(executions: HookExecutionRecord[]): HookExecutionRecord[] {
  if (executions.length === 1) return executions;
  const last = new Map<string, HookExecutionRecord>();
  for (const execution of executions) last.set(execution.hook_name, execution);
  return [...last.values()];
}

