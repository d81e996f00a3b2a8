import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { Dispatcher } from '../../src/events/dispatcher.js';
import { buildHook } from '../../src/hooks/definition.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';

const BIN = resolve('bin/hookflow.js');
const HOOK = resolve('test/fixtures/crash/record.js');
const TOTAL = Number(process.env.HOOKFLOW_CRASH_EVENTS ?? 3000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function serve(home: string, log: string): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'serve', '--home', home, '--lease', '2s', '--poll', '100ms', '--quiet'], {
    env: { ...process.env, HOOKFLOW_CRASH_LOG: log, HOOKFLOW_PORT: '0', HOOKFLOW_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[serve] ${chunk}`));
  return child;
}

describe('crash safety', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-crash-'));
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it(`loses no acknowledged event when hookflow serve is killed -9 mid-way (${TOTAL} events)`, { timeout: 120_000 }, async () => {
    const home = join(dir, 'home');
    const log = join(dir, 'runs.log');
    const store = await SqliteStore.open(join(home, 'hookflow.db'));
    await store.saveHook(buildHook({ name: 'record', events: ['crash.test'], runtime: 'js', source: HOOK }).hook, { replace: true });
    // Publishing from this process, as a second hookflow process would (the CLI, another server).
    const publisher = new Dispatcher({ store, runtimes: { get: () => undefined }, host: () => ({}) as never });

    const first = serve(home, log);
    children.push(first);
    const acknowledged: string[] = [];
    const publishSome = async (count: number) => {
      for (let i = 0; i < count; i += 50) {
        const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, n) => publisher.publish({ type: 'crash.test', data: { n: i + n } })));
        for (const { event } of batch) acknowledged.push(event.id);
      }
    };
    await publishSome(Math.floor(TOTAL / 2));
    // Wait until the server is really working through them, then kill it without warning.
    const deadline = Date.now() + 30_000;
    while (lines(log).length < TOTAL / 10 && Date.now() < deadline) await sleep(20);
    assert.ok(lines(log).length > 0, 'the server processed something before the kill');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const inFlightAtKill = new Set((await store.listEvents({ status: 'processing', limit: 100_000, type: 'crash.test' })).map((e) => e.id));
    const ranBeforeKill = lines(log).length;

    // Publishing goes on while no server runs: the store acknowledges, nothing is lost.
    await publishSome(TOTAL - acknowledged.length);
    const second = serve(home, log);
    children.push(second);
    const finishBy = Date.now() + 90_000;
    for (;;) {
      const counts = await store.countEventsByStatus();
      if (counts.pending === 0 && counts.processing === 0) break;
      assert.ok(Date.now() < finishBy, `not all processed in time: ${JSON.stringify(counts)}`);
      await sleep(100);
    }
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));

    for (const id of acknowledged) {
      const event = await store.getEvent(id);
      assert.equal(event?.status, 'completed', `acknowledged event ${id} ended ${event?.status}`);
    }
    const runs = new Map<string, number>();
    for (const id of lines(log)) runs.set(id, (runs.get(id) ?? 0) + 1);
    for (const id of acknowledged) assert.ok(runs.has(id), `hook never ran for ${id}`);
    const twice = [...runs.entries()].filter(([, n]) => n > 1).map(([id]) => id);
    // A second run is allowed only for an event whose owner died holding it (lease expired).
    for (const id of twice) assert.ok(inFlightAtKill.has(id), `event ${id} ran twice without having been in flight at the kill`);
    console.log(
      `# crash test: ${acknowledged.length} acknowledged, ${ranBeforeKill} runs before kill -9, ${inFlightAtKill.size} in flight at the kill, ` +
        `${twice.length} ran twice (their lease expired), 0 lost`,
    );
    await store.close();
  });
});
