/**
 * A small typed client for hookflow's HTTP API. The shapes mirror src/records-json.ts and the
 * route schemas in src/server/routes/ (the UI is built separately, so they are restated here).
 */
import { SOURCE_ROUTES } from './lib/source-routes.js';
import { clearSession, currentSession } from './session.js';

export type Role = 'admin' | 'operator' | 'viewer';
export type EventStatus = 'pending' | 'processing' | 'completed' | 'failed';
export type JsonObject = Record<string, unknown>;

export interface ExecutionJson {
  event_id?: string;
  hook_name: string;
  success: boolean;
  output: string;
  error: string | null;
  duration_ms: number;
  executed_at: string | null;
  attempt: number;
}

export interface EventJson {
  id: string;
  type: string;
  stack: string | null;
  source: string;
  status: EventStatus;
  data: JsonObject;
  error: string | null;
  attempts: number;
  created_at: string | null;
  processed_at: string | null;
  correlation_id: string | null;
  idempotency_key: string | null;
  parent_id: string | null;
}

export interface EventWithExecutions extends EventJson {
  executions: ExecutionJson[];
}

export interface HookJson {
  name: string;
  description: string;
  events: string[];
  stack: string | null;
  filter: string | null;
  runtime: 'lua' | 'js' | 'commands';
  source: string | null;
  commands: string[] | null;
  cwd: string | null;
  timeout_ms: number;
  memory_mb: number;
  enabled: boolean;
  retry: { max_attempts: number; backoff_ms: number; backoff_multiplier: number };
  created_at: string | null;
  updated_at: string | null;
  last_run: string | null;
  run_count: number;
}

export interface HookSource {
  name: string;
  runtime: string;
  language: string;
  path: string | null;
  text: string;
}

export interface HookTestAnswer {
  hook: string;
  event: EventJson;
  success: boolean;
  output: string;
  error: string | null;
  duration_ms: number;
  dry_run: unknown;
}

export interface LoginAnswer {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  username: string;
  role: Role;
}

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
  uptime_s: number;
  store: { kind: string; reachable: boolean; latency_ms: number; error?: string };
  dispatcher: { state: string; concurrency: number };
}

export interface SecretInfo {
  name: string;
  created_at: string;
  updated_at: string;
}

