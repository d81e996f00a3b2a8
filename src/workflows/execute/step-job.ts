import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runAction, type ActionServices } from '../../actions/executor.js';
import type { ActionDefinition, ActionOutcome, RefResolver } from '../../actions/model.js';
import type { ActionRegistry } from '../../actions/registry.js';
import { evaluateCondition, renderParams } from '../../actions/templates.js';
import { errorMessage } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../events/model.js';
import type { JobModel } from '../model.js';
import { workflowTemplateContext } from './template-context.js';

/**
 * One typed-action job run to its end: a DAG step (BudPipeline's semantics) or a Torc job with
 * `action:`. A step's condition comes first (false → skipped); then its params are rendered over
 * the run's params and the upstream steps' outputs (BudPipeline typing) and the action runs under
 * its timeout. An event-driven action's awaiting outcome is handed to ctx.settle, and the final
 * outcome it brings back is treated like a synchronous one, so conditions, retries and on_failure
 * apply after an event-driven step too (BudPipeline ignored them there).
 */

export type ActionJobOutcome = 'completed' | 'failed' | 'timeout' | 'canceled' | 'skipped';

export interface ActionJobContext {
  registry: ActionRegistry;
  services: ActionServices;
  /** The run's parameters (a Torc job gets none: its templates see `params` as {}). */
  workflowParams: JsonObject;
  /** Outputs of the upstream steps, by step id (Torc: by job name). */
  stepOutputs: Record<string, JsonObject>;
  stepStatuses: Record<string, string>;
  signal: AbortSignal;
  /** null: the action's own (meta) timeout, else the executor's default. */
  timeoutSeconds: number | null;
  /** Log lines are appended here (the directory is created when missing). */
  logPath: string;
  /** 1 on the first attempt. */
  attempt: number;
  executionId: string;
  /** Parks an awaiting outcome and resolves with its final one (settleOutcome's shape). */
  settle?: (outcome: ActionOutcome, params: JsonObject) => Promise<ActionOutcome>;
  /** Resolvers of reference params (default: the registry's). */
  resolvers?: ReadonlyMap<string, RefResolver>;
}

export interface ActionJobResult {
  outcome: ActionJobOutcome;
  /** The action's outputs when it completed or failed; null when skipped, canceled or timed out. */
  outputs: JsonObject | null;
  error: string | null;
  /** Steps a `conditional` step did not take: the targets of its other branches. */
  skip_steps: string[];
  /** The last 4 KiB of what this attempt wrote to its log. */
  log_tail: string;
}

export const LOG_TAIL_CHARS = 4096;

/**
 * The steps a conditional did not take: every branch's target_step other than the taken one
 * (all of them when no branch matched). Without branches (the two-way form) nothing is skipped.
 */
export function untakenBranchTargets(params: JsonObject, outputs: JsonObject): string[] {
  const branches = Array.isArray(params.branches) ? params.branches : [];
  const taken = typeof outputs.target_step === 'string' ? outputs.target_step : null;
  const skipped = new Set<string>();
  for (const branch of branches) {
    const target = targetOf(branch);
    if (target !== null && target !== taken) skipped.add(target);
  }
  return [...skipped];
}

function targetOf(branch: JsonValue): string | null {
  if (typeof branch !== 'object' || branch === null || Array.isArray(branch)) return null;
  const target = branch.target_step;
  return typeof target === 'string' && target.trim() !== '' ? target : null;
}

/** Appends the attempt's lines to the job's log, opened on the first line, and keeps a tail. */
class StepLog {
  private stream: WriteStream | null = null;
  private failure: string | null = null;
  private tail = '';

  constructor(private readonly path: string) {}

  async open(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      this.stream = createWriteStream(this.path, { flags: 'a' });
      this.stream.on('error', (error) => {
        this.failure = errorMessage(error);
      });
    } catch (error) {
      this.failure = errorMessage(error);
    }
  }

  write(line: string): void {
    const text = `${new Date().toISOString()} ${line}\n`;
    this.tail = (this.tail + text).slice(-LOG_TAIL_CHARS);
    this.stream?.write(text);
  }

  async close(): Promise<string> {
    const stream = this.stream;
    if (stream && !stream.destroyed) await new Promise<void>((done) => stream.end(done));
    // A log that could not be written must not fail the job; the tail says why it is missing.
    if (this.failure) this.tail = `${this.tail}[log] ${this.path} could not be written: ${this.failure}\n`.slice(-LOG_TAIL_CHARS);
    return this.tail;
  }
}

