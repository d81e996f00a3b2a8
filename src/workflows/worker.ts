import { hostname } from 'node:os';
import { join } from 'node:path';
import { jobLogDirectory, jobLogStem, resolvedPath, runDirectory } from './paths.js';
import { mkdir } from 'node:fs/promises';
import type { JsonObject, NewEvent } from '../events/model.js';
import { newId } from '../events/ids.js';
import type { Store } from '../store/store.js';
import type { ClaimedAction, JobFinish, JobRecord, WorkerCapacity, WorkflowChange, WorkflowRecord } from '../store/workflows.js';
import type { TriggerType, WorkflowModel } from './model.js';
import { recoveryScript, retryAt } from './retry.js';
import type { Launcher, StartTicket } from './execute/launcher.js';
import { createLauncher } from './execute/launcher.js';
import { runCommandJob } from './execute/command-job.js';
import type { WorkflowActionRunner } from './actions.js';
import type { EndingHooks } from './ending.js';
import { ChangePublisher } from './publisher.js';
import { changeEvents } from './events.js';
import type { EventInsert, InsertedEvent } from '../store/store.js';
import type { ActionRegistry } from '../actions/registry.js';
import type { ActionServices } from '../actions/executor.js';
import type { ActionOutcome } from '../actions/model.js';
import { stepReferences } from './spec/step-references.js';
import { isWorkflowEnded } from './job-states.js';
import { aheadTarget, claimLimit, flushDelay, JobDurations } from './claim-ahead.js';

/**
 * A worker: claims ready jobs and pending workflow actions from the store and runs them. Many
 * workers in many processes share one store; claims are atomic there, leases are renewed by a
 * heartbeat, and a worker that dies loses its jobs back to `ready` when their leases expire (any
 * worker's poll recovers them). Every transition the store reports is published as an event.
 * While jobs are short, a worker claims some ahead and writes their finishes in batches
 * (src/workflows/claim-ahead.ts).
 */

export interface WorkerOptions {
  store: Store;
  /** Publishes one event durably (the engine's dispatcher). */
  publish: (event: NewEvent) => Promise<unknown>;
  /** Writes finishes' events in the finishes' own transaction; without one they are published after it. */
  outbox?: WorkerOutbox;
  actions: () => Promise<{ registry: ActionRegistry; services: ActionServices }>;
  /** Parks an awaiting outcome of a step and waits for its end (src/actions/waits.ts settleOutcome). */
  settle: (outcome: ActionOutcome, request: { actionType: string; params: JsonObject; ownerId: string; signal: AbortSignal }) => Promise<ActionOutcome>;
  workflowActions: WorkflowActionRunner;
  /** What else happens when a workflow ends (queued Slurm allocations cancelled). */
  ending?: EndingHooks;
  /**
   * Where this worker runs jobs and writes their logs (`<outputDir>/<workflow id>/run-N/…`), as
   * Torc's --output-dir; null = the workflow's own directory. Recorded per job, so `workflow logs`
   * finds them on this machine.
   */
  outputDir?: string | null;
  /** Only this workflow's jobs and actions; null = any. */
  workflowId: string | null;
  maxParallelJobs: number;
  capacity: WorkerCapacity | null;
  /** Exit after this long with nothing to do; null = never (the embedded worker of `serve`). */
  idleTimeoutMs: number | null;
  leaseMs?: number;
  heartbeatMs?: number;
  /** How often the store is polled for work made by other processes. */
  pollMs?: number;
  launcher?: Launcher;
  id?: string;
  /** Called for every job that ends, after its finish committed (tests, benchmarks). */
  onJobEnd?: (job: JobRecord, change: WorkflowChange | null) => void;
  onError?: (error: unknown, where: string) => void;
}

interface WorkflowContext {
  workflow: WorkflowRecord;
  /**
   * The model with its DAG step ids (step id → job index), read at the first action job: a command
   * job has its spec from its claim, and a big workflow's model costs a worker 0.2 s to read.
   */
  steps: () => Promise<{ model: WorkflowModel; steps: Map<string, number> }>;
}

interface RunningJob {
  job: JobRecord;
  abort: AbortController;
  /** Settles when the job's slot is free again (its finish may not be written yet). */
  done: Promise<void>;
  /** When it started: its claim, then its process's start. */
  startedAt: number;
  /** The slot it holds, or waits behind the running job of (see lanes). */
  lane: number;
  /** Its process's start request, once made (null: none, e.g. a typed action): a job after it in its lane starts when that process exits. */
  ticket: Promise<StartTicket | null>;
  setTicket: (ticket: StartTicket | null) => void;
  /** Why it was aborted: a cancel of the workflow, or this worker stopping. */
  reason: 'canceled' | 'terminated' | null;
  /** Whether jobs may wait in its lane behind it (waitsInLane). */
  waits: boolean;
}

