import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pc from 'picocolors';
import { progressLine } from '../../src/cli/workflows.js';
import { memorySize, workerCapacity } from '../../src/cli/worker.js';
import type { AllocationRecord, JobRecord, WorkflowActionRecord, WorkflowRecord } from '../../src/store/workflows.js';
import type { JobModel } from '../../src/workflows/model.js';
import {
  allocationFromJson,
  allocationJson,
  jobDetailJson,
  jobFromJson,
  jobJson,
  jobNamer,
  progressOf,
  validationJson,
  workerFromJson,
  workerJson,
  workflowActionFromJson,
  workflowActionJson,
  workflowFromJson,
  workflowJson,
} from '../../src/workflows/views.js';

const T = Date.parse('2026-01-02T03:04:05.678Z');

const spec: JobModel = {
  index: 1,
  name: 'train_1',
  command: 'python train.py 1',
  invocation_script: null,
  action: null,
  params: null,
  depends_on: [0],
  env: { SEED: '1' },
  resources: { num_cpus: 2, num_gpus: 0, num_nodes: 1, memory_bytes: 1024, runtime_seconds: 60 },
  scheduler: null,
  cancel_on_blocking_job_failure: false,
  failure_rules: [],
  timeout_seconds: null,
  input_files: [],
  output_files: [],
  step: null,
};

const workflow: WorkflowRecord = {
  id: 'wf1',
  name: 'demo',
  format: 'torc',
  status: 'completed',
  run: 2,
  user: 'me',
  description: null,
  params: {},
  outputs: null,
  output_dir: '/tmp/wf1',
  created_by: 'admin',
  job_count: 2,
  error: null,
  created_at: T,
  updated_at: T + 1,
  started_at: T + 2,
  ended_at: T + 3,
};

const job: JobRecord = {
  workflow_id: 'wf1',
  index: 1,
  name: 'train_1',
  status: 'completed',
  run: 2,
  attempts: 1,
  exit_code: 0,
  worker_id: 'worker-a',
  lease_expires_at: null,
  ready_at: T,
  started_at: T + 10,
  ended_at: T + 20,
  outputs: { accuracy: 0.9 },
  error: null,
  stdout_tail: 'done\n',
  stderr_tail: null,
  log_dir: null,
  cancel_requested: false,
  spec,
};

const action: WorkflowActionRecord = {
  workflow_id: 'wf1',
  index: 0,
  trigger_type: 'on_jobs_complete',
  action_type: 'run_commands',
  persistent: false,
  selected_jobs: [0, 1],
  required_triggers: 2,
  trigger_count: 2,
  status: 'done',
  fields: { commands: ['echo done'] },
  executions: [{ id: 'x1', workflow_id: 'wf1', action_index: 0, run: 2, worker_id: 'worker-a', success: true, result: { exit_code: 0 }, error: null, started_at: T, ended_at: T + 5 }],
};

const allocation: AllocationRecord = {
  id: '123',
  workflow_id: 'wf1',
  action_index: 0,
  scheduler: 'gpu',
  state: 'queued',
  native_state: 'PENDING',
  nodes: 2,
  script_path: null,
  submitted_at: T,
  updated_at: T,
};

