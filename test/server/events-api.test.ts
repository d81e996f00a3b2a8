import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

interface EventJson {
  id: string;
  type: string;
  status: string;
  data: Record<string, unknown>;
  parent_id: string | null;
  executions: Array<{ hook_name: string; success: boolean; output: string }>;
}

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  return JSON.parse(text) as T;
}

describe('events over HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.engine.hooks.addCommands({ name: 'echoer', events: ['demo.*'], commands: ['echo got $HOOKFLOW_EVENT_TYPE'] });
  });
  after(() => server.stop());

  it('publishes durably (201), waits for processing with ?wait, and shows the hook executions', async () => {
    const published = await json<{ event: EventJson; created: boolean }>(
      await server.request('/events', { method: 'POST', role: 'operator', json: { type: 'demo.hello', data: { n: 1 }, stack: 'prod' } }),
      201,
    );
    assert.equal(published.created, true);
    assert.equal(published.event.type, 'demo.hello');
    assert.ok(await server.engine.store.getEvent(published.event.id), 'stored before the answer');
    const waited = await json<{ event: EventJson }>(await server.request('/events?wait=true&timeout=10s', { method: 'POST', json: { type: 'demo.wait' } }), 201);
    assert.equal(waited.event.status, 'completed');
    assert.equal(waited.event.executions[0].hook_name, 'echoer');
    assert.match(waited.event.executions[0].output, /got demo\.wait/);
    const detail = await json<EventJson>(await server.request(`/events/${waited.event.id}`, { role: 'viewer' }), 200);
    assert.equal(detail.executions.length, 1);
  });

  it('returns the first event for a repeated Idempotency-Key (200, created false)', async () => {
    const headers = { 'idempotency-key': 'order-42' };
    const first = await json<{ event: EventJson; created: boolean }>(await server.request('/events', { method: 'POST', headers, json: { type: 'order.placed' } }), 201);
    const second = await json<{ event: EventJson; created: boolean }>(await server.request('/events', { method: 'POST', headers, json: { type: 'order.placed' } }), 200);
    assert.equal(second.created, false);
    assert.equal(second.event.id, first.event.id);
    // The dispatcher signals each new event once: the metric counts one, not two.
    const metrics = await (await server.request('/metrics', { role: 'viewer' })).text();
    assert.match(metrics, /^hookflow_events_published_total\{type="order\.placed"\} 1$/m);
  });

  it('lists with filters and cursor pagination, newest first, without repeats', async () => {
    for (let index = 0; index < 7; index++) await server.request('/events', { method: 'POST', json: { type: 'page.item', data: { index } } });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/events?type=page.*&limit=3${cursor ? `&before=${cursor}` : ''}`;
      const page: { events: EventJson[]; next_cursor: string | null } = await json(await server.request(query, { role: 'viewer' }), 200);
      seen.push(...page.events.map((event) => Number(event.data.index)));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, [6, 5, 4, 3, 2, 1, 0]);
    const bad = await json<{ error: { code: string; details: { fields: Array<{ path: string }> } } }>(await server.request('/events?status=done&limit=5000'), 400);
    assert.equal(bad.error.code, 'HF_ERR_VALIDATION');
    assert.deepEqual(bad.error.details.fields.map((field) => field.path).sort(), ['querystring.limit', 'querystring.status']);
  });

  it('replays an event (parent_id) and deletes a processed one', async () => {
    const original = await json<{ event: EventJson }>(await server.request('/events?wait=true', { method: 'POST', json: { type: 'demo.replay' } }), 201);
    const replay = await json<{ event: EventJson }>(await server.request(`/events/${original.event.id}/replay`, { method: 'POST' }), 201);
    assert.equal(replay.event.parent_id, original.event.id);
    assert.equal((await server.request(`/events/${original.event.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await server.request(`/events/${original.event.id}`)).status, 404);
    assert.equal((await server.request(`/events/${original.event.id}`, { method: 'DELETE' })).status, 404);
  });

  it('gives the catalogue', async () => {
    const answer = await json<{ types: Array<{ type: string; category: string }> }>(await server.request('/events/types?category=task', { role: 'viewer' }), 200);
    assert.ok(answer.types.some((type) => type.type === 'task.failed'));
    assert.ok(answer.types.every((type) => type.category === 'task'));
    assert.equal((await server.request('/events/types?category=nope')).status, 400);
  });

  it('refuses bad input with field paths and stores nothing', async () => {
    const before = (await server.engine.store.countEventsByStatus());
    const cases: Array<{ body: string; status: number; code: string; where?: RegExp }> = [
      { body: '{"type": "demo.x", "data": [1]}', status: 400, code: 'HF_ERR_VALIDATION', where: /body\.data/ },
      { body: '{"type": "Bad Type"}', status: 400, code: 'HF_ERR_INVALID_EVENT_TYPE' },
      { body: '{"type": "demo.x",}', status: 400, code: 'HF_ERR_INVALID_JSON' },
      { body: '{"data": {}}', status: 400, code: 'HF_ERR_VALIDATION', where: /body\.type/ },
      { body: '{"type": "demo.x", "data": {"__proto__": {"admin": true}}}', status: 400, code: 'HF_ERR_INVALID_JSON' },
      { body: '{"type": "demo.x", "surprise": 1}', status: 400, code: 'HF_ERR_VALIDATION', where: /body\.surprise/ },
      { body: `{"type": "demo.x", "data": ${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`, status: 400, code: 'HF_ERR_INVALID_JSON' },
      { body: `{"type": "demo.x", "data": {"blob": "${'x'.repeat(1_200_000)}"}}`, status: 413, code: 'HF_ERR_PAYLOAD_TOO_LARGE' },
    ];
    for (const entry of cases) {
      const response = await server.request('/events', { method: 'POST', body: entry.body, headers: { 'content-type': 'application/json' } });
      const answer = (await response.json()) as { error: { code: string; message: string; details: Record<string, unknown> } };
      assert.equal(response.status, entry.status, `${entry.body.slice(0, 60)}: ${answer.error.message}`);
      assert.equal(answer.error.code, entry.code, entry.body.slice(0, 60));
      if (entry.where) assert.match(JSON.stringify(answer.error.details), entry.where);
      assert.ok(!JSON.stringify(answer).includes('    at '), 'no stack trace');
    }
    const text = await server.request('/events', { method: 'POST', body: 'type=demo', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    await sleep(20);
    assert.deepEqual(await server.engine.store.countEventsByStatus(), before, 'nothing stored by refused requests');
  });
});

