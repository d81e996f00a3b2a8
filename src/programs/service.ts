import { hostname } from 'node:os';
import { join } from 'node:path';
import { newId } from '../events/ids.js';
import type { JsonObject, JsonValue, NewEvent } from '../events/model.js';
import { errorMessage, HookflowError } from '../errors.js';
import type { ClaimLimits, ExecutionQuery, ExecutionRecord, ExecutionRetention, ExecutionStore, ExecutionTrigger } from '../store/programs.js';
import type { ProgramCatalog } from './catalog.js';
import { executionEventType, isFinished, LOST_MESSAGE } from './execution-states.js';
import { chooseRunner, ExecutionRunner, type ExecutorDeps } from './executor.js';
import type { ProgramDefinition, ProgramsConfig } from './model.js';
import { ExecutionOutput, type OutputChunk } from './output.js';
import type { ProgramScheduler } from './schedules.js';

/**
 * The execution hub: what the CLI, the API, the UI and schedules call. Submitting stores the
 * execution `queued` (durable before it is acknowledged) and wakes the queue; any hookflow
 * process that runs programs claims queued executions in FIFO order within the limits, across
 * processes (the claim is one atomic store operation), runs them, and records the end. A cancel
 * reaches a running execution in this process at once and in another through its lease renewal.
 */

export interface ProgramServiceOptions {
  store: ExecutionStore;
  catalog: ProgramCatalog;
  publish(event: NewEvent): Promise<unknown>;
  executor: ExecutorDeps;
  /** Unique per process. */
  owner?: string;
  leaseMs?: number;
  /** How often running executions' leases are renewed (and remote cancels seen). */
  renewMs?: number;
  /** How often the queue is looked at when nothing woke it (other processes' submits and finishes). */
  pollMs?: number;
  /** How often expired leases (dead processes) are looked for. */
  reapMs?: number;
  /** How often the settings' retention is applied (default 10 min). */
  retentionMs?: number;
  /** Called when an execution's containers must go because its process died (docker cleanup). */
  removeContainers?(execution: ExecutionRecord): Promise<void>;
  /** Runs programs' `schedule:` while the queue runs. */
  scheduler?: ProgramScheduler;
  /** Stops what the runners hold (launchers, Docker connections) at close. */
  closeRunners?(): Promise<void>;
  onError?(error: unknown, where: string): void;
}

export interface SubmitRequest {
  program_id: string;
  parameters?: Record<string, JsonValue>;
  trigger: ExecutionTrigger;
  requested_by?: string | null;
}

/** A message of an execution's live stream. */
export type ExecutionStreamMessage =
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'status'; execution: ExecutionRecord };

interface LocalRun {
  controller: AbortController;
  output: ExecutionOutput;
  done: Promise<void>;
  listeners: Set<(message: ExecutionStreamMessage) => void>;
}

const PARAMETER_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/** Request parameters: a flat object of scalars (each becomes PARAM_<KEY>). */
export function checkParameters(parameters: unknown): JsonObject {
  if (parameters === undefined || parameters === null) return {};
  if (typeof parameters !== 'object' || Array.isArray(parameters)) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', 'parameters must be an object of names to values', { where: 'parameters', hint: '{"parameters": {"name": "value"}}' });
  }
  const checked: JsonObject = {};
  for (const [key, value] of Object.entries(parameters as Record<string, unknown>)) {
    if (!PARAMETER_KEY.test(key)) {
      throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `parameter name ${JSON.stringify(key)} cannot become an environment variable`, {
        where: `parameters.${key}`,
        hint: 'use letters, digits and underscores, starting with a letter or underscore',
      });
    }
    if (value !== null && typeof value === 'object') {
      throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `parameter ${key} must be a string, number or boolean`, { where: `parameters.${key}` });
    }
    checked[key] = value as JsonValue;
  }
  return checked;
}

