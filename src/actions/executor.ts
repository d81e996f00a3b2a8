import { errorMessage } from '../errors.js';
import type { JsonObject, JsonValue } from '../events/model.js';
import type { ActionContext, ActionDefinition, ActionLogger, ActionOutcome, ActionResult, InvokeServiceOptions, PublishOptions, RefResolver } from './model.js';
import { outputProblems } from './outputs.js';
import { checkParams } from './params.js';

/** Default limit of one execution when neither the call nor the meta sets one. */
export const DEFAULT_ACTION_TIMEOUT_SECONDS = 300;
/** How long an event-driven action waits for its event when it does not say. */
export const DEFAULT_AWAIT_SECONDS = 3600;

/** What an action may reach outside itself; the caller (hook, workflow, CLI, API) provides it. */
export interface ActionServices {
  publish(type: string, data?: JsonObject, options?: PublishOptions): Promise<string>;
  invokeService(appId: string, methodPath: string, options?: InvokeServiceOptions): Promise<JsonValue>;
}

/** Renders templates in params (src/actions/templates.ts); identity when there is nothing to render. */
export type ParamRenderer = (params: JsonObject) => JsonObject;

export interface ActionRunRequest {
  definition: ActionDefinition;
  /** Params as written: may hold templates. */
  params: JsonObject;
  render?: ParamRenderer;
  services: ActionServices;
  stepId?: string;
  executionId?: string;
  workflowParams?: JsonObject;
  stepOutputs?: Record<string, JsonObject>;
  retryCount?: number;
  metadata?: JsonObject;
  /** Overrides the meta's timeout. */
  timeoutSeconds?: number;
  /** A missing or mistyped declared output fails the run instead of warning. */
  strictOutputs?: boolean;
  /** Cancels the run (the action sees ctx.signal aborted). */
  signal?: AbortSignal;
  /** Receives each log line as it is written (a hook's output, a step's log). */
  onLog?: (line: string) => void;
  /** Resolvers of reference types (`model_ref`): a ref param's id becomes what it names. */
  resolvers?: ReadonlyMap<string, RefResolver>;
}

