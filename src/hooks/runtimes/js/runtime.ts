/**
 * The JS/TS hook runtime: hook modules run off the main thread, in a small pool of worker threads
 * per memory limit, so a hung or CPU-bound hook cannot stall the dispatcher.
 *
 * - Runs are batched: everything asked for in one turn of the event loop goes to a worker as one
 *   message, and results come back the same way.
 * - Time limit: the run fails at its deadline and its ctx.signal is aborted. The worker is then
 *   pinged; one that does not answer is stuck in a synchronous loop and is replaced. Other runs
 *   that were on it are innocent and run once more on a fresh worker.
 * - Memory limit: a worker past its heap limit dies. If it held one run, that run is the culprit;
 *   otherwise every run it held is run again alone, one at a time, on a quarantine worker, where
 *   the culprit dies again and the innocents succeed.
 */
import { isAbsolute, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HookflowError, errorMessage } from '../../../errors.js';
import type { JsonObject, JsonValue } from '../../../events/model.js';
import {
  DEFAULT_HOOK_MEMORY_MB,
  DEFAULT_HOOK_TIMEOUT_MS,
  type DispatchOptions,
  type HookHost,
  type HookRunRequest,
  type HookRunResult,
  type HookRuntime,
  type HookScriptMeta,
} from '../../model.js';
import type { FromWorker, HostOperation, WorkerBootData } from './protocol.js';
import { Fifo } from './fifo.js';
import { tsxHooksUrl, workerModuleUrl } from './worker-bundle.js';
import { moduleUrl } from '../../../worker-bundle.js';
import { AbortWatches } from '../../../util/abort-watch.js';
import { WorkerSlot, type Pending, type PendingInspect, type PendingRun, type SlotEnd, type SlotOwner } from './worker-slot.js';

export interface JsRuntimeOptions {
  /** Workers per memory limit (default 2). */
  poolSize?: number;
  /** How long a worker may take to answer a ping after a run's time ran out (default 500 ms). */
  pingTimeoutMs?: number;
  /** Time limit for loading a module in inspect() (default 10 s). */
  inspectTimeoutMs?: number;
  /** Runs given to one worker at a time (default 1024); more wait on the main thread. */
  maxRunsPerWorker?: number;
}

const DEFAULT_POOL_SIZE = 2;
const DEFAULT_PING_TIMEOUT_MS = 500;
const DEFAULT_INSPECT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RUNS_PER_WORKER = 1024;

/** One pool per memory limit, since a worker's heap limit is fixed when it starts. */
class WorkerGroup {
  readonly slots: WorkerSlot[] = [];
  quarantine: WorkerSlot | null = null;
  readonly quarantineQueue: Pending[] = [];
  /** Work beyond what the workers hold; a burst of 200 000 runs must not all sit in a worker's heap. */
  readonly waiting = new Fifo<Pending>();
  constructor(readonly memoryMb: number) {}
}

export class JsRuntime implements HookRuntime, SlotOwner {
  readonly name = 'js' as const;
  private readonly poolSize: number;
  private readonly pingTimeoutMs: number;
  private readonly inspectTimeoutMs: number;
  private readonly maxRunsPerWorker: number;
  private readonly groups = new Map<number, WorkerGroup>();
  private bootData: Promise<WorkerBootData> | null = null;
  private nextId = 1;
  private closed = false;
  private readonly dirty = new Set<WorkerSlot>();
  private readonly abortWatches = new AbortWatches<PendingRun>((run) => this.stopRun(run, `HF_ERR_SHUTTING_DOWN: hook ${run.request.hook.name} was aborted`));
  private flushScheduled = false;

  constructor(options: JsRuntimeOptions = {}) {
    this.poolSize = Math.max(1, Math.floor(options.poolSize ?? DEFAULT_POOL_SIZE));
    this.pingTimeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
    this.inspectTimeoutMs = options.inspectTimeoutMs ?? DEFAULT_INSPECT_TIMEOUT_MS;
    this.maxRunsPerWorker = Math.max(1, options.maxRunsPerWorker ?? DEFAULT_MAX_RUNS_PER_WORKER);
  }

