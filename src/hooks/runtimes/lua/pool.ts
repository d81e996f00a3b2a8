import { Worker } from 'node:worker_threads';
import type { JsonValue } from '../../../events/model.js';
import { HookflowError, errorMessage, type HookflowErrorCode } from '../../../errors.js';
import type { HookRunResult, HookScriptMeta } from '../../model.js';
import type { HostCall, LuaJob } from './job.js';
import type { FromWorker, LuaWorkerData, SerializedError, ToWorker } from './protocol.js';
import { moduleUrl } from '../../../worker-bundle.js';
import { AbortWatches } from '../../../util/abort-watch.js';

/** How long past a run's deadline a worker may stay silent before it is considered stuck. */
const STUCK_GRACE_MS = 1500;
const WATCH_INTERVAL_MS = 250;

const WORKER_URL = moduleUrl('./worker', import.meta.url);

/**
 * Node 20 does not carry the main thread's module hooks (tsx) into workers, so a worker running
 * TypeScript registers tsx itself before loading its entry.
 */
function bootstrapSource(): string {
  const entry = JSON.stringify(WORKER_URL.href);
  if (!WORKER_URL.pathname.endsWith('.ts')) return `import(${entry}).catch((e) => { console.error(e); process.exit(1); });`;
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); }).catch((e) => { console.error(e); process.exit(1); });`;
}

interface PendingRun {
  kind: 'run';
  job: LuaJob;
  host: HostCall;
  resolve(result: HookRunResult): void;
  id: number;
  worker: LuaWorker;
  /** The runs watching the same abort signal as this one, or null when it has none. */
  abortWatch: Set<PendingRun> | null;
}

interface PendingInspect {
  kind: 'inspect';
  deadline: number;
  resolve(meta: HookScriptMeta): void;
  reject(error: Error): void;
}

type Pending = PendingRun | PendingInspect;

/** One worker thread and what it is doing. */
class LuaWorker {
  readonly pending = new Map<number, Pending>();
  /** Runs the watchdog found overdue at its last check. */
  suspects = new Set<number>();
  private outbox: ToWorker[] = [];
  private flushQueued = false;
  private readonly worker: Worker;
  exited = false;
  createMs: number | null = null;
  readonly ready: Promise<void>;

  constructor(
    data: LuaWorkerData,
    private readonly onMessage: (from: LuaWorker, message: FromWorker) => void,
    private readonly onExit: (from: LuaWorker, reason: string) => void,
  ) {
    this.worker = new Worker(bootstrapSource(), {
      eval: true,
      workerData: data,
      // Not the main thread's flags (--test, --import tsx …): the bootstrap sets up what it needs.
      execArgv: [],
    });
    this.worker.unref();
    let markReady: () => void = () => undefined;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.worker.on('message', (batch: FromWorker[]) => {
      for (const message of batch) {
        if (message.k === 'ready') {
          this.createMs = message.createMs;
          markReady();
        }
        this.onMessage(this, message);
      }
    });
    this.worker.on('error', (error) => this.exit(`the Lua worker failed: ${errorMessage(error)}`));
    this.worker.on('exit', (code) => this.exit(`the Lua worker exited (code ${code})`));
  }

  post(message: ToWorker): void {
    if (this.exited) return;
    this.outbox.push(message);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  add(id: number, pending: Pending): void {
    if (this.pending.size === 0) this.worker.ref();
    this.pending.set(id, pending);
  }

  take(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (pending) {
      this.pending.delete(id);
      if (this.pending.size === 0 && !this.exited) this.worker.unref();
    }
    return pending;
  }

  terminate(reason: string): Promise<void> {
    const done = this.worker.terminate().then(() => undefined);
    this.exit(reason);
    return done;
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.outbox.length === 0 || this.exited) return;
    const batch = this.outbox;
    this.outbox = [];
    this.worker.postMessage(batch);
  }

  private exit(reason: string): void {
    if (this.exited) return;
    this.exited = true;
    this.onExit(this, reason);
  }
}

export interface LuaWorkerPoolOptions {
  home: string;
  envAllowlist: string[] | null;
  size: number;
}

/**
 * Lua engines in worker threads, so a hook that computes (or loops until its time limit) never
 * holds up the host's event loop. A run goes to the worker with the fewest runs in flight; host
 * calls come back here as messages. A worker that stops answering (stuck in one long C call the
 * instruction hook cannot interrupt) is terminated: its overdue runs end as timed out, the others
 * as interrupted, and a fresh worker takes its place on the next run.
 */
export class LuaWorkerPool {
  private readonly workers: Array<LuaWorker | null>;
  private nextId = 1;
  private watchdog: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly abortWatches = new AbortWatches<PendingRun>((run) => run.worker.post({ k: 'cancel', id: run.id }));

  constructor(private readonly options: LuaWorkerPoolOptions) {
    this.workers = new Array<LuaWorker | null>(Math.max(1, options.size)).fill(null);
  }

  run(job: LuaJob, host: HostCall, signal?: AbortSignal): Promise<HookRunResult> {
    return new Promise<HookRunResult>((resolve) => {
      if (this.closed) {
        resolve({ success: false, output: '', error: `HF_ERR_SHUTTING_DOWN: the Lua runtime is closed (hook ${job.hook.name} not run)` });
        return;
      }
      if (signal?.aborted) {
        resolve({ success: false, output: '', error: `HF_ERR_SHUTTING_DOWN: hook ${job.hook.name} was stopped before it finished (aborted)` });
        return;
      }
      const worker = this.pick();
      const id = this.nextId++;
      const pending: PendingRun = { kind: 'run', job, host, resolve, id, worker, abortWatch: null };
      if (signal) pending.abortWatch = this.abortWatches.watch(signal, pending);
      worker.add(id, pending);
      worker.post({ k: 'run', id, job });
      this.watch();
    });
  }

  inspect(path: string, timeoutMs: number): Promise<HookScriptMeta> {
    return new Promise<HookScriptMeta>((resolve, reject) => {
      if (this.closed) {
        reject(new HookflowError('HF_ERR_SHUTTING_DOWN', 'the Lua runtime is closed'));
        return;
      }
      const worker = this.pick();
      const id = this.nextId++;
      worker.add(id, { kind: 'inspect', deadline: Date.now() + timeoutMs, resolve, reject });
      worker.post({ k: 'inspect', id, path, timeout_ms: timeoutMs });
      this.watch();
    });
  }

  /** Whether a worker thread is running (or starting). */
  get started(): boolean {
    return this.workers.some((worker) => worker !== null && !worker.exited);
  }

  /** Starts every worker and waits until each has its engine; returns their creation times (ms). */
  async warm(): Promise<number[]> {
    const started = this.workers.map((_, index) => this.workerAt(index));
    await Promise.all(started.map((worker) => worker.ready));
    return started.map((worker) => worker.createMs ?? 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    const stopping: Array<Promise<void>> = [];
    for (let index = 0; index < this.workers.length; index++) {
      const worker = this.workers[index];
      this.workers[index] = null;
      if (worker && !worker.exited) stopping.push(worker.terminate('HF_ERR_SHUTTING_DOWN: the Lua runtime was closed'));
    }
    await Promise.all(stopping);
  }

  private pick(): LuaWorker {
    let best = 0;
    let bestLoad = Infinity;
    for (let index = 0; index < this.workers.length; index++) {
      const worker = this.workers[index];
      const load = worker && !worker.exited ? worker.pending.size : 0;
      if (load < bestLoad) {
        best = index;
        bestLoad = load;
        if (load === 0) break;
      }
    }
    return this.workerAt(best);
  }

  private workerAt(index: number): LuaWorker {
    const existing = this.workers[index];
    if (existing && !existing.exited) return existing;
    const worker = new LuaWorker(
      { home: this.options.home, envAllowlist: this.options.envAllowlist },
      (from, message) => this.receive(from, message),
      (from, reason) => this.lost(from, reason),
    );
    this.workers[index] = worker;
    return worker;
  }

  private receive(worker: LuaWorker, message: FromWorker): void {
    switch (message.k) {
      case 'done': {
        const pending = worker.take(message.id);
        if (pending?.kind !== 'run') return;
        pending.abortWatch?.delete(pending);
        pending.resolve(message.result);
        return;
      }
      case 'call': {
        const pending = worker.pending.get(message.id);
        if (pending?.kind !== 'run') {
          worker.post({ k: 'reply', call: message.call, ok: false, message: 'the run has ended' });
          return;
        }
        pending.host(message.op, message.args).then(
          (value: JsonValue) => worker.post({ k: 'reply', call: message.call, ok: true, value: value ?? null }),
          (error: unknown) => worker.post({ k: 'reply', call: message.call, ok: false, message: errorMessage(error) }),
        );
        return;
      }
      case 'inspected': {
        const pending = worker.take(message.id);
        if (pending?.kind !== 'inspect') return;
        if ('meta' in message) pending.resolve(message.meta);
        else pending.reject(deserializeError(message.error));
        return;
      }
      case 'fatal':
      case 'ready':
        return;
    }
  }

  /** A worker died or was terminated: nothing it was running can finish. */
  private lost(worker: LuaWorker, reason: string, overdue: ReadonlySet<number> = new Set()): void {
    for (const [id, pending] of [...worker.pending]) {
      worker.take(id);
      if (pending.kind === 'inspect') {
        pending.reject(new HookflowError('HF_ERR_INVALID_HOOK', `the Lua hook could not be inspected: ${reason}`));
        continue;
      }
      pending.abortWatch?.delete(pending);
      const hook = pending.job.hook;
      const error = overdue.has(id)
        ? `HF_ERR_HOOK_TIMEOUT: hook ${hook.name} exceeded its ${hook.timeout_ms} ms time limit (its Lua worker was restarted)`
        : reason.startsWith('HF_ERR_')
          ? reason
          : `HF_ERR_HOOK_FAILED: hook ${hook.name} was interrupted: ${reason}`;
      pending.resolve({ success: false, output: '', error });
    }
  }

  private watch(): void {
    if (this.watchdog) return;
    this.watchdog = setInterval(() => this.check(), WATCH_INTERVAL_MS);
    this.watchdog.unref();
  }

  private check(): void {
    const now = Date.now();
    let busy = false;
    for (const worker of this.workers) {
      if (!worker || worker.exited || worker.pending.size === 0) continue;
      busy = true;
      const overdue = new Set<number>();
      for (const [id, pending] of worker.pending) {
        const deadline = pending.kind === 'run' ? pending.job.deadline : pending.deadline;
        if (now > deadline + STUCK_GRACE_MS) overdue.add(id);
      }
      // Two checks in a row: a result the worker already sent may still wait in this thread's
      // queue when this thread itself was busy; one turn of the event loop delivers it.
      const confirmed = [...overdue].some((id) => worker.suspects.has(id));
      worker.suspects = overdue;
      if (!confirmed) continue;
      const names = [...overdue].map((id) => worker.pending.get(id)).map((pending) => (pending?.kind === 'run' ? pending.job.hook.name : 'inspect'));
      const reason = `its Lua worker was restarted because hook ${names.join(', ')} did not stop at its time limit`;
      this.lost(worker, reason, overdue);
      void worker.terminate(reason);
    }
    if (!busy && this.watchdog) {
      clearInterval(this.watchdog);
      this.watchdog = null;
    }
  }
}

function deserializeError(error: SerializedError): HookflowError {
  return new HookflowError(error.code as HookflowErrorCode, error.message, error.details);
}