const MAIN_TRIGGERS: readonly TriggerType[] = ['on_workflow_start', 'on_jobs_ready', 'on_jobs_complete', 'on_workflow_complete'];

export class Worker {
  readonly id: string;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private readonly running = new Map<string, RunningJob>();
  private readonly runningActions = new Set<Promise<void>>();
  /** Promises, so the jobs claimed together share one load. */
  private readonly models = new Map<string, Promise<WorkflowContext>>();
  private launcher: Launcher | null;
  private ownLauncher = false;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private wakePending = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeating: Promise<void> | null = null;
  private idleSince = Date.now();
  private used = { cpus: 0, memory: 0, gpus: 0 };
  /** Jobs claimed ahead, not started yet (still `running` under this worker's lease in the store). */
  private readonly queue: JobRecord[] = [];
  /**
   * One lane per slot: its first job runs; command jobs after it (claimed ahead while jobs are
   * short) wait in the launcher for the exit of the one before, so a slot never waits for this
   * process to hear of an exit before its next process starts.
   */
  private readonly lanes: RunningJob[][];
  /** Per lane, its jobs that no job may wait behind (counted, not searched for at every start). */
  private readonly laneHolds: number[];
  /** Jobs in lanes behind another (started, as far as this worker goes; not yet running). */
  private waitingInLanes = 0;
  private readonly durations = new JobDurations();
  /** Finishes not written yet, in the order the jobs ended. */
  private finishQueue: Array<{ job: JobRecord; finish: JobFinish; slot: TimelineSlot }> = [];
  private finishScheduled = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** Names of the workflows whose jobs run here, for their events (known once their context loaded). */
  private readonly workflowNames = new Map<string, string>();
  /**
   * The changes to publish, in the order they happened: a start is known at once, a finish's
   * change only once it is written. Published from the front up to the first unwritten finish.
   */
  private timeline: TimelineSlot[] = [];
  /** Set when a change made actions pending (or the poll came round): only then does the loop look for them. */
  private actionsDue = true;
  private startedAt = Date.now();
  private readonly publisher: ChangePublisher;
  private readonly madeDirs = new Set<string>();
  private readonly runDirectories = new Map<string, { outputDir: string; runDir: string; logDir: string }>();
  /** Taken once: copying process.env per job costs ~0.1 ms, which adds up over many short jobs. */
  private readonly baseEnv: Readonly<Record<string, string | undefined>> = { ...process.env };

