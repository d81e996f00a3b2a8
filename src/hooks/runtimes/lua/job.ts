import type { JsonObject, JsonValue } from '../../../events/model.js';

/** The part of a hook the engine needs. */
export interface LuaHookSpec {
  name: string;
  /** Path of the script; relative paths are resolved against the hookflow home. */
  source: string;
  timeout_ms: number;
  memory_mb: number;
}

/** The part of an event a script sees. */
export interface LuaEventSpec {
  id: string;
  type: string;
  stack: string | null;
  source: string;
  data: JsonObject;
  created_at: number;
  correlation_id: string | null;
  parent_id: string | null;
}

export interface LuaJob {
  hook: LuaHookSpec;
  event: LuaEventSpec;
  /** Epoch milliseconds after which the run is stopped. */
  deadline: number;
}

/** Module calls that reach the hookflow host (the store, the dispatcher). */
export type HostOp = 'state_get' | 'state_set' | 'state_delete' | 'state_increment' | 'secret_get' | 'dispatch';
export const HOST_OPS: readonly HostOp[] = ['state_get', 'state_set', 'state_delete', 'state_increment', 'secret_get', 'dispatch'];
export type HostCall = (op: HostOp, args: JsonValue[]) => Promise<JsonValue>;
