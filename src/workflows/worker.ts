import { hostname } from 'node:os';
import { join } from 'node:path';
import { jobLogDirectory, jobLogStem, runDirectory } from './paths.js';
import { mkdir } from 'node:fs/promises';
import type { JsonObject, NewEvent } from '../events/model.js';
import { newId } from '../events/ids.js';
import type { Store } from '../store/store.js';
import type { ClaimedAction, JobFinish, JobRecord, WorkerCapacity, WorkflowChange, WorkflowRecord } from '../store/workflows.js';
import type { TriggerType, WorkflowModel } from './model.js';
import { recoveryScript, retryAt } from './retry.js';
import type { Launcher } from './execute/launcher.js';
import { createLauncher } from './execute/launcher.js';
import { runCommandJob } from './execute/command-job.js';
import { runActionJob } from './execute/step-job.js';
import type { WorkflowActionRunner } from './actions.js';
import type { EndingHooks } from './ending.js';
import { ChangePublisher } from './publisher.js';
import type { ActionRegistry } from '../actions/registry.js';
import type { ActionServices } from '../actions/executor.js';
import type { ActionOutcome } from '../actions/model.js';
import { stepReferences } from './spec/dag.js';
import { isWorkflowEnded } from './job-states.js';

/**
 * A worker: claims ready jobs and pending workflow actions from the store and runs them. Many
 * workers in many processes share one store; claims are atomic there, leases are renewed by a
 * heartbeat, and a worker that dies loses its jobs back to `ready` when their leases expire (any
 * worker's poll recovers them). Every transition the store reports is published as an event.
 */

export interface WorkerOptions {
  store: Store;
  /** Publishes one event durably (the engine's dispatcher). */
  publish: (event: NewEvent) => Promise<unknown>;
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
  model: WorkflowModel;
  workflow: WorkflowRecord;
  /** DAG step id → job index. */
  steps: Map<string, number>;
}

