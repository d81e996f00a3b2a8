import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { JsonValue } from '../../../events/model.js';
import { HookflowError, errorMessage } from '../../../errors.js';
import type { HookRunResult, HookScriptMeta } from '../../model.js';
import type { HostCall, LuaEventSpec, LuaJob } from './job.js';
import {
  LUA_MASKCOUNT,
  LUA_OK,
  LUA_REGISTRYINDEX,
  LUA_TBOOLEAN,
  LUA_TNIL,
  LUA_TNONE,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  LUA_YIELD,
  LuaStrings,
  loadLuaApi,
  luaTypeName,
  type LuaApi,
} from './lua-api.js';
import { luaErrorLine, metaFromScript } from './meta.js';
import { moduleCall } from './module-calls.js';
import { createNatives } from './natives.js';
import { ScriptSources, type ScriptSource } from './scripts.js';
import { LuaValues, type ValueRefs } from './values.js';

export type { HostCall, HostOp, LuaEventSpec, LuaHookSpec, LuaJob } from './job.js';
export { HOST_OPS } from './job.js';

export interface LuaEngineOptions {
  home: string;
  envAllowlist: readonly string[] | null;
  /** Idle Lua states kept for reuse (default 128: the dispatcher's concurrency fits); more are closed after use. */
  maxIdleStates?: number;
}

/** A run in progress, as `start` returns it. */
export interface LuaRunHandle {
  readonly finished: boolean;
}

export interface LuaEngineStats {
  states: number;
  idle: number;
  /** Bytes held by all Lua states of this engine. */
  memory: number;
}

const MiB = 1024 * 1024;
/** VM instructions between two checks of the deadline (and of the time slice). */
const HOOK_COUNT = 1000;
/** A run that computes longer than this yields so other runs (and messages) get their turn. */
const SLICE_MS = 10;
const MAX_OUTPUT_CHARS = 1024 * 1024;
const COLLECT_ABOVE = 8 * MiB;
const DISCARD_ABOVE = 64 * MiB;
const MAX_SCRIPTS_PER_STATE = 256;
const INSPECT_MEMORY_MB = 64;

const PRELUDE = readFileSync(new URL('./prelude.lua', import.meta.url), 'utf8');

interface StateRefs extends ValueRefs {
  run: number;
  inspect: number;
  compile: number;
  collect: number;
  async: number;
}

interface VmState {
  L: number;
  slot: number;
  refs: StateRefs;
  scripts: Map<string, { stamp: string; ref: number }>;
  /** Memory above which a full collection runs after a run. */
  watermark: number;
  /** The coroutine runs start in: a coroutine that finished normally is reused (0: none yet). */
  thread: number;
  threadRef: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

type Killed = 'timeout' | 'aborted';

/** One run of a script (or one inspection): a fixed shape, it is created for every event. */
class Run {
  state: VmState | null = null;
  thread = 0;
  memoryLimit = Infinity;
  output: string[] | null = null;
  outputChars = 0;
  sliceStart = 0;
  sliced = false;
  killed: Killed | null = null;
  finished = false;
  /** The coroutine returned normally: it can start the state's next run. */
  threadDone = false;
  timer: NodeJS.Timeout | null = null;
  /** Created on the first module call that can be cancelled (http, exec). */
  controller: AbortController | null = null;
  signal: AbortSignal | null = null;
  abortListener: (() => void) | null = null;

