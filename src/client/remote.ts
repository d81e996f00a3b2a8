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
import type { HookflowServices } from './services.js';

type Query = Record<string, string | number | boolean | undefined>;

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
    const target = new URL(this.url + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) target.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(target, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new HookflowError('HF_ERR_REMOTE', `cannot reach hookflow at ${this.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, {
        hint: 'is `hookflow serve` running there? Check --url / HOOKFLOW_URL',
      });
    }
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text.length > 0 ? JSON.parse(text) : null;
    } catch {
      // Not JSON: a proxy's error page, or not a hookflow server at all.
    }
    if (!response.ok) {
      const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
      if (error?.code?.startsWith('HF_ERR_') && error.message) throw new HookflowError(error.code as HookflowErrorCode, error.message, error.details ?? {});
      throw new HookflowError('HF_ERR_REMOTE', `${method} ${path} answered ${response.status} ${response.statusText}`, { hint: `is ${this.url} a hookflow server?` });
    }
    return body as T;
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
