import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

/** An event-driven plugin action: waits for an event carrying its id, completes with the event's result. */
const DEPLOY_PLUGIN = `
export default {
  meta: { type: 'remote_deploy', version: '1.0.0', name: 'Remote deploy', description: 'Starts a deploy elsewhere and waits for its result',
    category: 'Testing', executionMode: 'event_driven', idempotent: false, params: [{ name: 'id', type: 'string', required: true }],
    outputs: [{ name: 'status', type: 'string' }] },
  execute: (ctx) => ({ success: true, awaitingEvent: true, externalWorkflowId: String(ctx.params.id), timeoutSeconds: 60, outputs: { status: 'deploying' } }),
  onEvent: (ctx) => ctx.eventData.result === 'ok'
    ? { action: 'complete', status: 'completed', outputs: { status: 'deployed' } }
    : { action: 'update_progress', progress: 50 },
};
`;

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  return JSON.parse(text) as T;
}

describe('actions over HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    mkdirSync(join(server.home, 'actions'), { recursive: true });
    writeFileSync(join(server.home, 'actions', 'remote-deploy.mjs'), DEPLOY_PLUGIN);
  });
  after(() => server.stop());

  it('lists built-ins and plugins by category, and describes one with its JSON Schema', async () => {
    const list = await json<{ actions: Array<{ type: string; source: string }>; categories: string[] }>(await server.request('/actions', { role: 'viewer' }), 200);
    const types = list.actions.map((action) => action.type);
    for (const type of ['log', 'http_request', 'notification', 'run_commands', 'set_state', 'remote_deploy']) assert.ok(types.includes(type), type);
    assert.match(list.actions.find((action) => action.type === 'remote_deploy')!.source, /remote-deploy\.mjs$/);
    const described = await json<{ meta: { type: string }; schema: { properties: Record<string, unknown>; required: string[] } }>(await server.request('/actions/log', { role: 'viewer' }), 200);
    assert.equal(described.meta.type, 'log');
    assert.ok('message' in described.schema.properties);
    const unknown = await json<{ error: { code: string; details: { hint: string } } }>(await server.request('/actions/logg'), 404);
    assert.equal(unknown.error.details.hint, 'did you mean log?');
  });

  it('runs an action, and reports every invalid param in a failed outcome', async () => {
    const ran = await json<{ success: boolean; status: string; outputs: { result: string } }>(
      await server.request('/actions/transform/run', { method: 'POST', role: 'operator', json: { params: { input: 'Hello World', operation: 'uppercase' } } }),
      200,
    );
    assert.deepEqual([ran.success, ran.status, ran.outputs.result], [true, 'completed', 'HELLO WORLD']);
    const bad = await json<{ success: boolean; error: string }>(await server.request('/actions/transform/run', { method: 'POST', json: { params: { operation: 'shout', nope: 1 } } }), 200);
    assert.equal(bad.success, false);
    assert.match(bad.error, /nope is not a param of transform \(unknown\)[\s\S]*operation must be one of "passthrough"/);
    assert.equal((await server.request('/actions/log/run', { method: 'POST', role: 'viewer', json: { params: { message: 'x' } } })).status, 403);
  });

  it('parks an event-driven action and completes it when its event arrives', async () => {
    const started = await json<{ status: string; wait_id: string; external_workflow_id: string }>(
      await server.request('/actions/remote_deploy/run', { method: 'POST', json: { params: { id: 'deploy-77' } } }),
      200,
    );
    assert.equal(started.status, 'running');
    assert.equal(started.external_workflow_id, 'deploy-77');
    await server.request('/events', { method: 'POST', json: { type: 'deploy.progress', data: { payload: { workflow_id: 'deploy-77' }, result: 'half' } } });
    await server.request('/events', { method: 'POST', json: { type: 'deploy.finished', data: { workflow_id: 'deploy-77', result: 'ok' } } });
    let wait = { status: 'waiting', outputs: {} as Record<string, unknown>, progress: null as number | null };
    for (let attempt = 0; attempt < 100 && wait.status === 'waiting'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      wait = await json(await server.request(`/waits/${started.wait_id}`, { role: 'viewer' }), 200);
    }
    assert.equal(wait.status, 'completed');
    assert.deepEqual(wait.outputs, { status: 'deployed' });
    const progress = await json<{ events: Array<{ data: { progress: number } }> }>(await server.request('/events?type=step.progress'), 200);
    assert.equal(progress.events[0]?.data.progress, 50);
  });

  it('answers once the event came with ?wait=true', async () => {
    const answer = server.request('/actions/remote_deploy/run?wait=true', { method: 'POST', json: { params: { id: 'deploy-78' } } });
    setTimeout(() => void server.request('/events', { method: 'POST', json: { type: 'deploy.finished', data: { workflow_id: 'deploy-78', result: 'ok' } } }), 300);
    const ended = await json<{ success: boolean; status: string; outputs: Record<string, unknown> }>(await answer, 200);
    assert.deepEqual([ended.success, ended.status, ended.outputs], [true, 'completed', { status: 'deployed' }]);
  });
});