describe('workflow views', () => {
  it('turn records into JSON with ISO times, and back into the same records', () => {
    const json = workflowJson(workflow);
    assert.equal(json.created_at, '2026-01-02T03:04:05.678Z');
    assert.equal(json.ended_at, '2026-01-02T03:04:05.681Z');
    assert.deepEqual(workflowFromJson(JSON.parse(JSON.stringify(json)) as typeof json), workflow);
    const detail = jobDetailJson(job);
    assert.deepEqual(jobFromJson(JSON.parse(JSON.stringify(detail)) as typeof detail, 'wf1'), job);
    const actionView = workflowActionJson(action, jobNamer([{ index: 1, name: 'train_1' }]));
    assert.deepEqual(actionView.selected_jobs, ['#0', 'train_1'], 'an unknown index reads #INDEX');
    assert.deepEqual(workflowActionFromJson(JSON.parse(JSON.stringify(actionView)) as typeof actionView, 'wf1'), action);
    assert.deepEqual(allocationFromJson(allocationJson(allocation)), allocation);
    const worker = { id: 'w', host: 'h', pid: 1, workflow_id: null, running_jobs: ['a'], max_parallel_jobs: 2, started_at: T, heartbeat_at: T + 1 };
    assert.deepEqual(workerFromJson(workerJson(worker)), worker);
  });

  it('give a job list row the issue’s fields plus index, run, error and depends_on; a record from it keeps the dependencies', () => {
    const row = jobJson(job);
    assert.deepEqual(Object.keys(row).sort(), ['attempts', 'depends_on', 'ended_at', 'error', 'exit_code', 'index', 'name', 'run', 'started_at', 'status', 'worker_id']);
    const back = jobFromJson(row, 'wf1');
    assert.equal(back.workflow_id, 'wf1');
    assert.deepEqual(back.spec.depends_on, [0]);
    assert.equal(back.spec.command, null, 'a list row has no spec of its own');
  });

  it('copy exactly the documented validation fields', () => {
    const summary = { name: 'n', format: 'torc' as const, jobs: 2, files: 0, levels: 1, actions: [{ trigger_type: 'on_workflow_start', action_type: 'run_commands', selected_jobs: 0 }] };
    assert.deepEqual(Object.keys(validationJson({ ...summary, extra: true } as typeof summary)), ['name', 'format', 'jobs', 'files', 'levels', 'actions']);
    assert.deepEqual((validationJson({ ...summary, job_names: ['a', 'b'] }) as { job_names?: string[] }).job_names, ['a', 'b']);
    assert.deepEqual(validationJson({ errors: [{ message: 'm', line: 1, column: 2, path: 'p', extra: 1 } as never] }), { errors: [{ message: 'm', line: 1, column: 2, path: 'p' }] });
  });

  const PROGRESS: Array<[Record<string, number>, { total: number; finished: number }]> = [
    [{}, { total: 0, finished: 0 }],
    [{ ready: 3, blocked: 2 }, { total: 5, finished: 0 }],
    [{ running: 1, completed: 2, failed: 1, skipped: 1, retrying: 1 }, { total: 6, finished: 4 }],
    [{ canceled: 2, terminated: 1, timeout: 1, disabled: 1 }, { total: 5, finished: 5 }],
  ];
  for (const [counts, expected] of PROGRESS) {
    it(`counts progress of ${JSON.stringify(counts)}`, () => assert.deepEqual(progressOf(counts), expected));
  }

  it('draws a progress line with the states in order', () => {
    const colors = pc.createColors(false);
    const line = progressLine(colors, { id: 'x', name: 'demo', status: 'running', run: 1, counts: { completed: 1, running: 1, blocked: 2 } }, 8);
    assert.equal(line, 'demo ██░░░░░░ 1/4  25%  running  blocked 2 · running 1 · completed 1');
    assert.match(progressLine(colors, { id: 'x', name: 'empty', status: 'completed', run: 1, counts: {} }, 4), /^empty ████ 0\/0 100%  completed$/);
  });
});

describe('worker settings', () => {
  const CAPACITY: Array<[Parameters<typeof workerCapacity>[0], ReturnType<typeof workerCapacity>]> = [
    [{}, null],
    [{ cpus: 4 }, { cpus: 4, memory_bytes: null, gpus: null }],
    [{ memory: 1024, gpus: 0 }, { cpus: null, memory_bytes: 1024, gpus: 0 }],
  ];
  for (const [flags, expected] of CAPACITY) {
    it(`offers ${JSON.stringify(expected)} for ${JSON.stringify(flags)}`, () => assert.deepEqual(workerCapacity(flags), expected));
  }

  it('reads memory sizes like 4g and refuses others', () => {
    assert.equal(memorySize('4g'), 4 * 1024 ** 3);
    assert.equal(memorySize('512m'), 512 * 1024 ** 2);
    assert.throws(() => memorySize('lots'), /not a size/);
  });
});