export class ProgramService {
  readonly owner: string;
  private readonly leaseMs: number;
  private readonly executor: ExecutionRunner;
  private readonly local = new Map<string, LocalRun>();
  /** Followers of executions not running here yet, handed to the run when it starts here. */
  private readonly followers = new Map<string, Set<(message: ExecutionStreamMessage) => void>>();
  private readonly shutdown = new AbortController();
  private active = false;
  private claiming: Promise<void> | null = null;
  private claimAgain = false;
  private timers: NodeJS.Timeout[] = [];
  private renewTimer: NodeJS.Timeout | null = null;
  private dockerCheck: { at: number; available: Promise<boolean> } | null = null;

  constructor(private readonly options: ProgramServiceOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${newId().slice(-8)}`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.executor = new ExecutionRunner({ ...options.executor, dockerAvailable: () => this.dockerAvailable() });
  }

  get catalog(): ProgramCatalog {
    return this.options.catalog;
  }

  config(): ProgramsConfig {
    return this.options.catalog.current();
  }

  /** Programs users can run: the enabled ones, scripts before bots. */
  programs(): ProgramDefinition[] {
    return this.options.catalog.enabledPrograms();
  }

  /** Whether a Docker engine answers; asked at most every 10 s. */
  dockerAvailable(): Promise<boolean> {
    const now = Date.now();
    if (!this.dockerCheck || now - this.dockerCheck.at > 10_000) {
      const docker = this.options.executor.docker;
      this.dockerCheck = { at: now, available: docker ? docker.availability().then((answer) => answer.available, () => false) : Promise.resolve(false) };
    }
    return this.dockerCheck.available;
  }

  /** Looks the program up (404 unknown, 400 disabled), stores the execution queued, and wakes the queue. */
  async submit(request: SubmitRequest): Promise<ExecutionRecord> {
    const found = this.options.catalog.find(request.program_id);
    if ('error' in found) {
      if (found.error === 'disabled') {
        throw new HookflowError('HF_ERR_PROGRAM_DISABLED', `program ${request.program_id} is disabled`, { where: 'program_id', hint: 'set enabled: true in config.yaml to run it' });
      }
      const known = this.programs().map((program) => program.id);
      throw new HookflowError('HF_ERR_PROGRAM_NOT_FOUND', `no program ${JSON.stringify(request.program_id)} in ${this.config().file}`, {
        where: 'program_id',
        hint: known.length > 0 ? `programs: ${known.slice(0, 20).join(', ')}` : 'config.yaml has no enabled programs',
      });
    }
    const program = found.program;
    const parameters = checkParameters(request.parameters);
    const config = this.config();
    const runner = await chooseRunner(program, config, () => this.dockerAvailable());
    const execution = await this.options.store.insertExecution({
      id: newId(),
      program_id: program.id,
      program_name: program.name,
      program_kind: program.kind,
      runner,
      parameters,
      trigger: request.trigger,
      requested_by: request.requested_by ?? null,
      image: runner === 'docker' ? (program.docker_image ?? config.settings.docker_image) : null,
      created_at: Date.now(),
    });
    // The execution is durable; its event need not hold the queue up.
    const queued = this.publish(execution);
    this.wake();
    await queued;
    return execution;
  }

  /** An execution; while it runs in this process, with the output it has printed so far. */
  async get(id: string): Promise<ExecutionRecord | null> {
    const execution = await this.options.store.getExecution(id);
    const local = this.local.get(id);
    if (!execution || !local || isFinished(execution.status)) return execution;
    const soFar = local.output.snapshot();
    return { ...execution, output: soFar.output, error_output: soFar.error_output };
  }

  async require(id: string): Promise<ExecutionRecord> {
    const execution = await this.get(id);
    if (!execution) throw new HookflowError('HF_ERR_NOT_FOUND', `no execution ${id}`, { where: 'execution_id' });
    return execution;
  }

  async list(query: ExecutionQuery): Promise<{ executions: ExecutionRecord[]; total: number }> {
    const { limit, offset, ...filters } = query;
    const [executions, total] = await Promise.all([this.options.store.listExecutions({ ...filters, limit, offset }), this.options.store.countExecutions(filters)]);
    return { executions, total };
  }

  queuePosition(id: string): Promise<number | null> {
    return this.options.store.queuePosition(id);
  }

  running(): Promise<ExecutionRecord[]> {
    return this.options.store.listRunningExecutions();
  }

  counts() {
    return this.options.store.countExecutionsByStatusAndProgram();
  }

  /** Cancels a queued execution at once, a running one by stopping it (here or in the process running it). */
  async cancel(id: string, reason = 'canceled by request'): Promise<ExecutionRecord> {
    const answer = await this.options.store.cancelExecution(id, Date.now(), reason);
    if (!answer) throw new HookflowError('HF_ERR_NOT_FOUND', `no execution ${id}`, { where: 'execution_id' });
    if (answer.state === 'finished') {
      throw new HookflowError('HF_ERR_CONFLICT', `execution ${id} already ended ${answer.execution.status}`, { where: 'execution_id' });
    }
    if (answer.state === 'canceled') {
      await this.publish(answer.execution);
      this.notify(answer.execution);
    } else {
      this.local.get(id)?.controller.abort();
    }
    return answer.execution;
  }

  /** Deletes finished executions by age and count (the settings' retention unless given). */
  cleanup(rule?: Partial<ExecutionRetention>): Promise<number> {
    const settings = this.config().settings;
    return this.options.store.deleteFinishedExecutions({
      endedBefore: rule?.endedBefore !== undefined ? rule.endedBefore : settings.retention_days !== null ? Date.now() - settings.retention_days * 86_400_000 : null,
      keepLast: rule?.keepLast !== undefined ? rule.keepLast : settings.retention_count,
      program_id: rule?.program_id ?? null,
    });
  }

  /** settings.retention_days / retention_count, when set: applied at start and every 10 minutes. */
  async applyRetention(): Promise<number> {
    const { retention_days: days, retention_count: count } = this.config().settings;
    if (days === null && count === null) return 0;
    return this.cleanup();
  }

  /**
   * Follows an execution: what it printed so far, then its output as it comes (when it runs in
   * this process; from another process, its output when it ends), then its final record.
   * Returns a function that stops following.
   */
  async follow(id: string, listener: (message: ExecutionStreamMessage) => void): Promise<() => void> {
    const execution = await this.require(id);
    let stopped = false;
    const stop = () => {
      stopped = true;
    };
    const local = this.local.get(id);
    if (local) {
      const snapshot = local.output.snapshot();
      if (snapshot.output) listener({ type: 'output', stream: 'stdout', text: snapshot.output });
      if (snapshot.error_output) listener({ type: 'output', stream: 'stderr', text: snapshot.error_output });
      const forward = (message: ExecutionStreamMessage) => {
        if (!stopped) listener(message);
      };
      local.listeners.add(forward);
      return () => {
        stop();
        local.listeners.delete(forward);
      };
    }
    if (isFinished(execution.status)) {
      if (execution.output) listener({ type: 'output', stream: 'stdout', text: execution.output });
      if (execution.error_output) listener({ type: 'output', stream: 'stderr', text: execution.error_output });
      listener({ type: 'status', execution });
      return stop;
    }
    listener({ type: 'status', execution });
    // Queued, or running elsewhere: when it starts here, the follower gets all of its output;
    // until then (and for a run in another process) the store is polled.
    let adopted = false;
    const forward = (message: ExecutionStreamMessage) => {
      adopted = true;
      if (!stopped) listener(message);
    };
    const waiting = this.followers.get(id) ?? new Set();
    waiting.add(forward);
    this.followers.set(id, waiting);
    void this.pollUntilFinished(id, execution.status, listener, () => stopped || adopted);
    return () => {
      stop();
      waiting.delete(forward);
      if (waiting.size === 0 && this.followers.get(id) === waiting) this.followers.delete(id);
      this.local.get(id)?.listeners.delete(forward);
    };
  }

  private async pollUntilFinished(id: string, status: string, listener: (message: ExecutionStreamMessage) => void, stopped: () => boolean): Promise<void> {
    let last = status;
    while (!stopped()) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (stopped()) return;
      const execution = await this.options.store.getExecution(id).catch(() => null);
      if (!execution) return;
      if (execution.status !== last || isFinished(execution.status)) {
        last = execution.status;
        if (isFinished(execution.status)) {
          if (execution.output) listener({ type: 'output', stream: 'stdout', text: execution.output });
          if (execution.error_output) listener({ type: 'output', stream: 'stderr', text: execution.error_output });
          listener({ type: 'status', execution });
          return;
        }
        listener({ type: 'status', execution });
      }
    }
  }

  /** Resolves when the execution has ended (polling the store; at once for this process's runs). */
  async waitFor(id: string, timeoutMs = 0): Promise<ExecutionRecord> {
    const until = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    for (;;) {
      const local = this.local.get(id);
      if (local) await local.done;
      const execution = await this.require(id);
      if (isFinished(execution.status)) return execution;
      if (Date.now() > until) return execution;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  // ── running executions ─────────────────────────────────────────────────────────────────────

  /**
   * Starts running programs: watches config.yaml, takes executions from the queue and runs the
   * schedules (servers do; `program run` on the local store while it waits).
   */
  async start(options: { schedules?: boolean } = {}): Promise<void> {
    if (this.active) return;
    this.active = true;
    await this.options.catalog.start();
    const scheduler = options.schedules === false ? undefined : this.options.scheduler;
    if (scheduler) {
      scheduler.update(this.programs());
      this.options.catalog.on('reloaded', () => scheduler.update(this.programs()));
    }
    const every = (ms: number, work: () => Promise<unknown>, where: string) => {
      const timer = setInterval(() => void work().catch((error: unknown) => this.options.onError?.(error, where)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.pollMs ?? 500, async () => this.wake(), 'queue');
    this.renewTimer = setInterval(() => void this.renew().catch((error: unknown) => this.options.onError?.(error, 'lease renewal')), this.options.renewMs ?? 1_000);
    this.renewTimer.unref();
    every(this.options.reapMs ?? 5_000, () => this.reap(), 'lost executions');
    every(this.options.retentionMs ?? 600_000, () => this.applyRetention(), 'retention');
    void this.applyRetention().catch((error: unknown) => this.options.onError?.(error, 'retention'));
    this.options.catalog.on('reloaded', () => this.wake());
    void this.reap().catch((error: unknown) => this.options.onError?.(error, 'lost executions'));
    this.wake();
  }

  /** Stops claiming; running executions are stopped (canceled) unless they end within the deadline. */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.active = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.claiming;
    const runs = [...this.local.values()].map((run) => run.done);
    const timedOut = await Promise.race([Promise.all(runs).then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), deadlineMs).unref())]);
    if (timedOut) {
      for (const run of this.local.values()) run.controller.abort();
      this.shutdown.abort();
      await Promise.all([...this.local.values()].map((run) => run.done));
    }
    // Renewed until the last run ended: a lapsed lease would let another process fail it meanwhile.
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }

  /** Stops everything start() started, and the runners. */
  async close(deadlineMs = 10_000): Promise<void> {
    this.options.scheduler?.stop();
    await this.stop(deadlineMs);
    await this.options.catalog.close();
    await this.options.closeRunners?.();
  }

  /** Looks at the queue now (coalesced: one claim at a time, another after it when asked meanwhile). */
  wake(): void {
    if (!this.active) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = (async () => {
      do {
        this.claimAgain = false;
        try {
          await this.claim();
        } catch (error) {
          this.options.onError?.(error, 'claiming executions');
        }
      } while (this.claimAgain && this.active);
    })().finally(() => {
      this.claiming = null;
    });
  }

  private limits(): ClaimLimits {
    const config = this.config();
    const perProgram: Record<string, number> = {};
    for (const program of config.programs) if (program.max_concurrent !== null) perProgram[program.id] = program.max_concurrent;
    return { maxConcurrent: config.settings.max_concurrent_executions, perProgram, programs: this.programs().map((program) => program.id) };
  }

  private async claim(): Promise<void> {
    if (!this.active) return;
    const limits = this.limits();
    if (limits.programs !== null && limits.programs.length === 0) return;
    const claimed = await this.options.store.claimExecutions(this.owner, this.leaseMs, limits, Math.max(1, limits.maxConcurrent), Date.now());
    for (const execution of claimed) this.runClaimed(execution);
  }

  private runClaimed(execution: ExecutionRecord): void {
    const controller = new AbortController();
    const config = this.config();
    const program = config.programs.find((candidate) => candidate.id === execution.program_id);
    const output = new ExecutionOutput(config.settings.output_limit_bytes);
    const listeners = new Set<(message: ExecutionStreamMessage) => void>();
    output.onChunk((chunk: OutputChunk) => {
      for (const listener of listeners) listener({ type: 'output', stream: chunk.stream, text: chunk.text });
    });
    const run: LocalRun = { controller, output, listeners, done: Promise.resolve() };
    for (const follower of this.followers.get(execution.id) ?? []) listeners.add(follower);
    this.followers.delete(execution.id);
    this.local.set(execution.id, run);
    run.done = (async () => {
      const startedAt = execution.started_at ?? Date.now();
      // execution.started is published while the program starts; the end's event waits for it.
      const started = this.publish(execution);
      this.notify(execution);
      let result;
      if (!program) {
        result = { status: 'failed' as const, exit_code: null, error: `program ${execution.program_id} is no longer in ${config.file}`, details: {} };
      } else {
        try {
          result = await this.executor.run({ execution, program, config, output, signal: controller.signal, shutdown: this.shutdown.signal, startedAt });
        } catch (error) {
          result = { status: 'failed' as const, exit_code: null, error: `hookflow could not run it: ${errorMessage(error)}`, details: {} };
        }
      }
      await started;
      const kept = output.result();
      const ended = await this.options.store.finishExecution(execution.id, this.owner, {
        status: result.status,
        exit_code: result.exit_code,
        error: result.error,
        ...kept,
        details: result.details,
        ended_at: Date.now(),
      });
      if (ended) {
        await this.publish(ended);
        this.notify(ended);
      }
    })()
      .catch((error: unknown) => this.options.onError?.(error, `execution ${execution.id}`))
      .finally(() => {
        this.local.delete(execution.id);
        this.wake();
      });
  }

  private notify(execution: ExecutionRecord): void {
    const run = this.local.get(execution.id);
    if (!run) return;
    for (const listener of run.listeners) listener({ type: 'status', execution });
  }

  private async renew(): Promise<void> {
    if (this.local.size === 0) return;
    const { cancelRequested } = await this.options.store.renewExecutionLeases(this.owner, this.leaseMs, Date.now());
    for (const id of cancelRequested) this.local.get(id)?.controller.abort();
  }

  /** Executions whose process died end `failed`; their containers go. */
  private async reap(): Promise<void> {
    const lost = await this.options.store.failExpiredExecutions(Date.now(), LOST_MESSAGE);
    for (const execution of lost) {
      await this.publish(execution);
      await this.options.removeContainers?.(execution).catch((error: unknown) => this.options.onError?.(error, `removing containers of ${execution.id}`));
    }
    if (lost.length > 0) this.wake();
  }

  private async publish(execution: ExecutionRecord): Promise<void> {
    const duration = execution.started_at !== null && execution.ended_at !== null ? (execution.ended_at - execution.started_at) / 1000 : null;
    const data: JsonObject = {
      execution_id: execution.id,
      program_id: execution.program_id,
      program_name: execution.program_name,
      status: execution.status,
      runner: execution.runner,
      trigger: execution.trigger,
      exit_code: execution.exit_code,
      duration_seconds: duration,
      error: execution.error,
    };
    try {
      await this.options.publish({ type: executionEventType(execution.status), data, source: 'programs', correlation_id: execution.id });
    } catch (error) {
      this.options.onError?.(error, `publishing ${executionEventType(execution.status)}`);
    }
  }
}

/** Where executions keep files of their own (installed action dependencies). */
export function programsDirectory(home: string): string {
  return join(home, 'programs');
}