  constructor(
    readonly kind: 'run' | 'inspect',
    readonly hookName: string,
    readonly timeoutMs: number,
    readonly memoryMb: number,
    readonly deadline: number,
    readonly host: HostCall | null,
    /** The script's full path. */
    readonly path: string,
    readonly onResult: ((result: HookRunResult) => void) | null,
    readonly onMeta: ((meta: HookScriptMeta | HookflowError) => void) | null,
  ) {}
}

/**
 * Runs Lua hook scripts on one WebAssembly instance of Lua 5.4 (wasmoon's build, driven through
 * the C API). Each run gets a Lua state of its own from a pool (one run per state at a time, so a
 * state's allocator counts exactly that run's memory), a fresh coroutine and a fresh global
 * environment; compiled scripts are cached per state by path and mtime. Module calls that wait
 * (http, exec, state, secret, event) yield the coroutine; the engine does the work and resumes it,
 * so many runs can be waiting at once. Not thread-safe: one engine per thread.
 */
export class LuaEngine {
  private readonly strings: LuaStrings;
  private readonly values: LuaValues;
  private readonly idle: VmState[] = [];
  private readonly used: number[] = [];
  private readonly limit: number[] = [];
  private readonly denied: boolean[] = [];
  private readonly freeSlots: number[] = [];
  private readonly scripts: ScriptSources;
  private readonly allocator: number;
  private readonly hook: number;
  private readonly natives: Array<[string, number]>;
  private readonly resultSlot: number;
  private readonly maxIdle: number;
  private current: Run | null = null;
  private live = 0;
  private brokenBy: string | null = null;
  private preludeBytecode: Uint8Array | null = null;

  static async create(options: LuaEngineOptions): Promise<LuaEngine> {
    return new LuaEngine(await loadLuaApi(), options);
  }

  private constructor(
    private readonly api: LuaApi,
    private readonly options: LuaEngineOptions,
  ) {
    this.scripts = new ScriptSources(options.home);
    this.strings = new LuaStrings(api);
    this.values = new LuaValues(api, this.strings);
    this.resultSlot = api._malloc(4);
    this.maxIdle = options.maxIdleStates ?? 128;
    this.allocator = api.addFunction(this.allocate.bind(this), 'iiiii');
    this.hook = api.addFunction(this.onCount.bind(this), 'vii');
    const natives = createNatives({
      api,
      strings: this.strings,
      values: this.values,
      home: options.home,
      envAllowlist: options.envAllowlist,
      refs: () => {
        const state = this.current?.state;
        if (!state) throw new Error('module functions work only while a hook runs');
        return state.refs;
      },
      log: (line) => {
        if (this.current) this.appendOutput(this.current, line);
      },
    });
    this.natives = Object.entries(natives).map(([name, impl]) => [name, this.registerNative(impl)]);
  }

  /** Set when the WebAssembly instance failed (it aborts on a Lua panic); the owner replaces the engine. */
  get broken(): string | null {
    return this.brokenBy;
  }

  get stats(): LuaEngineStats {
    let memory = 0;
    for (let slot = 0; slot < this.used.length; slot++) if (!this.freeSlots.includes(slot)) memory += this.used[slot];
    return { states: this.live, idle: this.idle.length, memory };
  }

  /** Creates a state now (the pool otherwise fills on demand), e.g. to measure creation. */
  warm(count = 1): void {
    const created: VmState[] = [];
    for (let i = 0; i < count; i++) created.push(this.acquire());
    for (const state of created) this.release(state, false);
  }

  run(job: LuaJob, host: HostCall, signal?: AbortSignal): Promise<HookRunResult> {
    return new Promise<HookRunResult>((resolve) => this.start(job, host, resolve, signal));
  }

  /**
   * `run` without the promise: `done` is called exactly once, possibly before this returns (then
   * the result is null); otherwise the handle can cancel the run.
   */
  start(job: LuaJob, host: HostCall, done: (result: HookRunResult) => void, signal?: AbortSignal): LuaRunHandle | null {
    const path = this.scripts.path(job.hook.source);
    const run = new Run('run', job.hook.name, job.hook.timeout_ms, job.hook.memory_mb, job.deadline, host, path, done, null);
    if (signal) {
      if (signal.aborted) {
        run.finished = true;
        done(this.killedResult(run, 'aborted'));
        return null;
      }
      run.signal = signal;
      run.abortListener = () => this.expire(run, 'aborted');
      signal.addEventListener('abort', run.abortListener, { once: true });
    }
    this.startRun(run, job);
    return run.finished ? null : run;
  }