  run(request: HookRunRequest, host: HookHost): Promise<HookRunResult> {
    const { hook } = request;
    if (this.closed) return Promise.resolve(failure(`HF_ERR_SHUTTING_DOWN: hook ${hook.name} was not run: the JS runtime is closed`));
    if (!hook.source) return Promise.resolve(failure(`HF_ERR_INVALID_HOOK: js hook ${hook.name} has no source file`));
    if (request.signal?.aborted) return Promise.resolve(failure(`HF_ERR_SHUTTING_DOWN: hook ${hook.name} was aborted before it started`));
    const path = isAbsolute(hook.source) ? hook.source : resolvePath(hook.source);
    return new Promise<HookRunResult>((resolve) => {
      const entry: PendingRun = {
        kind: 'run',
        id: this.nextId++,
        path,
        request,
        host,
        resolve,
        slot: null,
        timer: null,
        interruptions: 0,
        quarantined: false,
        overdue: false,
        finished: false,
        abortWatch: null,
      };
      if (request.signal) entry.abortWatch = this.abortWatches.watch(request.signal, entry);
      this.place(entry, this.group(hook.memory_mb));
    });
  }

  /** Loads the module and reads its defineHook fields; a plain function gives `{}`. */
  inspect(path: string): Promise<HookScriptMeta> {
    if (this.closed) return Promise.reject(new HookflowError('HF_ERR_SHUTTING_DOWN', 'the JS runtime is closed'));
    const absolute = resolvePath(path);
    return new Promise<HookScriptMeta>((resolve, reject) => {
      const entry: PendingInspect = {
        kind: 'inspect',
        id: this.nextId++,
        path: absolute,
        resolve,
        reject,
        slot: null,
        timer: null,
        interruptions: 0,
        quarantined: false,
        overdue: false,
        finished: false,
      };
      this.place(entry, this.group(DEFAULT_HOOK_MEMORY_MB));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const endings: Promise<void>[] = [];
    for (const group of this.groups.values()) {
      for (const entry of group.quarantineQueue.splice(0)) this.failForShutdown(entry);
      for (const entry of group.waiting.drain()) this.failForShutdown(entry);
      for (const slot of [...group.slots, ...(group.quarantine ? [group.quarantine] : [])]) endings.push(slot.end('closed'));
    }
    await Promise.all(endings);
    this.groups.clear();
  }

  // ---- placing work on workers ----

  private get boot(): Promise<WorkerBootData> {
    this.bootData ??= bootData();
    return this.bootData;
  }

  private group(memoryMb: number): WorkerGroup {
    const limit = memoryMb > 0 ? Math.ceil(memoryMb) : DEFAULT_HOOK_MEMORY_MB;
    let group = this.groups.get(limit);
    if (!group) {
      group = new WorkerGroup(limit);
      this.groups.set(limit, group);
    }
    return group;
  }

  private place(entry: Pending, group: WorkerGroup): void {
    if (entry.quarantined) {
      group.quarantineQueue.push(entry);
      this.drainQuarantine(group);
      return;
    }
    const slot = group.waiting.size > 0 ? null : this.pickSlot(group);
    if (slot) slot.assign(entry);
    else group.waiting.push(entry);
  }

  /** The least busy worker with room, starting one while the pool is not full; null when all are full. */
  private pickSlot(group: WorkerGroup): WorkerSlot | null {
    let best: WorkerSlot | null = null;
    let open = 0;
    for (const slot of group.slots) {
      if (slot.closing) continue;
      open += 1;
      if (!best || slot.inFlight.size < best.inFlight.size) best = slot;
    }
    if (!best || (!best.idle && open < this.poolSize)) {
      best = new WorkerSlot(group.memoryMb, 'pool', this.boot, this);
      group.slots.push(best);
    }
    return best.inFlight.size < this.maxRunsPerWorker ? best : null;
  }

  private pullWaiting(group: WorkerGroup): void {
    while (group.waiting.size > 0 && !this.closed) {
      const slot = this.pickSlot(group);
      if (!slot) return;
      const entry = group.waiting.take();
      if (entry && !entry.finished) slot.assign(entry);
    }
  }

  private drainQuarantine(group: WorkerGroup): void {
    if (this.closed) return;
    const current = group.quarantine;
    if (group.quarantineQueue.length === 0) {
      if (current && current.idle) this.retireQuarantine(group, current);
      return;
    }
    if (current && !current.idle) return;
    const slot = current && !current.closing ? current : new WorkerSlot(group.memoryMb, 'quarantine', this.boot, this);
    group.quarantine = slot;
    let next = group.quarantineQueue.shift();
    while (next?.finished) next = group.quarantineQueue.shift();
    if (next) slot.assign(next);
    else if (slot.idle) this.retireQuarantine(group, slot);
  }

  /** A started quarantine worker with nothing left to judge joins the pool if it has room. */
  private retireQuarantine(group: WorkerGroup, slot: WorkerSlot): void {
    group.quarantine = null;
    const open = group.slots.filter((each) => !each.closing).length;
    if (open < this.poolSize && !slot.closing) {
      slot.role = 'pool';
      group.slots.push(slot);
      this.pullWaiting(group);
    } else void slot.end('retired');
  }

  scheduleFlush(slot: WorkerSlot): void {
    this.dirty.add(slot);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const slots = [...this.dirty];
      this.dirty.clear();
      for (const each of slots) each.flush();
    });
  }

