/**
 * The `ctx` a JS hook receives, built inside the worker. http and exec run right here; state,
 * secrets and dispatch cross to the main thread's HookHost through a HostBridge.
 *
 * Everything beyond the event is created on first use: a no-op hook pays for one small object.
 */
import { format } from 'node:util';
import type { EventRecord, JsonObject, JsonValue } from '../../../events/model.js';
import type { HookContext, HookDispatchOptions, HookHttp, HookLog, HookSecrets, HookState } from '../../define.js';
import { runCommand, type ExecOptions, type ExecResult } from '../../modules/exec.js';
import { httpRequest, type HttpRequestOptions } from '../../modules/http.js';
import type { HostOperation } from './protocol.js';

export interface HostBridge {
  call(runId: number, operation: HostOperation, args: readonly unknown[]): Promise<unknown>;
}

export class RunContext implements HookContext {
  readonly logLines: string[] = [];
  private controller: AbortController | null = null;
  private abortReason: string | null = null;
  private httpModule: HookHttp | null = null;
  private stateModule: HookState | null = null;
  private secretModule: HookSecrets | null = null;
  private logModule: HookLog | null = null;

  constructor(
    readonly event: EventRecord,
    readonly attempt: number,
    private readonly runId: number,
    private readonly bridge: HostBridge,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason !== null) this.controller.abort(new Error(this.abortReason));
    }
    return this.controller.signal;
  }

  abort(reason: string): void {
    if (this.abortReason !== null) return;
    this.abortReason = reason;
    this.controller?.abort(new Error(reason));
  }

  get http(): HookHttp {
    if (!this.httpModule) {
      const signal = this.signal;
      this.httpModule = {
        get: (url, options) => httpRequest('GET', url, options, signal),
        post: (url, body, options) => httpRequest('POST', url, withBody(body, options), signal),
        put: (url, body, options) => httpRequest('PUT', url, withBody(body, options), signal),
        delete: (url, options) => httpRequest('DELETE', url, options, signal),
        request: (method, url, options) => httpRequest(method, url, options, signal),
      };
    }
    return this.httpModule;
  }

  exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return runCommand(command, options, this.signal);
  }

  get state(): HookState {
    if (!this.stateModule) {
      this.stateModule = {
        get: async (key) => (await this.host('stateGet', [checkKey('state.get', key)])) as JsonValue | null,
        set: async (key, value) => {
          await this.host('stateSet', [checkKey('state.set', key), toJson('state.set', value)]);
        },
        delete: async (key) => (await this.host('stateDelete', [checkKey('state.delete', key)])) === true,
        increment: async (key, by = 1) => {
          if (typeof by !== 'number' || !Number.isFinite(by)) throw new TypeError('state.increment: `by` must be a finite number');
          return (await this.host('stateIncrement', [checkKey('state.increment', key), by])) as number;
        },
      };
    }
    return this.stateModule;
  }

  get secret(): HookSecrets {
    if (!this.secretModule) {
      this.secretModule = { get: async (name) => (await this.host('secretGet', [checkKey('secret.get', name)])) as string | null };
    }
    return this.secretModule;
  }

  async dispatch(type: string, data: JsonObject = {}, options: HookDispatchOptions = {}): Promise<string> {
    if (typeof type !== 'string' || type === '') throw new TypeError('dispatch: the event type must be a non-empty string');
    const payload = toJson('dispatch', data);
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new TypeError('dispatch: data must be an object');
    const wireOptions: HookDispatchOptions = {};
    if (options.stack !== undefined) wireOptions.stack = options.stack;
    if (options.correlation_id !== undefined) wireOptions.correlation_id = options.correlation_id;
    if (options.source !== undefined) wireOptions.source = options.source;
    return (await this.host('dispatch', [type, payload, wireOptions])) as string;
  }

  get log(): HookLog {
    if (!this.logModule) {
      const line = (level: string) => (...parts: unknown[]) => {
        this.logLines.push(`[${level}] ${format(...parts)}`);
      };
      this.logModule = { info: line('INFO'), warn: line('WARN'), debug: line('DEBUG'), error: line('ERROR') };
    }
    return this.logModule;
  }

  private host(operation: HostOperation, args: readonly unknown[]): Promise<unknown> {
    if (this.abortReason !== null) return Promise.reject(new Error(`${operation}: the run is over (${this.abortReason})`));
    return this.bridge.call(this.runId, operation, args);
  }
}

function withBody(body: HttpRequestOptions['body'], options: HttpRequestOptions | undefined): HttpRequestOptions {
  return body === undefined ? (options ?? {}) : { ...(options ?? {}), body };
}

function checkKey(operation: string, key: unknown): string {
  if (typeof key !== 'string' || key === '') throw new TypeError(`${operation}: the key must be a non-empty string`);
  return key;
}

/** Values cross to the store as JSON; say so here rather than fail later on a Date or a Map. */
function toJson(operation: string, value: unknown): JsonValue {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${operation}: the value cannot be stored as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (text === undefined) throw new TypeError(`${operation}: the value cannot be stored as JSON (it is ${typeof value})`);
  return JSON.parse(text) as JsonValue;
}
