import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EventRecord } from '../../src/events/model.js';
import { CliHome } from '../cli/helpers.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Sources added through the API reach the running server (it polls the store's sources revision). */
describe('sources running in the server', () => {
  let server: TestServer;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hookflow-running-'));
    server = await startTestServer({}, { HOOKFLOW_MONITOR: '0' });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const waitFor = async (type: string, timeoutMs = 6000): Promise<EventRecord> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [found] = await server.engine.events.list({ type, limit: 1 });
      if (found) return found;
      if (Date.now() > deadline) assert.fail(`no ${type} event within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('a schedule and a watcher added over HTTP fire without a restart', async () => {
    const schedule = await server.request('/schedules', {
      method: 'POST',
      role: 'operator',
      json: { name: 'every-second', config: { cron: '* * * * * *', event_type: 'heartbeat.tick', payload: { from: 'test' } } },
    });
    assert.equal(schedule.status, 201, await schedule.clone().text());
    const saved = (await schedule.json()) as { source: { next_run: string; last_run: string | null } };
    assert.ok(Date.parse(saved.source.next_run) > Date.now() - 1000);
    assert.equal(saved.source.last_run, null);

    const watcher = await server.request('/watchers', { method: 'POST', role: 'operator', json: { name: 'drop', config: { paths: [dir], patterns: ['*.txt'], debounce_ms: 50 } } });
    assert.equal(watcher.status, 201, await watcher.clone().text());

    const created = await waitFor('schedule.created');
    assert.equal(created.source, 'api:test-operator');
    assert.equal(created.data.schedule, 'every-second');

    const tick = await waitFor('heartbeat.tick');
    assert.deepEqual(Object.keys(tick.data).sort(), ['catch_up', 'payload', 'schedule', 'scheduled_at']);
    assert.deepEqual(tick.data.payload, { from: 'test' });
    const after = (await (await server.request('/schedules/every-second', { role: 'viewer' })).json()) as { last_run: string };
    assert.ok(after.last_run, 'last_run once it has fired');

    // The watcher started with the same reload; give chokidar its scan.
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(join(dir, 'note.txt'), 'hello');
    const file = await waitFor('file.created');
    assert.deepEqual(file.data, { path: join(dir, 'note.txt'), watcher: 'drop', size: 5 });
    assert.equal(file.source, 'watcher:drop');

    assert.equal((await server.request('/schedules/every-second/disable', { method: 'POST', role: 'operator' })).status, 200);
    await waitFor('schedule.disabled');
  });

  it('refuses a bad schedule with the field and the fix', async () => {
    const response = await server.request('/schedules', { method: 'POST', role: 'operator', json: { name: 'bad', config: { cron: '* * *' } } });
    assert.equal(response.status, 400);
    const { error } = (await response.json()) as { error: { code: string; message: string; details: { where: string; hint: string } } };
    assert.equal(error.code, 'HF_ERR_VALIDATION');
    assert.equal(error.details.where, 'cron');
    assert.match(error.message, /exactly five, six, or seven/);
    assert.match(error.details.hint, /@hourly/);
  });

  it('the CLI manages the sources of a remote server (--url)', async () => {
    const home = new CliHome();
    try {
      const remote = (args: string[]) => home.run(['--url', server.url, '--token', server.tokens.operator, ...args]);
      const added = await remote(['webhook', 'add', 'remote-hook', '--event', 'remote.ping', '--verify', 'bearer', '--secret', 'not-set-yet', '--json']);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stderr, /secret "not-set-yet" is not set/, 'the server\'s warnings reach the CLI');
      assert.equal((JSON.parse(added.stdout) as { url: string }).url, '/webhooks/remote-hook');
      const replaced = await remote(['webhook', 'add', 'remote-hook', '--event', 'remote.pong', '--verify', 'bearer', '--secret', 'x', '--replace']);
      assert.equal(replaced.code, 0, replaced.stderr);
      assert.equal((await server.engine.store.sources.getSource('webhook', 'remote-hook'))?.config.event_type, 'remote.pong');
      assert.equal((await remote(['webhook', 'disable', 'remote-hook'])).code, 0);
      const listed = await remote(['webhook', 'list', '--json']);
      assert.deepEqual(
        (JSON.parse(listed.stdout) as Array<{ name: string; enabled: boolean }>).map((hook) => [hook.name, hook.enabled]),
        [['remote-hook', false]],
      );
      const schedule = await remote(['schedule', 'add', 'remote-daily', '--cron', '@daily', '--json']);
      assert.equal(schedule.code, 0, schedule.stderr);
      assert.match(String((JSON.parse(schedule.stdout) as { next_run: string }).next_run), /T00:00:00|T\d\d:\d\d:00/);
      const missing = await remote(['schedule', 'remove', 'nope']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no schedule named "nope"/);
      assert.equal((await remote(['webhook', 'remove', 'remote-hook'])).code, 0);
      const viewer = await home.run(['--url', server.url, '--token', server.tokens.viewer, 'schedule', 'remove', 'remote-daily']);
      assert.equal(viewer.code, 1);
      assert.match(viewer.stderr, /needs the operator role/);
    } finally {
      home.cleanup();
    }
  });
});
