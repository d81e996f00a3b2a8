/**
 * Event-driven execution: parking a step whose action awaits an event, and routing incoming
 * events to it.
 *
 * - `WaitService.park` writes the wait to the store (it survives restarts and every process on
 *   the store sees it) and wakes the routers of this process.
 * - `WaitRouter` finds (wait, event) pairs in the store: events whose correlation id is a waiting
 *   wait's external workflow id (EventService sets it from the workflow id paths of REFERENCE.md),
 *   created at most `lookbackMs` before the wait was parked, so an answer that came before the
 *   park is not lost. Each pair is claimed atomically before the action's onEvent sees it, so two
 *   routers on one store handle it once; the claim has a lease, so a pair whose router died is
 *   handled again. Whichever router runs also times out waits past their deadline and fires due
 *   timers (wait_until). It polls every `pollMs` while waits exist and checks every `idleMs`
 *   for waits parked elsewhere; a park in this process wakes it at once.
 * - `settleOutcome` parks an awaiting outcome and waits for its end with a router of its own
 *   (`hookflow actions run`).
 */
import { hostname } from 'node:os';
import { errorMessage, HookflowError } from '../errors.js';
import { newId } from '../events/ids.js';
import type { EventRecord, JsonObject, NewEvent } from '../events/model.js';
import type { Store } from '../store/store.js';
import type { HandledPair, WaitOwnerKind, WaitQuery, WaitRecord } from '../store/waits.js';
import type { ActionDefinition, ActionLogger, ActionOutcome, EventContext } from './model.js';
import { decideEventResult, stepEventData, stepEventType, timerEventData, timerWakeAt, TIMER_EVENT_TYPE } from './wait-rules.js';
import { pause as sleep } from '../util/pause.js';

export const DEFAULT_LOOKBACK_MS = 3_600_000;
export const DEFAULT_POLL_MS = 200;
export const DEFAULT_IDLE_MS = 1_000;
export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_ON_EVENT_TIMEOUT_MS = 30_000;
const BATCH = 100;

// ── in-process wake-ups ─────────────────────────────────────────────────────────────────────

const parkListeners = new WeakMap<Store, Set<() => void>>();

