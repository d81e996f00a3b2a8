/**
 * Issue 5 §5 end to end on a real one-node Slurm (scripts/slurm-setup.sh): an `on_jobs_ready`
 * schedule_nodes action, run by an actions-only worker here, submits an allocation; the
 * allocation starts `hookflow worker --workflow ID` on the node, which opens the same store
 * (SQLite on this machine, and PostgreSQL) and runs the selected jobs; the workflow completes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine.js';
import { SlurmCommandClient } from '../../src/workflows/slurm/client.js';
import { createTestDatabase, postgresProblem } from '../support/postgres.js';
import { requireService } from '../support/services.js';

async function slurmProblem(): Promise<string | null> {
  if (spawnSync('sbatch', ['--version']).error) return 'sbatch is not installed (run scripts/slurm-setup.sh as root)';
  if (!(await new SlurmCommandClient({ timeoutMs: 10_000 }).available())) return 'the Slurm controller does not answer (run scripts/slurm-setup.sh as root)';
  return null;
}

const slurm = requireService('Slurm', await slurmProblem());
const postgres = slurm.skip ? slurm : requireService('PostgreSQL', await postgresProblem());

function spec(marker: string): string {
  return `
name: slurm-e2e
slurm_schedulers:
  - { name: local, partition: debug, nodes: 1, walltime: "00:05:00", mem: 64M }
jobs:
  - { name: compute_1, command: 'echo "compute_1 $SLURM_JOB_ID" >> ${marker}' }
  - { name: compute_2, command: 'echo "compute_2 $SLURM_JOB_ID" >> ${marker}' }
  - { name: gather, command: 'echo gather >> ${marker}', depends_on: [compute_1, compute_2] }
actions:
  - trigger_type: on_jobs_ready
    action_type: schedule_nodes
    jobs: [compute_1, compute_2]
    scheduler_type: slurm
    scheduler: local
    num_allocations: 1
    max_parallel_jobs: 2
`;
}

async function runOnSlurm(storeUrl: string): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'hookflow-slurm-e2e-'));
  const engine = await Engine.open({ home, storeUrl });
  try {
    await engine.store.migrate();
    const service = await engine.workflows();
    const marker = join(home, 'marker.txt');
    const { id } = await service.submit({ text: spec(marker) });
    // Actions only (no job slots): the jobs must be run by the allocation's worker.
    const scheduler = await engine.createWorker({ workflowId: id, maxParallelJobs: 0, capacity: null, idleTimeoutMs: 60_000, pollMs: 100 });
    const timer = setTimeout(() => void scheduler.stop(0), 90_000);
    const result = await scheduler.run();
    clearTimeout(timer);
    assert.equal(result.reason, 'workflow_ended');
    const status = await service.status(id);
    assert.equal(status.status, 'completed', JSON.stringify(status.counts));
    const allocations = await service.allocations({ workflowId: id });
    assert.equal(allocations.length, 1);
    const lines = readFileSync(marker, 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((line) => line.split(' ')[0]).sort(), ['compute_1', 'compute_2', 'gather']);
    // The jobs ran inside the allocation: Slurm's job id is the allocation's.
    for (const line of lines.filter((line) => line.startsWith('compute'))) assert.equal(line.split(' ')[1], allocations[0].id);
    const jobs = await service.jobs(id);
    assert.ok(jobs.every((job) => job.worker_id !== null && job.worker_id !== scheduler.id), 'no job ran on the actions-only worker');
    const [action] = await service.actions(id);
    assert.equal(action.executions.length, 1);
    assert.equal(action.executions[0].success, true);
  } finally {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  }
}

describe('schedule_nodes on a real Slurm', () => {
  it('SQLite: the allocation worker joins the workflow through the shared file and completes it', slurm, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-slurm-e2e-store-'));
    try {
      await runOnSlurm(`sqlite:${join(dir, 'hookflow.db')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: the allocation worker joins the workflow through the server and completes it', postgres, async () => {
    const database = await createTestDatabase();
    try {
      await runOnSlurm(database.url);
    } finally {
      await database.drop();
    }
  });
});