  /** Stops a run that has not finished (it ends as aborted). */
  cancel(handle: LuaRunHandle): void {
    if (handle instanceof Run) this.expire(handle, 'aborted');
  }

  /** Runs only the top level of a script and reads the metadata it declares. */
  inspect(path: string, timeoutMs = 5000): Promise<HookScriptMeta> {
    return new Promise<HookScriptMeta>((resolve, reject) => {
      const full = this.scripts.path(path);
      const settle = (meta: HookScriptMeta | HookflowError) => (meta instanceof HookflowError ? reject(meta) : resolve(meta));
      const run = new Run('inspect', basename(full), timeoutMs, INSPECT_MEMORY_MB, Date.now() + timeoutMs, null, full, null, settle);
      this.startInspect(run);
    });
  }

  close(): void {
    for (const state of this.idle.splice(0)) this.closeState(state);
  }

  // Runs -------------------------------------------------------------------------------------

  private startRun(run: Run, job: LuaJob): void {
    const path = run.path;
    let script: ScriptSource;
    try {
      script = this.scripts.read(path);
    } catch (error) {
      this.finishRun(run, { success: false, output: '', error: scriptReadError(path, error) }, false);
      return;
    }
    if (!this.guard(run)) return;
    const state = this.begin(run);
    try {
      const compiled = this.scriptRef(state, path, script);
      if (typeof compiled === 'string') {
        this.finishRun(run, { success: false, output: '', error: compiled }, false);
        return;
      }
      const api = this.api;
      const thread = this.threadOf(state);
      run.thread = thread;
      api._lua_rawgeti(thread, LUA_REGISTRYINDEX, BigInt(state.refs.run));
      api._lua_rawgeti(thread, LUA_REGISTRYINDEX, BigInt(compiled));
      this.pushEvent(thread, job.event, state.refs);
    } catch (error) {
      this.fail(run, error);
      return;
    }
    this.resume(run, 2);
  }

  private startInspect(run: Run): void {
    let script: ScriptSource;
    try {
      script = this.scripts.read(run.path);
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      this.finishInspect(
        run,
        new HookflowError(missing ? 'HF_ERR_NOT_FOUND' : 'HF_ERR_INVALID_HOOK', `cannot read Lua hook ${run.path}: ${errorMessage(error)}`, {
          where: run.path,
        }),
        false,
      );
      return;
    }
    if (!this.guard(run)) return;
    const state = this.begin(run);
    try {
      const compiled = this.scriptRef(state, run.path, script);
      if (typeof compiled === 'string') {
        this.finishInspect(run, invalidHook(run.path, compiled), false);
        return;
      }
      const api = this.api;
      run.thread = this.threadOf(state);
      api._lua_rawgeti(run.thread, LUA_REGISTRYINDEX, BigInt(state.refs.inspect));
      api._lua_rawgeti(run.thread, LUA_REGISTRYINDEX, BigInt(compiled));
    } catch (error) {
      this.fail(run, error);
      return;
    }
    this.resume(run, 1);
  }

  /** Refuses work once the WebAssembly instance is gone. */
  private guard(run: Run): boolean {
    if (this.brokenBy === null) return true;
    this.fail(run, new Error(this.brokenBy));
    return false;
  }

  private begin(run: Run): VmState {
    const state = this.acquire();
    run.state = state;
    this.denied[state.slot] = false;
    run.memoryLimit = this.used[state.slot] + run.memoryMb * MiB;
    return state;
  }

  private resume(run: Run, nargs: number): void {
    const api = this.api;
    const state = run.state as VmState;
    this.current = run;
    run.sliced = false;
    run.sliceStart = Date.now();
    this.limit[state.slot] = run.memoryLimit;
    let status: number;
    try {
      status = api._lua_resume(run.thread, state.L, nargs, this.resultSlot);
    } catch (error) {
      this.current = null;
      this.limit[state.slot] = Infinity;
      this.fail(run, error);
      return;
    }
    this.current = null;
    this.limit[state.slot] = Infinity;
    const count = api.HEAP32[this.resultSlot >> 2];
    try {
      if (status === LUA_YIELD) this.suspend(run, count);
      else this.complete(run, status, count);
    } catch (error) {
      this.fail(run, error);
    }
  }

