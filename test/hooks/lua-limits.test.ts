import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HookRecord } from '../../src/hooks/model.js';
import { LuaRuntime } from '../../src/hooks/runtimes/lua/index.js';
import { FakeHost, makeEvent, makeLuaHook, request } from './fake-host.js';

const LOOP = 'function on_event() while true do end end\n';
const PCALL_LOOP = 'function on_event() local n = 0 while true do pcall(function() while true do n = n + 1 end end) end end\n';
const COROUTINE_LOOP = 'function on_event() local co = coroutine.wrap(function() while true do end end) co() end\n';
/** Spends its time in a C function, where the instruction count hook rarely runs. */
const C_LOOP = 'function on_event() while true do local s = string.rep("x", 1e6) end end\n';
const BOMB = 'function on_event() local t = {} while true do t[#t + 1] = string.rep("x", 1e6) end end\n';
const CAUGHT_BOMB = 'function on_event() local ok = pcall(function() local t = {} while true do t[#t + 1] = string.rep("x", 1e6) end end) error("went on after: " .. tostring(ok)) end\n';
const NORMAL = 'local hook = { name = "normal" }\nfunction hook.execute(event) return true, "fine" end\nreturn hook\n';

describe('Lua time and memory limits', () => {
  let home: string;
  let server: Server;
  let base: string;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'hookflow-lua-limits-'));
    for (const [name, source] of Object.entries({ LOOP, PCALL_LOOP, COROUTINE_LOOP, C_LOOP, BOMB, CAUGHT_BOMB, NORMAL })) {
      writeFileSync(join(home, `${name.toLowerCase()}.lua`), source);
    }
    server = createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 3000).unref();
      else res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(join(home, 'slow_http.lua'), `function on_event() http.get("${base}/slow") end\n`);
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(home, { recursive: true, force: true });
  });

  const hook = (file: string, overrides: Partial<HookRecord> = {}) => makeLuaHook(file.replace('.lua', ''), `${file}`, overrides);

  for (const poolSize of [1, 0]) {
    describe(poolSize === 0 ? 'on the calling thread' : 'in a worker thread', () => {
      let runtime: LuaRuntime;
      before(async () => {
        runtime = new LuaRuntime({ home, poolSize });
        await runtime.warm();
      });
      after(() => runtime.close());

      const normalRunsAfter = async () => {
        const result = await runtime.run(request(hook('normal.lua'), makeEvent('x')), new FakeHost());
        assert.deepEqual(result, { success: true, output: 'fine', error: null });
      };

      for (const file of ['loop.lua', 'pcall_loop.lua', 'coroutine_loop.lua', 'c_loop.lua']) {
        it(`stops ${file} at its time limit, and the next run works`, async () => {
          const started = Date.now();
          const result = await runtime.run(request(hook(file, { timeout_ms: 250 }), makeEvent('x')), new FakeHost());
          const elapsed = Date.now() - started;
          assert.deepEqual(result, {
            success: false,
            output: '',
            error: `HF_ERR_HOOK_TIMEOUT: hook ${file.replace('.lua', '')} exceeded its 250 ms time limit`,
          });
          assert.ok(elapsed >= 240 && elapsed < 1500, `stopped after ${elapsed} ms`);
          await normalRunsAfter();
        });
      }

      it('keeps the event loop turning while a hook loops', async () => {
        let ticks = 0;
        let worstGap = 0;
        let last = Date.now();
        const ticker = setInterval(() => {
          const now = Date.now();
          worstGap = Math.max(worstGap, now - last);
          last = now;
          ticks++;
        }, 5);
        const looping = runtime.run(request(hook('loop.lua', { timeout_ms: 400 }), makeEvent('x')), new FakeHost());
        await new Promise((resolve) => setTimeout(resolve, 50));
        const quickStarted = Date.now();
        await normalRunsAfter();
        const quick = Date.now() - quickStarted;
        const result = await looping;
        clearInterval(ticker);
        assert.match(result.error ?? '', /^HF_ERR_HOOK_TIMEOUT/);
        assert.ok(ticks >= 30, `only ${ticks} timer ticks in 400 ms`);
        assert.ok(worstGap < 150, `the event loop stalled for ${worstGap} ms`);
        assert.ok(quick < 200, `a quick hook waited ${quick} ms behind the loop`);
      });

      it('stops a memory bomb at its memory limit, and the next run works', async () => {
        const result = await runtime.run(request(hook('bomb.lua', { memory_mb: 8 }), makeEvent('x')), new FakeHost());
        assert.deepEqual(result, { success: false, output: '', error: 'HF_ERR_HOOK_MEMORY: hook bomb exceeded its 8 MiB memory limit' });
        await normalRunsAfter();
      });

      it('reports the memory limit even when the script catches the error and fails otherwise', async () => {
        const result = await runtime.run(request(hook('caught_bomb.lua', { memory_mb: 8 }), makeEvent('x')), new FakeHost());
        assert.equal(result.success, false);
        assert.equal(result.error, 'HF_ERR_HOOK_MEMORY: hook caught_bomb exceeded its 8 MiB memory limit');
        await normalRunsAfter();
      });

      it('stops a hook that waits on a module call past its time limit', async () => {
        const started = Date.now();
        const result = await runtime.run(request(hook('slow_http.lua', { timeout_ms: 300 }), makeEvent('x')), new FakeHost());
        assert.equal(result.error, 'HF_ERR_HOOK_TIMEOUT: hook slow_http exceeded its 300 ms time limit');
        assert.ok(Date.now() - started < 1500);
        await normalRunsAfter();
      });

      it('ends a run when its signal aborts', async () => {
        const controller = new AbortController();
        const looping = runtime.run(request(hook('loop.lua', { timeout_ms: 5000 }), makeEvent('x'), controller.signal), new FakeHost());
        setTimeout(() => controller.abort(), 100);
        const result = await looping;
        assert.equal(result.success, false);
        assert.match(result.error ?? '', /^HF_ERR_SHUTTING_DOWN: hook loop was stopped/);
        await normalRunsAfter();
      });

      it('one signal shared by many runs ends those still running when it aborts, not one already done', async () => {
        const controller = new AbortController();
        const done = await runtime.run(request(hook('normal.lua'), makeEvent('x'), controller.signal), new FakeHost());
        const looping = [1, 2, 3].map(() => runtime.run(request(hook('loop.lua', { timeout_ms: 5000 }), makeEvent('x'), controller.signal), new FakeHost()));
        setTimeout(() => controller.abort(), 100);
        assert.equal(done.success, true);
        for (const result of await Promise.all(looping)) {
          assert.equal(result.success, false);
          assert.match(result.error ?? '', /^HF_ERR_SHUTTING_DOWN: hook loop was stopped/);
        }
        await normalRunsAfter();
      });

      it('runs many hooks at once, some waiting on the host', async () => {
        writeFileSync(join(home, 'count.lua'), 'function on_event() state.increment("n") end\n');
        const host = new FakeHost();
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => runtime.run(request(hook(i % 2 ? 'count.lua' : 'normal.lua'), makeEvent('x')), host)),
        );
        assert.ok(results.every((result) => result.success));
        assert.equal(host.state.get('n'), 100);
      });
    });
  }
});
