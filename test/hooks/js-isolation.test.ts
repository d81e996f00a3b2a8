import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HookflowError } from '../../src/errors.js';
import type { HookRecord } from '../../src/hooks/model.js';
import { JsRuntime } from '../../src/hooks/runtimes/js/index.js';
import { FakeHost, makeEvent, makeHook } from './js-fake-host.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/js/', import.meta.url));

function jsHook(file: string, overrides: Partial<HookRecord> = {}): HookRecord {
  return makeHook({ name: file.replace(/\.[a-z]+$/, ''), runtime: 'js', source: join(FIXTURES, file), ...overrides });
}

/** Watches the main event loop: the largest gap between 10 ms ticks while it ran. */
function watchEventLoop(): () => number {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 10);
  return () => {
    clearInterval(timer);
    return worst;
  };
}

describe('JsRuntime isolation', () => {
  // One worker per pool, so the culprit and the innocent share it: the hard case.
  const runtime = new JsRuntime({ poolSize: 1, pingTimeoutMs: 200, inspectTimeoutMs: 2000 });
  const temp = mkdtempSync(join(tmpdir(), 'hookflow-js-isolation-'));
  after(async () => {
    await runtime.close();
    rmSync(temp, { recursive: true, force: true });
  });

  it('an infinite loop times out, its worker is replaced, an innocent run on the same worker still succeeds', async () => {
    const host = new FakeHost();
    assert.equal((await runtime.run({ hook: jsHook('noop.js'), event: makeEvent(), attempt: 1 }, host)).success, true);
    const stopWatching = watchEventLoop();
    const started = performance.now();
    const [looped, innocent] = await Promise.all([
      runtime.run({ hook: jsHook('loop.js', { timeout_ms: 300 }), event: makeEvent(), attempt: 1 }, host),
      runtime.run({ hook: jsHook('slow.js', { timeout_ms: 5_000 }), event: makeEvent({ data: { ms: 50 } }), attempt: 1 }, host),
    ]);
    const worstGap = stopWatching();
    assert.deepEqual(looped, { success: false, output: '', error: 'HF_ERR_HOOK_TIMEOUT: hook loop exceeded its 300 ms time limit' });
    assert.deepEqual(innocent, { success: true, output: 'slept 50', error: null });
    assert.ok(performance.now() - started < 4_000, 'the loop was ended promptly');
    assert.ok(worstGap < 400, `the main event loop kept ticking (worst gap ${worstGap.toFixed(0)} ms)`);
    const afterwards = await runtime.run({ hook: jsHook('returns.js'), event: makeEvent({ data: { mode: 'string' } }), attempt: 1 }, host);
    assert.equal(afterwards.success, true, 'the runtime keeps working on a fresh worker');
  });

  it('a memory bomb fails with HF_ERR_HOOK_MEMORY while a concurrent innocent run succeeds', async () => {
    const host = new FakeHost();
    const stopWatching = watchEventLoop();
    const [bomb, innocent] = await Promise.all([
      runtime.run({ hook: jsHook('memory-bomb.js', { memory_mb: 24, timeout_ms: 10_000 }), event: makeEvent(), attempt: 1 }, host),
      runtime.run({ hook: jsHook('slow.js', { memory_mb: 24 }), event: makeEvent({ data: { ms: 300 } }), attempt: 1 }, host),
    ]);
    const worstGap = stopWatching();
    assert.equal(bomb.success, false);
    assert.equal(bomb.error, 'HF_ERR_HOOK_MEMORY: hook memory-bomb ran out of memory (limit 24 MiB)');
    assert.deepEqual(innocent, { success: true, output: 'slept 300', error: null });
    assert.ok(worstGap < 400, `the main event loop kept ticking (worst gap ${worstGap.toFixed(0)} ms)`);
    const afterwards = await runtime.run({ hook: jsHook('noop.js', { memory_mb: 24 }), event: makeEvent(), attempt: 1 }, host);
    assert.equal(afterwards.success, true, 'the runtime keeps working after the memory bomb');
  });

  it('a run that waits forever times out without ending its worker, and its ctx.signal is aborted', async () => {
    const host = new FakeHost();
    const hung = await runtime.run({ hook: jsHook('hang-async.js', { timeout_ms: 150 }), event: makeEvent(), attempt: 1 }, host);
    assert.equal(hung.error, 'HF_ERR_HOOK_TIMEOUT: hook hang-async exceeded its 150 ms time limit');
    // The same worker (the pool has one) still holds the global the abort listener set.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = await runtime.run({ hook: jsHook('abort-count.js'), event: makeEvent(), attempt: 1 }, host);
    assert.equal(seen.output, 'aborts seen: 1');
  });

  it('inspect() of a module that loops at its top level is rejected, and the worker replaced', async () => {
    const file = join(temp, 'top-level-loop.js');
    writeFileSync(file, 'for (;;) {}\nexport default () => true;\n');
    await assert.rejects(runtime.inspect(file), (error: unknown) => {
      assert.ok(error instanceof HookflowError);
      assert.equal(error.code, 'HF_ERR_INVALID_HOOK');
      assert.match(error.message, /top-level-loop\.js took longer than 2000 ms/);
      return true;
    });
    assert.deepEqual(await runtime.inspect(join(FIXTURES, 'hookflow-import.js')), { name: 'from-package', events: ['deploy.*'] });
  });

  it('an aborted request signal stops the run as shutting down', async () => {
    const controller = new AbortController();
    const pending = runtime.run({ hook: jsHook('slow.js'), event: makeEvent({ data: { ms: 2_000 } }), attempt: 1, signal: controller.signal }, new FakeHost());
    setTimeout(() => controller.abort(), 50);
    const result = await pending;
    assert.deepEqual(result, { success: false, output: '', error: 'HF_ERR_SHUTTING_DOWN: hook slow was aborted' });
  });

  it('one signal shared by many runs stops those still running when it aborts, and only those', async () => {
    const controller = new AbortController();
    const run = (ms: number) => runtime.run({ hook: jsHook('slow.js'), event: makeEvent({ data: { ms } }), attempt: 1, signal: controller.signal }, new FakeHost());
    const finished = await run(10);
    const running = [run(2_000), run(2_000), run(2_000)];
    setTimeout(() => controller.abort(), 100);
    assert.deepEqual(finished, { success: true, output: 'slept 10', error: null });
    for (const result of await Promise.all(running)) {
      assert.deepEqual(result, { success: false, output: '', error: 'HF_ERR_SHUTTING_DOWN: hook slow was aborted' });
    }
    const refused = await run(10);
    assert.equal(refused.error, 'HF_ERR_SHUTTING_DOWN: hook slow was aborted before it started');
  });

  it('close() stops runs in flight and refuses new ones', async () => {
    const closing = new JsRuntime({ poolSize: 1 });
    const pending = closing.run({ hook: jsHook('slow.js'), event: makeEvent({ data: { ms: 5_000 } }), attempt: 1 }, new FakeHost());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closing.close();
    const result = await pending;
    assert.equal(result.success, false);
    assert.match(result.error ?? '', /^HF_ERR_SHUTTING_DOWN: hook slow was stopped/);
    const refused = await closing.run({ hook: jsHook('noop.js'), event: makeEvent(), attempt: 1 }, new FakeHost());
    assert.match(refused.error ?? '', /^HF_ERR_SHUTTING_DOWN/);
  });
});