interface RunningJob {
  job: JobRecord;
  abort: AbortController;
  done: Promise<void>;
  /** Why it was aborted: a cancel of the workflow, or this worker stopping. */
  reason: 'canceled' | 'terminated' | null;
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
  private idleSince = Date.now();
  private used = { cpus: 0, memory: 0, gpus: 0 };
  private finishQueue: Array<{ finish: JobFinish; resolve: (change: WorkflowChange | null) => void; reject: (error: unknown) => void }> = [];
  private finishScheduled = false;
  private startedAt = Date.now();
  private readonly publisher: ChangePublisher;
  private readonly madeDirs = new Set<string>();
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
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
    let reason: 'idle' | 'workflow_ended' | 'stopped' = 'stopped';
    try {
      await this.runActions(['on_worker_start']);
      reason = await this.loop();
    } finally {
      await Promise.allSettled([...this.running.values()].map((entry) => entry.done));
      await Promise.allSettled(this.runningActions);
      try {
        await this.runActions(['on_worker_complete']);
      } catch (error) {
        this.report(error, 'on_worker_complete');
      }
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      await this.flushFinishes();
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
          for (const entry of this.running.values()) {
            entry.reason = 'terminated';
            entry.abort.abort();
          }
        }, graceMs);
        deadline.unref();
        await Promise.allSettled([...this.running.values()].map((entry) => entry.done));
        clearTimeout(deadline);
      })();
    }
    return this.stopped;
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
        await this.maintenance(now);
      }
      await this.runActions(MAIN_TRIGGERS);
      const claimed = await this.claim();
      if (claimed > 0 || this.running.size > 0 || this.runningActions.size > 0) this.idleSince = Date.now();
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

  /**
   * `finishing`: slots of jobs whose finish is being written right now, free once it commits.
   * `startedChanges`: where the claimed jobs' `started` transitions go to be published with other
   * events of the same turn; published here when not given.
   */
  private async claim(finishing = 0, startedChanges?: WorkflowChange[]): Promise<number> {
    const free = this.options.maxParallelJobs - this.running.size + finishing;
    if (free <= 0 || this.stopping) return 0;
    const now = Date.now();
    let jobs: JobRecord[];
    try {
      jobs = await this.options.store.workflows.claimJobs({
        worker_id: this.id,
        workflow_id: this.options.workflowId,
        limit: free,
        capacity: this.freeCapacity(),
        lease_ms: this.leaseMs,
        now,
      });
    } catch (error) {
      this.report(error, 'claim');
      return 0;
    }
    const started = jobs.map((job) => startedChange(job, this.id));
    for (const job of jobs) this.start(job);
    if (startedChanges) startedChanges.push(...started);
    else await Promise.all(started.map((change) => this.publishChange(change).catch((error: unknown) => this.report(error, 'publish'))));
    return jobs.length;
  }

  private start(job: JobRecord): void {
    const key = `${job.workflow_id}:${job.index}`;
    const abort = new AbortController();
    const entry: RunningJob = { job, abort, reason: null, done: Promise.resolve() };
    this.reserve(job, 1);
    this.running.set(key, entry);
    entry.done = this.execute(entry)
      .catch((error: unknown) => this.report(error, `job ${job.name}`))
      .finally(() => {
        this.reserve(job, -1);
        this.running.delete(key);
        this.poke();
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
    const [model, workflow] = await Promise.all([this.options.store.workflows.getWorkflowModel(workflowId), this.options.store.workflows.getWorkflow(workflowId)]);
    if (!model || !workflow) throw new Error(`workflow ${workflowId} is gone`);
    const steps = new Map<string, number>();
    for (const job of model.jobs) if (job.step) steps.set(job.step.id, job.index);
    return { model, workflow, steps };
  }

  private async execute(entry: RunningJob): Promise<void> {
    const { job } = entry;
    const context = await this.context(job.workflow_id);
    const { model, workflow } = context;
    const outputDir = this.options.outputDir ? join(this.options.outputDir, job.workflow_id) : workflow.output_dir;
    const runDir = runDirectory(outputDir, job.run);
    const logDir = jobLogDirectory(outputDir, job.run);
    if (!this.madeDirs.has(logDir)) {
      await mkdir(logDir, { recursive: true });
      this.madeDirs.add(logDir);
    }
    let finish: Omit<JobFinish, 'retry_at' | 'now'>;
    if (job.spec.command !== null) {
      const result = await runCommandJob(job.spec, {
        launcher: this.launcher as Launcher,
        cwd: runDir,
        logDir,
        env: this.jobEnv(job),
        baseEnv: this.baseEnv,
        timeoutMs: job.spec.timeout_seconds === null ? null : job.spec.timeout_seconds * 1000,
        signal: entry.abort.signal,
      });
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
      const { registry, services } = await this.options.actions();
      const upstream = referencedSteps(context.steps, job);
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
      const skip = result.skip_steps.map((id) => context.steps.get(id)).filter((index) => index !== undefined);
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
      return;
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
    const change = await this.finish({ ...finish, log_dir: logDir, retry_at: retry, now: Date.now() });
    this.options.onJobEnd?.(job, change);
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

  /** Finishes are batched: all the finishes of one event-loop turn share one store transaction. */
  private finish(finish: JobFinish): Promise<WorkflowChange | null> {
    return new Promise((resolve, reject) => {
      this.finishQueue.push({ finish, resolve, reject });
      if (!this.finishScheduled) {
        this.finishScheduled = true;
        setImmediate(() => void this.flushFinishes());
      }
    });
  }

  private async flushFinishes(): Promise<void> {
    this.finishScheduled = false;
    const batch = this.finishQueue;
    this.finishQueue = [];
    if (batch.length === 0) return;
    let changes: Array<WorkflowChange | null>;
    // Asked in the same turn, the next claim joins the finish's transaction on SQLite (one commit
    // for both) and sees the dependents the finish just made ready.
    const finishing = this.options.store.workflows.finishJobs(batch.map((entry) => entry.finish));
    const started: WorkflowChange[] = [];
    const claiming = this.stopping ? null : this.claim(batch.length, started);
    try {
      changes = await finishing;
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    if (claiming) await claiming;
    // Published together, the events of one turn share one commit: the ends, then the starts.
    const published = [...changes.filter((change): change is WorkflowChange => change !== null), ...started];
    await Promise.all(published.map((change) => this.publishChange(change).catch((error: unknown) => this.report(error, 'publish'))));
    batch.forEach((entry, index) => entry.resolve(changes[index]));
    this.poke();
  }

  private publishChange(change: WorkflowChange): Promise<void> {
    if (change.workflow && isWorkflowEnded(change.workflow.to)) this.models.delete(change.workflow_id);
    return this.publisher.publish(change);
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
