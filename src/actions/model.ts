import type { JsonObject, JsonValue } from '../events/model.js';

/**
 * The action contract: BudPipeline's ActionMeta / executor / results, in TypeScript. An action is
 * a typed, registered unit of work run from hooks, pipeline steps, workflow jobs and workflow
 * actions. Everything here is data or a signature; behaviour lives in the modules next to it.
 */

export type ExecutionMode = 'sync' | 'event_driven';

export const PARAM_TYPES = ['string', 'number', 'boolean', 'select', 'multiselect', 'json', 'template', 'branches', 'range'] as const;
/** The plain types, or a reference type (`model_ref`, `cluster_ref`, … any `*_ref`). */
export type ParamType = (typeof PARAM_TYPES)[number] | `${string}_ref`;

export interface SelectOption {
  label: string;
  value: JsonValue;
}

export interface ParamValidation {
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  patternMessage?: string;
}

export interface ShowWhen {
  param: string;
  equals?: JsonValue;
  notEquals?: JsonValue;
}

export interface ParamDefinition {
  name: string;
  label?: string;
  type: ParamType;
  required?: boolean;
  default?: JsonValue;
  description?: string;
  placeholder?: string;
  options?: SelectOption[];
  validation?: ParamValidation;
  group?: string;
  /** Shown (and required) only when another param has, or has not, a value. */
  showWhen?: ShowWhen;
}

export const OUTPUT_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'json', 'any'] as const;
export type OutputType = (typeof OUTPUT_TYPES)[number];

export interface OutputDefinition {
  name: string;
  type: OutputType;
  description?: string;
}

export interface RetryPolicy {
  maxAttempts: number;
  initialIntervalSeconds: number;
  backoffMultiplier: number;
  maxIntervalSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, initialIntervalSeconds: 1, backoffMultiplier: 2, maxIntervalSeconds: 60 };

export interface ActionExample {
  title: string;
  params: JsonObject;
  description?: string;
}

export interface ActionMeta {
  /** snake_case, unique in the registry. */
  type: string;
  /** semver */
  version: string;
  name: string;
  description: string;
  category: string;
  icon?: string;
  /** #rrggbb for the UI */
  color?: string;
  executionMode: ExecutionMode;
  timeoutSeconds?: number;
  retryPolicy?: RetryPolicy;
  idempotent: boolean;
  requiredServices?: string[];
  requiredPermissions?: string[];
  params: ParamDefinition[];
  outputs: OutputDefinition[];
  examples?: ActionExample[];
  docsUrl?: string;
}

export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'timeout' | 'skipped' | 'retrying' | 'cancelled';

export interface ActionLogger {
  debug(message: string, fields?: JsonObject): void;
  info(message: string, fields?: JsonObject): void;
  warn(message: string, fields?: JsonObject): void;
  error(message: string, fields?: JsonObject): void;
}

export interface InvokeServiceOptions {
  method?: string;
  data?: JsonValue;
  query?: Record<string, string | number | boolean>;
  timeoutSeconds?: number;
  /** Aborts the call (the run's own signal is passed when none is given). */
  signal?: AbortSignal;
}

export interface PublishOptions {
  stack?: string | null;
  correlationId?: string | null;
}

export interface ActionContext {
  stepId: string;
  executionId: string;
  /** Params after template resolution and validation, defaults applied. */
  params: JsonObject;
  workflowParams: JsonObject;
  /** Outputs of the steps before this one, by step id. */
  stepOutputs: Record<string, JsonObject>;
  timeoutSeconds: number;
  /** 0 on the first attempt. */
  retryCount: number;
  metadata: JsonObject;
  /** Aborted on timeout or cancel: pass it to every long wait. */
  signal: AbortSignal;
  log: ActionLogger;
  /** BudPipeline's service invocation (Dapr-style, or a base URL per app id from the configuration). */
  invokeService(appId: string, methodPath: string, options?: InvokeServiceOptions): Promise<JsonValue>;
  /** Publishes an event; resolves with its id once durable. */
  publish(type: string, data?: JsonObject, options?: PublishOptions): Promise<string>;
  getStepOutput(stepId: string, key: string): JsonValue | undefined;
}

export interface ActionResult {
  success: boolean;
  outputs?: JsonObject;
  error?: string | null;
  /** The step waits for an event carrying externalWorkflowId (requires success). */
  awaitingEvent?: boolean;
  externalWorkflowId?: string | null;
  /** How long to wait for that event. */
  timeoutSeconds?: number;
}

export interface EventContext {
  stepExecutionId: string;
  executionId: string;
  externalWorkflowId: string;
  eventType: string;
  eventData: JsonObject;
  /** The outputs the step had when it parked. */
  stepOutputs: JsonObject;
  params: JsonObject;
  log: ActionLogger;
}

export type EventAction = 'complete' | 'update_progress' | 'ignore';

export interface EventResult {
  action: EventAction;
  /** With complete: completed or failed (default completed). */
  status?: 'completed' | 'failed';
  outputs?: JsonObject;
  error?: string | null;
  /** 0–100; with update_progress, progress or etaMinutes is required. */
  progress?: number;
  etaMinutes?: number;
}

/** A registered action: its meta and its executor. */
export interface ActionDefinition {
  meta: ActionMeta;
  execute(ctx: ActionContext): Promise<ActionResult> | ActionResult;
  onEvent?(ctx: EventContext): Promise<EventResult> | EventResult;
  /** Extra checks after the schema's; returns problems (field + message), empty when fine. */
  validateParams?(params: JsonObject): Array<{ field: string; message: string }>;
  cleanup?(ctx: ActionContext): Promise<void> | void;
}

/**
 * Turns the id a reference param holds (`model_ref: "m-42"`) into what it names, before the
 * action runs; throws (with a message for people) when it names nothing. Action packages export
 * them as `resolvers: { model_ref: … }`.
 */
export type RefResolver = (id: string, ctx: { signal: AbortSignal }) => Promise<JsonValue> | JsonValue;

/** Identity with types: what plugins and built-ins export. */
export function defineAction(definition: ActionDefinition): ActionDefinition {
  return definition;
}

/** The outcome of one run, whatever happened (an exception is a failed outcome, never a throw). */
export interface ActionOutcome {
  status: StepStatus;
  success: boolean;
  outputs: JsonObject;
  error: string | null;
  /** Output-check findings (warnings unless strict). */
  warnings: string[];
  awaitingEvent: boolean;
  externalWorkflowId: string | null;
  /** For awaiting outcomes: when the wait ends (epoch ms). */
  deadline: number | null;
  durationMs: number;
  /** Where the time went, ms: params validation, template rendering, the action itself, the output check. */
  stages: { validate: number; render: number; execute: number; outputs: number };
  /** Log lines the action wrote through ctx.log. */
  log: string[];
}