function onParked(store: Store, listener: () => void): () => void {
  let listeners = parkListeners.get(store);
  if (!listeners) {
    listeners = new Set();
    parkListeners.set(store, listeners);
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function announceParked(store: Store): void {
  for (const listener of parkListeners.get(store) ?? []) listener();
}

// ── parking ─────────────────────────────────────────────────────────────────────────────────

export interface ParkRequest {
  /** The awaiting outcome of runAction. */
  outcome: Pick<ActionOutcome, 'awaitingEvent' | 'externalWorkflowId' | 'deadline' | 'outputs'>;
  actionType: string;
  /** The params it ran with (resolved, or as written). */
  params: JsonObject;
  owner: { kind: WaitOwnerKind; id: string | null };
  metadata?: JsonObject;
  /** Events that must not answer the wait (the event a hook ran for carries the id too). */
  ignoreEvents?: readonly string[];
}

/** Parked steps as a service: park, look up, wait for the end. */
export class WaitService {
  constructor(private readonly store: Store) {}

  async park(request: ParkRequest): Promise<WaitRecord> {
    const { outcome } = request;
    if (!outcome.awaitingEvent || !outcome.externalWorkflowId) {
      throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `${request.actionType} did not ask to wait for an event`, {
        hint: 'only an outcome with awaitingEvent and an externalWorkflowId can be parked',
      });
    }
    const now = Date.now();
    const wait: WaitRecord = {
      id: newId(now),
      action_type: request.actionType,
      correlation_id: outcome.externalWorkflowId,
      owner_kind: request.owner.kind,
      owner_id: request.owner.id,
      params: request.params,
      outputs: outcome.outputs,
      metadata: request.metadata ?? {},
      status: 'waiting',
      deadline: outcome.deadline ?? now,
      wake_at: timerWakeAt(outcome.outputs, outcome.externalWorkflowId),
      progress: null,
      eta_minutes: null,
      error: null,
      created_at: now,
      updated_at: now,
    };
    await this.store.waits.createWait(wait, { ignoreEvents: request.ignoreEvents });
    announceParked(this.store);
    return wait;
  }

  async get(id: string): Promise<WaitRecord> {
    const wait = await this.store.waits.getWait(id);
    if (!wait) throw new HookflowError('HF_ERR_NOT_FOUND', `no parked step with id ${id}`);
    return wait;
  }

  list(query: Partial<WaitQuery> = {}): Promise<WaitRecord[]> {
    return this.store.waits.listWaits({ ...query, limit: query.limit ?? 100 });
  }

  /** Resolves with the wait once it is no longer waiting (polling the store: any process may end it). */
  async waitFor(id: string, options: { signal?: AbortSignal; pollMs?: number } = {}): Promise<WaitRecord> {
    let delay = 10;
    for (;;) {
      const wait = await this.get(id);
      if (wait.status !== 'waiting') return wait;
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      await sleep(delay, options.signal);
      delay = Math.min(delay * 2, options.pollMs ?? DEFAULT_POLL_MS);
    }
  }
}


// ── routing ─────────────────────────────────────────────────────────────────────────────────

/** Finds the action of a wait; an unknown type throws (HF_ERR_UNKNOWN_ACTION). */
export interface ActionLookup {
  get(type: string): ActionDefinition;
}

export interface WaitRouterOptions {
  store: Store;
  /** The action catalogue, loaded when the first event has to be delivered. */
  actions: () => Promise<ActionLookup>;
  /** Publishes step.* and timer events (EventService.dispatch). */
  publish: (event: NewEvent) => Promise<unknown>;
  /** Names this router in its claims; default host:pid:random. */
  owner?: string;
  /** Poll interval while waits exist. */
  pollMs?: number;
  /** How often an idle router checks for waits parked by other processes. */
  idleMs?: number;
  /** Events created this long before a park still reach it. */
  lookbackMs?: number;
  /** Lease of a pair claim and retry interval of a timer. */
  leaseMs?: number;
  onEventTimeoutMs?: number;
  /** Log lines of onEvent, and what the router did. */
  onLog?: (line: string, wait: WaitRecord | null) => void;
  /** A failed pass (the store unreachable…); the router goes on. */
  onError?: (error: unknown) => void;
}

export interface RouterPass {
  delivered: number;
  timedOut: number;
  timers: number;
}

/** A change of a wait, for listeners in this process. */
export type WaitChange = { kind: 'finished' | 'progress'; wait: WaitRecord };

export class WaitRouter {
  readonly owner: string;
  private readonly pollMs: number;
  private readonly idleMs: number;
  private readonly lookbackMs: number;
  private readonly leaseMs: number;
  private readonly onEventTimeoutMs: number;
  /** Events created before this were seen for waits parked before it (see PendingPairQuery.since). */
  private since = 0;
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<RouterPass> | null = null;
  private again = false;
  private unsubscribes: Array<() => unknown> = [];
  private lookup: Promise<ActionLookup> | null = null;
  private readonly listeners = new Set<(change: WaitChange) => void>();

  constructor(private readonly options: WaitRouterOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${newId().slice(-12)}`;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.lookbackMs = options.lookbackMs ?? DEFAULT_LOOKBACK_MS;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.onEventTimeoutMs = options.onEventTimeoutMs ?? DEFAULT_ON_EVENT_TIMEOUT_MS;
  }

  /** Calls `listener` when a wait this router handled finished or progressed. */
  onChange(listener: (change: WaitChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts routing: a first pass now, then polling while waits exist. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { store } = this.options;
    this.unsubscribes.push(onParked(store, () => this.wake()));
    // Answers are found by polling every pollMs while waits exist, not on the store's event
    // wake-ups: those come with every published event, and would run a pass per event under load.
    this.wake();
  }

  /** Stops polling and waits for a pass under way. Waits stay parked in the store. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const unsubscribe of this.unsubscribes.splice(0)) await unsubscribe();
    await this.pass?.catch(() => undefined);
  }

  /** Runs a pass soon (a wait was parked, an event may have come). */
  wake(): void {
    if (!this.running) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.loop();
    }, ms);
    this.timer.unref?.();
  }

  private async loop(): Promise<void> {
    if (!this.running || this.pass) return;
    let busy = false;
    try {
      this.pass = this.tick();
      const pass = await this.pass;
      busy = pass.delivered + pass.timedOut + pass.timers > 0 || (await this.options.store.waits.hasWaiting());
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.pass = null;
    }
    const again = this.again;
    this.again = false;
    this.schedule(again ? 0 : busy ? this.pollMs : this.idleMs);
  }

  /**
   * One pass: time out waits past their deadline, fire due timers, deliver pending pairs. Public
   * so tests and `settleOutcome` can drive it.
   */
  async tick(): Promise<RouterPass> {
    const { store } = this.options;
    const started = Date.now();
    const pass: RouterPass = { delivered: 0, timedOut: 0, timers: 0 };

    for (const wait of await store.waits.expireWaits(started, BATCH)) {
      pass.timedOut += 1;
      this.log(`timed out: no event for ${wait.correlation_id} before ${new Date(wait.deadline).toISOString()}`, wait);
      await this.announce('finished', wait);
    }

    for (const wait of await store.waits.takeDueTimers(started, this.leaseMs, BATCH)) {
      pass.timers += 1;
      await this.options.publish({ type: TIMER_EVENT_TYPE, data: timerEventData(wait), correlation_id: wait.correlation_id, source: 'hookflow' });
    }

    const pairs = await store.waits.pendingPairs({ since: this.since, lookbackMs: this.lookbackMs, now: started, limit: BATCH });
    for (const pair of pairs) {
      if (await this.deliver(pair.wait_id, pair.event_id)) pass.delivered += 1;
    }
    // A claim of a router that died frees its pair after one lease: look back two, so it is found.
    if (pairs.length < BATCH) this.since = Math.max(0, started - 2 * this.leaseMs);
    if (pass.timers > 0 || pairs.length === BATCH) this.again = true;
    return pass;
  }

  /** Claims one pair and hands the event to the action's onEvent; true when this router handled it. */
  private async deliver(waitId: string, eventId: string): Promise<boolean> {
    const { store } = this.options;
    if (!(await store.waits.claimPair(waitId, eventId, this.owner, this.leaseMs))) return false;
    const [wait, event] = await Promise.all([store.waits.getWait(waitId), store.getEvent(eventId)]);
    if (!wait || wait.status !== 'waiting') return false;
    if (!event) {
      await store.waits.markHandled(waitId, { event_id: eventId, outcome: 'error' });
      return false;
    }
    let definition: ActionDefinition;
    try {
      this.lookup ??= this.options.actions();
      definition = (await this.lookup).get(wait.action_type);
    } catch (error) {
      this.lookup = null;
      await this.finish(wait, { status: 'failed', outputs: wait.outputs, error: `cannot deliver ${event.type} ${event.id}: ${errorMessage(error)}` }, { event_id: event.id, outcome: 'error' });
      return true;
    }
    if (!definition.onEvent) {
      // No onEvent: the first event with the id is the answer.
      const outputs: JsonObject = { ...wait.outputs, event_id: event.id, event_type: event.type, event_data: event.data };
      await this.finish(wait, { status: 'completed', outputs, error: null }, { event_id: event.id, outcome: 'complete' });
      return true;
    }

    let answer: unknown;
    try {
      answer = await this.callOnEvent(definition, wait, event);
    } catch (error) {
      await this.finish(wait, { status: 'failed', outputs: wait.outputs, error: `${wait.action_type}.onEvent failed on ${event.type} ${event.id}: ${errorMessage(error)}` }, { event_id: event.id, outcome: 'error' });
      return true;
    }
    const decision = decideEventResult(answer, wait.action_type, wait.outputs);
    const pair = (outcome: HandledPair['outcome']): HandledPair => ({ event_id: event.id, outcome });
    switch (decision.kind) {
      case 'complete':
        await this.finish(wait, { status: decision.status, outputs: decision.outputs, error: decision.error }, pair('complete'));
        break;
      case 'progress': {
        const updated = await store.waits.updateProgress(wait.id, { progress: decision.progress, eta_minutes: decision.etaMinutes }, pair('update_progress'));
        if (updated) await this.announce('progress', updated);
        break;
      }
      case 'ignore':
        await store.waits.markHandled(wait.id, pair('ignore'));
        break;
      case 'invalid':
        this.log(`${decision.problem} (event ${event.type} ${event.id} ignored)`, wait);
        await store.waits.markHandled(wait.id, pair('invalid'));
        break;
    }
    return true;
  }

  private async callOnEvent(definition: ActionDefinition, wait: WaitRecord, event: EventRecord): Promise<unknown> {
    const onEvent = definition.onEvent as NonNullable<ActionDefinition['onEvent']>;
    const ctx: EventContext = {
      stepExecutionId: wait.id,
      executionId: wait.owner_id ?? '',
      externalWorkflowId: wait.correlation_id,
      eventType: event.type,
      eventData: event.data,
      stepOutputs: wait.outputs,
      params: wait.params,
      log: this.logger(wait),
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve().then(() => onEvent.call(definition, ctx)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.onEventTimeoutMs} ms`)), this.onEventTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async finish(wait: WaitRecord, end: { status: 'completed' | 'failed'; outputs: JsonObject; error: string | null }, pair: HandledPair): Promise<void> {
    const finished = await this.options.store.waits.finishWait(wait.id, end, pair);
    if (finished) await this.announce('finished', finished);
  }

  /** Publishes the step.* event of a change and tells this process's listeners. */
  private async announce(kind: WaitChange['kind'], wait: WaitRecord): Promise<void> {
    try {
      await this.options.publish({ type: stepEventType(wait), data: stepEventData(wait), correlation_id: wait.id, source: 'hookflow' });
    } catch (error) {
      this.options.onError?.(error);
    }
    for (const listener of this.listeners) listener({ kind, wait });
  }

  private logger(wait: WaitRecord): ActionLogger {
    const write = (level: string) => (message: string, fields?: JsonObject) =>
      this.log(`[${level}] ${message}${fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}`, wait);
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
  }

  private log(line: string, wait: WaitRecord | null): void {
    this.options.onLog?.(wait ? `${wait.action_type} ${wait.id}: ${line}` : line, wait);
  }
}

