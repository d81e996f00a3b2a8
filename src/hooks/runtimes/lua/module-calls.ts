import type { JsonValue } from '../../../events/model.js';
import { runCommand } from '../../modules/exec.js';
import { resolveHookPath } from '../../modules/file.js';
import { DEFAULT_HTTP_TIMEOUT_MS, httpRequest } from '../../modules/http.js';
import { HOST_OPS, type HostCall, type HostOp } from './job.js';
import { isObject } from './values.js';

/** What a module call that waits needs to know about its run. */
export interface ModuleCallContext {
  home: string;
  /** Epoch ms: no request or command outlives the hook's time limit. */
  deadline: number;
  /** Aborted when the run ends first (timeout, abort). */
  signal(): AbortSignal;
  /** Null while a script is inspected: then state, secret and event are not available. */
  host: HostCall | null;
}

/**
 * The module calls a script's coroutine yields for: http and exec run here, the rest goes to the
 * host. Arguments arrive as JSON values (as the script passed them); the result goes back to Lua.
 */
export async function moduleCall(op: string, args: JsonValue[], call: ModuleCallContext): Promise<JsonValue> {
  if (op === 'http') return http(call, args);
  if (op === 'exec') return exec(call, args);
  if ((HOST_OPS as readonly string[]).includes(op)) {
    if (call.host === null) throw new Error(`${op.replace('_', '.')} is not available while a hook is being inspected`);
    return call.host(op as HostOp, args);
  }
  throw new Error(`unknown module call ${op}`);
}

async function http(call: ModuleCallContext, args: JsonValue[]): Promise<JsonValue> {
  const [method, url, rawOptions] = args;
  const options = isObject(rawOptions) ? rawOptions : {};
  const remaining = Math.max(1, call.deadline - Date.now());
  const timeout = typeof options.timeout === 'number' && options.timeout > 0 ? options.timeout * 1000 : DEFAULT_HTTP_TIMEOUT_MS;
  const response = await httpRequest(
    String(method),
    String(url),
    {
      headers: stringRecord(options.headers, 'http headers'),
      query: stringRecord(options.query, 'http query'),
      body: options.body ?? undefined,
      timeout_ms: Math.min(timeout, remaining),
    },
    call.signal(),
  );
  return { status_code: response.status_code, body: response.body, headers: response.headers };
}

async function exec(call: ModuleCallContext, args: JsonValue[]): Promise<JsonValue> {
  const [command, rawOptions] = args;
  const options = isObject(rawOptions) ? rawOptions : {};
  let argv: string | string[];
  if (typeof command === 'string') argv = command;
  else if (Array.isArray(command) && command.length > 0 && command.every((part) => typeof part === 'string')) argv = command as string[];
  else throw new Error('exec.run: the command must be a string or a non-empty list of strings');
  const remaining = Math.max(1, call.deadline - Date.now());
  const timeout = typeof options.timeout === 'number' && options.timeout > 0 ? options.timeout * 1000 : remaining;
  const result = await runCommand(
    argv,
    {
      cwd: typeof options.cwd === 'string' ? resolveHookPath(call.home, options.cwd) : call.home,
      env: stringRecord(options.env, 'exec env'),
      input: typeof options.input === 'string' ? options.input : undefined,
      timeout_ms: Math.min(timeout, remaining),
    },
    call.signal(),
  );
  return { exit_code: result.exit_code, stdout: result.stdout, stderr: result.stderr };
}

function stringRecord(value: JsonValue | undefined, what: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.length === 0) return {};
  if (!isObject(value)) throw new Error(`${what} must be a table of names to values`);
  const record: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null) record[key] = typeof item === 'string' ? item : JSON.stringify(item);
  }
  return record;
}
