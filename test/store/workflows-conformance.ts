/**
 * The workflow store conformance suite: the same tests against every backend. Two stores opened
 * on one database stand for two processes (workers) sharing it.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isHookflowError } from '../../src/errors.js';
import { newId } from '../../src/events/ids.js';
import type {
  JobFinish,
  JobOutcome,
  JobRecord,
  JobTransition,
  WorkflowChange,
  WorkflowRecord,
  WorkflowStore,
} from '../../src/store/workflows.js';
import type { FailureRule, JobModel, StepPart, TriggerType, WorkflowActionModel, WorkflowModel } from '../../src/workflows/model.js';
import type { StoreHarness } from './conformance.js';
import type { EventInsert } from '../../src/store/store.js';

const NOW = 1_800_000_000_000;
const LEASE = 60_000;

interface JobSpec {
  name: string;
  deps?: number[];
  cpus?: number;
  memory?: number;
  gpus?: number;
  cancelOnBlocking?: boolean;
  onFailure?: StepPart['on_failure'];
  failureRules?: FailureRule[];
}

function jobModel(spec: JobSpec, index: number, dag: boolean): JobModel {
  return {
    index,
    name: spec.name,
    command: dag ? null : `echo ${spec.name}`,
    invocation_script: null,
    action: dag ? 'log' : null,
    params: dag ? { message: spec.name } : null,
    depends_on: [...(spec.deps ?? [])].sort((a, b) => a - b),
    env: {},
    resources: { num_cpus: spec.cpus ?? 1, num_gpus: spec.gpus ?? 0, num_nodes: 1, memory_bytes: spec.memory ?? 0, runtime_seconds: null },
    scheduler: null,
    cancel_on_blocking_job_failure: spec.cancelOnBlocking ?? false,
    failure_rules: spec.failureRules ?? [],
    timeout_seconds: null,
    input_files: [],
    output_files: [],
    step: dag
      ? {
          id: spec.name,
          condition: null,
          on_failure: spec.onFailure ?? 'fail',
          retry: { max_attempts: 3, backoff_seconds: 60, backoff_multiplier: 2, max_backoff_seconds: 3600 },
        }
      : null,
  };
}

function action(index: number, trigger: TriggerType, selected: number[] = [], extra: Partial<WorkflowActionModel> = {}): WorkflowActionModel {
  const jobTrigger = trigger === 'on_jobs_ready' || trigger === 'on_jobs_complete';
  return {
    index,
    trigger_type: trigger,
    action_type: 'run_commands',
    persistent: trigger === 'on_worker_start' || trigger === 'on_worker_complete',
    selected_jobs: selected,
    required_triggers: jobTrigger ? selected.length : 1,
    fields: { commands: [`echo action ${index}`] },
    ...extra,
  };
}

export function workflowModel(jobs: JobSpec[], extra: Partial<WorkflowModel> & { dag?: boolean } = {}): WorkflowModel {
  const { dag = false, ...rest } = extra;
  return {
    name: 'test',
    format: dag ? 'dag' : 'torc',
    description: 'a test workflow',
    user: 'tester',
    dependency_rule: dag ? 'dag' : 'torc',
    jobs: jobs.map((spec, index) => jobModel(spec, index, dag)),
    files: [],
    actions: [],
    slurm_schedulers: [],
    parameters: [],
    outputs: {},
    max_parallel_jobs: null,
    timeout_seconds: null,
    levels: [],
    ...rest,
  };
}

/** Transitions as compact `index:from>to` strings, in order. */
function moves(change: WorkflowChange | null): string[] {
  assert.ok(change, 'a change');
  return change.jobs.map((t: JobTransition) => `${t.index}:${t.from}>${t.to}`);
}