  constructor(private readonly options: WorkerOptions) {
    this.id = options.id ?? `worker-${hostname()}-${process.pid}-${newId().slice(-8)}`;
    this.leaseMs = options.leaseMs ?? leaseFromEnv(process.env) ?? 30_000;
    // The heartbeat also carries cancels to running jobs: a short one makes cancel prompt.
    this.heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.min(2_000, Math.floor(this.leaseMs / 3)));
    this.pollMs = options.pollMs ?? 250;
    this.launcher = options.launcher ?? null;
    this.publisher = new ChangePublisher(options.store, options.publish, options.ending);
    this.lanes = Array.from({ length: Math.max(0, options.maxParallelJobs) }, () => []);
    this.laneHolds = this.lanes.map(() => 0);
  }

  get runningJobs(): number {
    return this.running.size;
  }

  /** Registers, runs on_worker_start actions, then works until idle, the workflow ends, or stop(). */
  async run(): Promise<{ reason: 'idle' | 'workflow_ended' | 'stopped' }> {
    const { store } = this.options;
    if (!this.launcher) {
      this.launcher = await createLauncher();
      this.ownLauncher = true;
    }
    this.startedAt = Date.now();
    await this.register();
    await this.options.publish({ type: 'worker.started', data: this.eventData(), source: 'worker' });
    this.heartbeatTimer = setInterval(() => {
      // Never two at once: renewals queued behind a long transaction's row locks would pile up,
      // deadlock one another on PostgreSQL (each costs a second) and take the pool's connections.
      if (this.heartbeating) return;
      this.heartbeating = this.heartbeat().finally(() => (this.heartbeating = null));
    }, this.heartbeatMs);
    this.heartbeatTimer.unref();
    let reason: 'idle' | 'workflow_ended' | 'stopped' = 'stopped';
    try {
      await this.runActions(['on_worker_start']);
      reason = await this.loop();
    } finally {
      await this.drain();
      await Promise.allSettled(this.runningActions);
      try {
        await this.runActions(['on_worker_complete']);
      } catch (error) {
        this.report(error, 'on_worker_complete');
      }
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      await this.heartbeating;
      await this.flushAll();
      await store.removeProcess(this.id).catch((error: unknown) => this.report(error, 'deregister'));
      await this.options.publish({ type: 'worker.stopped', data: { ...this.eventData(), reason }, source: 'worker' }).catch((error: unknown) => this.report(error, 'worker.stopped'));
      if (this.ownLauncher) await this.launcher?.close();
    }
    return { reason };
  }

  /**
   * Stops claiming; running jobs get `graceMs` to finish, then are killed and left to their
   * leases, which expire and put them back to ready for another worker (the worker went away;
   * the job did nothing wrong).
   */
  stop(graceMs = 10_000): Promise<void> {
    if (!this.stopped) {
      this.stopping = true;
      this.poke();
      this.stopped = (async () => {
        const deadline = setTimeout(() => {
          // Queued jobs not started by now are left to their leases too.
          this.queue.length = 0;
          for (const entry of this.running.values()) {
            entry.reason = 'terminated';
            entry.abort.abort();
          }
        }, graceMs);
        deadline.unref();
        await this.drain();
        clearTimeout(deadline);
      })();
    }
    return this.stopped;
  }

  /** Until no job runs and none waits in the queue (queued jobs still start while stopping: they are claimed, and short). */
  private async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()].map((entry) => entry.done));
  }

  /** Wakes the loop (a job ended, a change elsewhere in this process). */
  poke(): void {
    this.wakePending = true;
    this.wake?.();
  }

  private async loop(): Promise<'idle' | 'workflow_ended' | 'stopped'> {
    const { store, workflowId, idleTimeoutMs } = this.options;
    let lastMaintenance = 0;
    while (!this.stopping) {
      const now = Date.now();
      if (now - lastMaintenance >= this.pollMs) {
        lastMaintenance = now;
        // Other processes' changes make actions pending too: look for them once per poll.
        this.actionsDue = true;
        await this.maintenance(now);
      }
      if (this.actionsDue) {
        this.actionsDue = false;
        await this.runActions(MAIN_TRIGGERS);
      }
      // Pending finishes claim with their write; a claim of its own would cost another commit.
      const claimed = this.finishQueue.length > 0 ? 0 : await this.claim();
      // Their job.started events join the next finishes' transaction, or go alone after maxDelayMs.
      if (claimed > 0) this.scheduleFlush();
      const busy = this.running.size > 0 || this.queue.length > 0 || this.finishQueue.length > 0 || this.runningActions.size > 0;
      if (claimed > 0 || busy) this.idleSince = Date.now();
      else {
        if (workflowId !== null && (await this.workflowEnded(workflowId))) return 'workflow_ended';
        if (idleTimeoutMs !== null && Date.now() - this.idleSince >= idleTimeoutMs) {
          const pending = await store.workflows.hasPendingActions(workflowId, this.id, MAIN_TRIGGERS);
          if (!pending) return 'idle';
          this.idleSince = Date.now();
        }
      }
      await this.sleep(this.pollMs);
    }
    return 'stopped';
  }

  private async workflowEnded(workflowId: string): Promise<boolean> {
    const workflow = await this.options.store.workflows.getWorkflow(workflowId);
    if (!workflow) return true;
    if (!isWorkflowEnded(workflow.status)) return false;
    return !(await this.options.store.workflows.hasPendingActions(workflowId, this.id, MAIN_TRIGGERS));
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        this.wakePending = false;
        done();
      };
    });
  }

  private async maintenance(now: number): Promise<void> {
    const { store } = this.options;
    try {
      const changes = [...(await store.workflows.promoteRetries(now)), ...(await store.workflows.recoverExpiredJobs(now))];
      for (const change of changes) await this.publishChange(change);
    } catch (error) {
      this.report(error, 'maintenance');
    }
  }

  private freeCapacity(): WorkerCapacity | null {
    const limits = this.options.capacity;
    if (!limits) return null;
    return {
      cpus: limits.cpus === null ? null : limits.cpus - this.used.cpus,
      memory_bytes: limits.memory_bytes === null ? null : limits.memory_bytes - this.used.memory,
      gpus: limits.gpus === null ? null : limits.gpus - this.used.gpus,
    };
  }

  /** Jobs claimed ahead while recent jobs were short (none with a resource capacity to account for). */
  private ahead(): number {
    return this.options.capacity ? 0 : aheadTarget(this.durations.averageMs, this.options.maxParallelJobs);
  }

  /** Claims what the slots and the queue need, and starts what the slots can take; the number claimed. */
  private async claim(): Promise<number> {
    if (this.stopping) return 0;
    const limit = claimLimit({ slots: this.options.maxParallelJobs, running: this.running.size - this.waitingInLanes, queued: this.queue.length + this.waitingInLanes, ahead: this.ahead() });
    if (limit <= 0) return 0;
    const now = Date.now();
    let jobs: JobRecord[];
    try {
      jobs = await this.options.store.workflows.claimJobs({
        worker_id: this.id,
        workflow_id: this.options.workflowId,
        limit,
        capacity: this.freeCapacity(),
        lease_ms: this.leaseMs,
        now,
      });
    } catch (error) {
      this.report(error, 'claim');
      return 0;
    }
    this.queue.push(...jobs);
    this.startQueued();
    return jobs.length;
  }

  private startQueued(): void {
    while (this.queue.length > 0) {
      let lane = this.lanes.findIndex((jobs) => jobs.length === 0);
      if (lane < 0) lane = this.laneToWaitIn(this.queue[0]);
      if (lane < 0) return;
      this.start(this.queue.shift() as JobRecord, lane);
    }
  }

  /**
   * The lane a queued job may wait in (the shortest of command jobs), or -1. Only short command
   * jobs without recovery scripts wait: a recovery script runs after its job's exit, when the
   * next one would already run beside it.
   */
  private laneToWaitIn(job: JobRecord): number {
    const ahead = this.ahead();
    if (ahead === 0 || !waitsInLane(job)) return -1;
    const depth = 1 + Math.ceil(ahead / this.lanes.length);
    let best = -1;
    for (let lane = 0; lane < this.lanes.length; lane++) {
      const length = this.lanes[lane].length;
      if (length >= depth || this.laneHolds[lane] > 0) continue;
      if (best < 0 || length < this.lanes[best].length) best = lane;
    }
    return best;
  }

  private start(job: JobRecord, lane: number): void {
    const key = `${job.workflow_id}:${job.index}`;
    const abort = new AbortController();
    let setTicket: (ticket: StartTicket | null) => void = () => undefined;
    const ticket = new Promise<StartTicket | null>((resolve) => (setTicket = resolve));
    const entry: RunningJob = { job, abort, reason: null, done: Promise.resolve(), startedAt: Date.now(), lane, ticket, setTicket, waits: waitsInLane(job) };
    const laneJobs = this.lanes[lane];
    if (laneJobs.length > 0) this.waitingInLanes += 1;
    laneJobs.push(entry);
    if (!entry.waits) this.laneHolds[lane] += 1;
    this.reserve(job, 1);
    this.running.set(key, entry);
    this.timeline.push({ change: startedChange(job, this.id), written: true });
    const ended = (finish: JobFinish | null): void => {
      // A job after it must not wait for a start that never came.
      setTicket(null);
      const at = laneJobs.indexOf(entry);
      if (at >= 0) {
        laneJobs.splice(at, 1);
        if (!entry.waits) this.laneHolds[lane] -= 1;
      }
      // The one after it runs now (or this one never got to run).
      if (at > 0 || (at === 0 && laneJobs.length > 0)) this.waitingInLanes -= 1;
      this.reserve(job, -1);
      this.running.delete(key);
      if (finish) {
        this.durations.add(finish.now - entry.startedAt);
        this.recordFinish(job, finish);
      }
      // The freed slot takes the next queued job before anything is written.
      this.startQueued();
      this.scheduleFlush();
      this.poke();
    };
    entry.done = this.execute(entry).then(ended, (error: unknown) => {
      this.report(error, `job ${job.name}`);
      ended(null);
    });
  }

  private reserve(job: JobRecord, sign: 1 | -1): void {
    const needs = job.spec.resources;
    this.used.cpus += sign * needs.num_cpus;
    this.used.memory += sign * needs.memory_bytes;
    this.used.gpus += sign * needs.num_gpus;
  }

  private context(workflowId: string): Promise<WorkflowContext> {
    let loading = this.models.get(workflowId);
    if (!loading) {
      loading = this.loadContext(workflowId);
      this.models.set(workflowId, loading);
      loading.catch(() => this.models.delete(workflowId));
    }
    return loading;
  }

  private async loadContext(workflowId: string): Promise<WorkflowContext> {
    const workflow = await this.options.store.workflows.getWorkflow(workflowId);
    if (!workflow) throw new Error(`workflow ${workflowId} is gone`);
    this.workflowNames.set(workflowId, workflow.name);
    let loading: Promise<{ model: WorkflowModel; steps: Map<string, number> }> | null = null;
    const load = async () => {
      const model = await this.options.store.workflows.getWorkflowModel(workflowId);
      if (!model) throw new Error(`workflow ${workflowId} is gone`);
      const steps = new Map<string, number>();
      for (const job of model.jobs) if (job.step) steps.set(job.step.id, job.index);
      return { model, steps };
    };
    const steps = () => {
      if (!loading) {
        loading = load();
        // A failed read is tried again by the next action job.
        loading.catch(() => (loading = null));
      }
      return loading;
    };
    return { workflow, steps };
  }

  /** Runs a job to its end: its finish, or null when there is none to write (this worker is stopping). */
  private async execute(entry: RunningJob): Promise<JobFinish | null> {
    const { job } = entry;
    const context = await this.context(job.workflow_id);
    const { workflow } = context;
    const { outputDir, runDir, logDir } = this.directories(job, workflow);
    if (!this.madeDirs.has(logDir)) {
      await mkdir(logDir, { recursive: true });
      this.madeDirs.add(logDir);
    }
    let finish: Omit<JobFinish, 'retry_at' | 'now'>;
    if (job.spec.command !== null) {
      const laneJobs = this.lanes[entry.lane];
      const before = laneJobs[laneJobs.indexOf(entry) - 1];
      const result = await runCommandJob(job.spec, {
        after: before?.ticket,
        onTicket: entry.setTicket,
        launcher: this.launcher as Launcher,
        cwd: runDir,
        logDir,
        env: this.jobEnv(job),
        baseEnv: this.baseEnv,
        timeoutMs: job.spec.timeout_seconds === null ? null : job.spec.timeout_seconds * 1000,
        signal: entry.abort.signal,
      });
      if (result.started_at !== null) entry.startedAt = result.started_at;
      finish = {
        workflow_id: job.workflow_id,
        index: job.index,
        run: job.run,
        worker_id: this.id,
        outcome: result.outcome === 'canceled' && entry.reason === 'terminated' ? 'terminated' : result.outcome,
        exit_code: result.exit_code,
        error: result.error,
        outputs: null,
        stdout_tail: result.stdout_tail,
        stderr_tail: result.stderr_tail,
      };
    } else {
      entry.setTicket(null);
      const [{ registry, services }, { model, steps }] = await Promise.all([this.options.actions(), context.steps()]);
      const upstream = referencedSteps(steps, job);
      const outputs = upstream.length > 0 ? await this.options.store.workflows.jobOutputs(job.workflow_id, upstream) : new Map<number, JsonObject>();
      const stepOutputs: Record<string, JsonObject> = {};
      const stepStatuses: Record<string, string> = {};
      for (const index of upstream) {
        const upstreamJob = model.jobs[index];
        const key = upstreamJob.step?.id ?? upstreamJob.name;
        const value = outputs.get(index);
        if (value) {
          stepOutputs[key] = value;
          stepStatuses[key] = 'completed';
        }
      }
      const ownerId = `${job.workflow_id}:${job.index}:${job.run}:${job.attempts}`;
      // Loaded with the first action job: a worker of command jobs never needs the action machinery.
      const { runActionJob } = await import('./execute/step-job.js');
      const result = await runActionJob(job.spec, {
        registry,
        services,
        workflowParams: workflow.params,
        stepOutputs,
        stepStatuses,
        signal: entry.abort.signal,
        timeoutSeconds: job.spec.timeout_seconds ?? model.timeout_seconds,
        logPath: `${jobLogStem(outputDir, job.run, job.index, job.name)}.log`,
        attempt: job.attempts,
        executionId: ownerId,
        settle: (outcome, params) => this.options.settle(outcome, { actionType: job.spec.action ?? '', params, ownerId, signal: entry.abort.signal }),
      });
      const skip = result.skip_steps.map((id) => steps.get(id)).filter((index) => index !== undefined);
      finish = {
        workflow_id: job.workflow_id,
        index: job.index,
        run: job.run,
        worker_id: this.id,
        outcome: result.outcome === 'canceled' && entry.reason === 'terminated' ? 'terminated' : result.outcome,
        exit_code: null,
        error: result.error,
        outputs: result.outputs,
        stdout_tail: result.log_tail,
        stderr_tail: null,
        skip_jobs: skip,
      };
    }
    if (entry.reason === 'terminated') {
      // This worker is stopping, not the job failing: leave it running under its lease, which
      // expires without renewal and puts it back to ready for another worker.
      return null;
    }
    let retry = finish.outcome === 'failed' || finish.outcome === 'timeout' ? retryAt(job.spec, job.attempts, finish.exit_code, Date.now()) : null;
    const recovery = retry !== null ? recoveryScript(job.spec, finish.exit_code) : null;
    if (recovery !== null) {
      // Torc runs the matching rule's recovery script before the retry; if it fails, no retry.
      const recovered = await runCommandJob(
        { ...job.spec, name: `${job.name}.recovery`, command: recovery, invocation_script: null },
        { launcher: this.launcher as Launcher, cwd: runDir, logDir, env: { ...this.jobEnv(job), HOOKFLOW_EXIT_CODE: String(finish.exit_code ?? '') }, baseEnv: this.baseEnv, timeoutMs: null, signal: entry.abort.signal },
      );
      if (recovered.outcome !== 'completed') {
        retry = null;
        finish = { ...finish, error: `${finish.error ?? 'failed'}; its recovery script failed (${recovered.error ?? recovered.outcome}), so it is not retried` };
      }
    }
    return { ...finish, log_dir: logDir, retry_at: retry, started_at: entry.startedAt, now: Date.now() };
  }

  /** Where a job of this run writes: the same few paths for every job of a run, so computed once. */
  private directories(job: JobRecord, workflow: WorkflowRecord): { outputDir: string; runDir: string; logDir: string } {
    const key = `${job.workflow_id}:${job.run}`;
    let found = this.runDirectories.get(key);
    if (!found) {
      const outputDir = this.options.outputDir ? join(this.options.outputDir, job.workflow_id) : workflow.output_dir;
      found = { outputDir, runDir: resolvedPath(runDirectory(outputDir, job.run)), logDir: resolvedPath(jobLogDirectory(outputDir, job.run)) };
      if (this.runDirectories.size >= 64) this.runDirectories.clear();
      this.runDirectories.set(key, found);
    }
    return found;
  }

  /** What a job's processes (its command, its recovery script) learn about where they run. */
  private jobEnv(job: JobRecord): Record<string, string> {
    return {
      HOOKFLOW_WORKFLOW_ID: job.workflow_id,
      HOOKFLOW_JOB_NAME: job.name,
      HOOKFLOW_JOB_INDEX: String(job.index),
      HOOKFLOW_RUN: String(job.run),
      HOOKFLOW_WORKER_ID: this.id,
    };
  }

  private recordFinish(job: JobRecord, finish: JobFinish): void {
    const slot: TimelineSlot = { change: null, written: false };
    this.timeline.push(slot);
    this.finishQueue.push({ job, finish, slot });
  }

  /** Writes the pending finishes now or later (claim-ahead.ts flushDelay); publishes waiting starts later. */
  private scheduleFlush(): void {
    if (this.finishScheduled || (this.finishQueue.length === 0 && this.timeline.length === 0)) return;
    const oldest = this.finishQueue[0]?.finish.now ?? Date.now();
    const delay = flushDelay({
      pending: this.finishQueue.length,
      oldestAgeMs: Date.now() - oldest,
      queued: this.queue.length + this.waitingInLanes,
      ahead: this.ahead(),
      stopping: this.stopping,
    });
    if (delay === 0) {
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = null;
      this.finishScheduled = true;
      setImmediate(() => this.startFlush('finishes'));
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        if (!this.finishScheduled) this.startFlush('timer');
      }, delay);
    }
  }

  /** One flush at a time: each writes the front of the timeline, in order. */
  private startFlush(why: FlushCause): void {
    this.flushing = this.flushing.then(() => this.flushFinishes(why));
  }

  /** Writes every pending finish (the last ones, when the worker stops). */
  private async flushAll(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.startFlush('final');
    await this.flushing;
  }

  private async flushFinishes(why: FlushCause): Promise<void> {
    this.finishScheduled = false;
    const outbox = this.options.outbox;
    // Before taking the batch: the claim below must be asked in the same turn as the finishes' write.
    if (outbox && this.finishQueue.length > 0) await outbox.prepare().catch((error: unknown) => this.report(error, 'hooks'));
    const batch = this.finishQueue;
    this.finishQueue = [];
    let plan: OutboxPlan | null = null;
    if (batch.length > 0) {
      const finishes = batch.map((entry) => entry.finish);
      // Asked in the same turn, the claim joins the finishes' transaction on SQLite (one commit for
      // all) and sees the dependents they just made ready.
      const finishing = outbox
        ? this.options.store.workflows.finishJobsWithEvents(finishes, {
            events: (changes) => {
              plan = this.outboxPlan(batch, changes, outbox);
              return plan.inserts;
            },
          })
        : this.options.store.workflows.finishJobs(finishes).then((changes) => ({ changes, events: [] }));
      const claiming = this.claim();
      let written: { changes: Array<WorkflowChange | null>; events: InsertedEvent[] };
      try {
        written = await finishing;
      } catch (error) {
        // Not written: the jobs stay running under this worker's lease, and run again when it expires.
        this.report(error, 'finish');
        written = { changes: batch.map(() => null), events: [] };
        plan = null;
      }
      await claiming;
      batch.forEach((entry, index) => {
        entry.slot.change = written.changes[index];
        entry.slot.written = true;
      });
      // Set by the store's call of events() above, which TypeScript's narrowing cannot see.
      const committed = plan as OutboxPlan | null;
      if (committed && outbox) {
        this.timeline.splice(0, committed.count);
        outbox.committed(written.events);
        for (const change of committed.inserted) this.noteChange(change);
        await Promise.all(committed.after.map((change) => this.publishChange(change).catch((error: unknown) => this.report(error, 'publish'))));
      }
      for (const [index, entry] of batch.entries()) this.options.onJobEnd?.(entry.job, written.changes[index]);
    }
    // Starts after this batch wait for the next one (one commit for both) unless they waited their
    // longest, or the worker stops. A flush due for finishes may find none: an earlier flush took
    // them while it awaited; its starts then wait for the next finishes too.
    if (this.stopping || why === 'final' || (batch.length === 0 && why === 'timer')) await this.publishTimeline();
    else this.scheduleFlush();
    this.poke();
  }

  /**
   * The events of the timeline's front, as they will be once this batch is written: inserted in
   * its transaction. A change that ends a workflow is published after the commit instead (its
   * ending — DAG outputs, queued allocations — comes before `workflow.*`), and so is one whose
   * workflow's name this worker does not know yet.
   */
  private outboxPlan(batch: ReadonlyArray<{ slot: TimelineSlot }>, changes: ReadonlyArray<WorkflowChange | null>, outbox: WorkerOutbox): OutboxPlan {
    const finishing = new Map(batch.map((entry, index) => [entry.slot, changes[index]]));
    const plan: OutboxPlan = { count: 0, inserts: [], inserted: [], after: [] };
    for (const slot of this.timeline) {
      if (!slot.written && !finishing.has(slot)) break;
      plan.count += 1;
      const change = slot.written ? slot.change : (finishing.get(slot) ?? null);
      if (!change) continue;
      const name = this.workflowNames.get(change.workflow_id);
      if (name === undefined || (change.workflow && isWorkflowEnded(change.workflow.to))) {
        plan.after.push(change);
        continue;
      }
      for (const event of changeEvents({ id: change.workflow_id, name }, change, null)) {
        try {
          plan.inserts.push(outbox.insert(event));
        } catch (error) {
          this.report(error, `event ${event.type}`);
        }
      }
      plan.inserted.push(change);
    }
    return plan;
  }

  /** Publishes the timeline's front up to the first unwritten finish; published together, they share one commit. */
  private async publishTimeline(): Promise<void> {
    let ready = 0;
    while (ready < this.timeline.length && this.timeline[ready].written) ready += 1;
    if (ready === 0) return;
    const slots = this.timeline.splice(0, ready);
    const changes = slots.map((slot) => slot.change).filter((change): change is WorkflowChange => change !== null);
    await Promise.all(changes.map((change) => this.publishChange(change).catch((error: unknown) => this.report(error, 'publish'))));
  }

  private publishChange(change: WorkflowChange): Promise<void> {
    this.noteChange(change);
    return this.publisher.publish(change);
  }

  /** What this worker learns from a change besides its events: actions to run, a workflow gone. */
  private noteChange(change: WorkflowChange): void {
    if (change.actions_pending.length > 0) {
      this.actionsDue = true;
      this.poke();
    }
    if (change.workflow && isWorkflowEnded(change.workflow.to)) {
      this.models.delete(change.workflow_id);
      this.workflowNames.delete(change.workflow_id);
    }
  }

  private async runActions(triggers: readonly TriggerType[]): Promise<void> {
    let claimed: ClaimedAction[];
    try {
      // A read first: a claim is a write transaction, and on SQLite an empty one still takes the
      // write lock that other workers' finishes wait for.
      if (!(await this.options.store.workflows.hasPendingActions(this.options.workflowId, this.id, triggers))) return;
      claimed = await this.options.store.workflows.claimActions({ worker_id: this.id, workflow_id: this.options.workflowId, triggers, now: Date.now() });
    } catch (error) {
      this.report(error, 'claim actions');
      return;
    }
    const runs = claimed.map((action) => {
      const run = this.options.workflowActions.run(action, this.id).catch((error: unknown) => this.report(error, `action ${action.action.action_type}`));
      this.runningActions.add(run);
      void run.finally(() => this.runningActions.delete(run));
      return run;
    });
    // Worker triggers run before the worker starts (or after it stops) working: wait for them.
    if (triggers.includes('on_worker_start') || triggers.includes('on_worker_complete')) await Promise.all(runs);
  }

  private async heartbeat(): Promise<void> {
    const { store } = this.options;
    try {
      const cancels = await store.workflows.renewJobLeases(this.id, this.leaseMs, Date.now());
      for (const cancel of cancels) {
        const entry = this.running.get(`${cancel.workflow_id}:${cancel.index}`);
        if (entry && entry.job.run === cancel.run) {
          entry.reason = 'canceled';
          entry.abort.abort();
        }
        const queued = this.queue.findIndex((job) => job.workflow_id === cancel.workflow_id && job.index === cancel.index && job.run === cancel.run);
        if (queued >= 0) {
          const [job] = this.queue.splice(queued, 1);
          this.recordFinish(job, canceledBeforeStart(job, this.id));
          this.scheduleFlush();
        }
      }
      await this.register();
    } catch (error) {
      this.report(error, 'heartbeat');
    }
  }

  private register(): Promise<void> {
    const now = Date.now();
    return this.options.store.registerProcess({
      id: this.id,
      kind: 'worker',
      host: hostname(),
      pid: process.pid,
      started_at: this.startedAt,
      heartbeat_at: now,
      info: {
        workflow_id: this.options.workflowId,
        max_parallel_jobs: this.options.maxParallelJobs,
        running_jobs: [...this.running.values()].map((entry) => `${entry.job.workflow_id}/${entry.job.name}`),
        cpus: this.options.capacity?.cpus ?? null,
        memory_bytes: this.options.capacity?.memory_bytes ?? null,
        gpus: this.options.capacity?.gpus ?? null,
      },
    });
  }

  private eventData(): JsonObject {
    return { worker_id: this.id, host: hostname(), pid: process.pid, workflow_id: this.options.workflowId };
  }

  private report(error: unknown, where: string): void {
    if (this.options.onError) this.options.onError(error, where);
    else process.stderr.write(`hookflow worker ${this.id}: ${where}: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

/** Whether a job may wait in a lane behind another: a command without recovery scripts. */
function waitsInLane(job: JobRecord): boolean {
  return job.spec.command !== null && job.spec.failure_rules.every((rule) => !rule.recovery_script);
}

/** Writes events in the transaction of the finishes they tell of (the engine's dispatcher). */
export interface WorkerOutbox {
  /** Before the write: the hook set events are matched against is brought up to date. */
  prepare(): Promise<void>;
  /** An event's insert (validated; throws what publishing would reject). */
  insert(event: NewEvent): EventInsert;
  /** After the commit: what was inserted. */
  committed(inserted: readonly InsertedEvent[]): void;
}

/**
 * Why a flush runs. `finishes`: pending finishes are due; `timer`: the oldest waited its longest
 * (finishes, or starts alone); `final`: the worker stops.
 */
type FlushCause = 'finishes' | 'timer' | 'final';

/** What one flush writes of the timeline: its first `count` slots. */
interface OutboxPlan {
  count: number;
  inserts: EventInsert[];
  /** The changes whose events are among the inserts. */
  inserted: WorkflowChange[];
  /** The changes to publish after the commit instead. */
  after: WorkflowChange[];
}

/** A change to publish, or a finish's place until it is written (then its change, or null). */
interface TimelineSlot {
  change: WorkflowChange | null;
  written: boolean;
}

/** The finish of a queued job whose cancel came before it started. */
function canceledBeforeStart(job: JobRecord, workerId: string): JobFinish {
  return {
    workflow_id: job.workflow_id,
    index: job.index,
    run: job.run,
    worker_id: workerId,
    outcome: 'canceled',
    exit_code: null,
    error: 'canceled before it started',
    outputs: null,
    stdout_tail: null,
    stderr_tail: null,
    retry_at: null,
    now: Date.now(),
  };
}

/** The transition a claim made (ready → running), as a change to publish. */
function startedChange(job: JobRecord, workerId: string): WorkflowChange {
  return {
    workflow_id: job.workflow_id,
    run: job.run,
    jobs: [{ index: job.index, name: job.name, step_id: job.spec.step?.id ?? null, from: 'ready', to: 'running', attempts: job.attempts, exit_code: null, worker_id: workerId, error: null }],
    actions_pending: [],
    workflow: null,
  };
}

/** HOOKFLOW_WORKER_LEASE_MS: how long a dead worker's jobs wait before another worker reruns them. */
function leaseFromEnv(env: NodeJS.ProcessEnv): number | null {
  const value = Number(env.HOOKFLOW_WORKER_LEASE_MS);
  return Number.isInteger(value) && value >= 100 ? value : null;
}

/** Indexes of the steps a job's params and condition read (`steps.ID`), which must be upstream. */
function referencedSteps(steps: ReadonlyMap<string, number>, job: JobRecord): number[] {
  const texts: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(job.spec.params);
  const ids = new Set<string>();
  for (const text of texts) for (const id of stepReferences(text)) ids.add(id);
  const condition = job.spec.step?.condition;
  if (typeof condition === 'string') for (const id of stepReferences(condition, true)) ids.add(id);
  const indexes: number[] = [];
  for (const id of ids) {
    const index = steps.get(id);
    if (index !== undefined) indexes.push(index);
  }
  return indexes.sort((a, b) => a - b);
}