  private suspend(run: Run, count: number): void {
    const api = this.api;
    const thread = run.thread;
    const state = run.state as VmState;
    if (run.sliced) {
      api._lua_settop(thread, -count - 1);
      setImmediate(() => {
        if (!run.finished) this.resume(run, 0);
      });
      return;
    }
    const top = api._lua_gettop(thread);
    const base = top - count + 1;
    let isAsync = false;
    if (count >= 2) {
      api._lua_rawgeti(thread, LUA_REGISTRYINDEX, BigInt(state.refs.async));
      isAsync = api._lua_rawequal(thread, -1, base) !== 0;
      api._lua_settop(thread, -2);
    }
    if (!isAsync) {
      api._lua_settop(thread, base - 1);
      this.settleError(run, 'attempt to yield from outside a coroutine (coroutine.yield at the top level of a hook)', false);
      return;
    }
    const op = this.strings.toString(thread, base + 1) ?? '';
    const args: JsonValue[] = [];
    let problem: string | null = null;
    try {
      for (let index = base + 2; index <= top; index++) args.push(this.values.read(thread, index, state.refs));
    } catch (error) {
      problem = `${op.replace('_', '.')}: ${errorMessage(error)}`;
    }
    api._lua_settop(thread, base - 1);
    if (problem !== null) {
      this.answer(run, { ok: false, message: problem });
      return;
    }
    run.timer = setTimeout(() => this.expire(run, 'timeout'), Math.max(0, run.deadline - Date.now()));
    void this.perform(run, op, args).then((outcome) => {
      if (run.finished) return;
      if (run.timer) clearTimeout(run.timer);
      run.timer = null;
      this.answer(run, outcome);
    });
  }

  private answer(run: Run, outcome: Outcome): void {
    const api = this.api;
    const state = run.state as VmState;
    try {
      api._lua_pushboolean(run.thread, outcome.ok ? 1 : 0);
      if (outcome.ok) this.values.push(run.thread, outcome.value, state.refs);
      else this.strings.push(run.thread, outcome.message);
    } catch (error) {
      this.fail(run, error);
      return;
    }
    this.resume(run, 2);
  }

  private complete(run: Run, status: number, count: number): void {
    const api = this.api;
    const thread = run.thread;
    const state = run.state as VmState;
    if (status !== LUA_OK) {
      const message = this.errorText(thread, -1, state.refs);
      if (run.killed) {
        this.settleKilled(run);
      } else if (this.denied[state.slot]) {
        this.settleError(run, `HF_ERR_HOOK_MEMORY: hook ${run.hookName} exceeded its ${run.memoryMb} MiB memory limit`, true);
      } else {
        this.settleError(run, message, false);
      }
      return;
    }
    run.threadDone = true;
    const base = api._lua_gettop(thread) - count + 1;
    if (run.kind === 'inspect') {
      let meta: HookScriptMeta | HookflowError;
      try {
        meta = metaFromScript(run.path, count >= 1 ? this.values.read(thread, base, state.refs) : null);
      } catch (error) {
        meta = error instanceof HookflowError ? error : invalidHook(run.path, errorMessage(error));
      }
      this.finishInspect(run, meta, false);
      return;
    }
    const flag = count >= 2 ? api._lua_type(thread, base + 1) : LUA_TNONE;
    const failed = flag === LUA_TBOOLEAN && api._lua_toboolean(thread, base + 1) === 0;
    const message = count >= 3 ? this.messageText(thread, base + 2, state.refs) : null;
    if (failed) {
      const error = message ?? `hook ${run.hookName} returned false`;
      this.finishRun(run, { success: false, output: this.outputText(run, null), error }, false);
      return;
    }
    this.finishRun(run, { success: true, output: this.outputText(run, message), error: null }, false);
  }