export interface UserJson {
  username: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

export interface TokenJson {
  id: string;
  name: string;
  role: Role;
  created_by: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** A webhook endpoint, schedule or file watcher (src/sources/json.ts). */
export interface SourceJson {
  kind: 'webhook' | 'schedule' | 'watcher';
  name: string;
  enabled: boolean;
  config: JsonObject;
  created_at: string;
  updated_at: string;
  /** schedules */
  next_run?: string | null;
  last_run?: string | null;
  /** webhooks: where deliveries are posted */
  url?: string;
}

export type SourceKind = SourceJson['kind'];

/** An action in the catalogue (GET /actions; src/server/routes/actions.ts). */
export interface ActionSummaryJson {
  type: string;
  version: string;
  name: string;
  description: string;
  category: string;
  icon: string | null;
  color: string | null;
  executionMode: 'sync' | 'event_driven';
  source: string;
}

export interface ActionCatalogue {
  actions: ActionSummaryJson[];
  categories: string[];
  plugin_failures: Array<{ source: string; error: string }>;
}

/** An action's meta as registered (src/actions/model.ts ActionMeta); `params` are read from `schema` instead. */
export interface ActionMetaJson {
  type: string;
  version: string;
  name: string;
  description: string;
  category: string;
  icon?: string;
  color?: string;
  executionMode: 'sync' | 'event_driven';
  timeoutSeconds?: number;
  retryPolicy?: { maxAttempts: number; initialIntervalSeconds: number; backoffMultiplier: number; maxIntervalSeconds: number };
  idempotent: boolean;
  requiredServices?: string[];
  requiredPermissions?: string[];
  outputs: Array<{ name: string; type: string; description?: string }>;
  examples?: Array<{ title: string; params: JsonObject; description?: string }>;
  docsUrl?: string;
}

export interface ActionDescription {
  meta: ActionMetaJson;
  source: string;
  /** The params as JSON Schema (draft 2020-12) with UI hints under each property's `x-hookflow`. */
  schema: JsonObject;
}

export interface ActionRunAnswer {
  success: boolean;
  status: string;
  outputs: JsonObject;
  error: string | null;
  warnings: string[];
  log: string[];
  duration_ms: number;
  awaiting_event: boolean;
  external_workflow_id: string | null;
}

/** Workflows (src/workflows/views.ts; src/server/routes/workflows.ts). Times are ISO-8601. */
export type WorkflowStatus = 'running' | 'completed' | 'failed' | 'canceled';
export type JobStatus =
  | 'uninitialized'
  | 'blocked'
  | 'ready'
  | 'pending'
  | 'running'
  | 'completed'
  | 'failed'
  | 'canceled'
  | 'terminated'
  | 'disabled'
  | 'skipped'
  | 'timeout'
  | 'retrying';

export interface WorkflowJson {
  id: string;
  name: string;
  format: 'torc' | 'dag';
  status: WorkflowStatus;
  run: number;
  user: string | null;
  description: string | null;
  params: JsonObject;
  /** A DAG's resolved outputs once it has ended. */
  outputs: JsonObject | null;
  output_dir: string;
  created_by: string | null;
  job_count: number;
  error: string | null;
  created_at: string | null;
  updated_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  /** Jobs per state: GET /workflows/{id} has them; the list's rows do not (yet). */
  counts?: Partial<Record<JobStatus, number>>;
}

export interface WorkflowJobJson {
  index: number;
  name: string;
  status: JobStatus;
  exit_code: number | null;
  attempts: number;
  worker_id: string | null;
  started_at: string | null;
  ended_at: string | null;
  run: number;
  error: string | null;
  /** Indexes of the jobs it waits for (an older server leaves them out: the graph's dot text has them). */
  depends_on?: number[];
}

/** What a job runs, as compiled (src/workflows/model.ts JobModel; the fields the UI reads). */
export interface WorkflowJobSpec {
  command: string | null;
  action: string | null;
  params: JsonObject | null;
  depends_on: number[];
  [field: string]: unknown;
}

export interface WorkflowJobDetail extends WorkflowJobJson {
  workflow_id: string;
  step_id: string | null;
  ready_at: string | null;
  lease_expires_at: string | null;
  outputs: JsonObject | null;
  stdout_tail: string | null;
  stderr_tail: string | null;
  cancel_requested: boolean;
  spec: WorkflowJobSpec;
}

export interface WorkflowActionExecutionJson {
  id: string;
  run: number;
  worker_id: string;
  /** null while it runs. */
  success: boolean | null;
  result: JsonObject | null;
  error: string | null;
  started_at: string | null;
  ended_at: string | null;
}

export interface WorkflowActionJson {
  index: number;
  trigger_type: string;
  action_type: string;
  persistent: boolean;
  /** Names of the selected jobs. */
  selected_jobs: string[];
  selected_job_indexes: number[];
  required_triggers: number;
  trigger_count: number;
  status: 'waiting' | 'pending' | 'running' | 'done' | 'failed';
  fields: JsonObject;
  executions: WorkflowActionExecutionJson[];
}

export interface JobLogChunk {
  offset: number;
  text: string;
}

export interface WorkflowQuery {
  status?: string;
  before?: string;
  limit?: number;
}

export interface EventQuery {
  type?: string;
  status?: string;
  stack?: string;
  since?: string;
  before?: string;
  limit?: number;
}

/** An error answer of the API (`{error: {code, message, details}}`), or a failure to reach it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The server has no such route (an older server, or a feature not built yet). */
  get routeMissing(): boolean {
    return this.status === 404 && this.message.startsWith('no route ');
  }

