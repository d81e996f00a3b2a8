import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/store/accounts.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { CliHome } from '../cli/helpers.js';

/** Four shell jobs: a → (b, c) → d. */
const DIAMOND = `name: diamond
description: fan out, fan in
jobs:
  - name: a
    command: echo alpha
  - name: b
    command: echo beta
    depends_on: [a]
  - name: c
    command: echo gamma >&2
    depends_on: [a]
  - name: d
    command: "true"
    depends_on: [b, c]
`;

const WITH_ACTION = `name: announced
jobs:
  - name: only
    command: "true"
actions:
  - trigger_type: on_workflow_start
    action_type: run_commands
    commands: ["echo started"]
  - trigger_type: on_jobs_complete
    action_type: run_commands
    jobs: [only]
    commands: ["echo done"]
`;

/** An unknown field on line 4, column 5; a dependency on a job that does not exist on line 6. */
const INVALID = `name: broken
jobs:
  - name: a
    comand: echo typo
  - name: b
    depends_on: [nope]
    command: "true"
`;

/** The diamond with an action on the end of its middle jobs. */
const DIAMOND_WITH_ACTION = `${DIAMOND}actions:
  - trigger_type: on_jobs_complete
    action_type: run_commands
    jobs: [b, c]
    commands: ["echo both done"]
`;

const ZIP_SPEC = join(import.meta.dirname, '../fixtures/compat/torc/zip_parameter_mode.yaml');
const SAMPLE_DAG = readFileSync(join(import.meta.dirname, '../fixtures/compat/budpipeline/sample_dag.json'), 'utf8');

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, `${response.url}: ${text}`);
  return JSON.parse(text) as T;
}

interface ErrorAnswer {
  error: { code: string; message: string; details: { problems?: Array<{ message: string; line: number; column: number; path: string }>; where?: string } };
}

