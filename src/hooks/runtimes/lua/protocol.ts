import type { JsonValue } from '../../../events/model.js';
import type { HookRunResult, HookScriptMeta } from '../../model.js';
import type { HostOp, LuaJob } from './job.js';

/** Messages between the main thread and a Lua worker; each postMessage carries a batch. */
export type ToWorker =
  | { k: 'run'; id: number; job: LuaJob }
  | { k: 'cancel'; id: number }
  | { k: 'reply'; call: number; ok: true; value: JsonValue }
  | { k: 'reply'; call: number; ok: false; message: string }
  | { k: 'inspect'; id: number; path: string; timeout_ms: number };

export interface SerializedError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export type FromWorker =
  | { k: 'ready'; createMs: number }
  | { k: 'done'; id: number; result: HookRunResult }
  | { k: 'call'; id: number; call: number; op: HostOp; args: JsonValue[] }
  | { k: 'inspected'; id: number; meta: HookScriptMeta }
  | { k: 'inspected'; id: number; error: SerializedError }
  | { k: 'fatal'; message: string };

export interface LuaWorkerData {
  home: string;
  envAllowlist: string[] | null;
}