  get hint(): string | null {
    return typeof this.details.hint === 'string' ? this.details.hint : null;
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when the server refuses the session (expired or revoked): the app goes back to login. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function queryString(query: Record<string, string | number | boolean | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's page, say): the status line is all there is.
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (error && typeof error.message === 'string') {
    const details = error.details && typeof error.details === 'object' ? (error.details as Record<string, unknown>) : {};
    return new ApiError(response.status, typeof error.code === 'string' ? error.code : 'HF_ERR_UNKNOWN', error.message, details);
  }
  return new ApiError(response.status, 'HF_ERR_HTTP', `${response.status} ${response.statusText || 'error'}`);
}

export async function request<T>(method: string, path: string, body?: unknown, options: { auth?: boolean; accept?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
  const session = currentSession();
  if (options.auth !== false && session) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, 'HF_ERR_NETWORK', `the server cannot be reached: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && options.auth !== false && session) {
      clearSession();
      for (const listener of unauthorizedListeners) listener();
    }
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  return (type.includes('json') ? await response.json() : await response.text()) as T;
}

const path = (strings: TemplateStringsArray, ...names: string[]) => strings.reduce((out, part, index) => out + part + (index < names.length ? encodeURIComponent(names[index]) : ''), '');

export const api = {
  login: (username: string, password: string) => request<LoginAnswer>('POST', '/auth/login', { username, password }, { auth: false }),
  me: () => request<{ kind: string; name: string; role: Role }>('GET', '/auth/me'),
  health: () => request<Health>('GET', '/health', undefined, { auth: false }),
  metrics: () => request<string>('GET', '/metrics', undefined, { accept: 'text/plain' }),

  events: (query: EventQuery = {}) => request<{ events: EventJson[]; next_cursor: string | null }>('GET', `/events${queryString({ ...query })}`),
  event: (id: string) => request<EventWithExecutions>('GET', path`/events/${id}`),
  replay: (id: string) => request<{ event: EventJson }>('POST', path`/events/${id}/replay`),
  deleteEvent: (id: string) => request<void>('DELETE', path`/events/${id}`),
  publish: (input: { type: string; data?: JsonObject; stack?: string | null }) => request<{ event: EventWithExecutions; created: boolean }>('POST', '/events', input),

  hooks: () => request<{ hooks: HookJson[] }>('GET', '/hooks'),
  hook: (name: string) => request<HookJson>('GET', path`/hooks/${name}`),
  hookSource: (name: string) => request<HookSource>('GET', path`/hooks/${name}/source`),
  hookHistory: (name: string, options: { limit?: number; only_failed?: boolean } = {}) =>
    request<{ executions: ExecutionJson[] }>('GET', `${path`/hooks/${name}/history`}${queryString(options)}`),
  setHookEnabled: (name: string, enabled: boolean) => request<HookJson>('POST', `${path`/hooks/${name}`}/${enabled ? 'enable' : 'disable'}`),
  deleteHook: (name: string) => request<void>('DELETE', path`/hooks/${name}`),
  testHook: (name: string, body: { data?: JsonObject; type?: string; stack?: string | null }) => request<HookTestAnswer>('POST', path`/hooks/${name}/test`, body),

  secrets: () => request<{ secrets: SecretInfo[] }>('GET', '/secrets'),
  setSecret: (name: string, value: string) => request<SecretInfo>('PUT', path`/secrets/${name}`, { value }),
  deleteSecret: (name: string) => request<void>('DELETE', path`/secrets/${name}`),

  users: () => request<{ users: UserJson[] }>('GET', '/users'),
  addUser: (username: string, password: string, role: Role) => request<UserJson>('POST', '/users', { username, password, role }),
  updateUser: (username: string, change: { role?: Role; password?: string }) => request<UserJson>('PATCH', path`/users/${username}`, change),
  deleteUser: (username: string) => request<void>('DELETE', path`/users/${username}`),

  tokens: () => request<{ tokens: TokenJson[] }>('GET', '/tokens'),
  createToken: (input: { name: string; role: Role; expires_in?: string }) => request<TokenJson & { token: string }>('POST', '/tokens', input),
  revokeToken: (id: string) => request<TokenJson>('DELETE', path`/tokens/${id}`),

  sources: async (kind: SourceKind): Promise<SourceJson[]> => {
    const answer = await request<Record<string, SourceJson[] | undefined>>('GET', SOURCE_ROUTES[kind].path);
    return answer[SOURCE_ROUTES[kind].list] ?? [];
  },
  addSource: (kind: SourceKind, input: { name: string; enabled?: boolean; config: JsonObject }) =>
    request<{ source: SourceJson; warnings: string[] }>('POST', SOURCE_ROUTES[kind].path, input),
  setSourceEnabled: (kind: SourceKind, name: string, enabled: boolean) =>
    request<SourceJson>('POST', `${SOURCE_ROUTES[kind].path}${path`/${name}`}/${enabled ? 'enable' : 'disable'}`),
  deleteSource: (kind: SourceKind, name: string) => request<void>('DELETE', `${SOURCE_ROUTES[kind].path}${path`/${name}`}`),

  actions: () => request<ActionCatalogue>('GET', '/actions'),
  action: (type: string) => request<ActionDescription>('GET', path`/actions/${type}`),
  runAction: (type: string, params: JsonObject) => request<ActionRunAnswer>('POST', `${path`/actions/${type}`}/run`, { params }),

  workflows: (query: WorkflowQuery = {}) => request<{ workflows: WorkflowJson[]; next_cursor: string | null }>('GET', `/workflows${queryString({ ...query })}`),
  workflow: (id: string) => request<WorkflowJson>('GET', path`/workflows/${id}`),
  workflowJobs: (id: string, query: { status?: string; offset?: number; limit?: number } = {}) =>
    request<{ jobs: WorkflowJobJson[] }>('GET', `${path`/workflows/${id}`}/jobs${queryString(query)}`),
  workflowJob: (id: string, job: string | number) => request<WorkflowJobDetail>('GET', path`/workflows/${id}/jobs/${String(job)}`),
  workflowJobLog: (id: string, job: string | number, stream: 'stdout' | 'stderr', offset = 0) =>
    request<JobLogChunk>('GET', `${path`/workflows/${id}/jobs/${String(job)}`}/logs${queryString({ stream, offset })}`),
  workflowOutputs: (id: string) => request<JsonObject>('GET', path`/workflows/${id}/outputs`),
  workflowActions: (id: string) => request<{ actions: WorkflowActionJson[] }>('GET', path`/workflows/${id}/actions`),
  workflowGraph: (id: string, format: 'mermaid' | 'dot') => request<string>('GET', `${path`/workflows/${id}`}/graph?format=${format}`, undefined, { accept: 'text/plain' }),
  cancelWorkflow: (id: string) => request<WorkflowJson>('POST', path`/workflows/${id}/cancel`),
  restartWorkflow: (id: string, failedOnly: boolean) => request<{ id: string; run_id: number }>('POST', path`/workflows/${id}/restart`, { failed_only: failedOnly }),
  submitWorkflow: (spec: string, options: { format?: string; params?: JsonObject } = {}) =>
    request<{ id: string; run_id: number }>('POST', '/workflows', { spec, ...options }),
};

/** `/stream` for EventSource, which cannot send headers: the token goes in the query. */
export function streamUrl(): string | null {
  const session = currentSession();
  return session ? `/stream${queryString({ access_token: session.token })}` : null;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether a role may do what `needed` may (the server checks again; this only hides buttons). */
export function roleAllows(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}
