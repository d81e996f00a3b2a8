import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../support/server.js';
import { CliHome } from './helpers.js';

/** Hooks that run a typed action: `hook add --action`, the YAML form, and POST /hooks. */

describe('hookflow hook add --action', () => {
  let home: CliHome;
  before(() => {
    home = new CliHome();
  });
  after(() => home.cleanup());

  it('adds an action hook from flags: --params JSON with --param entries over it', async () => {
    const { stdout } = await home.ok([
      'hook', 'add', '--name', 'say', '--event', 'task.failed', '--action', 'log',
      '--params', '{"message": "from params", "level": "info"}',
      '--param', 'message={{ event.data.task.task_name }} failed', '--param', 'level=warning',
    ]);
    assert.match(stdout, /added hook say/);
    assert.match(stdout, /Runtime: +action/);
    assert.match(stdout, /Action: +log/);
    assert.match(stdout, /Params: +\{"message":"\{\{ event\.data\.task\.task_name \}\} failed","level":"warning"\}/);
    const hook = await home.json<Record<string, unknown>>(['hook', 'get', 'say']);
    assert.equal(hook.runtime, 'action');
    assert.equal(hook.action, 'log');
    assert.deepEqual(hook.params, { message: '{{ event.data.task.task_name }} failed', level: 'warning' });
  });

  it('runs it for a published event (--wait) and records the action in the execution', async () => {
    const done = await home.json<{ executions: Array<{ hook_name: string; success: boolean; output: string }> }>([
      'events', 'dispatch', 'task.failed', '--data', '{"task": {"task_name": "build"}}', '--wait',
    ]);
    const [execution] = done.executions;
    assert.equal(execution.hook_name, 'say');
    assert.equal(execution.success, true);
    assert.match(execution.output, /\[warn\] build failed/);
  });

  it('adds one from a YAML file with `action:` and `params:`', async () => {
    const file = home.file('notify.yaml', 'name: notify\nevents: [deploy.failed]\naction: set_output\nparams:\n  outputs: {who: "{{ event.data.user }}"}\n');
    const hook = await home.json<Record<string, unknown>>(['hook', 'add', file]);
    assert.equal(hook.runtime, 'action');
    assert.deepEqual(hook.params, { outputs: { who: '{{ event.data.user }}' } });
  });

  const rejections: Array<[string, string[], RegExp]> = [
    ['an unknown action, with the nearest', ['--name', 'x', '--event', 'task.failed', '--action', 'lgo'], /no action of type "lgo".*did you mean log/s],
    ['params the action refuses, every field', ['--name', 'x', '--event', 'task.failed', '--action', 'log', '--param', 'level=loud', '--param', 'extra=1'], /message[\s\S]*level/],
    ['--param without --action', ['--name', 'x', '--event', 'task.failed', '--command', 'true', '--param', 'a=1'], /--param and --params belong to --action/],
    ['--command and --action', ['--name', 'x', '--event', 'task.failed', '--command', 'true', '--action', 'log'], /give --command or --action, not both/],
    ['--action without --name', ['--event', 'task.failed', '--action', 'log'], /an action hook defined by flags needs --name/],
    ['--params that is not an object', ['--name', 'x', '--event', 'task.failed', '--action', 'log', '--params', '[1]'], /--params/],
  ];
  for (const [title, args, message] of rejections) {
    it(`refuses ${title}`, async () => {
      const result = await home.run(['hook', 'add', ...args]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, message);
    });
  }

  it('a YAML file with both commands and action is refused at its line', async () => {
    const file = home.file('both.yaml', 'name: both\nevents: [task.failed]\ncommands: [ls]\naction: log\n');
    const result = await home.run(['hook', 'add', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /both `commands` and `action`/);
    assert.match(result.stderr, /both\.yaml:3:1/);
  });
});

describe('POST /hooks with runtime action, and the server routing answers to parked steps', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    // An event-driven plugin, found when the server first loads its actions.
    mkdirSync(join(server.home, 'actions'));
    writeFileSync(
      join(server.home, 'actions', 'deploy.mjs'),
      `export default {
        meta: { type: 'deploy_api', version: '1.0.0', name: 'Deploy', description: 'waits for a result', category: 'Test',
          executionMode: 'event_driven', idempotent: false, params: [{ name: 'id', type: 'string', required: true }], outputs: [] },
        execute: (ctx) => ({ success: true, awaitingEvent: true, externalWorkflowId: ctx.params.id, timeoutSeconds: 60 }),
        onEvent: (ctx) => ctx.eventData.status === 'COMPLETED' ? { action: 'complete', outputs: { done: true } } : { action: 'update_progress', progress: 50 },
      };`,
    );
  });
  after(async () => server.stop());

  it('adds an action hook and answers it with its action and params', async () => {
    const response = await server.request('/hooks', {
      method: 'POST',
      role: 'operator',
      json: { name: 'deploy', runtime: 'action', events: ['deploy.requested'], action: 'deploy_api', params: { id: '{{ event.data.id }}' } },
    });
    assert.equal(response.status, 201, await response.clone().text());
    const { hook } = (await response.json()) as { hook: Record<string, unknown> };
    assert.equal(hook.runtime, 'action');
    assert.equal(hook.action, 'deploy_api');
    assert.deepEqual(hook.params, { id: '{{ event.data.id }}' });
    const got = (await (await server.request('/hooks/deploy')).json()) as Record<string, unknown>;
    assert.equal(got.action, 'deploy_api');
    const source = (await (await server.request('/hooks/deploy/source')).json()) as { language: string; text: string };
    assert.equal(source.language, 'json');
    assert.deepEqual(JSON.parse(source.text), { action: 'deploy_api', params: { id: '{{ event.data.id }}' } });
  });

  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ['runtime action without action', { name: 'a', runtime: 'action', events: ['task.failed'] }, /needs `action`/],
    ['action with another runtime', { name: 'b', runtime: 'commands', events: ['task.failed'], commands: ['true'], action: 'log' }, /belong to an action hook/],
    ['an unknown action', { name: 'c', runtime: 'action', events: ['task.failed'], action: 'nope_nope' }, /no action of type "nope_nope"/],
  ];
  for (const [title, body, message] of refusals) {
    it(`refuses ${title} with 400`, async () => {
      const response = await server.request('/hooks', { method: 'POST', role: 'operator', json: body });
      assert.equal(response.status, 400);
      const { error } = (await response.json()) as { error: { message: string } };
      assert.match(error.message, message);
    });
  }

  it('the server parks the step of an event-driven hook and routes its answer: progress, then completion', async () => {
    const publish = (type: string, data: Record<string, unknown>) => server.request('/events', { method: 'POST', role: 'operator', json: { type, data } });
    assert.equal((await publish('deploy.requested', { id: 'job-77' })).status, 201);
    const waits = server.engine.store.waits;
    const until = async <T>(check: () => Promise<T | null | undefined | false>, what: string): Promise<T> => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const value = await check();
        if (value) return value;
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
        await sleep(25);
      }
    };
    const wait = await until(async () => (await waits.listWaits({ correlation_id: 'job-77', limit: 1 }))[0], 'the hook to park');
    assert.equal(wait.owner_kind, 'hook');
    await publish('deploy.status', { payload: { workflow_id: 'job-77' }, status: 'RUNNING' });
    await until(async () => (await waits.getWait(wait.id))?.progress === 50, 'the progress');
    await publish('deploy.status', { notification_metadata: { workflow_id: 'job-77' }, status: 'COMPLETED' });
    const ended = await until(async () => {
      const current = await waits.getWait(wait.id);
      return current?.status === 'completed' ? current : null;
    }, 'the completion');
    assert.deepEqual(ended.outputs, { done: true });
    // The step event follows the transition it reports.
    const steps = await until(async () => {
      const found = await server.engine.events.list({ type: 'step.*' });
      return found.length >= 2 ? found : null;
    }, 'the step events');
    assert.deepEqual(steps.map((event) => event.type).sort(), ['step.completed', 'step.progress']);
  });
});