  private settleError(run: Run, message: string, discard: boolean): void {
    if (run.kind === 'run') this.finishRun(run, { success: false, output: this.outputText(run, null), error: message }, discard);
    else this.finishInspect(run, invalidHook(run.path, message), discard);
  }

  private settleKilled(run: Run): void {
    if (run.kind === 'run') {
      this.finishRun(run, this.killedResult(run, run.killed ?? 'timeout'), true);
    } else {
      const error = new HookflowError('HF_ERR_INVALID_HOOK', `invalid Lua hook ${run.path}: its top level did not finish within ${run.timeoutMs} ms`, {
        where: run.path,
      });
      this.finishInspect(run, error, true);
    }
  }

  private killedResult(run: Run, reason: 'timeout' | 'aborted'): HookRunResult {
    const error =
      reason === 'timeout'
        ? `HF_ERR_HOOK_TIMEOUT: hook ${run.hookName} exceeded its ${run.timeoutMs} ms time limit`
        : `HF_ERR_SHUTTING_DOWN: hook ${run.hookName} was stopped before it finished (aborted)`;
    return { success: false, output: this.outputText(run, null), error };
  }

  /** A waiting run whose time is up, or that was aborted: its state goes, whatever it held. */
  private expire(run: Run, reason: 'timeout' | 'aborted'): void {
    if (run.finished) return;
    run.killed = reason;
    run.controller?.abort();
    if (this.current === run) return; // running right now: the count hook stops it
    this.settleKilled(run);
  }

  private fail(run: Run, error: unknown): void {
    if (isWasmFailure(error)) this.brokenBy = `the Lua VM failed: ${error.message}`;
    const message = `HF_ERR_HOOK_FAILED: ${this.brokenBy ?? `the Lua runtime failed: ${errorMessage(error)}`}`;
    if (run.kind === 'run') this.finishRun(run, { success: false, output: this.outputText(run, null), error: message }, true);
    else this.finishInspect(run, invalidHook(run.path, message), true);
  }

  private finishRun(run: Run, result: HookRunResult, discard: boolean): void {
    if (run.finished) return;
    this.end(run, discard);
    run.onResult?.(result);
  }

  private finishInspect(run: Run, meta: HookScriptMeta | HookflowError, discard: boolean): void {
    if (run.finished) return;
    this.end(run, discard);
    run.onMeta?.(meta);
  }

  private end(run: Run, discard: boolean): void {
    run.finished = true;
    if (run.timer) clearTimeout(run.timer);
    run.timer = null;
    run.controller?.abort();
    if (run.signal && run.abortListener) run.signal.removeEventListener('abort', run.abortListener);
    const state = run.state;
    run.state = null;
    if (!state) return;
    discard ||= run.killed !== null;
    if (!discard && state.thread !== 0) {
      try {
        if (run.threadDone) this.api._lua_settop(state.thread, 0);
        else this.dropThread(state);
      } catch (error) {
        this.brokenBy ??= `the Lua VM failed: ${errorMessage(error)}`;
      }
    }
    this.release(state, discard);
  }

  private threadOf(state: VmState): number {
    if (state.thread === 0) {
      state.thread = this.api._lua_newthread(state.L);
      state.threadRef = this.api._luaL_ref(state.L, LUA_REGISTRYINDEX);
    }
    return state.thread;
  }

  /** A coroutine that failed or was left suspended cannot start another run. */
  private dropThread(state: VmState): void {
    this.api._luaL_unref(state.L, LUA_REGISTRYINDEX, state.threadRef);
    state.thread = 0;
    state.threadRef = 0;
  }

  private outputText(run: Run, message: string | null): string {
    const logged = run.output === null ? '' : run.output.join('\n');
    if (message === null || message === '') return logged;
    return logged === '' ? message : `${logged}\n${message}`;
  }