describe('hooks, secrets and state over HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('adds a Lua hook from script text, shows its source, tests it, disables and removes it', async () => {
    const script = [
      'local hook = { name = "greeter", description = "Greets", event_type = "demo.greet" }',
      'function hook.execute(event)',
      '  log.info("hello " .. event.data.name)',
      '  return true',
      'end',
      'return hook',
      '',
    ].join('\n');
    const added = await json<{ hook: { name: string; runtime: string; events: string[] }; warnings: string[] }>(
      await server.request('/hooks', { method: 'POST', role: 'operator', json: { name: 'greeter', runtime: 'lua', script } }),
      201,
    );
    assert.equal(added.hook.runtime, 'lua');
    assert.deepEqual(added.hook.events, ['demo.greet']);
    assert.equal((await server.request('/hooks', { method: 'POST', json: { name: 'greeter', runtime: 'lua', script } })).status, 409);
    const source = await json<{ language: string; text: string }>(await server.request('/hooks/greeter/source', { role: 'viewer' }), 200);
    assert.equal(source.language, 'lua');
    assert.equal(source.text, script);
    const tested = await json<{ success: boolean; output: string }>(await server.request('/hooks/greeter/test', { method: 'POST', json: { data: { name: 'ada' } } }), 200);
    assert.equal(tested.success, true);
    assert.match(tested.output, /hello ada/);
    const disabled = await json<{ enabled: boolean }>(await server.request('/hooks/greeter/disable', { method: 'POST' }), 200);
    assert.equal(disabled.enabled, false);
    assert.equal((await server.engine.hooks.get('greeter')).enabled, false);
    assert.equal((await server.request('/hooks/greeter', { method: 'DELETE' })).status, 204);
    assert.equal((await server.request('/hooks/greeter')).status, 404);
  });

  it('refuses an invalid script without leaving a file behind', async () => {
    const bad = await server.request('/hooks', { method: 'POST', json: { name: 'broken', runtime: 'lua', script: 'function on_event(\n' } });
    assert.equal(bad.status, 400);
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(`${server.home}/hooks/broken.lua`), false);
    const traversal = await server.request('/hooks', { method: 'POST', json: { name: '../evil', runtime: 'lua', script: 'x = 1' } });
    assert.equal(traversal.status, 400);
  });

  it('adds a commands hook and reads its history after it ran', async () => {
    await json(await server.request('/hooks', { method: 'POST', json: { name: 'ticker', runtime: 'commands', events: ['tick.*'], commands: ['echo tick'] } }), 201);
    await json(await server.request('/events?wait=true', { method: 'POST', json: { type: 'tick.one' } }), 201);
    const history = await json<{ executions: Array<{ hook_name: string; success: boolean }> }>(await server.request('/hooks/ticker/history', { role: 'viewer' }), 200);
    assert.equal(history.executions.length, 1);
    assert.equal(history.executions[0].success, true);
  });

  it('sets secrets but never returns their values', async () => {
    await json(await server.request('/secrets/slack_token', { method: 'PUT', role: 'operator', json: { value: 'xoxb-very-secret' } }), 200);
    const listed = await server.request('/secrets', { role: 'viewer' });
    const text = await listed.text();
    assert.match(text, /slack_token/);
    assert.ok(!text.includes('xoxb-very-secret'));
    assert.equal(await server.engine.secrets.reveal('slack_token'), 'xoxb-very-secret');
    assert.equal((await server.request('/secrets/slack_token', { method: 'DELETE' })).status, 204);
    assert.equal((await server.request('/secrets/slack_token', { method: 'DELETE' })).status, 404);
  });

  it('reads and writes state', async () => {
    await json(await server.request('/state/deploys.count', { method: 'PUT', json: { value: { n: 3 } } }), 200);
    assert.deepEqual(await json(await server.request('/state/deploys.count', { role: 'viewer' }), 200), { key: 'deploys.count', value: { n: 3 } });
    const listed = await json<{ entries: Array<{ key: string }> }>(await server.request('/state?prefix=deploys.'), 200);
    assert.deepEqual(listed.entries.map((entry) => entry.key), ['deploys.count']);
    assert.equal((await server.request('/state/bad key!', { method: 'PUT', json: { value: 1 } })).status, 400);
    assert.equal((await server.request('/state/deploys.count', { method: 'DELETE' })).status, 204);
    assert.equal((await server.request('/state/deploys.count')).status, 404);
  });

  it('answers /health without a token and / with who you are', async () => {
    const health = await json<{ status: string; store: { reachable: boolean }; dispatcher: { state: string } }>(await server.request('/health', { role: null }), 200);
    assert.equal(health.status, 'ok');
    assert.equal(health.store.reachable, true);
    assert.equal(health.dispatcher.state, 'running');
    const info = await json<{ you: { name: string; role: string } }>(await server.request('/', { role: 'viewer' }), 200);
    assert.deepEqual(info.you, { kind: 'token', name: 'test-viewer', role: 'viewer' });
  });
});
