import { availableParallelism } from 'node:os';
import type { HookHost, HookRunRequest, HookRunResult, HookRuntime, HookScriptMeta } from '../../model.js';
import { LuaEngine, type HostCall, type LuaJob } from './engine.js';
import { callHost, eventSpec } from './host-calls.js';
import { LuaWorkerPool } from './pool.js';

export { LuaEngine } from './engine.js';
export type { HostCall, HostOp, LuaEngineStats, LuaEventSpec, LuaHookSpec, LuaJob, LuaRunHandle } from './engine.js';

export interface LuaRuntimeOptions {
  /** The hookflow home: relative script paths, `file` and `exec` paths resolve against it. */
  home: string;
  /** Environment variables `env.get` may read (`PREFIX_*` allows a prefix); null or absent: all. */
  envAllowlist?: string[] | null;
  /**
   * Worker threads running Lua (default: cores − 1, between 1 and 4). 0 runs Lua on the calling
   * thread: no thread hop, but a computing hook then takes turns with the host's event loop
   * (it yields every 10 ms) and a hook stuck inside one long C call cannot be interrupted.
   */
  poolSize?: number;
}

/** How long `inspect` lets a script's top level run. */
const INSPECT_TIMEOUT_MS = 5000;

export function defaultLuaPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * The `lua` hook runtime: runs Sloth Runner's Lua hook scripts unchanged (global style with
 * `on_event()` and table style with `hook.execute(event)`), with its modules, in a sandbox with
 * per-run time and memory limits. See docs/lua.md.
 */
export class LuaRuntime implements HookRuntime {
  readonly name = 'lua' as const;
  private readonly pool: LuaWorkerPool | null;
  private engine: Promise<LuaEngine> | null = null;
  private closed = false;

  constructor(private readonly options: LuaRuntimeOptions) {
    const size = options.poolSize ?? defaultLuaPoolSize();
    this.pool = size > 0 ? new LuaWorkerPool({ home: options.home, envAllowlist: options.envAllowlist ?? null, size }) : null;
  }

  run(request: HookRunRequest, host: HookHost): Promise<HookRunResult> {
    const { hook, event } = request;
    if (!hook.source) {
      return Promise.resolve({ success: false, output: '', error: `lua hook ${hook.name} has no script path` });
    }
    const spec = eventSpec(event);
    const job: LuaJob = {
      hook: { name: hook.name, source: hook.source, timeout_ms: hook.timeout_ms, memory_mb: hook.memory_mb },
      event: spec,
      deadline: Date.now() + hook.timeout_ms,
    };
    const hostCall: HostCall = (op, args) => callHost(host, spec, op, args);
    if (this.pool) return this.pool.run(job, hostCall, request.signal);
    if (this.closed) {
      return Promise.resolve({ success: false, output: '', error: `HF_ERR_SHUTTING_DOWN: the Lua runtime is closed (hook ${hook.name} not run)` });
    }
    return this.inline().then((engine) => engine.run(job, hostCall, request.signal));
  }

  /**
   * Runs the script's top level only. Before any worker has started (`hook add` from the CLI)
   * this happens on the calling thread: loading an engine there takes tens of milliseconds,
   * starting a worker most of a second. The top level still has its time and memory limits.
   */
  inspect(path: string): Promise<HookScriptMeta> {
    if (this.pool?.started) return this.pool.inspect(path, INSPECT_TIMEOUT_MS);
    return this.inline().then((engine) => engine.inspect(path, INSPECT_TIMEOUT_MS));
  }

  /** Starts the workers (or the inline engine) now rather than on the first run; resolves with creation times in ms. */
  async warm(): Promise<number[]> {
    if (this.pool) return this.pool.warm();
    const started = performance.now();
    await this.inline();
    return [performance.now() - started];
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pool) await this.pool.close();
    const engine = this.engine;
    this.engine = null;
    if (engine) (await engine).close();
  }

  private inline(): Promise<LuaEngine> {
    const current = this.engine;
    if (current) {
      return current.then((engine) => {
        if (!engine.broken) return engine;
        // The WebAssembly instance died (a Lua panic): start over with a new one.
        if (this.engine === current) this.engine = null;
        return this.inline();
      });
    }
    const created = LuaEngine.create({ home: this.options.home, envAllowlist: this.options.envAllowlist ?? null });
    this.engine = created;
    return created;
  }
}