  private appendOutput(run: Run, line: string): void {
    if (run.outputChars >= MAX_OUTPUT_CHARS) return;
    run.outputChars += line.length + 1;
    (run.output ??= []).push(run.outputChars >= MAX_OUTPUT_CHARS ? `${line.slice(0, 1000)}\n[output truncated at ${MAX_OUTPUT_CHARS} characters]` : line);
  }

  // Module calls that wait ---------------------------------------------------------------------

  private async perform(run: Run, op: string, args: JsonValue[]): Promise<Outcome> {
    try {
      const context = {
        home: this.options.home,
        deadline: run.deadline,
        host: run.host,
        signal: () => (run.controller ??= new AbortController()).signal,
      };
      return { ok: true, value: await moduleCall(op, args, context) };
    } catch (error) {
      return { ok: false, message: errorMessage(error) };
    }
  }

  // Lua states -------------------------------------------------------------------------------

  private acquire(): VmState {
    return this.idle.pop() ?? this.createState();
  }

  private release(state: VmState, discard: boolean): void {
    const api = this.api;
    if (!discard) {
      try {
        api._lua_settop(state.L, 0);
        if (this.used[state.slot] > state.watermark) {
          this.callRef(state, state.refs.collect);
          state.watermark = this.used[state.slot] + COLLECT_ABOVE;
        }
      } catch (error) {
        this.brokenBy ??= `the Lua VM failed: ${errorMessage(error)}`;
        discard = true;
      }
    }
    if (discard || this.brokenBy !== null || this.idle.length >= this.maxIdle || this.used[state.slot] > DISCARD_ABOVE) {
      this.closeState(state);
      return;
    }
    this.idle.push(state);
  }

  private createState(): VmState {
    const api = this.api;
    const slot = this.freeSlots.pop() ?? this.used.length;
    this.used[slot] = 0;
    this.limit[slot] = Infinity;
    this.denied[slot] = false;
    const L = api._lua_newstate(this.allocator, slot);
    if (!L) throw new Error('cannot create a Lua state (out of memory)');
    try {
      api._luaL_openlibs(L);
      api._lua_sethook(L, this.hook, LUA_MASKCOUNT, HOOK_COUNT);
      this.loadPrelude(L);
      api._lua_createtable(L, 0, this.natives.length);
      for (const [name, pointer] of this.natives) {
        this.strings.push(L, name);
        api._lua_pushcclosure(L, pointer, 0);
        api._lua_rawset(L, -3);
      }
      if (api._lua_pcallk(L, 1, 1, 0, 0, 0) !== LUA_OK) throw new Error(this.errorText(L, -1));
      const take = (field: string): number => {
        this.strings.push(L, field);
        api._lua_rawget(L, -2);
        return api._luaL_ref(L, LUA_REGISTRYINDEX);
      };
      const refs: StateRefs = {
        run: take('run'),
        inspect: take('inspect'),
        compile: take('compile'),
        collect: take('collect'),
        async: take('ASYNC'),
        arrayMeta: take('ARRAY_MT'),
        jsonNull: take('JSON_NULL'),
      };
      api._lua_settop(L, 0);
      this.live++;
      return { L, slot, refs, scripts: new Map(), watermark: this.used[slot] + COLLECT_ABOVE, thread: 0, threadRef: 0 };
    } catch (error) {
      api._lua_close(L);
      this.freeSlots.push(slot);
      throw error;
    }
  }

