/**
 * Which Lua VM for hookflow's Lua hooks, measured: wasmoon (Lua 5.4 compiled to WebAssembly,
 * driven through its C API by src/hooks/runtimes/lua/engine.ts) against fengari (Lua 5.3 written
 * in JavaScript), then the runtime's thread models (Lua on the main thread vs worker threads).
 *
 *   node --import tsx bench/lua-vm.ts [--quick]
 *
 * Times are CPU time of this process (user + system) unless marked wall: the machine may be
 * shared, and CPU time is what a run costs. Figures go to docs/lua.md.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EventRecord } from '../src/events/model.js';
import type { HookHost, HookRecord } from '../src/hooks/model.js';
import { LuaEngine, LuaRuntime, type LuaJob } from '../src/hooks/runtimes/lua/index.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 5_000 : 30_000;

const TRIVIAL = `local hook = { name = "noop", event_type = "task.failed" }
function hook.execute(event) return true end
return hook
`;

const WORK = `local hook = { name = "work", event_type = "task.failed" }
function hook.execute(event)
  local task = event.data.task
  local parts = {}
  for i = 1, 50 do
    parts[#parts + 1] = string.format("%s/%s#%d exit=%d", task.agent_name, task.task_name, i, task.exit_code)
  end
  local counts = {}
  for _, line in ipairs(parts) do
    local key = line:sub(1, 12)
    counts[key] = (counts[key] or 0) + 1
  end
  table.sort(parts)
  return true, string.format("%d lines, first %s", #parts, parts[1])
end
return hook
`;

const LOOP = 'function on_event() while true do end end\n';
const BOMB = 'function on_event() local t = {} while true do t[#t + 1] = string.rep("x", 1e6) end end\n';

const TASK = { task_name: 'deploy_app', agent_name: 'web-server-01', status: 'failed', exit_code: 1, error: 'Connection refused', duration: '2m30s' };

const dir = mkdtempSync(join(tmpdir(), 'hookflow-lua-bench-'));
const file = (name: string, source: string) => {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
};
const paths = { trivial: file('trivial.lua', TRIVIAL), work: file('work.lua', WORK), loop: file('loop.lua', LOOP), bomb: file('bomb.lua', BOMB) };

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

function row(label: string, value: string): void {
  console.log(`  ${label.padEnd(48)} ${value}`);
}

// wasmoon ---------------------------------------------------------------------------------------

async function benchWasmoon(): Promise<void> {
  console.log('wasmoon (Lua 5.4 / WebAssembly, hookflow engine)');
  let wall = performance.now();
  let cpu = cpuMicros();
  const engine = await LuaEngine.create({ home: dir, envAllowlist: null });
  engine.warm(1);
  row('first VM (load + compile wasm, one state)', `${(performance.now() - wall).toFixed(1)} ms wall`);
  const STATES = 50;
  cpu = cpuMicros();
  engine.warm(STATES);
  row('each further VM state with all modules', `${((cpuMicros() - cpu) / 1000 / STATES).toFixed(2)} ms`);
  row('memory of one idle state', `${(engine.stats.memory / Math.max(1, engine.stats.idle) / 1024).toFixed(0)} KiB`);
  const host = async () => null;
  for (const [name, path] of [['trivial hook, VM reused', paths.trivial], ['table/string hook, VM reused', paths.work]] as const) {
    const job = (): LuaJob => ({
      hook: { name, source: path, timeout_ms: 30_000, memory_mb: 64 },
      event: { id: 'e1', type: 'task.failed', stack: null, source: 'bench', data: { task: TASK }, created_at: Date.now(), correlation_id: null, parent_id: null },
      deadline: Date.now() + 30_000,
    });
    await engine.run(job(), host);
    cpu = cpuMicros();
    wall = performance.now();
    let failures = 0;
    for (let i = 0; i < RUNS; i++) {
      engine.start(job(), host, (result) => {
        if (!result.success) failures++;
      });
    }
    await new Promise((resolve) => setImmediate(resolve));
    const micros = (cpuMicros() - cpu) / RUNS;
    row(`per run: ${name}`, `${micros.toFixed(1)} µs (${Math.round(1e6 / micros)} runs/s on one thread)${failures ? `, ${failures} failed` : ''}`);
  }
  for (const [name, path, timeout] of [['infinite loop (time limit 2000 ms)', paths.loop, 2000], ['memory bomb (limit 64 MiB)', paths.bomb, 30_000]] as const) {
    wall = performance.now();
    const result = await engine.run(
      {
        hook: { name, source: path, timeout_ms: timeout, memory_mb: 64 },
        event: { id: 'e1', type: 'x', stack: null, source: 'bench', data: {}, created_at: Date.now(), correlation_id: null, parent_id: null },
        deadline: Date.now() + timeout,
      },
      host,
    );
    row(name, `${result.success ? 'NOT stopped' : 'stopped'} after ${(performance.now() - wall).toFixed(0)} ms wall: ${result.error}`);
  }
  engine.close();
}

// fengari ---------------------------------------------------------------------------------------

interface Fengari {
  lua: {
    LUA_OK: number;
    LUA_MASKCOUNT: number;
    LUA_REGISTRYINDEX: number;
    lua_newthread(L: unknown): unknown;
    lua_resume(L: unknown, from: unknown, nargs: number): number;
    lua_createtable(L: unknown, narr: number, nrec: number): void;
    lua_pushstring(L: unknown, s: Uint8Array): void;
    lua_pushinteger(L: unknown, n: number): void;
    lua_pushjsfunction(L: unknown, fn: (L: unknown) => number): void;
    lua_setfield(L: unknown, index: number, key: Uint8Array): void;
    lua_getfield(L: unknown, index: number, key: Uint8Array): number;
    lua_rawgeti(L: unknown, index: number, n: number): number;
    lua_pushvalue(L: unknown, index: number): void;
    lua_settop(L: unknown, index: number): void;
    lua_gettop(L: unknown): number;
    lua_toboolean(L: unknown, index: number): boolean;
    lua_tojsstring(L: unknown, index: number): string;
    lua_pcall(L: unknown, nargs: number, nresults: number, errfunc: number): number;
    lua_sethook(L: unknown, fn: ((L: unknown) => void) | null, mask: number, count: number): void;
  };
  lauxlib: {
    luaL_newstate(): unknown;
    luaL_loadstring(L: unknown, source: Uint8Array): number;
    luaL_ref(L: unknown, table: number): number;
    luaL_error(L: unknown, message: Uint8Array): never;
  };
  lualib: { luaL_openlibs(L: unknown): void };
  to_luastring(value: string): Uint8Array;
}

const NATIVE_NAMES = [
  'log', 'json_encode', 'json_decode', 'yaml_encode', 'yaml_decode', 'template_render', 'sha256', 'hmac_sha256',
  'base64_encode', 'base64_decode', 'uuid', 'env_get', 'file_read', 'file_write', 'file_exists', 'file_lineinfile',
];

async function benchFengari(): Promise<void> {
  console.log('fengari (Lua 5.3 / JavaScript)');
  const name = 'fengari';
  const fengari = (await import(name)) as Fengari;
  const { lua, lauxlib, lualib, to_luastring } = fengari;
  const prelude = readFileSync(new URL('../src/hooks/runtimes/lua/prelude.lua', import.meta.url), 'utf8');
  const keys = new Map<string, Uint8Array>();
  const key = (text: string) => {
    let found = keys.get(text);
    if (!found) keys.set(text, (found = to_luastring(text)));
    return found;
  };
  let deadline = Infinity;
  const hook = (L: unknown) => {
    if (Date.now() > deadline) lauxlib.luaL_error(L, key('time limit exceeded'));
  };
  // The same sandbox as hookflow's (prelude.lua) with the JS natives stubbed: creation cost compares.
  const createState = () => {
    const L = lauxlib.luaL_newstate();
    lualib.luaL_openlibs(L);
    lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, 1000);
    if (lauxlib.luaL_loadstring(L, to_luastring(prelude)) !== lua.LUA_OK) throw new Error(lua.lua_tojsstring(L, -1));
    lua.lua_createtable(L, 0, NATIVE_NAMES.length);
    for (const native of NATIVE_NAMES) {
      lua.lua_pushjsfunction(L, () => 0);
      lua.lua_setfield(L, -2, key(native));
    }
    if (lua.lua_pcall(L, 1, 1, 0) !== lua.LUA_OK) throw new Error(lua.lua_tojsstring(L, -1));
    lua.lua_getfield(L, -1, key('run'));
    const run = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_getfield(L, -1, key('compile'));
    const compile = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_settop(L, 0);
    return { L, run, compile };
  };
  const first = performance.now();
  createState();
  row('first VM (load + one state)', `${(performance.now() - first).toFixed(1)} ms wall`);
  const STATES = 50;
  let cpu = cpuMicros();
  for (let i = 0; i < STATES; i++) createState();
  row('each further VM state with all modules', `${((cpuMicros() - cpu) / 1000 / STATES).toFixed(2)} ms`);
  const state = createState();
  const L = state.L;
  const compile = (source: string): number => {
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, state.compile);
    lua.lua_pushstring(L, to_luastring(source));
    lua.lua_pushstring(L, key('@hook.lua'));
    if (lua.lua_pcall(L, 2, 1, 0) !== lua.LUA_OK) throw new Error(lua.lua_tojsstring(L, -1));
    return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  };
  const runOnce = (script: number): boolean => {
    const thread = lua.lua_newthread(L);
    lua.lua_rawgeti(thread, lua.LUA_REGISTRYINDEX, state.run);
    lua.lua_rawgeti(thread, lua.LUA_REGISTRYINDEX, script);
    lua.lua_createtable(thread, 0, 8);
    lua.lua_pushstring(thread, to_luastring('e1'));
    lua.lua_setfield(thread, -2, key('id'));
    lua.lua_pushstring(thread, to_luastring('task.failed'));
    lua.lua_setfield(thread, -2, key('type'));
    lua.lua_pushinteger(thread, Math.floor(Date.now() / 1000));
    lua.lua_setfield(thread, -2, key('timestamp'));
    lua.lua_createtable(thread, 0, 1);
    lua.lua_createtable(thread, 0, 6);
    for (const [field, value] of Object.entries(TASK)) {
      if (typeof value === 'number') lua.lua_pushinteger(thread, value);
      else lua.lua_pushstring(thread, to_luastring(value));
      lua.lua_setfield(thread, -2, key(field));
    }
    lua.lua_setfield(thread, -2, key('task'));
    lua.lua_setfield(thread, -2, key('data'));
    const status = lua.lua_resume(thread, L, 2);
    const ok = status === lua.LUA_OK && lua.lua_toboolean(thread, 2);
    lua.lua_settop(L, 0);
    return ok;
  };
  for (const [label, source] of [['trivial hook, VM reused', TRIVIAL], ['table/string hook, VM reused', WORK]] as const) {
    const script = compile(source);
    runOnce(script);
    const runs = Math.max(1000, Math.floor(RUNS / 5));
    cpu = cpuMicros();
    let failures = 0;
    for (let i = 0; i < runs; i++) if (!runOnce(script)) failures++;
    const micros = (cpuMicros() - cpu) / runs;
    row(`per run: ${label}`, `${micros.toFixed(1)} µs (${Math.round(1e6 / micros)} runs/s on one thread)${failures ? `, ${failures} failed` : ''}`);
  }
  const loop = compile(LOOP);
  deadline = Date.now() + 2000;
  const started = performance.now();
  const stopped = !runOnce(loop);
  deadline = Infinity;
  row('infinite loop (time limit 2000 ms)', `${stopped ? 'stopped' : 'NOT stopped'} after ${(performance.now() - started).toFixed(0)} ms wall (count hook)`);
  row('memory bomb (limit 64 MiB)', await fengariBomb());
}

/**
 * fengari has no allocator to limit: Lua strings are JS Uint8Arrays. The only limit is the worker
 * thread's heap (resourceLimits), which ends every run in that worker. The bomb stops itself at
 * 600 MB so this measurement cannot take the machine down.
 */