  onReady(slot: WorkerSlot): void {
    slot.flush();
  }

  /** The clock starts when the work reaches a started worker, not while the worker boots. */
  onPosted(_slot: WorkerSlot, entries: readonly Pending[]): void {
    for (const entry of entries) {
      if (entry.finished || entry.timer) continue;
      const limit = entry.kind === 'run' ? runTimeLimit(entry) : this.inspectTimeoutMs;
      entry.timer = setTimeout(() => this.onDeadline(entry), limit);
    }
  }

  // ---- messages from workers ----

  onMessage(slot: WorkerSlot, message: FromWorker): void {
    switch (message[0]) {
      case 'done': {
        const entry = slot.inFlight.get(message[1]);
        if (!entry || entry.kind !== 'run') return;
        if (entry.overdue) this.timeOut(entry);
        else this.finishRun(entry, { success: message[2], output: message[3], error: message[4] });
        return;
      }
      case 'call':
        void this.answerCall(slot, message[1], message[2], message[3], message[4]);
        return;
      case 'meta': {
        const entry = slot.inFlight.get(message[1]);
        if (!entry || entry.kind !== 'inspect') return;
        if (message[2]) this.finishInspect(entry, message[3]);
        else {
          const wire = message[3];
          this.finishInspect(entry, new HookflowError('HF_ERR_INVALID_HOOK', wire.message, { where: wire.where ?? entry.path, hint: wire.hint }));
        }
        return;
      }
      case 'pong':
        // The worker answers, so whatever overran its time is waiting, not looping: fail those now.
        for (const entry of [...slot.inFlight.values()]) if (entry.overdue) this.timeOut(entry);
        return;
      default:
        return;
    }
  }

  private async answerCall(slot: WorkerSlot, callId: number, runId: number, operation: HostOperation, args: readonly unknown[]): Promise<void> {
    const entry = slot.inFlight.get(runId);
    if (!entry || entry.kind !== 'run' || entry.finished) {
      slot.enqueue(['reply', callId, false, `${operation}: the run is over`]);
      return;
    }
    try {
      const value = await callHost(entry, operation, args);
      slot.enqueue(['reply', callId, true, value]);
    } catch (error) {
      slot.enqueue(['reply', callId, false, errorMessage(error)]);
    }
  }