// ── one run to its end (`hookflow actions run`) ─────────────────────────────────────────────

export interface SettleOptions {
  store: Store;
  actions: () => Promise<ActionLookup>;
  publish: (event: NewEvent) => Promise<unknown>;
  actionType: string;
  params: JsonObject;
  owner?: { kind: WaitOwnerKind; id: string | null };
  signal?: AbortSignal;
  /** Receives onEvent's log lines. */
  onLog?: (line: string) => void;
  pollMs?: number;
}

/**
 * An awaiting outcome taken to its end: parked, then routed by a router of this process (others
 * on the store may answer first) until the event completes it or its deadline passes. Other
 * outcomes are returned as they are. The result is the outcome with the wait's final status,
 * outputs and error.
 */
export async function settleOutcome(outcome: ActionOutcome, options: SettleOptions): Promise<ActionOutcome & { waitId: string | null }> {
  if (!outcome.awaitingEvent) return { ...outcome, waitId: null };
  const service = new WaitService(options.store);
  const wait = await service.park({ outcome, actionType: options.actionType, params: options.params, owner: options.owner ?? { kind: 'cli', id: null } });
  const router = new WaitRouter({
    store: options.store,
    actions: options.actions,
    publish: options.publish,
    pollMs: options.pollMs,
    onLog: options.onLog ? (line) => options.onLog?.(line) : undefined,
  });
  const started = performance.now();
  await router.start();
  try {
    // Past the deadline the router times the wait out; the poll below sees it.
    const ended = await service.waitFor(wait.id, { signal: options.signal, pollMs: options.pollMs });
    return {
      ...outcome,
      status: ended.status === 'waiting' ? 'running' : ended.status,
      success: ended.status === 'completed',
      outputs: ended.outputs,
      error: ended.error,
      awaitingEvent: false,
      durationMs: outcome.durationMs + (performance.now() - started),
      waitId: wait.id,
    };
  } finally {
    await router.stop();
  }
}