  /** The sandbox chunk: parsed once per engine, then loaded as bytecode (a third of a state's cost). */
  private loadPrelude(L: number): void {
    const api = this.api;
    if (this.preludeBytecode) {
      if (this.strings.loadBinary(L, this.preludeBytecode, '=hookflow') !== LUA_OK) throw new Error(this.errorText(L, -1));
      return;
    }
    if (this.strings.load(L, PRELUDE, '=hookflow') !== LUA_OK) throw new Error(this.errorText(L, -1));
    if (this.strings.load(L, 'return string.dump(...)', '=dump') !== LUA_OK) throw new Error(this.errorText(L, -1));
    api._lua_pushvalue(L, -2);
    if (api._lua_pcallk(L, 1, 1, 0, 0, 0) !== LUA_OK) throw new Error(this.errorText(L, -1));
    this.preludeBytecode = this.strings.toBytes(L, -1);
    api._lua_settop(L, -2);
  }

  private closeState(state: VmState): void {
    try {
      this.api._lua_close(state.L);
    } catch (error) {
      this.brokenBy ??= `the Lua VM failed: ${errorMessage(error)}`;
    }
    this.live--;
    this.used[state.slot] = 0;
    this.freeSlots.push(state.slot);
  }

  private callRef(state: VmState, ref: number): void {
    const api = this.api;
    api._lua_rawgeti(state.L, LUA_REGISTRYINDEX, BigInt(ref));
    if (api._lua_pcallk(state.L, 0, 0, 0, 0, 0) !== LUA_OK) api._lua_settop(state.L, 0);
  }

  /** The registry ref of the compiled script, or the Lua compile error. */
  private scriptRef(state: VmState, path: string, script: ScriptSource): number | string {
    const api = this.api;
    const cached = state.scripts.get(path);
    if (cached && cached.stamp === script.stamp) return cached.ref;
    const L = state.L;
    api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(state.refs.compile));
    this.strings.push(L, script.source);
    this.strings.push(L, `@${basename(path)}`);
    if (api._lua_pcallk(L, 2, 2, 0, 0, 0) !== LUA_OK) {
      const message = this.errorText(L, -1);
      api._lua_settop(L, 0);
      return message;
    }
    if (api._lua_type(L, -2) === LUA_TNIL) {
      const message = this.errorText(L, -1);
      api._lua_settop(L, 0);
      return message;
    }
    api._lua_settop(L, -2);
    const ref = api._luaL_ref(L, LUA_REGISTRYINDEX);
    if (cached) api._luaL_unref(L, LUA_REGISTRYINDEX, cached.ref);
    else if (state.scripts.size >= MAX_SCRIPTS_PER_STATE) {
      const [oldest, entry] = state.scripts.entries().next().value as [string, { stamp: string; ref: number }];
      api._luaL_unref(L, LUA_REGISTRYINDEX, entry.ref);
      state.scripts.delete(oldest);
    }
    state.scripts.delete(path);
    state.scripts.set(path, { stamp: script.stamp, ref });
    return ref;
  }

  private pushEvent(thread: number, event: LuaEventSpec, refs: ValueRefs): void {
    const api = this.api;
    api._lua_createtable(thread, 0, 12);
    this.field(thread, 'id', event.id, refs);
    this.field(thread, 'type', event.type, refs);
    this.field(thread, 'stack', event.stack, refs);
    this.field(thread, 'source', event.source, refs);
    this.field(thread, 'timestamp', Math.floor(event.created_at / 1000), refs);
    this.field(thread, 'created_at', event.created_at, refs);
    this.field(thread, 'correlation_id', event.correlation_id, refs);
    this.field(thread, 'parent_id', event.parent_id, refs);
    this.field(thread, 'data', event.data ?? {}, refs);
  }

  private field(thread: number, name: string, value: unknown, refs: ValueRefs): void {
    if (value === null || value === undefined) return;
    this.strings.push(thread, name);
    this.values.push(thread, value, refs);
    this.api._lua_rawset(thread, -3);
  }

  private errorText(L: number, index: number, refs: ValueRefs | null = null): string {
    const type = this.api._lua_type(L, index);
    if (type === LUA_TSTRING || type === LUA_TNUMBER) return this.strings.toString(L, index) ?? '';
    if (type === LUA_TTABLE && refs) {
      try {
        return JSON.stringify(this.values.read(L, index, refs));
      } catch {
        // fall through to the generic text
      }
    }
    return `(error object is a ${luaTypeName(type)} value)`;
  }