  // ---- time limits and dead workers ----

  private onDeadline(entry: Pending): void {
    entry.timer = null;
    const slot = entry.slot;
    if (entry.finished || !slot) return;
    if (slot.suspected) {
      // Probably stuck behind the run whose deadline came first: wait for the ping's verdict.
      entry.overdue = true;
      return;
    }
    this.timeOut(entry);
    slot.ping(this.pingTimeoutMs);
  }

  onPingTimeout(slot: WorkerSlot): void {
    void slot.end('hung');
  }

  private timeOut(entry: Pending): void {
    const slot = entry.slot;
    if (entry.kind === 'run') {
      const { hook } = entry.request;
      const reason = `HF_ERR_HOOK_TIMEOUT: hook ${hook.name} exceeded its ${runTimeLimit(entry)} ms time limit`;
      this.finishRun(entry, failure(reason));
      slot?.enqueue(['abort', entry.id, reason]);
    } else {
      this.finishInspect(
        entry,
        new HookflowError('HF_ERR_INVALID_HOOK', `loading ${entry.path} took longer than ${this.inspectTimeoutMs} ms`, {
          where: entry.path,
          hint: 'look for a loop or a long wait at the top level of the module',
        }),
      );
    }
  }

  onEnd(slot: WorkerSlot, end: SlotEnd, entries: Pending[]): void {
    this.dirty.delete(slot);
    const group = this.groups.get(slot.memoryMb);
    if (group) {
      const index = group.slots.indexOf(slot);
      if (index >= 0) group.slots.splice(index, 1);
      if (group.quarantine === slot) group.quarantine = null;
    }
    for (const entry of entries) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = null;
      entry.slot = null;
      entry.overdue = false;
    }
    const live = entries.filter((entry) => !entry.finished);
    if (end.kind === 'closed' || this.closed || !group) {
      for (const entry of live) this.failForShutdown(entry);
      return;
    }
    if (end.kind === 'hung') {
      for (const entry of live) {
        if (entry.interruptions >= 1) {
          this.failEntry(entry, 'HF_ERR_HOOK_FAILED', 'was interrupted twice because other hooks on its worker hung');
        } else {
          entry.interruptions += 1;
          this.place(entry, group);
        }
      }
    } else if (end.kind === 'memory' || end.kind === 'crash') {
      if (slot.quarantine || live.length === 1) {
        for (const entry of live) {
          if (end.kind === 'memory') this.failEntry(entry, 'HF_ERR_HOOK_MEMORY', `ran out of memory (limit ${slot.memoryMb} MiB)`);
          else this.failEntry(entry, 'HF_ERR_HOOK_FAILED', `ended its worker: ${end.message}`);
        }
      } else {
        for (const entry of live) {
          entry.quarantined = true;
          group.quarantineQueue.push(entry);
        }
      }
    }
    this.drainQuarantine(group);
    this.pullWaiting(group);
  }

  // ---- finishing ----

  private finishRun(entry: PendingRun, result: HookRunResult): void {
    if (entry.finished) return;
    entry.finished = true;
    this.release(entry);
    entry.abortWatch?.delete(entry);
    entry.resolve(result);
  }

  private finishInspect(entry: PendingInspect, outcome: HookScriptMeta | Error): void {
    if (entry.finished) return;
    entry.finished = true;
    this.release(entry);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  }

  private release(entry: Pending): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    const slot = entry.slot;
    entry.slot = null;
    if (!slot) return;
    slot.release(entry);
    const group = this.groups.get(slot.memoryMb);
    if (!group) return;
    if (slot.quarantine) {
      if (slot.idle) this.drainQuarantine(group);
    } else if (group.waiting.size > 0) this.pullWaiting(group);
  }

  private stopRun(entry: PendingRun, reason: string): void {
    const slot = entry.slot;
    this.finishRun(entry, failure(reason));
    slot?.enqueue(['abort', entry.id, reason]);
    for (const group of this.groups.values()) {
      const index = group.quarantineQueue.indexOf(entry);
      if (index >= 0) group.quarantineQueue.splice(index, 1);
    }
  }

  private failEntry(entry: Pending, code: 'HF_ERR_HOOK_MEMORY' | 'HF_ERR_HOOK_FAILED', what: string): void {
    if (entry.kind === 'run') this.finishRun(entry, failure(`${code}: hook ${entry.request.hook.name} ${what}`));
    else this.finishInspect(entry, new HookflowError('HF_ERR_INVALID_HOOK', `loading ${entry.path} ${what}`, { where: entry.path }));
  }

  private failForShutdown(entry: Pending): void {
    if (entry.kind === 'run') this.finishRun(entry, failure(`HF_ERR_SHUTTING_DOWN: hook ${entry.request.hook.name} was stopped: the JS runtime is closing`));
    else this.finishInspect(entry, new HookflowError('HF_ERR_SHUTTING_DOWN', `inspecting ${entry.path} was stopped: the JS runtime is closing`));
  }
}

