import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../src/engine.js';

const FIXTURES = resolve('test/fixtures/engine');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('the engine end to end, with real runtimes on one SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-engine-'));
  const storeUrl = `sqlite:${join(dir, 'hookflow.db')}`;
  let a: Engine;
  let b: Engine;

  before(async () => {
    // Two engines on one store stand for two hookflow processes sharing it.
    a = await Engine.open({ home: dir, storeUrl, pollMs: 50, env: { HOOKFLOW_SECRET_KEY: 'k' } });
    b = await Engine.open({ home: dir, storeUrl, pollMs: 50, env: { HOOKFLOW_SECRET_KEY: 'k' } });
    await a.hooks.addFromFile(join(FIXTURES, 'escalate.lua'), { stack: 'production' });
    await a.hooks.addFromFile(join(FIXTURES, 'receive.js'), { events: ['custom.escalated'] });
    await a.hooks.addFromFile(join(FIXTURES, 'count.lua'), { events: ['tick.counted'] });
    await a.dispatcher.start();
    await b.dispatcher.start();
  });

  after(async () => {
    await a.close(2000);
    await b.close(2000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('chains a Lua hook into a JS hook through event.dispatch, inheriting the stack and naming the parent', async () => {
    const done = await a.events.dispatchAndWait({
      type: 'task.failed',
      stack: 'production',
      data: { task: { task_name: 'deploy_app', agent_name: 'web-01', status: 'failed', exit_code: 1, error: 'refused', duration: '2s' } },
    });
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.equal(done.executions[0]?.hook_name, 'escalate');
    assert.match(done.executions[0]?.output ?? '', /escalated deploy_app/);
    await until(async () => (await a.state.get('received.deploy_app')) !== null, 10_000, 'the JS hook to receive the escalation');
    assert.deepEqual(await a.state.get('received.deploy_app'), { parent: done.id, stack: 'production', count: 1 });
  });

  it('does not fire a stack-bound hook for another stack', async () => {
    const done = await a.events.dispatchAndWait({ type: 'task.failed', stack: 'staging', data: { task: { task_name: 'x' } } });
    assert.deepEqual(done.executions, []);
  });

  it('shares state between runs and processes: 200 increments from two engines make 200', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, n) => (n % 2 ? a : b).events.dispatch({ type: 'tick.counted', data: { n } })));
    await until(async () => (await a.state.get('counted')) === 200, 20_000, 'all 200 increments');
    // Outcomes are committed just after the hooks ran.
    await until(async () => (await a.hooks.history('count', { limit: 1000 })).length >= 200, 10_000, '200 recorded runs');
    const runs = await a.hooks.history('count', { limit: 1000 });
    assert.equal(runs.length, 200);
    assert.equal(await a.state.get('counted'), 200, 'no run was repeated');
    assert.ok(runs.every((run) => run.success));
  });

  it('fails a runaway Lua hook and a JS memory bomb, and keeps processing other events', async () => {
    await a.hooks.addFromFile(join(FIXTURES, 'spin.lua'), { name: 'spin', events: ['runaway.lua'], timeout_ms: 500 });
    await a.hooks.addFromFile(join(FIXTURES, 'bomb.js'), { name: 'bomb', events: ['runaway.js'], memory_mb: 32 });
    const spinning = a.events.dispatchAndWait({ type: 'runaway.lua' });
    const bombing = a.events.dispatchAndWait({ type: 'runaway.js' });
    // Meanwhile ordinary events are still processed.
    const ordinary = await a.events.dispatchAndWait({ type: 'tick.counted', data: { meanwhile: true } });
    assert.equal(ordinary.status, 'completed');
    const [spun, bombed] = await Promise.all([spinning, bombing]);
    assert.equal(spun.status, 'failed');
    assert.match(spun.error ?? '', /hook spin: HF_ERR_HOOK_TIMEOUT/);
    assert.equal(bombed.status, 'failed');
    assert.match(bombed.error ?? '', /hook bomb: HF_ERR_HOOK_MEMORY/);
    const after_ = await a.events.dispatchAndWait({ type: 'tick.counted', data: { after: true } });
    assert.equal(after_.status, 'completed');
  });
});
