import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { TokenView, UserView } from '../auth/service.js';
import type { Role } from '../auth/roles.js';
import { HookflowError, type HookflowErrorCode } from '../errors.js';
import type { EventRecord, HookExecutionRecord, JsonObject, JsonValue, NewEvent } from '../events/model.js';
import type { EventWithExecutions, ListEventsQuery } from '../events/service.js';
import { DEFAULT_MAX_EVENT_BYTES } from '../events/validate.js';
import type { HookRecord } from '../hooks/model.js';
import type { HookOverrides, HookTestResult, SavedHook, ScriptLanguage } from '../hooks/service.js';
import {
  eventFromJson,
  eventWithExecutionsFromJson,
  executionFromJson,
  hookFromJson,
  type EventJson,
  type EventWithExecutionsJson,
  type ExecutionJson,
  type HookJson,
} from '../records-json.js';
import { remotePrograms } from './programs-remote.js';
import type { HookflowServices, WorkflowServices } from './services.js';
import type { JobRecord, JobStatus, WorkflowRecord, WorkflowStatus } from '../store/workflows.js';
import type { LogChunk, SpecFormat, SubmitInput, WorkflowStatusView } from '../workflows/service.js';
import type { SpecProblem } from '../workflows/spec/document.js';
import type { ValidationReport } from '../workflows/spec/validate.js';
import {
  allocationFromJson,
  jobFromJson,
  statusFromJson,
  workerFromJson,
  workflowActionFromJson,
  workflowEnded,
  workflowFromJson,
  type AllocationJson,
  type JobDetailJson,
  type JobJson,
  type LogChunkJson,
  type SubmittedJson,
  type WorkerJson,
  type WorkflowActionJson,
  type WorkflowJson,
  type WorkflowWithCountsJson,
} from '../workflows/views.js';

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

interface TimedJson {
  created_at: string;
  updated_at: string;
}

const time = (value: string | null): number | null => (value === null ? null : Date.parse(value));

