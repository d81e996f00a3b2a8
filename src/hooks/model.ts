import type { EventRecord, JsonObject, JsonValue } from '../events/model.js';

export type HookRuntimeName = 'lua' | 'js' | 'commands' | 'action';

export interface RetryPolicy {
  /** Total attempts including the first; 1 means no retry (the default). */
  max_attempts: number;
  /** Delay before the second attempt, in milliseconds. */
  backoff_ms: number;
  /** Each further delay is the previous one times this. */
  backoff_multiplier: number;
}

export const NO_RETRY: RetryPolicy = { max_attempts: 1, backoff_ms: 1000, backoff_multiplier: 2 };

export interface HookRecord {
  name: string;
  description: string;
  /** Type patterns: exact (`task.failed`), prefix (`task.*`) or `*`. */
  events: string[];
  /** When set, only events of this stack fire the hook. */
  stack: string | null;
  /** A safe expression over the event (`data.task.exit_code != 0`), or null. */
  filter: string | null;
  runtime: HookRuntimeName;
  /** Path of the script (lua, js) or of the YAML file it came from; null for inline commands. */
  source: string | null;
  /** The commands of a `commands` hook. */
  commands: string[] | null;
  /** Working directory of a `commands` hook (default: the hookflow home). */
  cwd: string | null;
  /** The action type an `action` hook runs (`notification`), or null. */
  action: string | null;
  /** The params of an `action` hook: templates over `event`, `env` and `secret`; null otherwise. */
  params: JsonObject | null;
  timeout_ms: number;
  /** Memory limit for lua and js runtimes, in MiB. */
  memory_mb: number;
  enabled: boolean;
  retry: RetryPolicy;
  created_at: number;
  updated_at: number;
  last_run: number | null;
  run_count: number;
}

export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;
export const DEFAULT_HOOK_MEMORY_MB = 64;

/** The outcome of one run of one hook for one event. */
export interface HookRunResult {
  success: boolean;
  /** The hook's message plus everything it logged. */
  output: string;
  error: string | null;
}

export interface DispatchOptions {
  stack?: string | null;
  parent_id?: string | null;
  correlation_id?: string | null;
  source?: string;
}

/**
 * What a running hook may reach in the host, whatever its runtime. Everything that touches the
 * store goes through here; http, exec, files and crypto are plain modules under hooks/modules/.
 */
export interface HookHost {
  stateGet(key: string): Promise<JsonValue | null>;
  stateSet(key: string, value: JsonValue): Promise<void>;
  stateDelete(key: string): Promise<boolean>;
  stateIncrement(key: string, by: number): Promise<number>;
  secretGet(name: string): Promise<string | null>;
  /** Publishes a new event durably; resolves with its id. */
  dispatch(type: string, data: JsonObject, options: DispatchOptions): Promise<string>;
}

export interface HookRunRequest {
  hook: HookRecord;
  event: EventRecord;
  attempt: number;
  /** Aborted when the dispatcher shuts down hard; the runtime also enforces hook.timeout_ms itself. */
  signal?: AbortSignal;
  /** `hook test`: record nothing durable (an action hook parks no wait). */
  dryRun?: boolean;
}

export interface HookRuntime {
  readonly name: HookRuntimeName;
  run(request: HookRunRequest, host: HookHost): Promise<HookRunResult>;
  /** Reads a script's own metadata (Lua table style, defineHook in JS) for `hook add FILE`. */
  inspect?(path: string): Promise<HookScriptMeta>;
  /** Problems of a hook of this runtime that only the runtime can see (an unknown action type, bad params); empty when fine. */
  validate?(hook: HookRecord): Promise<string[]>;
  close(): Promise<void>;
}

/** Metadata a hook script declares about itself; flags given to `hook add` override it. */
export interface HookScriptMeta {
  name?: string;
  description?: string;
  events?: string[];
  stack?: string | null;
  filter?: string | null;
  timeout_ms?: number;
}