describe('workflows over HTTP', () => {
  let server: TestServer;
  const yaml = (text: string, role: Role | null = 'operator', path = '/workflows') =>
    server.request(path, { method: 'POST', role, headers: { 'content-type': 'application/yaml' }, body: text });
  const submit = async (text: string): Promise<string> => (await json<{ id: string }>(await yaml(text), 201)).id;

  let home: CliHome;
  before(async () => {
    server = await startTestServer();
    home = new CliHome();
  });
  after(async () => {
    await server.stop();
    home.cleanup();
  });

  it('lists every workflow route in the OpenAPI document', async () => {
    const document = await json<{ paths: Record<string, Record<string, unknown>> }>(await server.request('/openapi.json', { role: null }), 200);
    const routes = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    for (const key of [
      'POST /workflows/validate',
      'POST /workflows',
      'GET /workflows',
      'GET /workflows/{id}',
      'DELETE /workflows/{id}',
      'GET /workflows/{id}/jobs',
      'GET /workflows/{id}/jobs/{job}',
      'GET /workflows/{id}/jobs/{job}/logs',
      'GET /workflows/{id}/outputs',
      'GET /workflows/{id}/actions',
      'POST /workflows/{id}/actions/{index}/claim',
      'GET /workflows/{id}/graph',
      'POST /workflows/{id}/cancel',
      'POST /workflows/{id}/restart',
      'GET /workers',
      'GET /slurm/allocations',
      'POST /slurm/allocations/cancel',
    ]) {
      assert.ok(routes.includes(key), `${key} is missing`);
    }
  });

  // [method, path, least role]
  const ROUTES: Array<[string, string, 'viewer' | 'operator']> = [
    ['POST', '/workflows/validate', 'operator'],
    ['POST', '/workflows', 'operator'],
    ['GET', '/workflows', 'viewer'],
    ['GET', '/workflows/x', 'viewer'],
    ['DELETE', '/workflows/x', 'operator'],
    ['GET', '/workflows/x/jobs', 'viewer'],
    ['GET', '/workflows/x/jobs/a', 'viewer'],
    ['GET', '/workflows/x/jobs/a/logs', 'viewer'],
    ['GET', '/workflows/x/outputs', 'viewer'],
    ['GET', '/workflows/x/actions', 'viewer'],
    ['POST', '/workflows/x/actions/0/claim', 'operator'],
    ['GET', '/workflows/x/graph', 'viewer'],
    ['POST', '/workflows/x/cancel', 'operator'],
    ['POST', '/workflows/x/restart', 'operator'],
    ['GET', '/workers', 'viewer'],
    ['GET', '/slurm/allocations', 'viewer'],
    ['POST', '/slurm/allocations/cancel', 'operator'],
  ];

  it('asks for a token (401) and the right role (403) on every route', async () => {
    for (const [method, path, least] of ROUTES) {
      const body = method === 'POST' ? {} : undefined;
      const anonymous = await server.request(path, { method, role: null, json: body });
      assert.equal(anonymous.status, 401, `${method} ${path} without a token`);
      assert.equal(((await anonymous.json()) as ErrorAnswer).error.code, 'HF_ERR_UNAUTHORIZED');
      const viewer = await server.request(path, { method, role: 'viewer', json: body });
      await viewer.body?.cancel();
      if (least === 'operator') assert.equal(viewer.status, 403, `${method} ${path} let a viewer through`);
      else assert.ok(viewer.status !== 401 && viewer.status !== 403, `${method} ${path} refused a viewer (${viewer.status})`);
    }
  });

  it('submits a spec as YAML, as a JSON object, and as {spec, format}', async () => {
    const fromYaml = await json<{ id: string; run_id: number }>(await yaml(DIAMOND), 201);
    assert.deepEqual(Object.keys(fromYaml).sort(), ['id', 'run_id']);
    assert.equal(fromYaml.run_id, 1);
    for (const type of ['text/yaml', 'application/x-yaml']) {
      const answer = await server.request('/workflows', { method: 'POST', role: 'operator', headers: { 'content-type': type }, body: DIAMOND });
      assert.equal(answer.status, 201, `${type}: ${await answer.text()}`);
    }
    const object = {
      name: 'from-json',
      jobs: [
        { name: 'one', command: 'true' },
        { name: 'two', command: 'true', depends_on: ['one'] },
      ],
    };
    const fromJson = await json<{ id: string }>(await server.request('/workflows', { method: 'POST', role: 'operator', json: object }), 201);
    const wrapped = await json<{ id: string }>(await server.request('/workflows', { method: 'POST', role: 'operator', json: { spec: DIAMOND, format: 'torc' } }), 201);
    const wrappedObject = await json<{ id: string }>(await server.request('/workflows', { method: 'POST', role: 'operator', json: { spec: object } }), 201);

    const diamond = await json<{ name: string; format: string; status: string; job_count: number; created_by: string; created_at: string; counts: Record<string, number> }>(
      await server.request(`/workflows/${fromYaml.id}`, { role: 'viewer' }),
      200,
    );
    assert.equal(diamond.name, 'diamond');
    assert.equal(diamond.format, 'torc');
    assert.equal(diamond.status, 'running');
    assert.equal(diamond.job_count, 4);
    assert.equal(diamond.created_by, 'test-operator');
    assert.match(diamond.created_at, /^\d{4}-\d{2}-\d{2}T/);
    assert.deepEqual(diamond.counts, { ready: 1, blocked: 3 });
    assert.equal((await json<{ job_count: number }>(await server.request(`/workflows/${fromJson.id}`), 200)).job_count, 2);
    assert.equal((await json<{ name: string }>(await server.request(`/workflows/${wrapped.id}`), 200)).name, 'diamond');
    assert.equal((await json<{ name: string }>(await server.request(`/workflows/${wrappedObject.id}`), 200)).name, 'from-json');

    const listed = await json<{ workflows: Array<{ id: string }>; next_cursor: string | null }>(await server.request('/workflows?limit=2', { role: 'viewer' }), 200);
    assert.equal(listed.workflows.length, 2);
    assert.equal(listed.workflows[0].id, wrappedObject.id, 'newest first');
    assert.ok(listed.next_cursor);
    const next = await json<{ workflows: Array<{ id: string }> }>(await server.request(`/workflows?limit=2&before=${listed.next_cursor}`), 200);
    assert.equal(next.workflows[0].id, fromJson.id);
  });

  it('submits DAG parameters from the body and from ?param=', async () => {
    const { id } = await json<{ id: string }>(await server.request('/workflows', { method: 'POST', role: 'operator', json: { spec: SAMPLE_DAG, params: { message: 'hi' } } }), 201);
    const workflow = await json<{ format: string; params: Record<string, unknown> }>(await server.request(`/workflows/${id}`), 200);
    assert.equal(workflow.format, 'dag');
    assert.deepEqual(workflow.params, { message: 'hi', run_transform: true });
    const viaQuery = await json<{ id: string }>(
      await server.request('/workflows?param=run_transform=false&param=message=yo', { method: 'POST', role: 'operator', headers: { 'content-type': 'application/json' }, body: SAMPLE_DAG }),
      201,
    );
    assert.deepEqual((await json<{ params: Record<string, unknown> }>(await server.request(`/workflows/${viaQuery.id}`), 200)).params, { message: 'yo', run_transform: false });
    const unknown = await json<ErrorAnswer>(await server.request('/workflows', { method: 'POST', role: 'operator', json: { spec: SAMPLE_DAG, params: { mesage: 'x' } } }), 400);
    assert.equal(unknown.error.code, 'HF_ERR_INVALID_PARAMS');
  });

  it('refuses an invalid spec with 400 and every problem at its line:column', async () => {
    const before = (await json<{ workflows: unknown[] }>(await server.request('/workflows?limit=1000'), 200)).workflows.length;
    for (const response of [await yaml(INVALID), await server.request('/workflows', { method: 'POST', role: 'operator', json: { spec: INVALID, file: 'broken.yaml' } })]) {
      const answer = await json<ErrorAnswer>(response, 400);
      assert.equal(answer.error.code, 'HF_ERR_INVALID_WORKFLOW');
      const problems = answer.error.details.problems ?? [];
      assert.ok(problems.length >= 2, JSON.stringify(problems));
      const typo = problems.find((problem) => /comand/.test(problem.message));
      assert.ok(typo, 'the unknown field is named');
      assert.equal(typo.line, 4);
      assert.equal(typo.column, 5);
      assert.match(typo.message, /command/, 'with the nearest valid name');
      const missing = problems.find((problem) => /nope/.test(problem.message));
      assert.equal(missing?.line, 6);
    }
    const named = await json<ErrorAnswer>(await server.request('/workflows', { method: 'POST', role: 'operator', json: { spec: INVALID, file: 'broken.yaml' } }), 400);
    assert.match(named.error.details.where ?? '', /^broken\.yaml:\d+:\d+$/);
    // A JSON spec body keeps its own line numbers.
    const jsonText = '{\n  "name": "j",\n  "jobs": [\n    {"name": "a", "command": "true", "colour": "red"}\n  ]\n}\n';
    const fromJson = await json<ErrorAnswer>(await server.request('/workflows', { method: 'POST', role: 'operator', headers: { 'content-type': 'application/json' }, body: jsonText }), 400);
    assert.equal(fromJson.error.details.problems?.[0].line, 4);
    assert.equal((await json<{ workflows: unknown[] }>(await server.request('/workflows?limit=1000'), 200)).workflows.length, before, 'nothing was stored');
    const badWrapper = await json<ErrorAnswer>(await server.request('/workflows', { method: 'POST', role: 'operator', json: { spec: DIAMOND, formt: 'torc' } }), 400);
    assert.equal(badWrapper.error.code, 'HF_ERR_VALIDATION');
    const text = await server.request('/workflows', { method: 'POST', role: 'operator', headers: { 'content-type': 'text/plain' }, body: DIAMOND });
    assert.equal(text.status, 415);
  });

  it('validates without storing: counts, job names, or the problems', async () => {
    const summary = await json<Record<string, unknown>>(await yaml(DIAMOND, 'operator', '/workflows/validate?show_jobs=true'), 200);
    assert.deepEqual(summary, { name: 'diamond', format: 'torc', jobs: 4, files: 0, levels: 3, actions: [], job_names: ['a', 'b', 'c', 'd'] });
    const actions = await json<{ actions: unknown[] }>(await server.request('/workflows/validate', { method: 'POST', role: 'operator', json: { spec: WITH_ACTION } }), 200);
    assert.deepEqual(actions.actions, [
      { trigger_type: 'on_workflow_start', action_type: 'run_commands', selected_jobs: 0 },
      { trigger_type: 'on_jobs_complete', action_type: 'run_commands', selected_jobs: 1 },
    ]);
    const invalid = await json<ErrorAnswer>(await yaml(INVALID, 'operator', '/workflows/validate'), 400);
    assert.equal(invalid.error.code, 'HF_ERR_INVALID_WORKFLOW');
    assert.ok((invalid.error.details.problems ?? []).every((problem) => typeof problem.line === 'number' && typeof problem.path === 'string'));
  });

  it('refuses a spec body over the body limit (413)', async () => {
    const huge = `name: big\njobs:\n  - name: a\n    command: "true"\n# ${'x'.repeat(2 * 1024 * 1024)}\n`;
    const answer = await json<ErrorAnswer>(await yaml(huge), 413);
    assert.equal(answer.error.code, 'HF_ERR_PAYLOAD_TOO_LARGE');
  });

  it('answers jobs, one job by name or index, and the graph as text', async () => {
    const id = await submit(DIAMOND);
    const { jobs } = await json<{ jobs: Array<Record<string, unknown>> }>(await server.request(`/workflows/${id}/jobs`, { role: 'viewer' }), 200);
    assert.deepEqual(
      jobs.map((job) => [job.index, job.name, job.status, job.depends_on]),
      [
        [0, 'a', 'ready', []],
        [1, 'b', 'blocked', [0]],
        [2, 'c', 'blocked', [0]],
        [3, 'd', 'blocked', [1, 2]],
      ],
    );
    for (const field of ['name', 'status', 'exit_code', 'attempts', 'worker_id', 'started_at', 'ended_at']) assert.ok(field in jobs[0], field);
    const blocked = await json<{ jobs: unknown[] }>(await server.request(`/workflows/${id}/jobs?status=blocked&limit=2`), 200);
    assert.equal(blocked.jobs.length, 2);
    const byName = await json<{ index: number; spec: { command: string }; stdout_tail: null }>(await server.request(`/workflows/${id}/jobs/c`), 200);
    assert.equal(byName.index, 2);
    assert.equal(byName.spec.command, 'echo gamma >&2');
    assert.equal((await json<{ name: string }>(await server.request(`/workflows/${id}/jobs/3`), 200)).name, 'd');
    assert.equal((await json<ErrorAnswer>(await server.request(`/workflows/${id}/jobs/nobody`), 404)).error.code, 'HF_ERR_NOT_FOUND');
    assert.equal((await json<ErrorAnswer>(await server.request('/workflows/no-such-id'), 404)).error.code, 'HF_ERR_NOT_FOUND');

    const mermaid = await server.request(`/workflows/${id}/graph`, { role: 'viewer' });
    assert.equal(mermaid.status, 200);
    assert.match(mermaid.headers.get('content-type') ?? '', /^text\/plain/);
    const mermaidText = await mermaid.text();
    assert.match(mermaidText, /^(graph|flowchart)/m);
    for (const name of ['a', 'b', 'c', 'd']) assert.ok(mermaidText.includes(name), name);
    const dot = await server.request(`/workflows/${id}/graph?format=dot`);
    assert.match(await dot.text(), /digraph/);
    assert.equal((await server.request(`/workflows/${id}/graph?format=svg`)).status, 400);
  });

  it('claims a pending action once: 200 with the execution, then 409 {"claimed": false}', async () => {
    const id = await submit(WITH_ACTION);
    const { actions } = await json<{ actions: Array<Record<string, unknown>> }>(await server.request(`/workflows/${id}/actions`, { role: 'viewer' }), 200);
    assert.equal(actions.length, 2);
    assert.equal(actions[0].trigger_type, 'on_workflow_start');
    assert.equal(actions[0].status, 'pending');
    assert.equal(actions[0].persistent, false);
    assert.deepEqual(actions[1].selected_jobs, ['only']);
    assert.deepEqual(actions[1].selected_job_indexes, [0]);
    assert.equal(actions[1].required_triggers, 1);
    assert.equal(actions[1].status, 'waiting');

    const first = await json<{ claimed: boolean; execution: { worker_id: string; success: null; run: number } }>(
      await server.request(`/workflows/${id}/actions/0/claim`, { method: 'POST', role: 'operator', json: { worker_id: 'worker-one' } }),
      200,
    );
    assert.equal(first.claimed, true);
    assert.equal(first.execution.worker_id, 'worker-one');
    assert.equal(first.execution.success, null);
    const second = await json<Record<string, unknown>>(await server.request(`/workflows/${id}/actions/0/claim`, { method: 'POST', role: 'operator', json: { worker_id: 'worker-two' } }), 409);
    assert.deepEqual(second, { claimed: false });
    const after = await json<{ actions: Array<{ executions: Array<{ worker_id: string }> }> }>(await server.request(`/workflows/${id}/actions`), 200);
    assert.deepEqual(after.actions[0].executions.map((execution) => execution.worker_id), ['worker-one']);
    assert.equal((await server.request('/workflows/missing/actions/0/claim', { method: 'POST', role: 'operator', json: { worker_id: 'w' } })).status, 404);
    assert.equal((await server.request(`/workflows/${id}/actions/0/claim`, { method: 'POST', role: 'operator', json: {} })).status, 400);
  });

  it('cancels, deletes only ended workflows, and restarts as a new run', async () => {
    const id = await submit(DIAMOND);
    const running = await json<ErrorAnswer>(await server.request(`/workflows/${id}`, { method: 'DELETE', role: 'operator' }), 409);
    assert.equal(running.error.code, 'HF_ERR_CONFLICT');
    const busy = await json<ErrorAnswer>(await server.request(`/workflows/${id}/restart`, { method: 'POST', role: 'operator', json: {} }), 409);
    assert.equal(busy.error.code, 'HF_ERR_CONFLICT');
    const canceled = await json<{ status: string }>(await server.request(`/workflows/${id}/cancel`, { method: 'POST', role: 'operator' }), 200);
    assert.equal(canceled.status, 'canceled');
    assert.deepEqual((await json<{ counts: Record<string, number> }>(await server.request(`/workflows/${id}`), 200)).counts, { canceled: 4 });
    assert.equal((await server.request(`/workflows/${id}/cancel`, { method: 'POST', role: 'operator' })).status, 409);
    const restarted = await json<{ id: string; run_id: number }>(await server.request(`/workflows/${id}/restart`, { method: 'POST', role: 'operator', json: { failed_only: true } }), 200);
    assert.deepEqual(restarted, { id, run_id: 2 });
    const again = await json<{ status: string; run: number; counts: Record<string, number> }>(await server.request(`/workflows/${id}`), 200);
    assert.equal(again.status, 'running');
    assert.equal(again.run, 2);
    assert.deepEqual(again.counts, { ready: 1, blocked: 3 });
    await json<{ status: string }>(await server.request(`/workflows/${id}/cancel`, { method: 'POST', role: 'operator' }), 200);
    assert.equal((await server.request(`/workflows/${id}`, { method: 'DELETE', role: 'operator' })).status, 204);
    assert.equal((await server.request(`/workflows/${id}`)).status, 404);
    assert.equal((await server.request(`/workflows/${id}`, { method: 'DELETE', role: 'operator' })).status, 404);
  });

  it('runs a workflow with a worker: logs from an offset, outputs of a DAG, live workers', async () => {
    const id = await submit(DIAMOND);
    const dag = await json<{ id: string }>(await server.request('/workflows', { method: 'POST', role: 'operator', json: { spec: SAMPLE_DAG } }), 201);
    const torcOutputs = await json<ErrorAnswer>(await server.request(`/workflows/${id}/outputs`), 400);
    assert.equal(torcOutputs.error.code, 'HF_ERR_INVALID_ARGUMENT');
    assert.equal((await json<ErrorAnswer>(await server.request(`/workflows/${dag.id}/outputs`), 409)).error.code, 'HF_ERR_CONFLICT', 'not before it ends');

    const worker = await server.engine.createWorker({ workflowId: null, maxParallelJobs: 2, capacity: null, idleTimeoutMs: null, pollMs: 20 });
    const run = worker.run();
    try {
      const seen = await json<{ workers: Array<{ id: string; host: string; heartbeat_at: string }> }>(await server.request('/workers', { role: 'viewer' }), 200);
      assert.ok(seen.workers.some((entry) => entry.id === worker.id && entry.host.length > 0 && /T/.test(entry.heartbeat_at)), JSON.stringify(seen));
      const services = await server.engine.workflows();
      const [torc, pipeline] = await Promise.all([services.waitForEnd(id, { pollMs: 25 }), services.waitForEnd(dag.id, { pollMs: 25 })]);
      assert.equal(torc.status, 'completed');
      assert.equal(pipeline.status, 'completed');
    } finally {
      await worker.stop();
      await run;
    }

    const stdout = await json<{ offset: number; text: string }>(await server.request(`/workflows/${id}/jobs/a/logs`, { role: 'viewer' }), 200);
    assert.equal(stdout.text, 'alpha\n');
    assert.equal(stdout.offset, Buffer.byteLength('alpha\n'));
    assert.deepEqual(await json(await server.request(`/workflows/${id}/jobs/a/logs?offset=${stdout.offset}`), 200), { offset: stdout.offset, text: '' });
    const stderr = await json<{ text: string }>(await server.request(`/workflows/${id}/jobs/c/logs?stream=stderr`), 200);
    assert.equal(stderr.text, 'gamma\n');
    const job = await json<{ status: string; exit_code: number; attempts: number; worker_id: string; started_at: string }>(await server.request(`/workflows/${id}/jobs/a`), 200);
    assert.equal(job.status, 'completed');
    assert.equal(job.exit_code, 0);
    assert.equal(job.attempts, 1);
    assert.equal(job.worker_id, worker.id);
    assert.deepEqual(await json(await server.request(`/workflows/${dag.id}/outputs`, { role: 'viewer' }), 200), { final_result: 'HELLO WORLD', was_transformed: 'True' });
  });

  it('lists Slurm allocations and refuses a cancel that names none', async () => {
    const listed = await json<{ allocations: unknown[] }>(await server.request('/slurm/allocations', { role: 'viewer' }), 200);
    assert.ok(Array.isArray(listed.allocations));
    const none = await json<ErrorAnswer>(await server.request('/slurm/allocations/cancel', { method: 'POST', role: 'operator', json: {} }), 400);
    assert.equal(none.error.code, 'HF_ERR_VALIDATION');
    const cancel = await server.request('/slurm/allocations/cancel', { method: 'POST', role: 'operator', json: { workflow_id: 'no-such-workflow' } });
    const slurm = await server.engine.slurm();
    if (slurm) assert.deepEqual(await json(cancel, 200), { allocations: [] });
    else assert.equal((await json<ErrorAnswer>(cancel, 400)).error.code, 'HF_ERR_INVALID_ARGUMENT');
  });

  // The CLI with --url goes through these routes (src/client/remote.ts).
  it('validates through the API from the CLI (--url), with the same JSON and exit codes', async () => {
    const remote = { env: { HOOKFLOW_TOKEN: server.tokens.operator } };
    const summary = await home.json<{ jobs: number; files: number }>(['--url', server.url, 'workflow', 'validate', ZIP_SPEC], remote);
    assert.deepEqual([summary.jobs, summary.files], [8, 6]);
    const invalid = await home.run(['--url', server.url, 'workflow', 'validate', home.file('broken.yaml', INVALID), '--json'], remote);
    assert.equal(invalid.code, 1);
    const report = JSON.parse(invalid.stdout) as { errors: Array<{ line: number; column: number }> };
    assert.ok(report.errors.some((error) => error.line === 4 && error.column === 5), invalid.stdout);
  });

  it('submits from the CLI (--url), waits for a worker, and reads jobs, logs, actions and the graph remotely', async () => {
    const remote = { env: { HOOKFLOW_TOKEN: server.tokens.operator } };
    const worker = await server.engine.createWorker({ workflowId: null, maxParallelJobs: 2, capacity: null, idleTimeoutMs: null, pollMs: 20 });
    const run = worker.run();
    try {
      const file = home.file('diamond.yaml', DIAMOND_WITH_ACTION);
      const done = await home.json<{ id: string; status: string }>(['--url', server.url, 'workflow', 'submit', file, '--wait'], remote);
      assert.equal(done.status, 'completed');
      assert.equal((await (await server.engine.workflows()).get(done.id)).created_by, 'test-operator');
      const jobs = await home.json<Array<{ name: string; status: string; worker_id: string }>>(['--url', server.url, 'workflow', 'jobs', done.id], remote);
      assert.deepEqual(
        jobs.map((job) => [job.name, job.status, job.worker_id]),
        ['a', 'b', 'c', 'd'].map((name) => [name, 'completed', worker.id]),
      );
      assert.equal((await home.ok(['--url', server.url, 'workflow', 'logs', done.id, 'c', '--stderr'], remote)).stdout, 'gamma\n');
      const actions = await home.json<Array<{ selected_jobs: string[]; executions: Array<{ worker_id: string }> }>>(['--url', server.url, 'workflow', 'actions', done.id], remote);
      assert.deepEqual(actions[0].selected_jobs, ['b', 'c']);
      assert.deepEqual(
        actions[0].executions.map((execution) => execution.worker_id),
        [worker.id],
      );
      assert.match((await home.ok(['--url', server.url, 'workflow', 'graph', done.id, '--format', 'dot'], remote)).stdout, /digraph/);
      const job = await home.json<{ spec: { command: string } }>(['--url', server.url, 'workflow', 'job', done.id, 'a'], remote);
      assert.equal(job.spec.command, 'echo alpha');
      const status = await home.json<Record<string, unknown>>(['--url', server.url, 'workflow', 'status', done.id], remote);
      assert.deepEqual(status, { id: done.id, name: 'diamond', status: 'completed', run: 1, counts: { completed: 4 } });
    } finally {
      await worker.stop();
      await run;
    }
    const viewer = await home.run(['--url', server.url, 'workflow', 'submit', home.file('again.yaml', DIAMOND)], { env: { HOOKFLOW_TOKEN: server.tokens.viewer } });
    assert.equal(viewer.code, 1);
    assert.match(viewer.stderr, /needs the operator role/);
  });
});
