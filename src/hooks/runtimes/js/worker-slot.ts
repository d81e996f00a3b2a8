/**
 * One worker thread of the JS runtime, seen from the main thread: what it has been given, its
 * outgoing batch, its liveness check (ping), and why it ended.
 */
import { Worker } from 'node:worker_threads';
import type { HookRunRequest, HookRunResult, HookHost, HookScriptMeta } from '../../model.js';
import type { FromWorker, ToWorker, WorkerBootData } from './protocol.js';

export interface PendingBase {
  readonly id: number;
  readonly path: string;
  slot: WorkerSlot | null;
  timer: NodeJS.Timeout | null;
  /** How often a worker was ended under it through no fault of its own (hung by another run). */
  interruptions: number;
  /** Ran on a worker that died of memory or a crash with others: now runs alone for a verdict. */
  quarantined: boolean;
  /** Its time ran out while its worker was already suspected; the verdict waits for the ping. */
  overdue: boolean;
  finished: boolean;
}

export interface PendingRun extends PendingBase {
  readonly kind: 'run';
  readonly request: HookRunRequest;
  readonly host: HookHost;
  readonly resolve: (result: HookRunResult) => void;
  /** The runs watching the same abort signal as this one, or null when it has none. */
  abortWatch: Set<PendingRun> | null;
}

export interface PendingInspect extends PendingBase {
  readonly kind: 'inspect';
  readonly resolve: (meta: HookScriptMeta) => void;
  readonly reject: (error: Error) => void;
}

export type Pending = PendingRun | PendingInspect;

export type SlotEnd =
  | { kind: 'hung' }
  | { kind: 'memory'; message: string }
  | { kind: 'crash'; message: string }
  | { kind: 'retired' }
  | { kind: 'closed' };

export interface SlotOwner {
  scheduleFlush(slot: WorkerSlot): void;
  onReady(slot: WorkerSlot): void;
  onMessage(slot: WorkerSlot, message: FromWorker): void;
  onPosted(slot: WorkerSlot, entries: readonly Pending[]): void;
  onPingTimeout(slot: WorkerSlot): void;
  onEnd(slot: WorkerSlot, end: SlotEnd, entries: Pending[]): void;
}

const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export class WorkerSlot {
  /** Null until the worker's code is bundled (once per process) and the thread is started. */
  private worker: Worker | null = null;
  ready = false;
  ended = false;
  /** Runs and inspections given to this worker and not finished yet. */
  readonly inFlight = new Map<number, Pending>();
  private outbox: ToWorker[] = [];
  private outboxEntries: Pending[] = [];
  private pingTimer: NodeJS.Timeout | null = null;
  private pingSequence = 0;
  private endReason: SlotEnd | null = null;
  private lastError: (Error & { code?: string }) | null = null;
  private readonly exitWaiters: Array<() => void> = [];

  constructor(
    readonly memoryMb: number,
    /** The quarantine worker runs suspects one at a time, so a death there names its culprit. */
    public role: 'pool' | 'quarantine',
    boot: Promise<WorkerBootData>,
    private readonly owner: SlotOwner,
  ) {
    boot.then(
      (data) => this.start(data),
      (error: unknown) => this.finish({ kind: 'crash', message: `the worker could not start: ${String(error)}` }),
    );
  }

  private start(boot: WorkerBootData): void {
    if (this.endReason) {
      this.finish(this.endReason);
      return;
    }
    const worker = new Worker(WORKER_ENTRY, {
      workerData: boot,
      // Not the main thread's flags (--test, --import tsx …): the entry sets up what it needs.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.memoryMb },
    });
    this.worker = worker;
    this.syncRef();
    worker.on('message', (batch: readonly FromWorker[]) => {
      for (const message of batch) {
        if (message[0] === 'ready') {
          this.ready = true;
          this.owner.onReady(this);
        } else if (message[0] === 'pong') {
          if (message[1] === this.pingSequence) this.clearPing();
          this.owner.onMessage(this, message);
        } else this.owner.onMessage(this, message);
      }
    });
    worker.on('error', (error: Error) => {
      this.lastError = error;
    });
    worker.on('exit', (code) => this.finish(this.endReason ?? this.classifyExit(code)));
  }

  private finish(end: SlotEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.clearPing();
    const entries = [...this.inFlight.values()];
    this.inFlight.clear();
    this.outbox = [];
    this.outboxEntries = [];
    for (const resolve of this.exitWaiters.splice(0)) resolve();
    this.owner.onEnd(this, end, entries);
  }

  /** Taking no new work: ended, or being ended. */
  get closing(): boolean {
    return this.ended || this.endReason !== null;
  }

  get suspected(): boolean {
    return this.pingTimer !== null;
  }

  get quarantine(): boolean {
    return this.role === 'quarantine';
  }

  get idle(): boolean {
    return this.inFlight.size === 0;
  }

  assign(entry: Pending): void {
    entry.slot = this;
    this.inFlight.set(entry.id, entry);
    if (this.inFlight.size === 1) this.syncRef();
    if (entry.kind === 'run') {
      const { hook, attempt } = entry.request;
      this.enqueue(['run', entry.id, entry.path, hook.name, attempt, entry.request.event], entry);
    } else this.enqueue(['inspect', entry.id, entry.path], entry);
  }

  enqueue(message: ToWorker, entry?: Pending): void {
    if (this.closing) return;
    this.outbox.push(message);
    if (entry) this.outboxEntries.push(entry);
    this.owner.scheduleFlush(this);
  }

  flush(): void {
    if (!this.ready || this.closing || this.outbox.length === 0) return;
    const batch = this.outbox;
    const entries = this.outboxEntries;
    this.outbox = [];
    this.outboxEntries = [];
    this.worker?.postMessage(batch);
    if (entries.length > 0) this.owner.onPosted(this, entries);
  }

  /** Asks for a pong; a worker that does not answer within `graceMs` is stuck and gets ended. */
  ping(graceMs: number): void {
    if (this.closing || this.pingTimer || !this.ready) return;
    this.pingSequence += 1;
    this.pingTimer = setTimeout(() => {
      this.pingTimer = null;
      this.owner.onPingTimeout(this);
    }, graceMs);
    this.worker?.postMessage([['ping', this.pingSequence]]);
  }

  end(reason: 'hung' | 'retired' | 'closed'): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.endReason ??= { kind: reason };
    return new Promise((resolve) => {
      this.exitWaiters.push(resolve);
      // Not started yet: start() sees the reason and finishes without starting a thread.
      if (this.worker) void this.worker.terminate();
    });
  }

  /** Forgets a finished entry; an idle worker stops keeping the process alive. */
  release(entry: Pending): void {
    if (this.inFlight.delete(entry.id) && this.inFlight.size === 0) this.syncRef();
  }

  /** A worker with work keeps the process alive (a script awaiting a run must not exit); an idle one does not. */
  private syncRef(): void {
    if (!this.worker || this.ended) return;
    if (this.inFlight.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private clearPing(): void {
    if (this.pingTimer) clearTimeout(this.pingTimer);
    this.pingTimer = null;
  }

  private classifyExit(code: number): SlotEnd {
    const error = this.lastError;
    if (error?.code === 'ERR_WORKER_OUT_OF_MEMORY') return { kind: 'memory', message: error.message };
    return { kind: 'crash', message: error ? error.message : `its worker exited with code ${code}` };
  }
}