export function runWorkflowStoreConformance(label: string, openStore: () => Promise<StoreHarness>, options: { skip?: string | false } = {}): void {
  describe(label, { skip: options.skip ?? false }, () => {
    let harness: StoreHarness;
    let store: WorkflowStore;

    beforeEach(async () => {
      harness = await openStore();
      store = harness.store.workflows;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    async function create(model: WorkflowModel, params = {}): Promise<{ workflow: WorkflowRecord; change: WorkflowChange }> {
      return store.createWorkflow({ id: newId(), model, params, output_dir: '/tmp/hookflow-test', created_by: 'admin', now: NOW });
    }

    async function claim(workflowId: string | null, worker = 'w1', limit = 100, extra: { capacity?: { cpus: number | null; memory_bytes: number | null; gpus: number | null } | null; now?: number; lease?: number; on?: WorkflowStore } = {}): Promise<JobRecord[]> {
      return (extra.on ?? store).claimJobs({
        worker_id: worker,
        workflow_id: workflowId,
        limit,
        capacity: extra.capacity ?? null,
        lease_ms: extra.lease ?? LEASE,
        now: extra.now ?? NOW,
      });
    }

    function finishOf(job: JobRecord, outcome: JobOutcome = 'completed', extra: Partial<JobFinish> = {}): JobFinish {
      return {
        workflow_id: job.workflow_id,
        index: job.index,
        run: job.run,
        worker_id: job.worker_id as string,
        outcome,
        exit_code: outcome === 'completed' ? 0 : outcome === 'failed' ? 1 : null,
        error: outcome === 'failed' ? 'exit code 1' : null,
        outputs: null,
        stdout_tail: null,
        stderr_tail: null,
        retry_at: null,
        now: NOW + 1000,
        ...extra,
      };
    }

    async function finish(job: JobRecord, outcome: JobOutcome = 'completed', extra: Partial<JobFinish> = {}): Promise<WorkflowChange | null> {
      const [change] = await store.finishJobs([finishOf(job, outcome, extra)]);
      return change;
    }

    async function statuses(workflowId: string): Promise<string[]> {
      return (await store.listJobs(workflowId, { offset: 0, limit: 1000 })).map((job) => job.status);
    }

    describe('creating', () => {
      it('stores jobs blocked or ready, with counts, the change and the model', async () => {
        const model = workflowModel([{ name: 'a' }, { name: 'b', deps: [0] }, { name: 'c', deps: [0, 1] }, { name: 'd' }], {
          actions: [action(0, 'on_workflow_start'), action(1, 'on_jobs_ready', [1, 2]), action(2, 'on_workflow_complete'), action(3, 'on_worker_start')],
        });
        const { workflow, change } = await create(model, { size: 3 });
        assert.equal(workflow.status, 'running');
        assert.equal(workflow.run, 1);
        assert.equal(workflow.job_count, 4);
        assert.deepEqual(workflow.params, { size: 3 });
        assert.equal(workflow.created_by, 'admin');
        assert.equal(workflow.user, 'tester');
        assert.deepEqual(await store.getWorkflow(workflow.id), workflow);
        assert.deepEqual(moves(change), ['0:uninitialized>ready', '3:uninitialized>ready']);
        assert.deepEqual(change.workflow, { from: null, to: 'running' });
        assert.equal(change.run, 1);
        assert.deepEqual(
          change.actions_pending.map((a) => [a.index, a.trigger_type]),
          [
            [0, 'on_workflow_start'],
            [3, 'on_worker_start'],
          ],
        );
        assert.deepEqual(await statuses(workflow.id), ['ready', 'blocked', 'blocked', 'ready']);
        assert.deepEqual(await store.countJobs(workflow.id), { ready: 2, blocked: 2 });
        assert.deepEqual(await store.getWorkflowModel(workflow.id), model);
        const job = await store.getJob(workflow.id, 2);
        assert.ok(job);
        assert.equal(job.name, 'c');
        assert.equal(job.attempts, 0);
        assert.deepEqual(job.spec, model.jobs[2]);
        assert.equal(await store.getJob(workflow.id, 9), null);
        assert.equal(await store.getWorkflow(newId()), null);
        const actions = await store.listActions(workflow.id);
        assert.deepEqual(
          actions.map((a) => [a.index, a.status, a.trigger_count, a.required_triggers, a.persistent]),
          [
            [0, 'pending', 1, 1, false],
            [1, 'waiting', 0, 2, false],
            [2, 'waiting', 0, 1, false],
            [3, 'pending', 1, 1, true],
          ],
        );
        assert.deepEqual(actions[1].selected_jobs, [1, 2]);
        assert.deepEqual(actions[0].fields, { commands: ['echo action 0'] });
      });

      it('a workflow without jobs completes as it is created', async () => {
        const { workflow, change } = await create(workflowModel([], { actions: [action(0, 'on_workflow_complete')] }));
        assert.equal(workflow.status, 'completed');
        assert.deepEqual(change.workflow, { from: null, to: 'completed' });
        assert.deepEqual(change.actions_pending.map((a) => a.trigger_type), ['on_workflow_complete']);
        assert.equal((await store.getWorkflow(workflow.id))?.status, 'completed');
      });

      it('refuses a model whose dependencies point outside it', async () => {
        const model = workflowModel([{ name: 'a', deps: [5] }]);
        await assert.rejects(create(model), (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_INVALID_ARGUMENT');
        assert.deepEqual(await store.listWorkflows({ limit: 10 }), []);
      });
    });

    describe('claiming', () => {
      it('claims ready jobs in index order, running and leased, attempts counted', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }, { name: 'b', deps: [0] }, { name: 'c' }, { name: 'd' }]));
        const claimed = await claim(workflow.id, 'w1', 2);
        assert.deepEqual(
          claimed.map((job) => [job.index, job.status, job.worker_id, job.attempts, job.lease_expires_at, job.started_at]),
          [
            [0, 'running', 'w1', 1, NOW + LEASE, NOW],
            [2, 'running', 'w1', 1, NOW + LEASE, NOW],
          ],
        );
        assert.deepEqual((await claim(workflow.id, 'w2')).map((job) => job.index), [3]);
        assert.deepEqual(await claim(workflow.id, 'w3'), []);
        assert.equal(await store.hasClaimableJobs(workflow.id, NOW), false);
      });

      it('never gives a job twice: two stores on one database, many concurrent claims', async () => {
        const count = 150;
        const { workflow } = await create(workflowModel(Array.from({ length: count }, (_, i) => ({ name: `job${i}` }))));
        const other = (await harness.second()).workflows;
        const seen: string[] = [];
        const claimer = async (target: WorkflowStore, worker: string) => {
          for (;;) {
            const jobs = await claim(workflow.id, worker, 3, { on: target });
            if (jobs.length === 0) return;
            for (const job of jobs) seen.push(`${job.index}`);
          }
        };
        await Promise.all(Array.from({ length: 8 }, (_, i) => claimer(i % 2 === 0 ? store : other, `w${i}`)));
        assert.equal(seen.length, count, 'every job claimed once');
        assert.equal(new Set(seen).size, count, 'no job claimed twice');
        assert.deepEqual(await store.countJobs(workflow.id), { running: count });
      });

      it('claims across workflows when none is named, oldest workflow first', async () => {
        const first = await create(workflowModel([{ name: 'a' }]));
        const second = await create(workflowModel([{ name: 'b' }]));
        const jobs = await claim(null, 'w1', 10);
        assert.deepEqual(
          jobs.map((job) => job.workflow_id),
          [first.workflow.id, second.workflow.id],
        );
        assert.equal(await store.hasClaimableJobs(null, NOW), false);
      });

      it('takes jobs while their needs fit the free capacity', async () => {
        const { workflow } = await create(
          workflowModel([
            { name: 'big', cpus: 8 },
            { name: 'half', cpus: 2, memory: 600 },
            { name: 'gpu', cpus: 1, gpus: 1 },
            { name: 'mem', cpus: 1, memory: 600 },
            { name: 'small', cpus: 1, memory: 100 },
          ]),
        );
        const capacity = { cpus: 4, memory_bytes: 1000, gpus: 0 };
        const jobs = await claim(workflow.id, 'w1', 10, { capacity });
        assert.deepEqual(
          jobs.map((job) => job.name),
          ['half', 'small'],
        );
        const gpuWorker = await claim(workflow.id, 'w2', 10, { capacity: { cpus: null, memory_bytes: null, gpus: 1 } });
        assert.deepEqual(
          gpuWorker.map((job) => job.name),
          ['big', 'gpu', 'mem'],
        );
      });

      it('honours max_parallel_jobs, also for concurrent claimers', async () => {
        const { workflow } = await create(workflowModel(Array.from({ length: 10 }, (_, i) => ({ name: `s${i}` })), { max_parallel_jobs: 3 }));
        const other = (await harness.second()).workflows;
        const batches = await Promise.all([claim(workflow.id, 'w1', 10), claim(workflow.id, 'w2', 10, { on: other }), claim(workflow.id, 'w3', 10)]);
        const running = batches.flat();
        assert.equal(running.length, 3, `at most 3 run (got ${batches.map((b) => b.length).join('+')})`);
        assert.deepEqual(await claim(workflow.id, 'w4', 10), []);
        await finish(running[0]);
        assert.equal((await claim(workflow.id, 'w4', 10)).length, 1);
      });

      it('a workflow running its max_parallel_jobs does not hide the ready jobs of later workflows', async () => {
        const limited = await create(workflowModel(Array.from({ length: 40 }, (_, i) => ({ name: `l${i}` })), { max_parallel_jobs: 1 }));
        const open = await create(workflowModel([{ name: 'o0' }, { name: 'o1' }]));
        const first = await claim(null, 'w1', 1);
        assert.deepEqual(first.map((job) => [job.workflow_id, job.index]), [[limited.workflow.id, 0]]);
        const next = await claim(null, 'w2', 5);
        assert.deepEqual(next.map((job) => [job.workflow_id, job.index]), [
          [open.workflow.id, 0],
          [open.workflow.id, 1],
        ]);
      });

      it('claims nothing from a workflow that is not running', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }, { name: 'b' }]));
        await store.cancelWorkflow(workflow.id, NOW);
        assert.deepEqual(await claim(workflow.id), []);
        assert.equal(await store.hasClaimableJobs(workflow.id, NOW), false);
      });
    });

    describe('finishing', () => {
      it('unblocks a diamond only when its last dependency ends, then completes the workflow', async () => {
        const model = workflowModel([{ name: 'a' }, { name: 'b', deps: [0] }, { name: 'c', deps: [0] }, { name: 'd', deps: [1, 2] }], {
          actions: [action(0, 'on_workflow_complete')],
        });
        const { workflow } = await create(model);
        const [a] = await claim(workflow.id);
        const afterA = await finish(a, 'completed', { exit_code: 0, stdout_tail: 'hello\n', outputs: { answer: 42 } });
        assert.deepEqual(moves(afterA), ['0:running>completed', '1:blocked>ready', '2:blocked>ready']);
        assert.equal(afterA?.workflow, null);
        const doneA = await store.getJob(workflow.id, 0);
        assert.equal(doneA?.status, 'completed');
        assert.equal(doneA?.stdout_tail, 'hello\n');
        assert.equal(doneA?.exit_code, 0);
        assert.equal(doneA?.ended_at, NOW + 1000);
        assert.equal(doneA?.lease_expires_at, null);
        assert.deepEqual(await store.jobOutputs(workflow.id, [0, 1]), new Map([[0, { answer: 42 }]]));

        const [b, c] = await claim(workflow.id);
        assert.deepEqual(moves(await finish(b)), ['1:running>completed']);
        assert.equal((await store.getJob(workflow.id, 3))?.status, 'blocked');
        assert.deepEqual(moves(await finish(c)), ['2:running>completed', '3:blocked>ready']);
        const [d] = await claim(workflow.id);
        const end = await finish(d);
        assert.deepEqual(moves(end), ['3:running>completed']);
        assert.deepEqual(end?.workflow, { from: 'running', to: 'completed' });
        assert.deepEqual(end?.actions_pending.map((p) => p.trigger_type), ['on_workflow_complete']);
        const ended = await store.getWorkflow(workflow.id);
        assert.equal(ended?.status, 'completed');
        assert.equal(ended?.ended_at, NOW + 1000);
      });

      it('finishes many jobs in one call, each with its own change', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }, { name: 'b' }, { name: 'c', deps: [0, 1] }]));
        const jobs = await claim(workflow.id);
        const changes = await store.finishJobs(jobs.map((job) => finishOf(job)));
        assert.equal(changes.length, 2);
        assert.deepEqual(changes.flatMap(moves).sort(), ['0:running>completed', '1:running>completed', '2:blocked>ready']);
      });

      it('Torc: a failed dependency still unblocks; cancel_on_blocking_job_failure cancels everything below', async () => {
        const model = workflowModel([
          { name: 'a' },
          { name: 'tolerant', deps: [0] },
          { name: 'strict', deps: [0], cancelOnBlocking: true },
          { name: 'below', deps: [2] },
          { name: 'further', deps: [3, 1] },
        ]);
        const { workflow } = await create(model);
        const [a] = await claim(workflow.id);
        const change = await finish(a, 'failed');
        assert.deepEqual(moves(change), ['0:running>failed', '1:blocked>ready', '2:blocked>canceled', '3:blocked>canceled', '4:blocked>canceled']);
        assert.equal(change?.jobs[0].exit_code, 1);
        assert.equal(change?.jobs[0].error, 'exit code 1');
        const [tolerant] = await claim(workflow.id);
        assert.equal(tolerant.name, 'tolerant');
        const end = await finish(tolerant);
        assert.deepEqual(end?.workflow, { from: 'running', to: 'failed' });
        assert.deepEqual(await statuses(workflow.id), ['failed', 'completed', 'canceled', 'canceled', 'canceled']);
      });

      it('Torc: a workflow whose failures were all handled by retries completes', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }]));
        const [a] = await claim(workflow.id);
        const retry = await finish(a, 'failed', { retry_at: NOW + 1000 });
        assert.deepEqual(moves(retry), ['0:running>retrying', '0:retrying>ready']);
        const [again] = await claim(workflow.id, 'w2');
        assert.equal(again.attempts, 2);
        assert.equal(again.exit_code, null, 'a new start forgets the last exit code');
        const end = await finish(again);
        assert.deepEqual(end?.workflow, { from: 'running', to: 'completed' });
      });

      it('DAG: a failure without continue fails the workflow and skips every waiting step', async () => {
        const model = workflowModel(
          [{ name: 'a' }, { name: 'slow' }, { name: 'b', deps: [0] }, { name: 'c', deps: [2] }, { name: 'd', deps: [1] }, { name: 'e' }],
          { dag: true, max_parallel_jobs: 2, actions: [action(0, 'on_workflow_complete')] },
        );
        const { workflow } = await create(model);
        const [a, slow] = await claim(workflow.id);
        assert.deepEqual([a.name, slow.name], ['a', 'slow']);
        const change = await finish(a, 'failed');
        assert.deepEqual(moves(change), ['0:running>failed', '2:blocked>skipped', '3:blocked>skipped', '4:blocked>skipped', '5:ready>skipped']);
        assert.equal(change?.workflow, null, 'a step still runs');
        assert.equal((await store.getWorkflow(workflow.id))?.status, 'running');
        assert.deepEqual(await claim(workflow.id), []);
        const end = await finish(slow);
        assert.deepEqual(moves(end), ['1:running>completed']);
        assert.deepEqual(end?.workflow, { from: 'running', to: 'failed' });
        assert.deepEqual(end?.actions_pending.map((p) => p.trigger_type), ['on_workflow_complete']);
      });

      it('DAG: on_failure continue unblocks dependents and the run completes', async () => {
        const model = workflowModel([{ name: 'a', onFailure: 'continue' }, { name: 'b', deps: [0] }], { dag: true });
        const { workflow } = await create(model);
        const [a] = await claim(workflow.id);
        assert.deepEqual(moves(await finish(a, 'failed')), ['0:running>failed', '1:blocked>ready']);
        const [b] = await claim(workflow.id);
        const end = await finish(b);
        assert.deepEqual(end?.workflow, { from: 'running', to: 'completed' });
      });

      it('DAG: skip_jobs skips a conditional’s untaken branch before unblocking, and its dependents still run', async () => {
        const model = workflowModel(
          [{ name: 'choose' }, { name: 'yes', deps: [0] }, { name: 'no', deps: [0] }, { name: 'after_no', deps: [2] }, { name: 'join', deps: [1, 3] }],
          { dag: true },
        );
        const { workflow } = await create(model);
        const [choose] = await claim(workflow.id);
        const change = await finish(choose, 'completed', { outputs: { branch: 'yes' }, skip_jobs: [2] });
        assert.deepEqual(moves(change), ['0:running>completed', '2:blocked>skipped', '3:blocked>ready', '1:blocked>ready']);
        const jobs = await claim(workflow.id);
        assert.deepEqual(
          jobs.map((job) => job.name),
          ['yes', 'after_no'],
        );
        await finish(jobs[0]);
        const last = await finish(jobs[1]);
        assert.deepEqual(moves(last), ['3:running>completed', '4:blocked>ready']);
        const [join] = await claim(workflow.id);
        assert.deepEqual((await finish(join))?.workflow, { from: 'running', to: 'completed' });
        assert.deepEqual(await statuses(workflow.id), ['completed', 'completed', 'skipped', 'completed', 'completed']);
      });

      it('a finish that is not the claimer’s changes nothing', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }]));
        const [a] = await claim(workflow.id);
        assert.equal(await finish({ ...a, worker_id: 'someone-else' }), null);
        assert.equal(await finish({ ...a, run: 2 }), null);
        assert.equal(await finish({ ...a, index: 7 }), null);
        assert.equal(await finish({ ...a, workflow_id: newId() }), null);
        assert.equal((await store.getJob(workflow.id, 0))?.status, 'running');
        assert.ok(await finish(a));
        assert.equal(await finish(a), null, 'a second finish of the same claim');
      });
    });

    describe('finishing with events (outbox)', () => {
      const eventOf = (change: WorkflowChange | null, i: number): EventInsert => ({
        event: {
          id: newId(NOW + i),
          type: 'job.completed',
          data: { moves: change ? moves(change) : [] },
          stack: null,
          source: 'worker',
          correlation_id: null,
          idempotency_key: null,
          parent_id: null,
          created_at: NOW + i,
        },
        claim: null,
        completed: true,
      });

      it('writes the finishes and the events made from their changes in one transaction', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }, { name: 'b' }, { name: 'c', deps: [0, 1] }]));
        const jobs = await claim(workflow.id);
        const { changes, events } = await store.finishJobsWithEvents(
          jobs.map((job) => finishOf(job)),
          { events: (made) => made.map(eventOf) },
        );
        assert.deepEqual(changes.map((change) => moves(change)), [['0:running>completed'], ['1:running>completed', '2:blocked>ready']]);
        assert.equal(events.length, 2);
        for (const [i, { event, created }] of events.entries()) {
          assert.ok(created);
          const stored = await harness.store.getEvent(event.id);
          assert.equal(stored?.status, 'completed');
          assert.deepEqual(stored?.data, { moves: moves(changes[i]) });
        }
        assert.deepEqual(await statuses(workflow.id), ['completed', 'completed', 'ready']);
      });

      it('a batch across two workflows, interleaved, is each finish in turn: both end, each with its own counts', async () => {
        const first = (await create(workflowModel([{ name: 'a' }, { name: 'b' }]))).workflow;
        const second = (await create(workflowModel([{ name: 'x' }, { name: 'y' }]))).workflow;
        const [a, b] = await claim(first.id);
        const [x, y] = await claim(second.id);
        const { changes } = await store.finishJobsWithEvents([finishOf(a), finishOf(x), finishOf(b), finishOf(a), finishOf(y, 'failed')], { events: () => [] });
        assert.deepEqual(
          changes.map((change) => (change ? [moves(change), change.workflow] : null)),
          [
            [['0:running>completed'], null],
            [['0:running>completed'], null],
            [['1:running>completed'], { from: 'running', to: 'completed' }],
            null, // a again: already finished by this batch
            [['1:running>failed'], { from: 'running', to: 'failed' }],
          ],
        );
        for (const [workflow, status] of [[first, 'completed'], [second, 'failed']] as const) {
          const stored = await store.getWorkflow(workflow.id);
          assert.equal(stored?.status, status);
          assert.ok(stored?.ended_at, `${status} workflow has its end time`);
        }
        assert.deepEqual(await store.countJobs(second.id), { completed: 1, failed: 1 });
      });

      it('writes nothing when the events cannot be made, and the finish can be written again', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }]));
        const [job] = await claim(workflow.id);
        await assert.rejects(
          store.finishJobsWithEvents([finishOf(job)], {
            events: () => {
              throw new Error('no events today');
            },
          }),
          /no events today/,
        );
        assert.deepEqual(await statuses(workflow.id), ['running']);
        const { changes, events } = await store.finishJobsWithEvents([finishOf(job)], { events: () => [] });
        assert.deepEqual(moves(changes[0]), ['0:running>completed']);
        assert.deepEqual(events, []);
      });
    });

    describe('retries and leases', () => {
      it('a retrying job becomes ready when its time comes', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a', onFailure: 'retry' }], { dag: true }));
        const [a] = await claim(workflow.id);
        const change = await finish(a, 'failed', { retry_at: NOW + 60_000 });
        assert.deepEqual(moves(change), ['0:running>retrying']);
        const retrying = await store.getJob(workflow.id, 0);
        assert.equal(retrying?.status, 'retrying');
        assert.equal(retrying?.ready_at, NOW + 60_000);
        assert.equal(await store.hasClaimableJobs(workflow.id, NOW + 1000), false);
        assert.deepEqual(await store.promoteRetries(NOW + 59_999), []);
        assert.equal(await store.hasClaimableJobs(workflow.id, NOW + 60_000), true);
        const promoted = await store.promoteRetries(NOW + 60_000);
        assert.equal(promoted.length, 1);
        assert.deepEqual(moves(promoted[0]), ['0:retrying>ready']);
        assert.equal(promoted[0].workflow_id, workflow.id);
        const [again] = await claim(workflow.id, 'w2', 10, { now: NOW + 61_000 });
        assert.equal(again.attempts, 2);
        assert.equal(again.ready_at, null);
      });

      it('an expired lease gives the job back; the old worker’s late finish is refused', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }, { name: 'b', deps: [0] }]));
        const [a] = await claim(workflow.id, 'dead', 10, { lease: 1000 });
        assert.deepEqual(await store.recoverExpiredJobs(NOW + 999), []);
        const recovered = await store.recoverExpiredJobs(NOW + 5000);
        assert.equal(recovered.length, 1);
        assert.deepEqual(moves(recovered[0]), ['0:running>ready']);
        const [taken] = await claim(workflow.id, 'alive', 10, { now: NOW + 6000 });
        assert.equal(taken.attempts, 2);
        assert.equal(await finish(a), null, 'the dead worker’s finish');
        assert.deepEqual(moves(await finish(taken)), ['0:running>completed', '1:blocked>ready']);
      });

      it('renewing leases keeps jobs from expiring and reports requested cancels', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }, { name: 'b' }, { name: 'c', deps: [0] }]));
        const jobs = await claim(workflow.id, 'w1', 10, { lease: 1000 });
        assert.deepEqual(await store.renewJobLeases('w1', 10_000, NOW + 500), []);
        assert.deepEqual(await store.recoverExpiredJobs(NOW + 5000), []);
        assert.equal((await store.getJob(workflow.id, 0))?.lease_expires_at, NOW + 10_500);

        const change = await store.cancelWorkflow(workflow.id, NOW + 600);
        assert.deepEqual(moves(change), ['2:blocked>canceled']);
        assert.deepEqual(change?.workflow, { from: 'running', to: 'canceled' });
        const requested = await store.renewJobLeases('w1', 10_000, NOW + 700);
        assert.deepEqual(
          requested,
          jobs.map((job) => ({ workflow_id: workflow.id, index: job.index, run: 1 })),
        );
        assert.deepEqual(await store.renewJobLeases('w2', 10_000, NOW + 700), []);
        assert.equal((await store.getJob(workflow.id, 0))?.cancel_requested, true);
        // One worker finishes its job canceled; the other job's worker died: its lease ends it canceled.
        const ended = await finish(jobs[0], 'canceled', { retry_at: NOW });
        assert.deepEqual(moves(ended), ['0:running>canceled']);
        assert.equal(ended?.workflow, null, 'the workflow was canceled already');
        const expired = await store.recoverExpiredJobs(NOW + 60_000);
        assert.deepEqual(moves(expired[0]), ['1:running>canceled']);
        const canceled = await store.getWorkflow(workflow.id);
        assert.equal(canceled?.status, 'canceled');
        assert.equal(canceled?.ended_at, NOW + 600);
        assert.deepEqual(await statuses(workflow.id), ['canceled', 'canceled', 'canceled']);
        assert.equal(await store.cancelWorkflow(workflow.id, NOW), null, 'cancel twice');
        assert.equal(await store.cancelWorkflow(newId(), NOW), null, 'unknown');
      });
    });

    describe('restarting', () => {
      async function failedRun(): Promise<string> {
        const model = workflowModel([{ name: 'a' }, { name: 'b', deps: [0], cancelOnBlocking: true }, { name: 'c' }], {
          actions: [action(0, 'on_workflow_start'), action(1, 'on_jobs_complete', [0, 2]), action(2, 'on_workflow_complete'), action(3, 'on_worker_start')],
        });
        const { workflow } = await create(model);
        const [a, c] = await claim(workflow.id);
        await finish(c);
        const end = await finish(a, 'failed');
        assert.deepEqual(end?.workflow, { from: 'running', to: 'failed' });
        const [execution] = await store.claimActions({ worker_id: 'w1', workflow_id: workflow.id, triggers: ['on_workflow_start'], now: NOW });
        assert.ok(execution);
        return workflow.id;
      }

      it('failed-only resets what did not complete, in a new run with actions reset', async () => {
        const id = await failedRun();
        const change = await store.restartWorkflow(id, { failedOnly: true, now: NOW + 5000 });
        assert.equal(change?.run, 2);
        assert.deepEqual(moves(change), ['0:failed>ready', '1:canceled>blocked']);
        assert.deepEqual(change?.workflow, { from: 'failed', to: 'running' });
        assert.deepEqual(
          change?.actions_pending.map((a) => a.index),
          [0, 3],
        );
        const workflow = await store.getWorkflow(id);
        assert.equal(workflow?.status, 'running');
        assert.equal(workflow?.run, 2);
        assert.equal(workflow?.ended_at, null);
        assert.equal(workflow?.started_at, NOW + 5000);
        assert.deepEqual(await statuses(id), ['ready', 'blocked', 'completed']);
        const actions = await store.listActions(id);
        assert.deepEqual(
          actions.map((a) => [a.status, a.trigger_count]),
          [
            ['pending', 1],
            ['waiting', 1],
            ['waiting', 0],
            ['pending', 1],
          ],
        );
        assert.equal(actions[0].executions.filter((e) => e.run === 2).length, 0, 'the new run has no executions yet');
        const [again] = await store.claimActions({ worker_id: 'w1', workflow_id: id, triggers: ['on_workflow_start'], now: NOW });
        assert.equal(again.execution.run, 2, 'the start action runs again in the new run');

        const [a] = await claim(id, 'w1', 10, { now: NOW + 6000 });
        assert.equal(a.run, 2);
        assert.equal(a.attempts, 1);
        const after = await finish(a);
        assert.deepEqual(after?.actions_pending.map((p) => p.index), [1], 'on_jobs_complete counts the kept job too');
        const [b] = await claim(id);
        assert.deepEqual((await finish(b))?.workflow, { from: 'running', to: 'completed' });
      });

      it('all resets every job', async () => {
        const id = await failedRun();
        const change = await store.restartWorkflow(id, { failedOnly: false, now: NOW + 5000 });
        assert.deepEqual(moves(change), ['0:failed>ready', '1:canceled>blocked', '2:completed>ready']);
        assert.deepEqual(await store.countJobs(id), { ready: 2, blocked: 1 });
        assert.equal((await store.getJob(id, 2))?.exit_code, null);
      });

      it('refuses a running workflow, and is null for an unknown one', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }]));
        await assert.rejects(store.restartWorkflow(workflow.id, { failedOnly: true, now: NOW }), (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_CONFLICT');
        assert.equal(await store.restartWorkflow(newId(), { failedOnly: true, now: NOW }), null);
        const [a] = await claim(workflow.id);
        await store.cancelWorkflow(workflow.id, NOW);
        await assert.rejects(
          store.restartWorkflow(workflow.id, { failedOnly: false, now: NOW }),
          (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_CONFLICT' && /job 0 is still running/.test(error.message),
        );
        await finish(a, 'canceled');
        const change = await store.restartWorkflow(workflow.id, { failedOnly: true, now: NOW + 5000 });
        assert.deepEqual(moves(change), ['0:canceled>ready']);
        assert.deepEqual(change?.workflow, { from: 'canceled', to: 'running' });
      });

      it('a failed-only restart of a completed run completes at once', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }]));
        const [a] = await claim(workflow.id);
        await finish(a);
        const change = await store.restartWorkflow(workflow.id, { failedOnly: true, now: NOW + 5000 });
        assert.deepEqual(change?.jobs, []);
        assert.deepEqual(change?.workflow, { from: 'completed', to: 'completed' });
        assert.equal((await store.getWorkflow(workflow.id))?.run, 2);
      });
    });

    describe('workflow actions', () => {
      it('counts on_jobs_ready and on_jobs_complete over a selection', async () => {
        // A regex selection `^work` compiled to jobs 1..3; `prep` unblocks them.
        const model = workflowModel([{ name: 'prep' }, { name: 'work1', deps: [0] }, { name: 'work2', deps: [0] }, { name: 'work3', deps: [0] }, { name: 'other' }], {
          actions: [action(0, 'on_jobs_ready', [1, 2, 3]), action(1, 'on_jobs_complete', [1, 2, 3])],
        });
        const { workflow, change } = await create(model);
        assert.deepEqual(change.actions_pending, []);
        const [prep] = await claim(workflow.id, 'w1', 1);
        const readied = await finish(prep);
        assert.deepEqual(readied?.actions_pending, [{ index: 0, trigger_type: 'on_jobs_ready', action_type: 'run_commands' }]);
        const jobs = (await claim(workflow.id, 'w1', 10)).filter((job) => job.name.startsWith('work'));
        assert.equal(jobs.length, 3);
        assert.deepEqual((await finish(jobs[0]))?.actions_pending, []);
        assert.deepEqual((await finish(jobs[1], 'failed'))?.actions_pending, []);
        assert.deepEqual((await finish(jobs[2]))?.actions_pending.map((p) => p.index), [1]);
        const actions = await store.listActions(workflow.id);
        assert.deepEqual(
          actions.map((a) => [a.status, a.trigger_count]),
          [
            ['pending', 3],
            ['pending', 3],
          ],
        );
      });

      it('a canceled dependent counts as ended for both job triggers', async () => {
        const model = workflowModel([{ name: 'a' }, { name: 'b', deps: [0], cancelOnBlocking: true }], {
          actions: [action(0, 'on_jobs_ready', [1]), action(1, 'on_jobs_complete', [1])],
        });
        const { workflow } = await create(model);
        const [a] = await claim(workflow.id);
        const change = await finish(a, 'failed');
        assert.deepEqual(change?.actions_pending.map((p) => p.index), [0, 1]);
      });

      it('three workers: persistent on_worker_start runs three times, non-persistent once, on_workflow_complete once', async () => {
        const model = workflowModel([{ name: 'only' }], {
          actions: [
            action(0, 'on_worker_start'),
            action(1, 'on_worker_start', [], { persistent: false }),
            action(2, 'on_workflow_complete'),
            action(3, 'on_worker_complete'),
          ],
        });
        const { workflow } = await create(model);
        const other = (await harness.second()).workflows;
        const workers = ['w1', 'w2', 'w3'];
        const starts = await Promise.all(
          workers.map((worker, i) => (i === 1 ? other : store).claimActions({ worker_id: worker, workflow_id: workflow.id, triggers: ['on_worker_start'], now: NOW })),
        );
        const claimed = starts.flat();
        assert.equal(claimed.filter((c) => c.action.index === 0).length, 3, 'persistent: once per worker');
        assert.equal(claimed.filter((c) => c.action.index === 1).length, 1, 'non-persistent: once');
        assert.equal(new Set(claimed.filter((c) => c.action.index === 0).map((c) => c.execution.worker_id)).size, 3);
        const again = await store.claimActions({ worker_id: 'w1', workflow_id: workflow.id, triggers: ['on_worker_start'], now: NOW });
        assert.deepEqual(again, [], 'a worker runs a persistent action once per run');
        assert.equal(await store.hasPendingActions(workflow.id, 'w1', ['on_worker_start']), false);
        assert.equal(await store.hasPendingActions(workflow.id, 'w4', ['on_worker_start']), true, 'a new worker still has it to run');
        assert.equal(await store.hasPendingActions(workflow.id, 'w1', ['on_workflow_complete']), false);

        const nonPersistent = claimed.find((c) => c.action.index === 1);
        assert.ok(nonPersistent);
        assert.equal(nonPersistent.action.status, 'running');
        assert.equal(nonPersistent.workflow.id, workflow.id);
        const ended = await store.finishActionExecution(nonPersistent.execution.id, { success: true, result: { ok: true }, error: null, now: NOW + 10 });
        assert.equal(ended?.success, true);
        assert.deepEqual(ended?.result, { ok: true });
        assert.equal(ended?.ended_at, NOW + 10);
        assert.equal(await store.finishActionExecution(nonPersistent.execution.id, { success: false, result: null, error: 'x', now: NOW }), null);

        const [job] = await claim(workflow.id);
        const end = await finish(job);
        assert.deepEqual(end?.actions_pending.map((p) => p.index), [2]);
        const completes = await Promise.all(
          workers.map((worker, i) => (i === 1 ? other : store).claimActions({ worker_id: worker, workflow_id: workflow.id, triggers: ['on_workflow_complete', 'on_worker_complete'], now: NOW })),
        );
        const done = completes.flat();
        assert.equal(done.filter((c) => c.action.index === 2).length, 1, 'on_workflow_complete: once across workers');
        assert.equal(done.filter((c) => c.action.index === 3).length, 3, 'on_worker_complete: once per worker');
        const actions = await store.listActions(workflow.id);
        assert.deepEqual(
          actions.map((a) => [a.status, a.executions.length]),
          [
            ['pending', 3],
            ['done', 1],
            ['running', 1],
            ['pending', 3],
          ],
        );
      });

      it('claimAction gives an action to one caller; the second gets null', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }], { actions: [action(0, 'on_workflow_start'), action(1, 'on_workflow_complete')] }));
        const other = (await harness.second()).workflows;
        const [first, second] = await Promise.all([store.claimAction(workflow.id, 0, 'w1', NOW), other.claimAction(workflow.id, 0, 'w2', NOW)]);
        assert.equal([first, second].filter((c) => c !== null).length, 1);
        assert.equal(await store.claimAction(workflow.id, 0, 'w3', NOW), null);
        assert.equal(await store.claimAction(workflow.id, 1, 'w3', NOW), null, 'not pending yet');
        const winner = first ?? second;
        const failed = await store.finishActionExecution(winner?.execution.id as string, { success: false, result: null, error: 'boom', now: NOW });
        assert.equal(failed?.success, false);
        assert.equal(failed?.error, 'boom');
        assert.equal((await store.listActions(workflow.id))[0].status, 'failed');
      });

      it('a canceled workflow offers no actions', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }], { actions: [action(0, 'on_worker_start')] }));
        await store.cancelWorkflow(workflow.id, NOW);
        assert.equal(await store.hasPendingActions(null, 'w1', ['on_worker_start']), false);
        assert.deepEqual(await store.claimActions({ worker_id: 'w1', workflow_id: null, triggers: ['on_worker_start'], now: NOW }), []);
      });
    });

    describe('listing and deleting', () => {
      it('lists workflows newest first with a cursor and a status filter', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await create(workflowModel([{ name: `only${i}` }]))).workflow.id);
        await store.cancelWorkflow(ids[1], NOW);
        const page1 = await store.listWorkflows({ limit: 2 });
        assert.deepEqual(page1.map((w) => w.id), [ids[4], ids[3]]);
        const page2 = await store.listWorkflows({ limit: 2, before: page1[1].id });
        assert.deepEqual(page2.map((w) => w.id), [ids[2], ids[1]]);
        const page3 = await store.listWorkflows({ limit: 2, before: page2[1].id });
        assert.deepEqual(page3.map((w) => w.id), [ids[0]]);
        assert.deepEqual((await store.listWorkflows({ limit: 10, status: 'canceled' })).map((w) => w.id), [ids[1]]);
      });

      it('lists jobs by page, status and name', async () => {
        const { workflow } = await create(workflowModel(Array.from({ length: 7 }, (_, i) => ({ name: i % 2 === 0 ? 'even' : `odd${i}`, deps: i >= 5 ? [0] : [] }))));
        const page = await store.listJobs(workflow.id, { offset: 2, limit: 3 });
        assert.deepEqual(page.map((j) => j.index), [2, 3, 4]);
        assert.deepEqual((await store.listJobs(workflow.id, { status: 'blocked', offset: 0, limit: 10 })).map((j) => j.index), [5, 6]);
        assert.deepEqual((await store.listJobs(workflow.id, { name: 'even', offset: 1, limit: 10 })).map((j) => j.index), [2, 4, 6]);
        assert.deepEqual(await store.listJobs(newId(), { offset: 0, limit: 10 }), []);
      });

      it('deletes only ended workflows, with everything they own', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }], { actions: [action(0, 'on_worker_start')] }));
        await store.claimActions({ worker_id: 'w1', workflow_id: workflow.id, triggers: ['on_worker_start'], now: NOW });
        await store.createAllocation({
          id: 'slurm-1',
          workflow_id: workflow.id,
          action_index: 0,
          scheduler: 'short',
          state: 'queued',
          native_state: 'PENDING',
          nodes: 1,
          script_path: null,
          submitted_at: NOW,
          updated_at: NOW,
        });
        assert.equal(await store.deleteWorkflow(workflow.id), 'running');
        const [a] = await claim(workflow.id);
        await store.cancelWorkflow(workflow.id, NOW);
        assert.equal(await store.deleteWorkflow(workflow.id), 'running', 'a job still runs in the canceled workflow');
        await finish(a, 'canceled');
        assert.equal(await store.deleteWorkflow(workflow.id), 'deleted');
        assert.equal(await store.getWorkflow(workflow.id), null);
        assert.deepEqual(await store.listJobs(workflow.id, { offset: 0, limit: 10 }), []);
        assert.deepEqual(await store.listActions(workflow.id), []);
        assert.deepEqual(await store.listAllocations({ workflow_id: workflow.id, limit: 10 }), []);
        assert.equal(await store.deleteWorkflow(workflow.id), 'not_found');
      });

      it('sets a DAG’s outputs', async () => {
        const { workflow } = await create(workflowModel([], { dag: true }));
        await store.setWorkflowOutputs(workflow.id, { total: 3 }, 'one output failed');
        const stored = await store.getWorkflow(workflow.id);
        assert.deepEqual(stored?.outputs, { total: 3 });
        assert.equal(stored?.error, 'one output failed');
      });
    });

    describe('allocations', () => {
      it('records, updates and lists allocations', async () => {
        const { workflow } = await create(workflowModel([{ name: 'a' }]));
        const base = { workflow_id: workflow.id, action_index: 0, scheduler: 'short', native_state: 'PENDING', nodes: 2, script_path: '/tmp/a.sh', updated_at: NOW };
        await store.createAllocation({ ...base, id: '101', state: 'queued', submitted_at: NOW });
        await store.createAllocation({ ...base, id: '102', state: 'queued', submitted_at: NOW + 1 });
        await assert.rejects(store.createAllocation({ ...base, id: '101', state: 'queued', submitted_at: NOW }), (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_CONFLICT');
        const updated = await store.updateAllocation('101', 'running', 'RUNNING', NOW + 5);
        assert.deepEqual(updated, { ...base, id: '101', state: 'running', native_state: 'RUNNING', submitted_at: NOW, updated_at: NOW + 5 });
        assert.equal(await store.updateAllocation('nope', 'failed', null, NOW), null);
        assert.deepEqual((await store.listAllocations({ workflow_id: workflow.id, limit: 10 })).map((a) => a.id), ['102', '101']);
        assert.deepEqual((await store.listAllocations({ states: ['running'], limit: 10 })).map((a) => a.id), ['101']);
        assert.deepEqual((await store.listAllocations({ states: ['completed', 'failed'], limit: 10 })).map((a) => a.id), []);
        assert.equal((await store.listAllocations({ limit: 1 })).length, 1);
      });
    });
  });
}

