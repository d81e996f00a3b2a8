import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHookflowError } from '../../src/errors.js';
import {
  actionStartState,
  assertTransition,
  canTransition,
  countStatus,
  dependentEffect,
  expiredLeaseTarget,
  failsWorkflow,
  finishTarget,
  fitJobs,
  initialStatus,
  isTerminal,
  isUnfinished,
  restartPlan,
  triggerFires,
  workflowEffect,
  workflowEndStatus,
  COUNTED_COMPLETE,
  COUNTED_READY,
  JOB_TRANSITIONS,
  type EndedJob,
  type RestartJob,
} from '../../src/workflows/job-states.js';
import { JOB_STATUSES, type JobOutcome, type JobStatus } from '../../src/store/workflows.js';

describe('job transitions', () => {
  it('has a row for every status, naming only known statuses', () => {
    for (const status of JOB_STATUSES) {
      assert.ok(status in JOB_TRANSITIONS, status);
      for (const to of JOB_TRANSITIONS[status]) assert.ok(JOB_STATUSES.includes(to), `${status} → ${to}`);
    }
  });

  const cases: Array<[JobStatus, JobStatus, boolean]> = [
    ['blocked', 'ready', true],
    ['blocked', 'running', false],
    ['blocked', 'canceled', true],
    ['blocked', 'skipped', true],
    ['ready', 'running', true],
    ['ready', 'completed', false],
    ['running', 'completed', true],
    ['running', 'failed', true],
    ['running', 'timeout', true],
    ['running', 'terminated', true],
    ['running', 'canceled', true],
    ['running', 'skipped', true],
    ['running', 'retrying', true],
    ['running', 'ready', true],
    ['running', 'blocked', false],
    ['retrying', 'ready', true],
    ['retrying', 'running', false],
    ['completed', 'failed', false],
    ['completed', 'ready', true],
    ['failed', 'blocked', true],
    ['failed', 'running', false],
    ['canceled', 'completed', false],
    ['skipped', 'ready', true],
  ];
  for (const [from, to, allowed] of cases) {
    it(`${from} → ${to} is ${allowed ? 'allowed' : 'refused'}`, () => {
      assert.equal(canTransition(from, to), allowed);
      if (allowed) assertTransition(from, to);
      else {
        assert.throws(
          () => assertTransition(from, to, '3 (build)'),
          (error: unknown) =>
            isHookflowError(error) &&
            error.code === 'HF_ERR_CONFLICT' &&
            error.message === `job 3 (build): a ${from} job cannot become ${to}` &&
            String(error.details.hint).startsWith(`from ${from} a job can become`),
        );
      }
    });
  }

  it('terminal and unfinished statuses split the set', () => {
    const terminal = JOB_STATUSES.filter(isTerminal);
    assert.deepEqual(terminal, ['completed', 'failed', 'canceled', 'terminated', 'disabled', 'skipped', 'timeout']);
    for (const status of JOB_STATUSES) assert.equal(isUnfinished(status), !isTerminal(status), status);
  });

  it('starts blocked with dependencies, ready without', () => {
    assert.equal(initialStatus(0), 'ready');
    assert.equal(initialStatus(1), 'blocked');
    assert.equal(initialStatus(7), 'blocked');
  });
});

describe('dependent rules', () => {
  const end = (rule: 'torc' | 'dag', outcome: JobOutcome, onFailure: 'fail' | 'continue' | 'retry' | null = null, cause: 'own' | 'dependency' = 'own'): EndedJob => ({
    rule,
    outcome,
    on_failure: onFailure,
    cause,
  });
  // [ended, dependent cancel_on_blocking, effect on the dependent, workflow effect, fails the workflow]
  const cases: Array<[string, EndedJob, boolean, 'decrement' | 'cancel', 'none' | 'fail_workflow', boolean]> = [
    ['torc completed', end('torc', 'completed'), true, 'decrement', 'none', false],
    ['torc failed, dependent tolerant', end('torc', 'failed'), false, 'decrement', 'none', true],
    ['torc failed, cancel_on_blocking', end('torc', 'failed'), true, 'cancel', 'none', true],
    ['torc timeout, cancel_on_blocking', end('torc', 'timeout'), true, 'cancel', 'none', true],
    ['torc terminated, tolerant', end('torc', 'terminated'), false, 'decrement', 'none', true],
    ['torc canceled on request, cancel_on_blocking', end('torc', 'canceled'), true, 'cancel', 'none', false],
    ['torc canceled on request, tolerant', end('torc', 'canceled'), false, 'decrement', 'none', false],
    ['torc canceled by a failed dependency: everything below', end('torc', 'canceled', null, 'dependency'), false, 'cancel', 'none', true],
    ['torc skipped', end('torc', 'skipped'), true, 'decrement', 'none', false],
    ['dag completed', end('dag', 'completed', 'fail'), false, 'decrement', 'none', false],
    ['dag skipped (false condition)', end('dag', 'skipped', 'fail'), false, 'decrement', 'none', false],
    ['dag failed, on_failure continue', end('dag', 'failed', 'continue'), false, 'decrement', 'none', false],
    ['dag timeout, on_failure continue', end('dag', 'timeout', 'continue'), true, 'decrement', 'none', false],
    ['dag failed, on_failure fail', end('dag', 'failed', 'fail'), false, 'decrement', 'fail_workflow', true],
    ['dag failed after its retries', end('dag', 'failed', 'retry'), false, 'decrement', 'fail_workflow', true],
    ['dag canceled', end('dag', 'canceled', 'fail'), false, 'decrement', 'fail_workflow', false],
  ];
  for (const [name, ended, cancelOnBlocking, effect, workflow, fails] of cases) {
    it(name, () => {
      assert.equal(dependentEffect(ended, cancelOnBlocking), effect);
      assert.equal(workflowEffect(ended), workflow);
      assert.equal(failsWorkflow(ended), fails);
    });
  }
});