const OUTCOME_OF: Partial<Record<ActionOutcome['status'], ActionJobOutcome>> = {
  completed: 'completed',
  failed: 'failed',
  timeout: 'timeout',
  cancelled: 'canceled',
};

export async function runActionJob(job: JobModel, ctx: ActionJobContext): Promise<ActionJobResult> {
  const stepId = job.step?.id ?? job.name;
  const log = new StepLog(ctx.logPath);
  await log.open();
  const end = async (outcome: ActionJobOutcome, fields: { outputs?: JsonObject | null; error?: string | null; skip_steps?: string[] } = {}): Promise<ActionJobResult> => {
    log.write(`[hookflow] ${outcome}${fields.error ? `: ${fields.error}` : ''}`);
    return { outcome, outputs: fields.outputs ?? null, error: fields.error ?? null, skip_steps: fields.skip_steps ?? [], log_tail: await log.close() };
  };

  const actionType = job.action;
  if (actionType === null) return end('failed', { error: `job ${job.index} (${job.name}) has no action to run` });
  log.write(`[hookflow] ${job.step ? `step ${stepId}` : `job ${job.name}`}: ${actionType}, attempt ${ctx.attempt}`);
  let definition: ActionDefinition;
  try {
    definition = ctx.registry.get(actionType);
  } catch (error) {
    return end('failed', { error: errorMessage(error) });
  }

  const workflowParams = job.step ? ctx.workflowParams : {};
  const context = workflowTemplateContext(workflowParams, ctx.stepOutputs, ctx.stepStatuses);
  if (job.step) {
    try {
      if (!evaluateCondition(job.step.condition, context, { where: `steps.${stepId}.condition` })) {
        log.write(`[hookflow] condition ${JSON.stringify(job.step.condition)} is false`);
        return end('skipped');
      }
    } catch (error) {
      return end('failed', { error: errorMessage(error) });
    }
  }
  if (ctx.signal.aborted) return end('canceled', { error: 'canceled before it started' });

  const written = job.params ?? {};
  let rendered: JsonObject | null = null;
  let outcome = await runAction({
    definition,
    params: written,
    render: (params) => (rendered = renderParams(params, context, { where: `steps.${stepId}.params` })),
    services: ctx.services,
    stepId,
    executionId: ctx.executionId,
    workflowParams,
    stepOutputs: ctx.stepOutputs,
    retryCount: Math.max(0, ctx.attempt - 1),
    metadata: { job_index: job.index, job_name: job.name, attempt: ctx.attempt },
    ...(ctx.timeoutSeconds === null ? {} : { timeoutSeconds: ctx.timeoutSeconds }),
    signal: ctx.signal,
    onLog: (line) => log.write(line),
    resolvers: ctx.resolvers ?? ctx.registry.resolvers(),
  });
  for (const warning of outcome.warnings) log.write(`[warn] ${warning}`);
  const params: JsonObject = rendered ?? written;

  if (outcome.awaitingEvent) {
    const deadline = outcome.deadline === null ? '' : ` until ${new Date(outcome.deadline).toISOString()}`;
    log.write(`[hookflow] waiting for an event with id ${outcome.externalWorkflowId ?? '?'}${deadline}`);
    if (!ctx.settle) return end('failed', { outputs: outcome.outputs, error: `${actionType} waits for an event, but this worker cannot park it` });
    try {
      outcome = await ctx.settle(outcome, params);
    } catch (error) {
      if (ctx.signal.aborted) return end('canceled', { error: `canceled while waiting for its event: ${errorMessage(error)}` });
      return end('failed', { error: `waiting for its event failed: ${errorMessage(error)}` });
    }
    if (outcome.awaitingEvent) return end('failed', { outputs: outcome.outputs, error: `${actionType} was still waiting for its event when its wait ended` });
  }

  const status = OUTCOME_OF[outcome.status];
  if (status === undefined) return end('failed', { error: `${actionType} ended ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}` });
  switch (status) {
    case 'completed':
      return end('completed', { outputs: outcome.outputs, skip_steps: actionType === 'conditional' ? untakenBranchTargets(params, outcome.outputs) : [] });
    case 'failed':
      return end('failed', { outputs: outcome.outputs, error: outcome.error ?? `${actionType} failed` });
    default:
      return end(status, { error: outcome.error });
  }
}