/** A small JSON client for hookflow's HTTP API; errors come back as the server's HookflowErrors. */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string | null,
  ) {}

  async call<T>(method: string, path: string, options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    return (await this.exchange(method, path, options)).body as T;
  }

  /** A route that answers text (text/plain), not JSON. */
  async text(method: string, path: string, options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {}): Promise<string> {
    return (await this.exchange(method, path, { ...options, headers: { accept: 'text/plain', ...options.headers } })).text;
  }

  /**
   * A streaming answer (Server-Sent Events): the response once its status says OK, its body left
   * to the caller; an error status becomes the server's HookflowError as for call().
   */
  async stream(path: string, options: { query?: Query; signal?: AbortSignal } = {}): Promise<Response> {
    const response = await this.send('GET', path, { query: options.query, headers: { accept: 'text/event-stream' }, signal: options.signal });
    if (!response.ok) this.failure('GET', path, response, parseJson(await response.text()));
    return response;
  }

  private async exchange(method: string, path: string, options: { query?: Query; body?: unknown; headers?: Record<string, string> }): Promise<{ text: string; body: unknown }> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    const body = parseJson(text);
    if (!response.ok) this.failure(method, path, response, body);
    return { text, body };
  }

  private async send(method: string, path: string, options: { query?: Query; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal }): Promise<Response> {
    const target = new URL(this.url + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      // A list is a repeated parameter (`?param=a=1&param=b=2`).
      if (Array.isArray(value)) for (const item of value) target.searchParams.append(key, String(item));
      else if (value !== undefined) target.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(target, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new HookflowError('HF_ERR_REMOTE', `cannot reach hookflow at ${this.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, {
        hint: 'is `hookflow serve` running there? Check --url / HOOKFLOW_URL',
      });
    }
  }

  private failure(method: string, path: string, response: Response, body: unknown): never {
    const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
    if (error?.code?.startsWith('HF_ERR_') && error.message) throw new HookflowError(error.code as HookflowErrorCode, error.message, error.details ?? {});
    throw new HookflowError('HF_ERR_REMOTE', `${method} ${path} answered ${response.status} ${response.statusText}`, { hint: `is ${this.url} a hookflow server?` });
  }
}

/** The body as JSON, or null when it is not JSON (a proxy's error page, or not a hookflow server at all). */
function parseJson(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const LANGUAGE_BY_EXTENSION: Record<string, ScriptLanguage> = {
  '.lua': 'lua',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.ts': 'ts',
  '.mts': 'ts',
  '.yaml': 'commands',
  '.yml': 'commands',
};

/** The CLI's services over HTTP (`--url`, HOOKFLOW_URL). */
export function remoteServices(client: ApiClient): HookflowServices {
  const path = encodeURIComponent;
  return {
    target: client.url,
    maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
    events: {
      async dispatch(input: NewEvent) {
        const answer = await client.call<{ event: EventJson; created: boolean }>('POST', '/events', { body: withoutUndefined(input) });
        return { event: eventFromJson(answer.event), created: answer.created };
      },
      async dispatchAndWait(input: NewEvent, timeoutMs = 120_000): Promise<EventWithExecutions> {
        const answer = await client.call<{ event: EventWithExecutionsJson }>('POST', '/events', {
          body: withoutUndefined(input),
          query: { wait: true, timeout: `${Math.ceil(timeoutMs / 1000)}s` },
        });
        return eventWithExecutionsFromJson(answer.event);
      },
      async list(query: ListEventsQuery = {}): Promise<EventRecord[]> {
        const { since, ...rest } = query;
        const answer = await client.call<{ events: EventJson[] }>('GET', '/events', {
          query: { ...rest, since: since === undefined ? undefined : new Date(since).toISOString() },
        });
        return answer.events.map(eventFromJson);
      },
      async get(id: string) {
        return eventWithExecutionsFromJson(await client.call<EventWithExecutionsJson>('GET', `/events/${path(id)}`));
      },
      async delete(id: string) {
        await client.call('DELETE', `/events/${path(id)}`);
      },
      async cleanup(olderThanMs: number) {
        return (await client.call<{ deleted: number }>('POST', '/events/cleanup', { body: { older_than_ms: olderThanMs } })).deleted;
      },
      async replay(id: string) {
        return eventFromJson((await client.call<{ event: EventJson }>('POST', `/events/${path(id)}/replay`)).event);
      },
      async replayMatching(type: string, since: number) {
        const answer = await client.call<{ events: EventJson[] }>('POST', '/events/replay', { body: { type, since: new Date(since).toISOString() } });
        return answer.events.map(eventFromJson);
      },
    },
    hooks: {
      async addFromFile(file: string, overrides: HookOverrides = {}, options: { replace?: boolean } = {}): Promise<SavedHook> {
        const language = LANGUAGE_BY_EXTENSION[extname(file).toLowerCase()];
        if (!language) {
          throw new HookflowError('HF_ERR_INVALID_HOOK', `cannot tell the runtime of ${file} from its extension`, {
            hint: 'use .lua for Lua, .js/.mjs/.ts for JavaScript or TypeScript, .yaml/.yml for a commands hook',
          });
        }
        let script: string;
        try {
          script = readFileSync(resolve(file), 'utf8');
        } catch (error) {
          throw new HookflowError('HF_ERR_NOT_FOUND', `hook file ${file} cannot be read: ${(error as Error).message}`);
        }
        const name = overrides.name ?? basename(file).replace(/\.[^.]+$/, '');
        const answer = await client.call<{ hook: HookJson; warnings: string[] }>('POST', '/hooks', {
          body: withoutUndefined({ ...overrides, name, runtime: language, script, replace: options.replace }),
        });
        return { hook: hookFromJson(answer.hook), warnings: answer.warnings };
      },
      async addCommands(definition: HookOverrides & { commands: string[] }, options: { replace?: boolean } = {}): Promise<SavedHook> {
        const answer = await client.call<{ hook: HookJson; warnings: string[] }>('POST', '/hooks', {
          body: withoutUndefined({ ...definition, runtime: 'commands', replace: options.replace }),
        });
        return { hook: hookFromJson(answer.hook), warnings: answer.warnings };
      },
      async addAction(definition: HookOverrides & { action: string; params?: JsonObject }, options: { replace?: boolean } = {}): Promise<SavedHook> {
        const answer = await client.call<{ hook: HookJson; warnings: string[] }>('POST', '/hooks', {
          body: withoutUndefined({ ...definition, runtime: 'action', replace: options.replace }),
        });
        return { hook: hookFromJson(answer.hook), warnings: answer.warnings };
      },
      async list(stack?: string): Promise<HookRecord[]> {
        return (await client.call<{ hooks: HookJson[] }>('GET', '/hooks', { query: { stack } })).hooks.map(hookFromJson);
      },
      async get(name: string) {
        return hookFromJson(await client.call<HookJson>('GET', `/hooks/${path(name)}`));
      },
      async setEnabled(name: string, enabled: boolean) {
        return hookFromJson(await client.call<HookJson>('POST', `/hooks/${path(name)}/${enabled ? 'enable' : 'disable'}`));
      },
      async remove(name: string) {
        await client.call('DELETE', `/hooks/${path(name)}`);
      },
      async history(name: string, query: { limit?: number; onlyFailed?: boolean } = {}): Promise<HookExecutionRecord[]> {
        const answer = await client.call<{ executions: ExecutionJson[] }>('GET', `/hooks/${path(name)}/history`, {
          query: { limit: query.limit, only_failed: query.onlyFailed },
        });
        return answer.executions.map((execution) => executionFromJson(execution));
      },
      async test(name: string, input: { data?: JsonObject; type?: string; stack?: string | null } = {}): Promise<HookTestResult> {
        const answer = await client.call<{ hook: string; event: EventJson; success: boolean; output: string; error: string | null; duration_ms: number; dry_run: HookTestResult['dry_run'] }>(
          'POST',
          `/hooks/${path(name)}/test`,
          { body: withoutUndefined(input) },
        );
        return {
          hook: answer.hook,
          event: eventFromJson(answer.event),
          result: { success: answer.success, output: answer.output, error: answer.error },
          duration_ms: answer.duration_ms,
          dry_run: answer.dry_run,
        };
      },
    },
    secrets: {
      async set(name: string, value: string) {
        await client.call('PUT', `/secrets/${path(name)}`, { body: { value } });
      },
      async list() {
        const answer = await client.call<{ secrets: Array<{ name: string } & TimedJson> }>('GET', '/secrets');
        return answer.secrets.map((secret) => ({ name: secret.name, created_at: Date.parse(secret.created_at), updated_at: Date.parse(secret.updated_at) }));
      },
      async delete(name: string) {
        try {
          await client.call('DELETE', `/secrets/${path(name)}`);
          return true;
        } catch (error) {
          if (error instanceof HookflowError && error.code === 'HF_ERR_NOT_FOUND') return false;
          throw error;
        }
      },
    },
    state: {
      async get(key: string) {
        try {
          return (await client.call<{ value: JsonValue }>('GET', `/state/${path(key)}`)).value;
        } catch (error) {
          if (error instanceof HookflowError && error.code === 'HF_ERR_NOT_FOUND') return null;
          throw error;
        }
      },
      async set(key: string, value: JsonValue) {
        await client.call('PUT', `/state/${path(key)}`, { body: { value } });
      },
      async delete(key: string) {
        try {
          await client.call('DELETE', `/state/${path(key)}`);
          return true;
        } catch (error) {
          if (error instanceof HookflowError && error.code === 'HF_ERR_NOT_FOUND') return false;
          throw error;
        }
      },
      async list(prefix?: string) {
        const answer = await client.call<{ entries: Array<{ key: string; value: JsonValue; updated_at: string }> }>('GET', '/state', { query: { prefix } });
        return answer.entries.map((entry) => ({ key: entry.key, value: entry.value, updated_at: Date.parse(entry.updated_at) }));
      },
    },
    accounts: {
      async addUser(username: string, password: string, role: string): Promise<UserView> {
        return userFromJson(await client.call('POST', '/users', { body: { username, password, role } }));
      },
      async listUsers() {
        return (await client.call<{ users: Array<UserJson> }>('GET', '/users')).users.map(userFromJson);
      },
      async removeUser(username: string) {
        await client.call('DELETE', `/users/${path(username)}`);
      },
      async setPassword(username: string, password: string) {
        await client.call('PATCH', `/users/${path(username)}`, { body: { password } });
      },
      async setRole(username: string, role: string) {
        return userFromJson(await client.call('PATCH', `/users/${path(username)}`, { body: { role } }));
      },
      async createToken(name: string, role: string, _createdBy: string | null, expiresInMs: number | null = null) {
        const answer = await client.call<TokenJson & { token: string }>('POST', '/tokens', {
          body: withoutUndefined({ name, role, expires_in: expiresInMs === null ? undefined : `${Math.ceil(expiresInMs / 1000)}s` }),
        });
        return { ...tokenFromJson(answer), token: answer.token };
      },
      async listTokens() {
        return (await client.call<{ tokens: TokenJson[] }>('GET', '/tokens')).tokens.map(tokenFromJson);
      },
      async revokeToken(idOrName: string) {
        return tokenFromJson(await client.call<TokenJson>('DELETE', `/tokens/${path(idOrName)}`));
      },
    },
    workflows: remoteWorkflows(client),
    programs: remotePrograms(client),
  };
}

type UserJson = { username: string; role: Role } & TimedJson;
type TokenJson = Omit<TokenView, 'created_at' | 'expires_at' | 'revoked_at'> & { created_at: string; expires_at: string | null; revoked_at: string | null };

function userFromJson(json: UserJson): UserView {
  return { username: json.username, role: json.role, created_at: Date.parse(json.created_at), updated_at: Date.parse(json.updated_at) };
}

function tokenFromJson(json: TokenJson): TokenView {
  return { ...json, created_at: Date.parse(json.created_at), expires_at: time(json.expires_at), revoked_at: time(json.revoked_at) };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** Workflows over HTTP (src/server/routes/workflows.ts), as the WorkflowService the CLI calls locally. */
function remoteWorkflows(client: ApiClient): WorkflowServices {
  const path = encodeURIComponent;
  const status = async (id: string): Promise<WorkflowStatusView> => statusFromJson(await client.call<WorkflowWithCountsJson>('GET', `/workflows/${path(id)}`));
  const get = async (id: string): Promise<WorkflowRecord> => workflowFromJson(await client.call<WorkflowWithCountsJson>('GET', `/workflows/${path(id)}`));
  const job = async (id: string, ref: string): Promise<JobRecord> => jobFromJson(await client.call<JobDetailJson>('GET', `/workflows/${path(id)}/jobs/${path(ref)}`), id);
  const JOB_PAGE = 1000;
  return {
    async validate(text: string, options: { file?: string; format?: SpecFormat; showJobs?: boolean } = {}): Promise<ValidationReport> {
      try {
        return await client.call<ValidationReport>('POST', '/workflows/validate', {
          body: withoutUndefined({ spec: text, format: options.format, file: options.file }),
          query: { show_jobs: options.showJobs },
        });
      } catch (error) {
        const problems = error instanceof HookflowError && error.code === 'HF_ERR_INVALID_WORKFLOW' ? error.details.problems : undefined;
        if (Array.isArray(problems)) return { errors: problems as SpecProblem[] };
        throw error;
      }
    },
    async submit(input: SubmitInput) {
      const submitted = await client.call<SubmittedJson>('POST', '/workflows', {
        body: withoutUndefined({ spec: input.text, format: input.format, params: input.params, file: input.file }),
      });
      return { id: submitted.id, run_id: submitted.run_id, workflow: await get(submitted.id) };
    },
    get,
    async list(query: { status?: WorkflowStatus; before?: string; limit?: number } = {}) {
      return (await client.call<{ workflows: WorkflowJson[] }>('GET', '/workflows', { query })).workflows.map(workflowFromJson);
    },
    status,
    async jobs(id: string, query: { status?: JobStatus; offset?: number; limit?: number } = {}) {
      // Page after page until the limit or an empty page: a server may cap pages below JOB_PAGE.
      const jobs: JobRecord[] = [];
      const wanted = query.limit ?? Number.POSITIVE_INFINITY;
      let offset = query.offset ?? 0;
      while (jobs.length < wanted) {
        const limit = Math.min(JOB_PAGE, wanted - jobs.length);
        const page = (await client.call<{ jobs: JobJson[] }>('GET', `/workflows/${path(id)}/jobs`, { query: { status: query.status, offset, limit } })).jobs;
        if (page.length === 0) break;
        jobs.push(...page.map((row) => jobFromJson(row, id)));
        offset += page.length;
      }
      return jobs;
    },
    job,
    async logs(id: string, ref: string, options: { stream?: 'stdout' | 'stderr'; offset?: number; maxBytes?: number } = {}): Promise<LogChunk> {
      const route = `/workflows/${path(id)}/jobs/${path(ref)}/logs`;
      const chunk = await client.call<LogChunkJson>('GET', route, { query: { stream: options.stream, offset: options.offset, max_bytes: options.maxBytes } });
      return { path: `${client.url}${route}`, offset: chunk.offset, text: chunk.text };
    },
    async outputs(id: string) {
      return client.call<JsonObject>('GET', `/workflows/${path(id)}/outputs`);
    },
    async cancel(id: string) {
      return workflowFromJson(await client.call<WorkflowJson>('POST', `/workflows/${path(id)}/cancel`));
    },
    async restart(id: string, options: { failedOnly: boolean }) {
      return client.call<SubmittedJson>('POST', `/workflows/${path(id)}/restart`, { body: { failed_only: options.failedOnly } });
    },
    async actions(id: string) {
      return (await client.call<{ actions: WorkflowActionJson[] }>('GET', `/workflows/${path(id)}/actions`)).actions.map((action) => workflowActionFromJson(action, id));
    },
    async graph(id: string, format: 'mermaid' | 'dot') {
      return client.text('GET', `/workflows/${path(id)}/graph`, { query: { format } });
    },
    async workers() {
      return (await client.call<{ workers: WorkerJson[] }>('GET', '/workers')).workers.map(workerFromJson);
    },
    async allocations(query: { workflowId?: string; limit?: number } = {}) {
      const answer = await client.call<{ allocations: AllocationJson[] }>('GET', '/slurm/allocations', { query: { workflow_id: query.workflowId, limit: query.limit } });
      return answer.allocations.map(allocationFromJson);
    },
    async cancelAllocations(query: { workflowId?: string; ids?: string[] }) {
      const answer = await client.call<{ allocations: AllocationJson[] }>('POST', '/slurm/allocations/cancel', { body: withoutUndefined({ ids: query.ids, workflow_id: query.workflowId }) });
      return answer.allocations.map(allocationFromJson);
    },
    async waitForEnd(id: string, options: { signal?: AbortSignal; pollMs?: number; onUpdate?: (status: WorkflowStatusView) => void } = {}) {
      const pollMs = options.pollMs ?? 500;
      for (;;) {
        const current = await status(id);
        options.onUpdate?.(current);
        if (workflowEnded(current.status)) return current;
        if (options.signal?.aborted) throw new HookflowError('HF_ERR_SHUTTING_DOWN', 'stopped waiting for the workflow');
        await new Promise((done) => setTimeout(done, pollMs));
      }
    },
  };
}