describe('workflow end status', () => {
  const cases: Array<[Parameters<typeof workflowEndStatus>, ReturnType<typeof workflowEndStatus>]> = [
    [['running', 3, 0], null],
    [['running', 1, 2], null],
    [['running', 0, 0], 'completed'],
    [['running', 0, 1], 'failed'],
    [['canceled', 0, 0], null],
    [['canceled', 0, 4], null],
    [['completed', 0, 0], null],
  ];
  for (const [args, expected] of cases) {
    it(`${args.join(', ')} → ${expected}`, () => assert.equal(workflowEndStatus(...args), expected));
  }
});

describe('finish targets', () => {
  const base = { now: 1000, workflow_running: true, cancel_requested: false };
  const cases: Array<[string, Parameters<typeof finishTarget>[0], ReturnType<typeof finishTarget>]> = [
    ['completed ends', { ...base, outcome: 'completed', retry_at: null }, { status: 'completed', retry: 'none' }],
    ['failed without retry ends', { ...base, outcome: 'failed', retry_at: null }, { status: 'failed', retry: 'none' }],
    ['failed with a later retry waits', { ...base, outcome: 'failed', retry_at: 5000 }, { status: 'retrying', retry: 'later' }],
    ['failed with a retry due now is ready', { ...base, outcome: 'failed', retry_at: 1000 }, { status: 'ready', retry: 'now' }],
    ['timeout retries too', { ...base, outcome: 'timeout', retry_at: 2000 }, { status: 'retrying', retry: 'later' }],
    ['a success never retries', { ...base, outcome: 'completed', retry_at: 2000 }, { status: 'completed', retry: 'none' }],
    ['a cancel never retries', { ...base, outcome: 'canceled', retry_at: 2000 }, { status: 'canceled', retry: 'none' }],
    ['no retry in a canceled workflow', { ...base, workflow_running: false, outcome: 'failed', retry_at: 2000 }, { status: 'failed', retry: 'none' }],
    ['no retry once its cancel was requested', { ...base, cancel_requested: true, outcome: 'failed', retry_at: 2000 }, { status: 'failed', retry: 'none' }],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.deepEqual(finishTarget(input), expected));

  it('an expired lease gives the job back, unless its workflow or the job was canceled', () => {
    assert.equal(expiredLeaseTarget(true, false), 'ready');
    assert.equal(expiredLeaseTarget(false, false), 'canceled');
    assert.equal(expiredLeaseTarget(true, true), 'canceled');
  });
});

describe('trigger counting', () => {
  const cases: Array<[string, number, JobStatus, { counted: number; ready: boolean; complete: boolean }]> = [
    ['first ready counts for on_jobs_ready', 0, 'ready', { counted: COUNTED_READY, ready: true, complete: false }],
    ['ready again (retry, lost lease) does not', COUNTED_READY, 'ready', { counted: COUNTED_READY, ready: false, complete: false }],
    ['blocked counts for nothing', 0, 'blocked', { counted: 0, ready: false, complete: false }],
    ['running counts for nothing', COUNTED_READY, 'running', { counted: COUNTED_READY, ready: false, complete: false }],
    ['terminal after ready counts for on_jobs_complete only', COUNTED_READY, 'completed', { counted: 3, ready: false, complete: true }],
    ['terminal without ever being ready counts for both', 0, 'canceled', { counted: 3, ready: true, complete: true }],
    ['terminal twice counts once', COUNTED_READY | COUNTED_COMPLETE, 'skipped', { counted: 3, ready: false, complete: false }],
  ];
  for (const [name, counted, status, expected] of cases) it(name, () => assert.deepEqual(countStatus(counted, status), expected));

  it('actions start pending or waiting by trigger, job triggers by their count', () => {
    assert.deepEqual(actionStartState('on_workflow_start', 1, 0), { trigger_count: 1, status: 'pending' });
    assert.deepEqual(actionStartState('on_worker_start', 1, 0), { trigger_count: 1, status: 'pending' });
    assert.deepEqual(actionStartState('on_worker_complete', 1, 0), { trigger_count: 1, status: 'pending' });
    assert.deepEqual(actionStartState('on_workflow_complete', 1, 0), { trigger_count: 0, status: 'waiting' });
    assert.deepEqual(actionStartState('on_jobs_ready', 3, 2), { trigger_count: 2, status: 'waiting' });
    assert.deepEqual(actionStartState('on_jobs_ready', 3, 3), { trigger_count: 3, status: 'pending' });
    assert.deepEqual(actionStartState('on_jobs_complete', 2, 2), { trigger_count: 2, status: 'pending' });
  });

  it('an action fires when a bump reaches its requirement, once', () => {
    assert.equal(triggerFires(2, 1, 3), true);
    assert.equal(triggerFires(1, 5, 3), true);
    assert.equal(triggerFires(1, 1, 3), false);
    assert.equal(triggerFires(3, 1, 3), false, 'already fired');
  });
});