function failure(error: string): HookRunResult {
  return { success: false, output: '', error };
}

function runTimeLimit(entry: PendingRun): number {
  const limit = entry.request.hook.timeout_ms;
  return limit > 0 ? limit : DEFAULT_HOOK_TIMEOUT_MS;
}

/** A call from the hook's ctx, checked here too: the worker side is user code's neighbour. */
async function callHost(entry: PendingRun, operation: HostOperation, args: readonly unknown[]): Promise<JsonValue> {
  const { host } = entry;
  const [first, second, third] = args;
  const key = () => {
    if (typeof first !== 'string' || first === '') throw new Error(`${operation}: the key must be a non-empty string`);
    return first;
  };
  switch (operation) {
    case 'stateGet':
      return host.stateGet(key());
    case 'stateSet':
      await host.stateSet(key(), (second ?? null) as JsonValue);
      return null;
    case 'stateDelete':
      return host.stateDelete(key());
    case 'stateIncrement':
      return host.stateIncrement(key(), typeof second === 'number' ? second : 1);
    case 'secretGet':
      return host.secretGet(key());
    case 'dispatch': {
      const { event, hook } = entry.request;
      const wanted = (typeof third === 'object' && third !== null ? third : {}) as Partial<DispatchOptions>;
      const options: DispatchOptions = {
        stack: wanted.stack !== undefined ? wanted.stack : event.stack,
        parent_id: event.id,
        correlation_id: wanted.correlation_id !== undefined ? wanted.correlation_id : event.correlation_id,
        source: typeof wanted.source === 'string' ? wanted.source : `hook:${hook.name}`,
      };
      return host.dispatch(key(), (second ?? {}) as JsonObject, options);
    }
  }
}

/** What every worker starts from: its code, its module hooks, and where hookflow lives. */
async function bootData(): Promise<WorkerBootData> {
  const root = new URL('../../../../', import.meta.url);
  const rootDir = fileURLToPath(root);
  const nodeModules = [fileURLToPath(new URL('node_modules', root))];
  // Installed as a dependency, hookflow's own packages are hoisted beside it.
  const marker = `${sep}node_modules${sep}`;
  const at = rootDir.lastIndexOf(marker);
  if (at >= 0) nodeModules.push(rootDir.slice(0, at + marker.length - 1));
  return {
    workerUrl: await workerModuleUrl(),
    loaderHooksUrl: new URL('./loader-hooks.mjs', import.meta.url).href,
    tsxUrl: tsxHooksUrl(),
    rootUrl: new URL('package.json', root).href,
    entryUrls: [moduleUrl('../../../index', import.meta.url).href, moduleUrl('../../define', import.meta.url).href],
    nodeModulesDir: nodeModules.join(':'),
  };
}
