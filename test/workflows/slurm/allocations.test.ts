import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { HookflowError } from '../../../src/errors.js';
import type { SlurmSchedulerModel } from '../../../src/workflows/model.js';
import { cancelAllocations, refreshAllocations, scheduleNodes, type ScheduleDeps, type ScheduleNodesRequest } from '../../../src/workflows/slurm/allocations.js';
import { FakeSlurmClient, MemoryAllocationStore } from './fakes.js';

const root = mkdtempSync(join(tmpdir(), 'hookflow-allocations-'));
after(() => rmSync(root, { recursive: true, force: true }));

const scheduler: SlurmSchedulerModel = { name: 'debug_nodes', account: null, partition: 'debug', nodes: 2, walltime: '00:10:00', gres: null, mem: null, qos: null, extra: null };
const STORE_URL = 'postgres://hookflow:s3cret@db.example/hookflow';

let store: MemoryAllocationStore;
let client: FakeSlurmClient;
let deps: ScheduleDeps;
let clock: number;

beforeEach(() => {
  store = new MemoryAllocationStore();
  client = new FakeSlurmClient();
  clock = 1_000;
  deps = { store, client, storeUrl: STORE_URL, workerCommand: ['node', '/opt/hookflow/bin/hookflow.js'], now: () => clock++ };
});

function request(overrides: Partial<ScheduleNodesRequest> = {}): ScheduleNodesRequest {
  return {
    workflowId: 'wf1',
    actionIndex: 2,
    scheduler,
    numAllocations: 3,
    startOneWorkerPerNode: true,
    maxParallelJobs: 4,
    outputDir: join(root, `out-${Math.random().toString(36).slice(2)}`),
    ...overrides,
  };
}

const states = () => Object.fromEntries([...store.rows.values()].map((row) => [row.id, `${row.state}/${row.native_state ?? '-'}`]));