async function fengariBomb(): Promise<string> {
  const fengariUrl = import.meta.resolve('fengari');
  const source = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(fengariUrl)}).then((m) => {
      const { lua, lauxlib, lualib, to_luastring } = m.default ?? m;
      const L = lauxlib.luaL_newstate();
      lualib.luaL_openlibs(L);
      const code = 'local s = string.rep("x", 1e6) local t = {} for i = 1, 600 do t[#t + 1] = s .. i end return #t';
      const status = lauxlib.luaL_dostring(L, to_luastring(code));
      parentPort.postMessage({ status, rss: process.memoryUsage().rss, external: process.memoryUsage().arrayBuffers });
    });`;
  const worker = new Worker(source, { eval: true, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 64 } });
  const started = performance.now();
  return new Promise<string>((resolve) => {
    worker.on('message', (message: { status: number; external: number }) => {
      void worker.terminate();
      resolve(
        `NOT stopped: allocated ${(message.external / 1e6).toFixed(0)} MB of strings under a 64 MB worker heap limit (${(performance.now() - started).toFixed(0)} ms)`,
      );
    });
    worker.on('error', (error) => resolve(`stopped only by killing its worker: ${error.message} (${(performance.now() - started).toFixed(0)} ms)`));
  });
}

// Thread models -------------------------------------------------------------------------------

const HOST: HookHost = {
  stateGet: async () => null,
  stateSet: async () => undefined,
  stateDelete: async () => false,
  stateIncrement: async () => 1,
  secretGet: async () => null,
  dispatch: async () => 'id',
};

function hookRecord(name: string, source: string, timeoutMs: number): HookRecord {
  return {
    name,
    description: '',
    events: ['*'],
    stack: null,
    filter: null,
    runtime: 'lua',
    source,
    commands: null,
    cwd: null,
    action: null,
    params: null,
    timeout_ms: timeoutMs,
    memory_mb: 64,
    enabled: true,
    retry: { max_attempts: 1, backoff_ms: 1000, backoff_multiplier: 2 },
    created_at: 0,
    updated_at: 0,
    last_run: null,
    run_count: 0,
  };
}

function eventRecord(i: number): EventRecord {
  return {
    id: `e${i}`,
    type: 'task.failed',
    stack: null,
    source: 'bench',
    data: { task: TASK },
    status: 'processing',
    attempts: 1,
    error: null,
    created_at: Date.now(),
    processed_at: null,
    correlation_id: null,
    idempotency_key: null,
    parent_id: null,
  };
}

async function benchRuntime(poolSize: number): Promise<void> {
  const runtime = new LuaRuntime({ home: dir, poolSize });
  const startedWall = performance.now();
  const created = await runtime.warm();
  const label = poolSize === 0 ? 'main thread (poolSize 0)' : `${poolSize} worker thread${poolSize > 1 ? 's' : ''}`;
  console.log(label);
  row('start (threads + engines) ', `${(performance.now() - startedWall).toFixed(0)} ms wall (engine ${created.map((ms) => ms.toFixed(0)).join(', ')} ms)`);
  const trivial = hookRecord('noop', paths.trivial, 30_000);
  await runtime.run({ hook: trivial, event: eventRecord(0), attempt: 1 }, HOST);
  const total = RUNS * 2;
  const elu = performance.eventLoopUtilization();
  const cpu = cpuMicros();
  const wall = performance.now();
  let inFlight = 0;
  let started = 0;
  let finished = 0;
  let failures = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (inFlight < 100 && started < total) {
        started++;
        inFlight++;
        void runtime.run({ hook: trivial, event: eventRecord(started), attempt: 1 }, HOST).then((result) => {
          if (!result.success) failures++;
          inFlight--;
          finished++;
          if (finished === total) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const seconds = (performance.now() - wall) / 1000;
  const used = performance.eventLoopUtilization(elu);
  row('no-op hook, 100 in flight', `${Math.round(total / seconds)} runs/s wall${failures ? `, ${failures} failed` : ''}`);
  row('  CPU per run (all threads)', `${((cpuMicros() - cpu) / total).toFixed(1)} µs`);
  row('  main thread busy per run', `${((used.active * 1000) / total).toFixed(1)} µs (event loop ${(used.utilization * 100).toFixed(0)}% busy)`);

  // While a hook loops until its time limit: how late do the host's timers fire, and how long does a quick hook wait?
  let worstLag = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    worstLag = Math.max(worstLag, now - last - 5);
    last = now;
  }, 5);
  const looping = runtime.run({ hook: hookRecord('loop', paths.loop, 1000), event: eventRecord(-1), attempt: 1 }, HOST);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const quickStart = performance.now();
  await runtime.run({ hook: trivial, event: eventRecord(-2), attempt: 1 }, HOST);
  const quickWait = performance.now() - quickStart;
  const loopResult = await looping;
  clearInterval(ticker);
  row('while a hook loops for 1000 ms', `timer lag ≤ ${worstLag.toFixed(1)} ms; a no-op hook took ${quickWait.toFixed(1)} ms`);
  row('  the looping hook', `${loopResult.error}`);
  await runtime.close();
}

try {
  console.log(`Lua VM benchmark (${RUNS} runs per figure${quick ? ', --quick' : ''})\n`);
  await benchWasmoon();
  console.log('');
  await benchFengari();
  console.log('');
  for (const size of [0, 1, 2]) {
    await benchRuntime(size);
    console.log('');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
