import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AllocationRecord, AllocationState } from '../../../src/store/workflows.js';
import type { SlurmSchedulerModel } from '../../../src/workflows/model.js';
import { cancelAllocations, refreshAllocations, scheduleNodes, type ScheduleDeps } from '../../../src/workflows/slurm/allocations.js';
import { SlurmCommandClient } from '../../../src/workflows/slurm/client.js';
import { requireService } from '../../support/services.js';
import { MemoryAllocationStore } from './fakes.js';

/**
 * schedule_nodes against a real Slurm (scripts/slurm-setup.sh makes a one-node cluster): the
 * "worker" of each allocation is a small shell command that proves what reached it.
 */

const client = new SlurmCommandClient({ timeoutMs: 10_000 });

async function slurmProblem(): Promise<string | null> {
  if (spawnSync('sbatch', ['--version']).error) return 'sbatch is not installed (run scripts/slurm-setup.sh as root)';
  if (!(await client.available())) return 'the Slurm controller does not answer (sinfo failed; run scripts/slurm-setup.sh as root)';
  return null;
}

const service = requireService('Slurm', await slurmProblem());

const root = mkdtempSync(join(tmpdir(), 'hookflow-slurm-live-'));
const submitted: string[] = [];
after(async () => {
  // A failed assertion must not leave jobs in the cluster.
  if (submitted.length > 0) await client.cancel(submitted).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

const scheduler: SlurmSchedulerModel = {
  name: 'local',
  account: null,
  partition: 'debug',
  nodes: 1,
  walltime: '00:05:00',
  gres: null,
  mem: '64M',
  qos: null,
  extra: '--comment="hookflow live test" --cpus-per-task=1',
};

function deps(store: MemoryAllocationStore, workerCommand: string[]): ScheduleDeps {
  return { store, client, storeUrl: join(root, 'store.db'), workerCommand, now: Date.now };
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('schedule_nodes on a real Slurm', service, () => {
  it('runs the rendered script: allocations go queued → running/completed and each worker gets its workflow and store', async () => {
    const store = new MemoryAllocationStore();
    const out = join(root, 'run');
    // $0 is "worker", $2 the workflow id: what hookflow's worker would receive.
    const marker = `printf '%s|%s|%s\\n' "$HOOKFLOW_STORE" "$2" "$SLURM_JOB_ID" > ${join(out, 'worker-"$SLURM_JOB_ID"-"$SLURM_PROCID"')}`;
    const workflowId = `wf "live" #1 'x'`;
    const single = await scheduleNodes(deps(store, ['sh', '-c', marker]), {
      workflowId,
      actionIndex: 0,
      scheduler,
      numAllocations: 2,
      startOneWorkerPerNode: false,
      maxParallelJobs: 2,
      outputDir: out,
    });
    const perNode = await scheduleNodes(deps(store, ['sh', '-c', marker]), {
      workflowId,
      actionIndex: 1,
      scheduler,
      numAllocations: 1,
      startOneWorkerPerNode: true,
      maxParallelJobs: null,
      outputDir: out,
    });
    const records = [...single, ...perNode];
    submitted.push(...records.map((record) => record.id));
    assert.deepEqual(records.map((record) => record.state), ['queued', 'queued', 'queued']);

    // sbatch read the quoted #SBATCH lines as meant: the job name holds the quotes and the #.
    const name = spawnSync('squeue', ['-h', '-t', 'all', '-j', records[0]?.id ?? '', '-o', '%j|%k'], { encoding: 'utf8' });
    assert.equal(name.stdout.trim(), `hookflow-${workflowId}|hookflow live test`);

    const seen = new Map<string, AllocationState[]>(records.map((record) => [record.id, ['queued']]));
    await until('the allocations to end', 15_000, async () => {
      for (const change of await refreshAllocations(deps(store, []), workflowId)) seen.get(change.id)?.push(change.state);
      return [...store.rows.values()].every((row) => row.state === 'completed' || row.state === 'failed');
    });
    for (const record of records) {
      const row = store.rows.get(record.id) as AllocationRecord;
      assert.equal(row.state, 'completed', `${record.id}: ${row.native_state ?? ''}, log: ${readLog(out, record.id)}`);
      const path = [...(seen.get(record.id) ?? [])];
      assert.ok(
        ['queued,completed', 'queued,running,completed'].includes(path.join(',')),
        `${record.id} went ${path.join(' → ')}`,
      );
      const file = join(out, `worker-${record.id}-0`);
      assert.ok(existsSync(file), `no ${file}; log: ${readLog(out, record.id)}`);
      assert.equal(readFileSync(file, 'utf8'), `${join(root, 'store.db')}|${workflowId}|${record.id}\n`);
    }
  });

  it('cancels a running allocation', async () => {
    const store = new MemoryAllocationStore();
    const [record] = await scheduleNodes(deps(store, ['sh', '-c', 'sleep 300']), {
      workflowId: 'wf-cancel',
      actionIndex: 0,
      scheduler,
      numAllocations: 1,
      startOneWorkerPerNode: false,
      maxParallelJobs: null,
      outputDir: join(root, 'cancel'),
    });
    assert.ok(record);
    submitted.push(record.id);
    await until('the allocation to run', 10_000, async () => {
      await refreshAllocations(deps(store, []), 'wf-cancel');
      return store.rows.get(record.id)?.state === 'running';
    });

    assert.deepEqual(await cancelAllocations(deps(store, []), { workflowId: 'wf-cancel', onlyQueued: true }), []);
    const canceled = await cancelAllocations(deps(store, []), { workflowId: 'wf-cancel', onlyQueued: false });
    assert.deepEqual(canceled.map((row) => [row.id, row.state]), [[record.id, 'canceled']]);
    await until('Slurm to report the job cancelled', 5_000, async () => (await client.states([record.id])).get(record.id) === 'CANCELLED');
  });
});

function readLog(out: string, id: string): string {
  const path = join(out, 'slurm', `slurm-${id}.err`);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() || '(empty)' : '(none)';
}