  private messageText(L: number, index: number, refs: ValueRefs): string | null {
    const type = this.api._lua_type(L, index);
    if (type === LUA_TNIL || type === LUA_TNONE) return null;
    if (type === LUA_TSTRING || type === LUA_TNUMBER) return this.strings.toString(L, index);
    try {
      return JSON.stringify(this.values.read(L, index, refs));
    } catch {
      return `(a ${luaTypeName(type)} value)`;
    }
  }

  // Callbacks from WebAssembly -------------------------------------------------------------------

  private allocate(slot: number, pointer: number, oldSize: number, newSize: number): number {
    const api = this.api;
    if (newSize === 0) {
      if (pointer) {
        this.used[slot] -= oldSize;
        api._free(pointer);
      }
      return 0;
    }
    const growth = pointer ? newSize - oldSize : newSize;
    if (growth > 0) {
      if (this.used[slot] + growth > this.limit[slot]) {
        this.denied[slot] = true;
        return 0;
      }
      // A loop spending its time in C functions (string.rep, gsub…) reaches the count hook
      // rarely; its allocations are where it can be stopped on time.
      const run = this.current;
      if (run !== null && run.state?.slot === slot && (run.killed !== null || Date.now() > run.deadline)) {
        run.killed ??= 'timeout';
        this.api._lua_sethook(run.thread, this.hook, LUA_MASKCOUNT, 1);
        return 0;
      }
    }
    const moved = api._realloc(pointer, newSize);
    if (moved) this.used[slot] += growth;
    return moved;
  }

  /** Every HOOK_COUNT instructions: stop a run past its deadline, let a long one yield its turn. */
  private onCount(L: number): void {
    const run = this.current;
    if (!run) return;
    const now = Date.now();
    if (run.killed !== null || now > run.deadline) {
      run.killed ??= 'timeout';
      // From now on every instruction raises, so no pcall in the script can keep it going.
      const api = this.api;
      api._lua_sethook(L, this.hook, LUA_MASKCOUNT, 1);
      if (L !== run.thread) api._lua_sethook(run.thread, this.hook, LUA_MASKCOUNT, 1);
      this.strings.push(L, `HF_ERR_HOOK_TIMEOUT: hook ${run.hookName} exceeded its ${run.timeoutMs} ms time limit`);
      api._lua_error(L);
      return;
    }
    if (now - run.sliceStart >= SLICE_MS && L === run.thread && this.api._lua_isyieldable(L)) {
      run.sliced = true;
      this.api._lua_yieldk(L, 0, 0, 0);
    }
  }

  private registerNative(impl: (L: number) => number): number {
    const api = this.api;
    return api.addFunction((L: number) => {
      let message: string;
      try {
        return impl(L);
      } catch (error) {
        // A Lua error unwinding through this frame (emscripten's longjmp), or a dead instance.
        if (typeof error === 'number' || isWasmFailure(error)) throw error;
        message = errorMessage(error);
      }
      api._luaL_where(L, 1);
      this.strings.push(L, message);
      api._lua_concat(L, 2);
      return api._lua_error(L);
    }, 'ii');
  }


}

/** A trap or an abort of the WebAssembly instance: nothing in it can be trusted any more. */
function isWasmFailure(error: unknown): error is Error {
  return error instanceof Error && (error.name === 'RuntimeError' || error.message.startsWith('Aborted('));
}

function scriptReadError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? `hook file not found: ${path}` : `cannot read hook file ${path}: ${errorMessage(error)}`;
}

function invalidHook(path: string, luaMessage: string): HookflowError {
  const line = luaErrorLine(luaMessage);
  return new HookflowError('HF_ERR_INVALID_HOOK', `invalid Lua hook ${path}: ${luaMessage}`, {
    where: line === null ? path : `${path}:${line}`,
  });
}