describe('scheduleNodes', () => {
  it('writes one private script under <output>/slurm, submits it num_allocations times and records each queued', async () => {
    const req = request();
    const records = await scheduleNodes(deps, req);
    assert.deepEqual(
      records.map((record) => [record.id, record.state, record.workflow_id, record.action_index, record.scheduler, record.nodes]),
      [
        ['100', 'queued', 'wf1', 2, 'debug_nodes', 2],
        ['101', 'queued', 'wf1', 2, 'debug_nodes', 2],
        ['102', 'queued', 'wf1', 2, 'debug_nodes', 2],
      ],
    );
    assert.deepEqual([...store.rows.keys()], ['100', '101', '102']);
    const scriptPath = records[0]?.script_path ?? '';
    assert.equal(dirname(scriptPath), join(req.outputDir, 'slurm'));
    assert.equal(statSync(scriptPath).mode & 0o777, 0o600);
    assert.ok(client.submitted.every((submission) => submission.scriptPath === scriptPath && submission.env.HOOKFLOW_STORE === STORE_URL));
    const script = readFileSync(scriptPath, 'utf8');
    assert.doesNotMatch(script, /s3cret/);
    assert.match(script, /#SBATCH --output=\S+\/slurm\/slurm-%j\.out/);
    assert.match(script, /exec srun --ntasks-per-node=1 .* node \/opt\/hookflow\/bin\/hookflow\.js worker --workflow wf1 --max-parallel-jobs 4\n$/);
  });

  for (const numAllocations of [0, -1, 1.5, 1001]) {
    it(`rejects num_allocations ${numAllocations} before submitting`, async () => {
      await assert.rejects(scheduleNodes(deps, request({ numAllocations })), (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_INVALID_WORKFLOW');
      assert.equal(client.submitted.length, 0);
    });
  }

  it('refuses to start workers without a store URL', async () => {
    await assert.rejects(scheduleNodes({ ...deps, storeUrl: ' ' }, request()), (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_INVALID_ARGUMENT');
  });

  it('keeps the allocations submitted before a failure and says how many there were', async () => {
    client.failAfter = 2;
    await assert.rejects(scheduleNodes(deps, request()), (error: unknown) => {
      return error instanceof HookflowError && error.code === 'HF_ERR_SLURM' && /^submitted 2 of 3 allocations, then: sbatch: error: QOS/.test(error.message);
    });
    assert.deepEqual(Object.keys(states()), ['100', '101']);
  });

  it('passes the first failure on as it is', async () => {
    client.failAfter = 0;
    await assert.rejects(scheduleNodes(deps, request()), /QOSMaxSubmitJobPerUserLimit/);
    assert.equal(store.rows.size, 0);
  });
});

describe('refreshAllocations', () => {
  it('stores the new states and returns only the allocations whose state changed', async () => {
    await scheduleNodes(deps, request());
    await scheduleNodes(deps, request({ workflowId: 'other', numAllocations: 1 }));
    client.native.set('100', 'RUNNING');
    client.native.set('101', 'COMPLETED');
    client.native.set('102', 'CONFIGURING');
    client.native.set('103', 'RUNNING');
    const changed = await refreshAllocations(deps, 'wf1');
    assert.deepEqual(changed.map((record) => [record.id, record.state, record.native_state]), [
      ['100', 'running', 'RUNNING'],
      ['101', 'completed', 'COMPLETED'],
    ]);
    assert.deepEqual(states(), { 100: 'running/RUNNING', 101: 'completed/COMPLETED', 102: 'queued/CONFIGURING', 103: 'queued/-' });
    assert.ok((changed[0]?.updated_at ?? 0) > (changed[0]?.submitted_at ?? Infinity));

    assert.deepEqual(await refreshAllocations(deps, 'wf1'), []);
    client.native.set('100', 'MYSTERY');
    const everywhere = await refreshAllocations(deps);
    assert.deepEqual(everywhere.map((record) => [record.id, record.state]), [['103', 'running']]);
    assert.equal(states()['100'], 'running/MYSTERY');
  });
});

describe('cancelAllocations', () => {
  it('with onlyQueued cancels the queued allocations of the workflow and leaves running ones', async () => {
    await scheduleNodes(deps, request());
    await scheduleNodes(deps, request({ workflowId: 'other', numAllocations: 1 }));
    client.native.set('100', 'RUNNING');
    await refreshAllocations(deps, 'wf1');
    const canceled = await cancelAllocations(deps, { workflowId: 'wf1', onlyQueued: true });
    assert.deepEqual(client.cancelled, [['101', '102']]);
    assert.deepEqual(canceled.map((record) => record.id), ['101', '102']);
    assert.deepEqual(states(), { 100: 'running/RUNNING', 101: 'canceled/CANCELLED', 102: 'canceled/CANCELLED', 103: 'queued/-' });
  });

  it('cancels running ones too, recording them canceled while Slurm still ends them', async () => {
    await scheduleNodes(deps, request({ numAllocations: 2 }));
    client.native.set('100', 'RUNNING');
    await refreshAllocations(deps, 'wf1');
    await cancelAllocations(deps, { workflowId: 'wf1', onlyQueued: false });
    assert.deepEqual(states(), { 100: 'canceled/COMPLETING', 101: 'canceled/CANCELLED' });
  });

  it('keeps the end of an allocation that finished before the cancel reached it', async () => {
    await scheduleNodes(deps, request({ numAllocations: 2 }));
    client.native.set('100', 'COMPLETED');
    const changed = await cancelAllocations(deps, { workflowId: 'wf1', onlyQueued: true });
    assert.deepEqual(changed.map((record) => `${record.id}:${record.state}`), ['100:completed', '101:canceled']);
  });

  it('cancels only the ids asked for, and asks Slurm nothing when none match', async () => {
    await scheduleNodes(deps, request({ numAllocations: 2 }));
    await cancelAllocations(deps, { ids: ['101', '999'], onlyQueued: false });
    assert.deepEqual(client.cancelled, [['101']]);
    assert.deepEqual(states(), { 100: 'queued/-', 101: 'canceled/CANCELLED' });
    assert.deepEqual(await cancelAllocations(deps, { ids: ['101'], onlyQueued: false }), []);
    assert.equal(client.cancelled.length, 1);
  });
});
