/**
 * What a JS/TS hook module is written against. A module's default export is either
 * `defineHook({...})` or a plain (async) function `(event, ctx) => …`.
 *
 * Only types and the identity `defineHook` live here, so importing this file from a hook costs
 * nothing at run time.
 */
import type { EventRecord, JsonObject, JsonValue } from '../events/model.js';
import type { ExecOptions, ExecResult } from './modules/exec.js';
import type { HttpRequestOptions, HttpResponse } from './modules/http.js';

/** The event a hook runs for. */
export type HookEvent = Readonly<EventRecord>;

export interface HookHttp {
  get(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  post(url: string, body?: HttpRequestOptions['body'], options?: HttpRequestOptions): Promise<HttpResponse>;
  put(url: string, body?: HttpRequestOptions['body'], options?: HttpRequestOptions): Promise<HttpResponse>;
  delete(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  request(method: string, url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
}

/** Key/value state kept in the store, shared by every hook and run. */
export interface HookState {
  get(key: string): Promise<JsonValue | null>;
  set(key: string, value: JsonValue): Promise<void>;
  /** Resolves true when the key existed. */
  delete(key: string): Promise<boolean>;
  /** Adds `by` (default 1) to a numeric value (missing counts as 0); resolves with the new value. */
  increment(key: string, by?: number): Promise<number>;
}

export interface HookSecrets {
  get(name: string): Promise<string | null>;
}

export interface HookDispatchOptions {
  /** Defaults to the current event's stack. */
  stack?: string | null;
  /** Defaults to the current event's correlation id. */
  correlation_id?: string | null;
  /** Defaults to `hook:NAME`. */
  source?: string;
}

/** Lines logged here become the run's output (`[INFO] …`). */
export interface HookLog {
  info(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
  debug(...parts: unknown[]): void;
  error(...parts: unknown[]): void;
}

export interface HookContext {
  readonly event: HookEvent;
  readonly http: HookHttp;
  /** A string runs through `/bin/sh -c`; an array runs the program directly. Never throws for a non-zero exit. */
  exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;
  readonly state: HookState;
  readonly secret: HookSecrets;
  /**
   * Publishes a new event durably and resolves with its id. It inherits the current event's stack
   * and correlation id, and its parent is the current event.
   */
  dispatch(type: string, data?: JsonObject, options?: HookDispatchOptions): Promise<string>;
  readonly log: HookLog;
  /** Aborted when the run times out or hookflow shuts down; pass it on to long waits. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
}

/**
 * What a hook returns. `false`, a thrown error or `{ok: false, message}` is a failure; a string or
 * `{ok: true, message}` is a success with that message; anything else is a plain success.
 */
export type HookReturn = unknown;

export interface HookDefinition {
  name?: string;
  description?: string;
  /** Type patterns: `task.failed`, `task.*`, `*`. */
  events?: string | string[];
  stack?: string | null;
  /** A safe expression over the event, e.g. `data.task.exit_code != 0`. */
  filter?: string | null;
  /** Time limit in seconds. */
  timeout?: number;
  execute(event: HookEvent, ctx: HookContext): HookReturn | Promise<HookReturn>;
}

/** A hook as a plain function, the other accepted default export. */
export type HookFunction = (event: HookEvent, ctx: HookContext) => HookReturn | Promise<HookReturn>;

/** Identity, for types: `export default defineHook({ events: 'task.failed', execute(event, ctx) {…} })`. */
export function defineHook(definition: HookDefinition): HookDefinition {
  return definition;
}