function collectingLogger(lines: string[], onLog?: (line: string) => void): ActionLogger {
  const write = (level: string) => (message: string, fields?: JsonObject) => {
    const line = `[${level}] ${message}${fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}`;
    lines.push(line);
    onLog?.(line);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

class ActionTimeout extends Error {}

/**
 * Runs one action through the full path: params validated (templates allowed), rendered,
 * validated again, executed under its timeout (ctx.signal aborts), outputs checked against the
 * meta. Never throws: bad params, a thrown error, a timeout are all failed outcomes with a message.
 */
export async function runAction(request: ActionRunRequest): Promise<ActionOutcome> {
  const { definition } = request;
  const { meta } = definition;
  const started = performance.now();
  const stages = { validate: 0, render: 0, execute: 0, outputs: 0 };
  const lines: string[] = [];
  const outcome = (fields: Partial<ActionOutcome> & Pick<ActionOutcome, 'status' | 'success'>): ActionOutcome => ({
    outputs: {},
    error: null,
    warnings: [],
    awaitingEvent: false,
    externalWorkflowId: null,
    deadline: null,
    durationMs: performance.now() - started,
    stages,
    log: lines,
    ...fields,
  });

  let params: JsonObject;
  try {
    let mark = performance.now();
    checkParams(definition, request.params, { templatesUnresolved: true, where: `${meta.type} params` });
    stages.validate += performance.now() - mark;
    mark = performance.now();
    const rendered = request.render ? request.render(request.params) : request.params;
    stages.render = performance.now() - mark;
    mark = performance.now();
    params = checkParams(definition, rendered, { where: `${meta.type} params` });
    stages.validate += performance.now() - mark;
  } catch (error) {
    return outcome({ status: 'failed', success: false, error: errorMessage(error) });
  }

  const timeoutSeconds = request.timeoutSeconds ?? meta.timeoutSeconds ?? DEFAULT_ACTION_TIMEOUT_SECONDS;
  const controller = new AbortController();
  for (const param of meta.params) {
    const resolve = request.resolvers?.get(param.type);
    const id = params[param.name];
    if (!resolve || typeof id !== 'string') continue;
    try {
      params[param.name] = await resolve(id, { signal: controller.signal });
    } catch (error) {
      return outcome({ status: 'failed', success: false, error: `${meta.type} params: ${param.name} (${param.type}) "${id}" could not be resolved: ${errorMessage(error)}` });
    }
  }
  const onCancel = () => controller.abort(request.signal?.reason ?? new Error('cancelled'));
  if (request.signal?.aborted) onCancel();
  request.signal?.addEventListener('abort', onCancel, { once: true });
  const stepOutputs = request.stepOutputs ?? {};
  const ctx: ActionContext = {
    stepId: request.stepId ?? meta.type,
    executionId: request.executionId ?? '',
    params,
    workflowParams: request.workflowParams ?? {},
    stepOutputs,
    timeoutSeconds,
    retryCount: request.retryCount ?? 0,
    metadata: request.metadata ?? {},
    signal: controller.signal,
    log: collectingLogger(lines, request.onLog),
    invokeService: (appId, methodPath, options) =>
      request.services.invokeService(appId, methodPath, { ...options, timeoutSeconds: options?.timeoutSeconds ?? timeoutSeconds, signal: options?.signal ?? controller.signal }),
    publish: (type, data, options) => request.services.publish(type, data ?? {}, options),
    getStepOutput: (stepId, key) => stepOutputs[stepId]?.[key],
  };

  let timer: NodeJS.Timeout | undefined;
  let result: ActionResult;
  const mark = performance.now();
  try {
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new ActionTimeout(`${meta.type} exceeded its timeout of ${timeoutSeconds} s`));
        reject(controller.signal.reason);
      }, timeoutSeconds * 1000);
    });
    const cancelled = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(controller.signal.reason);
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    result = await Promise.race([Promise.resolve().then(() => definition.execute(ctx)), timedOut, cancelled]);
  } catch (error) {
    stages.execute = performance.now() - mark;
    await cleanup(definition, ctx, lines);
    if (error instanceof ActionTimeout) return outcome({ status: 'timeout', success: false, error: error.message });
    if (controller.signal.aborted && !(error instanceof ActionTimeout) && error === controller.signal.reason) {
      return outcome({ status: 'cancelled', success: false, error: `${meta.type} was cancelled: ${errorMessage(error)}` });
    }
    return outcome({ status: 'failed', success: false, error: errorMessage(error) || `${meta.type} failed` });
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onCancel);
  }
  stages.execute = performance.now() - mark;

  if (typeof result !== 'object' || result === null || typeof result.success !== 'boolean') {
    return outcome({ status: 'failed', success: false, error: `${meta.type} returned ${JSON.stringify(result) ?? 'nothing'}, not {success, outputs?, error?}` });
  }
  const outputs = result.outputs ?? {};
  const checkMark = performance.now();
  const problems = outputProblems(meta, outputs, { success: result.success });
  stages.outputs = performance.now() - checkMark;
  if (result.awaitingEvent) {
    if (!result.success || !result.externalWorkflowId) {
      return outcome({ status: 'failed', success: false, outputs, error: `${meta.type} asked to wait for an event without success and an externalWorkflowId` });
    }
    const waitSeconds = result.timeoutSeconds ?? meta.timeoutSeconds ?? DEFAULT_AWAIT_SECONDS;
    return outcome({
      status: 'running',
      success: true,
      outputs,
      warnings: problems,
      awaitingEvent: true,
      externalWorkflowId: String(result.externalWorkflowId),
      deadline: Date.now() + waitSeconds * 1000,
    });
  }
  if (request.strictOutputs && problems.length > 0 && result.success) {
    return outcome({ status: 'failed', success: false, outputs, warnings: problems, error: `${meta.type} broke its output contract: ${problems.join('; ')}` });
  }
  return outcome({
    status: result.success ? 'completed' : 'failed',
    success: result.success,
    outputs,
    error: result.success ? null : (result.error ?? `${meta.type} failed`),
    warnings: problems,
  });
}

async function cleanup(definition: ActionDefinition, ctx: ActionContext, lines: string[]): Promise<void> {
  if (!definition.cleanup) return;
  try {
    await definition.cleanup(ctx);
  } catch (error) {
    lines.push(`[warn] cleanup failed: ${errorMessage(error)}`);
  }
}