describe('restart plans', () => {
  // 0 → 1 → 2, and 3 alone; 1 failed, 2 was canceled, 0 and 3 completed.
  const jobs: RestartJob[] = [
    { index: 0, status: 'completed', counted: 3, depends_on: [] },
    { index: 1, status: 'failed', counted: 3, depends_on: [0] },
    { index: 2, status: 'canceled', counted: 3, depends_on: [1] },
    { index: 3, status: 'completed', counted: 3, depends_on: [] },
  ];

  it('failed-only resets what did not complete, waiting only for reset dependencies', () => {
    assert.deepEqual(restartPlan(jobs, true), [
      { index: 1, from: 'failed', to: 'ready', remaining: 0, counted: COUNTED_READY },
      { index: 2, from: 'canceled', to: 'blocked', remaining: 1, counted: 0 },
    ]);
  });

  it('all resets every job to its initial status', () => {
    assert.deepEqual(
      restartPlan(jobs, false).map((job) => [job.index, job.to, job.remaining]),
      [
        [0, 'ready', 0],
        [1, 'blocked', 1],
        [2, 'blocked', 1],
        [3, 'ready', 0],
      ],
    );
  });

  it('refuses while a job is unfinished', () => {
    assert.throws(
      () => restartPlan([...jobs, { index: 4, status: 'running', counted: 1, depends_on: [] }], true),
      (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_CONFLICT' && /job 4 is still running/.test(error.message),
    );
  });
});

describe('fitting jobs to capacity', () => {
  const job = (workflow_id: string, num_cpus: number, memory_bytes = 0, num_gpus = 0) => ({ workflow_id, num_cpus, memory_bytes, num_gpus });
  const cases: Array<[string, ReturnType<typeof job>[], Parameters<typeof fitJobs>[1], number, Map<string, number> | undefined, number[]]> = [
    ['by count alone without capacity', [job('a', 8), job('a', 8), job('a', 8)], null, 2, undefined, [0, 1]],
    ['cpus: takes what fits, passes over what does not', [job('a', 2), job('a', 4), job('a', 1), job('a', 1)], { cpus: 4, memory_bytes: null, gpus: null }, 10, undefined, [0, 2, 3]],
    ['memory', [job('a', 0, 600), job('a', 0, 600), job('a', 0, 300)], { cpus: null, memory_bytes: 1000, gpus: null }, 10, undefined, [0, 2]],
    ['gpus', [job('a', 0, 0, 1), job('a', 0, 0, 2), job('a', 0, 0, 1)], { cpus: null, memory_bytes: null, gpus: 2 }, 10, undefined, [0, 2]],
    ['all three at once', [job('a', 1, 100, 1), job('a', 1, 100, 0), job('a', 1, 900, 0)], { cpus: 2, memory_bytes: 1000, gpus: 1 }, 10, undefined, [0, 1]],
    ['max_parallel_jobs room per workflow', [job('a', 0), job('a', 0), job('b', 0), job('b', 0)], null, 10, new Map([['a', 1]]), [0, 2, 3]],
    ['no room left', [job('a', 0), job('b', 0)], null, 10, new Map([['a', 0]]), [1]],
    ['limit wins', [job('a', 1), job('a', 1), job('a', 1)], { cpus: 10, memory_bytes: null, gpus: null }, 2, undefined, [0, 1]],
  ];
  for (const [name, candidates, capacity, limit, room, expected] of cases) {
    it(name, () => {
      const picked = fitJobs(candidates, capacity, limit, room);
      assert.deepEqual(
        picked.map((pick) => candidates.indexOf(pick)),
        expected,
      );
    });
  }
});
