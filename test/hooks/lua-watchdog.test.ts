import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LuaRuntime } from '../../src/hooks/runtimes/lua/index.js';
import { FakeHost, makeEvent, makeLuaHook, request } from './fake-host.js';

/** A pattern match that backtracks for ages inside one C call, where no instruction hook runs. */
const STUCK_IN_C = 'function on_event() return string.rep("a", 4000):find(".-.-.-.-.-.-.-b") end\n';

describe('the Lua worker watchdog', () => {
  let home: string;
  let server: Server;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'hookflow-lua-watchdog-'));
    server = createServer((_req, res) => {
      setTimeout(() => res.end('late'), 5000).unref();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(join(home, 'stuck_in_c.lua'), STUCK_IN_C);
    writeFileSync(join(home, 'slow_http.lua'), `function on_event() http.get("${base}/slow") end\n`);
    writeFileSync(join(home, 'normal.lua'), 'function on_event() return true end\n');
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(home, { recursive: true, force: true });
  });

  const hook = (file: string, timeoutMs = 5000) => makeLuaHook(file.replace('.lua', ''), file, { timeout_ms: timeoutMs });

  it('restarts a worker stuck inside one long C call', async () => {
    const runtime = new LuaRuntime({ home, poolSize: 1 });
    try {
      await runtime.warm();
      const started = Date.now();
      const bystander = runtime.run(request(hook('slow_http.lua', 10_000), makeEvent('x')), new FakeHost());
      const result = await runtime.run(request(hook('stuck_in_c.lua', 300), makeEvent('x')), new FakeHost());
      assert.equal(result.success, false);
      assert.match(result.error ?? '', /^HF_ERR_HOOK_TIMEOUT: hook stuck_in_c exceeded its 300 ms time limit/);
      assert.ok(Date.now() - started < 6000, `took ${Date.now() - started} ms`);
      const other = await bystander;
      assert.match(other.error ?? '', /^HF_ERR_HOOK_FAILED: hook slow_http was interrupted: .*stuck_in_c/);
      const next = await runtime.run(request(hook('normal.lua'), makeEvent('x')), new FakeHost());
      assert.deepEqual(next, { success: true, output: '', error: null });
    } finally {
      await runtime.close();
    }
  });
});
