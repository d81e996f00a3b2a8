/**
 * Workflows end to end on one store: submit through the service, run with real workers (in this
 * process, and `hookflow worker` processes for the kill -9 case), check states, events, retries,
 * cancel and restart, and Torc's action execution counts. Run against SQLite and PostgreSQL by
 * engine-sqlite.test.ts and engine-postgres.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../src/engine.js';
import type { EventRecord } from '../../src/events/model.js';
import type { Worker } from '../../src/workflows/worker.js';
import type { WorkflowService } from '../../src/workflows/service.js';

export interface EngineHarness {
  /** A store URL every process of the test can open. */
  storeUrl: string;
  cleanup(): Promise<void>;
}

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'hookflow.js');
const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'compat');

export function runWorkflowEngineSuite(label: string, harness: () => Promise<EngineHarness>, options: { skip: string | false }): void {
  describe(label, { skip: options.skip }, () => {
    let home: string;
    let engine: Engine;
    let service: WorkflowService;
    let handle: EngineHarness;

    before(async () => {
      handle = await harness();
      home = mkdtempSync(join(tmpdir(), 'hookflow-wf-engine-'));
      engine = await Engine.open({ home, storeUrl: handle.storeUrl });
      await engine.store.migrate();
      service = await engine.workflows();
    });

    after(async () => {
      await engine?.close();
      await handle?.cleanup();
      rmSync(home, { recursive: true, force: true });
    });

    const worker = (workflowId: string, extra: Partial<Parameters<Engine['createWorker']>[0]> = {}): Promise<Worker> =>
      engine.createWorker({ workflowId, maxParallelJobs: 4, capacity: null, idleTimeoutMs: 20_000, pollMs: 50, ...extra });

    const runToEnd = async (workflowId: string, extra: Partial<Parameters<Engine['createWorker']>[0]> = {}) => {
      const result = await (await worker(workflowId, extra)).run();
      return { result, status: await service.status(workflowId) };
    };

    const eventsOf = async (workflowId: string): Promise<EventRecord[]> => {
      const events = await engine.events.list({ limit: 1000 });
      return events.filter((event) => event.data.workflow_id === workflowId).reverse();
    };

    it('runs a diamond of commands to completion, in dependency order, publishing every transition', async () => {
      const spec = `
name: diamond
jobs:
  - name: preprocess
    command: echo pre > pre.txt
  - name: work1
    command: cat pre.txt && echo one
    depends_on: [preprocess]
  - name: work2
    command: echo two >&2
    depends_on: [preprocess]
  - name: postprocess
    command: echo post
    depends_on: [work1, work2]
`;
      const { id, run_id } = await service.submit({ text: spec, file: 'diamond.yaml' });
      assert.equal(run_id, 1);
      const initial = await service.status(id);
      assert.deepEqual(initial.counts, { ready: 1, blocked: 3 });
      const { result, status } = await runToEnd(id);
      assert.equal(result.reason, 'workflow_ended');
      assert.equal(status.status, 'completed');
      assert.deepEqual(status.counts, { completed: 4 });
      const jobs = await service.jobs(id);
      const byName = new Map(jobs.map((job) => [job.name, job]));
      const post = byName.get('postprocess');
      const pre = byName.get('preprocess');
      assert.ok(post?.started_at && pre?.ended_at && post.started_at >= pre.ended_at);
      assert.match(byName.get('work1')?.stdout_tail ?? '', /pre\s+one/);
      assert.match(byName.get('work2')?.stderr_tail ?? '', /two/);
      const log = await service.logs(id, 'work1');
      assert.match(log.text, /one/);
      const types = (await eventsOf(id)).map((event) => event.type);
      assert.ok(types.includes('workflow.submitted'));
      assert.equal(types.filter((type) => type === 'job.completed').length, 4);
      assert.equal(types.filter((type) => type === 'job.started').length, 4);
      assert.equal(types.filter((type) => type === 'job.ready').length, 4);
      assert.equal(types.filter((type) => type.startsWith('workflow.') || type.startsWith('job.')).at(-1), 'workflow.completed');
    });

    it("job.started events wait for the next finishes' transaction, or go alone once maxDelayMs passed", async () => {
      const inserted: string[] = [];
      const store = engine.store as unknown as { insertEvents: (rows: Array<{ event: { type: string } }>) => Promise<unknown> };
      const insertEvents = store.insertEvents;
      store.insertEvents = function (rows) {
        inserted.push(...rows.map((row) => row.event.type));
        return insertEvents.call(this, rows);
      };
      // A slow preparation (PostgreSQL reads the hooks there) lets a flush take finishes that came
      // while it waited: the flush due for them then finds none, and its starts must still wait.
      const dispatcher = engine.dispatcher as unknown as { prepareOutbox: () => Promise<void> };
      const prepareOutbox = dispatcher.prepareOutbox;
      dispatcher.prepareOutbox = async function () {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return prepareOutbox.call(this);
      };
      try {
        const { id } = await service.submit({ text: JSON.stringify({ name: 'starts', jobs: [{ name: 'j{i}', command: 'true', parameters: { i: '1:40' } }] }) });
        const { status } = await runToEnd(id, { maxParallelJobs: 2 });
        assert.equal(status.status, 'completed');
        const events = (await eventsOf(id)).filter((event) => event.type === 'job.started' || event.type === 'job.completed');
        assert.equal(events.filter((event) => event.type === 'job.started').length, 40);
        for (const started of events.filter((event) => event.type === 'job.started')) {
          const completed = events.findIndex((event) => event.type === 'job.completed' && event.data.job_name === started.data.job_name);
          assert.ok(completed > events.indexOf(started), `job.started of ${String(started.data.job_name)} comes before its job.completed`);
        }
        // Each start waited for a finishes' write (every job but the last few has one after it).
        const alone = inserted.filter((type) => type === 'job.started').length;
        assert.ok(alone <= 4, `${alone} of 40 job.started events were published in a transaction of their own`);

        // With no finish to wait for, a start is published after maxDelayMs, not when its job ends.
        const { id: longId } = await service.submit({ text: 'name: long-start\njobs:\n  - { name: long, command: "sleep 1.5" }\n' });
        const running = worker(longId).then((w) => w.run());
        let seen = false;
        for (let i = 0; i < 40 && !seen; i++) {
          await new Promise((r) => setTimeout(r, 25));
          seen = (await eventsOf(longId)).some((event) => event.type === 'job.started');
        }
        assert.ok(seen, 'job.started of the running job was published within a second');
        assert.equal((await service.status(longId)).counts.running, 1, 'while it still ran');
        await running;
      } finally {
        store.insertEvents = insertEvents;
        dispatcher.prepareOutbox = prepareOutbox;
      }
    });

    it("a worker's output directory holds its jobs' logs and working directory, and `workflow logs` finds them", async () => {
      const outputDir = join(home, `worker-output-${Date.now()}`);
      const { id } = await service.submit({ text: 'name: elsewhere\njobs:\n  - { name: here, command: "pwd; echo from-here" }\n' });
      const { status } = await runToEnd(id, { outputDir });
      assert.equal(status.status, 'completed');
      const log = await service.logs(id, 'here');
      assert.ok(log.path.startsWith(join(outputDir, id)), log.path);
      assert.match(log.text, new RegExp(`${join(outputDir, id, 'run-1')}\\s+from-here`));
    });

    it('a stopping worker kills its jobs past the grace period and they go back to ready for another worker', async () => {
      const marker = join(home, `stopped-${Date.now()}`);
      const { id } = await service.submit({ text: `name: stopped\njobs:\n  - { name: long, command: '[ -f ${marker} ] || { touch ${marker}; sleep 30; }' }\n` });
      const first = await worker(id, { leaseMs: 600, heartbeatMs: 100 });
      const running = first.run();
      for (let i = 0; i < 200; i++) {
        if ((await service.status(id)).counts.running === 1 && existsSync(marker)) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await first.stop(100);
      assert.equal((await running).reason, 'stopped');
      assert.equal((await service.status(id)).counts.running, 1, 'left to its lease, not failed');
      const { status } = await runToEnd(id, { leaseMs: 600 });
      assert.equal(status.status, 'completed');
      const [job] = await service.jobs(id);
      assert.equal(job.attempts, 2);
    });

    it('retries a job through its failure handler until it succeeds', async () => {
      const counter = join(home, `retry-${Date.now()}`);
      const spec = {
        name: 'retry',
        failure_handlers: [{ name: 'again', rules: [{ exit_codes: [3], max_retries: 3 }] }],
        jobs: [{ name: 'flaky', command: `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 3 ] || exit 3`, failure_handler: 'again' }],
      };
      const { id } = await service.submit({ text: JSON.stringify(spec) });
      const { status } = await runToEnd(id);
      assert.equal(status.status, 'completed');
      const [job] = await service.jobs(id);
      assert.equal(job.attempts, 3);
      assert.equal(readFileSync(counter, 'utf8').trim(), '3');
      assert.equal((await eventsOf(id)).filter((event) => event.type === 'job.retrying').length, 2);
    });

    it('fails the workflow when a job fails for good; a dependent still runs unless cancel_on_blocking_job_failure', async () => {
      const spec = `
name: failing
jobs:
  - { name: broken, command: exit 7 }
  - { name: tolerant, command: 'true', depends_on: [broken] }
  - { name: strict, command: 'true', depends_on: [broken], cancel_on_blocking_job_failure: true }
  - { name: below_strict, command: 'true', depends_on: [strict] }
`;
      const { id } = await service.submit({ text: spec });
      const { status } = await runToEnd(id);
      assert.equal(status.status, 'failed');
      const states = Object.fromEntries((await service.jobs(id)).map((job) => [job.name, [job.status, job.exit_code]]));
      assert.deepEqual(states, { broken: ['failed', 7], tolerant: ['completed', 0], strict: ['canceled', null], below_strict: ['canceled', null] });
    });

    it('runs a BudPipeline DAG with conditions, skips and outputs (the compat sample DAG)', async () => {
      const text = readFileSync(join(FIXTURES, 'budpipeline', 'sample_dag.json'), 'utf8');
      const { id } = await service.submit({ text, file: 'sample_dag.json' });
      const { status } = await runToEnd(id);
      assert.equal(status.status, 'completed');
      const outputs = await service.outputs(id);
      assert.ok(Object.keys(outputs).length > 0, 'the sample DAG declares outputs');
      const types = (await eventsOf(id)).map((event) => event.type);
      assert.ok(types.some((type) => type.startsWith('step.')));
      assert.ok(!types.some((type) => type.startsWith('job.')), 'DAG steps publish step.* events');
    });

    it('cancels a running workflow: the running job is killed, the rest canceled', async () => {
      const spec = `
name: long
jobs:
  - { name: sleeper, command: sleep 30 }
  - { name: after, command: 'true', depends_on: [sleeper] }
`;
      const { id } = await service.submit({ text: spec });
      const running = await worker(id, { heartbeatMs: 100 });
      const done = running.run();
      for (let i = 0; i < 100 && (await service.status(id)).counts.running !== 1; i++) await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      await service.cancel(id);
      await done;
      assert.ok(Date.now() - started < 10_000, 'the sleep was killed, not waited for');
      const status = await service.status(id);
      assert.equal(status.status, 'canceled');
      assert.deepEqual(status.counts, { canceled: 2 });
      assert.ok((await eventsOf(id)).some((event) => event.type === 'workflow.cancelled'));
    });

    it('restarts failed jobs only as a new run, keeping the completed ones', async () => {
      const flag = join(home, `fix-${Date.now()}`);
      const spec = `
name: restartable
jobs:
  - { name: good, command: 'echo good' }
  - { name: needs_fix, command: 'test -f ${flag}', depends_on: [good] }
  - { name: last, command: 'true', depends_on: [needs_fix], cancel_on_blocking_job_failure: true }
`;
      const { id } = await service.submit({ text: spec });
      assert.equal((await runToEnd(id)).status.status, 'failed');
      writeFileSync(flag, 'fixed');
      const restarted = await service.restart(id, { failedOnly: true });
      assert.equal(restarted.run_id, 2);
      const { status } = await runToEnd(id);
      assert.equal(status.status, 'completed');
      assert.equal(status.run, 2);
      const jobs = await service.jobs(id);
      assert.equal(jobs.find((job) => job.name === 'good')?.run, 1, 'a completed job is not rerun');
      assert.equal(jobs.find((job) => job.name === 'needs_fix')?.run, 2);
    });

    it("counts Torc's workflow actions across three workers: persistent on_worker_start 3×, non-persistent 1×, on_workflow_complete 1×, on_jobs_complete once all selected jobs end", async () => {
      const marker = join(home, `actions-${Date.now()}`);
      const spec = {
        name: 'actions',
        jobs: Array.from({ length: 6 }, (_, i) => ({ name: `work_${i}`, command: 'sleep 0.2' })),
        actions: [
          { trigger_type: 'on_worker_start', action_type: 'run_commands', commands: [`echo persistent >> ${marker}.start`] },
          { trigger_type: 'on_worker_start', action_type: 'run_commands', persistent: false, commands: [`echo once >> ${marker}.once`] },
          { trigger_type: 'on_jobs_complete', action_type: 'run_commands', job_name_regexes: ['work_[0-5]'], commands: [`echo jobs >> ${marker}.jobs`] },
          { trigger_type: 'on_workflow_complete', action_type: 'run_commands', commands: [`echo done >> ${marker}.done`] },
        ],
      };
      const { id } = await service.submit({ text: JSON.stringify(spec) });
      const workers = await Promise.all([worker(id, { maxParallelJobs: 1 }), worker(id, { maxParallelJobs: 1 }), worker(id, { maxParallelJobs: 1 })]);
      await Promise.all(workers.map((w) => w.run()));
      assert.equal((await service.status(id)).status, 'completed');
      const lines = (suffix: string) => readFileSync(`${marker}.${suffix}`, 'utf8').trim().split('\n').length;
      assert.equal(lines('start'), 3);
      assert.equal(lines('once'), 1);
      assert.equal(lines('jobs'), 1);
      assert.equal(lines('done'), 1);
      const actions = await service.actions(id);
      assert.deepEqual(
        actions.map((action) => action.executions.length),
        [3, 1, 1, 1],
      );
      assert.ok(actions.every((action) => action.executions.every((execution) => execution.success === true)));
    });

    it('a failing workflow action is recorded and published but does not change the workflow', async () => {
      const spec = {
        name: 'action-fails',
        jobs: [{ name: 'only', command: 'true' }],
        actions: [{ trigger_type: 'on_workflow_start', action_type: 'run_commands', commands: ['exit 4', 'echo never'] }],
      };
      const { id } = await service.submit({ text: JSON.stringify(spec) });
      const { status } = await runToEnd(id);
      assert.equal(status.status, 'completed');
      const [action] = await service.actions(id);
      assert.equal(action.executions[0]?.success, false);
      assert.ok((await eventsOf(id)).some((event) => event.type === 'action.failed'));
    });

    const markedJobs = (name: string, count: number, marker: string, command: string): string =>
      JSON.stringify({ name, jobs: [{ name: 'job_{i:03d}', command: command.replaceAll('MARKER', marker), parameters: { i: `1:${count}` } }] });

    const markerLines = (marker: string): string[] => (existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n').filter(Boolean) : []);

    it('runs short jobs claimed ahead, each once, never more at once than the slots, with their start and end times', async () => {
      for (const slots of [1, 2]) {
        const marker = join(home, `slots-${slots}-${Date.now()}`);
        const count = 120;
        // The sleep makes two slots' jobs overlap for sure: the count below sees both at once.
        const { id } = await service.submit({ text: markedJobs(`short-${slots}`, count, marker, 'echo s{i} >> MARKER; sleep 0.005; echo e{i} >> MARKER') });
        const { status } = await runToEnd(id, { maxParallelJobs: slots });
        assert.equal(status.status, 'completed');
        assert.deepEqual(status.counts, { completed: count });
        const lines = markerLines(marker);
        assert.equal(lines.length, 2 * count, 'each job ran once');
        assert.equal(new Set(lines).size, 2 * count);
        let running = 0;
        let most = 0;
        for (const line of lines) {
          running += line.startsWith('s') ? 1 : -1;
          most = Math.max(most, running);
        }
        assert.equal(most, slots, `${slots} slot(s): at most ${slots} job(s) at once, saw ${most}`);
        for (const job of await service.jobs(id)) {
          assert.equal(job.attempts, 1);
          assert.ok(job.started_at !== null && job.ended_at !== null && job.started_at <= job.ended_at, `${job.name}: started ${job.started_at}, ended ${job.ended_at}`);
        }
      }
    });

    it('never renews its leases twice at once, however slow a renewal is', async () => {
      const { id } = await service.submit({ text: 'name: slow-renewals\njobs:\n  - name: a\n    command: sleep 0.5\n' });
      const workflows = engine.store.workflows;
      const renew = workflows.renewJobLeases.bind(workflows);
      let inFlight = 0;
      let most = 0;
      let calls = 0;
      workflows.renewJobLeases = async (...args) => {
        calls += 1;
        inFlight += 1;
        most = Math.max(most, inFlight);
        try {
          await new Promise((r) => setTimeout(r, 120));
          return await renew(...args);
        } finally {
          inFlight -= 1;
        }
      };
      try {
        await (await worker(id, { heartbeatMs: 10 })).run();
      } finally {
        workflows.renewJobLeases = renew;
      }
      assert.equal((await service.status(id)).status, 'completed');
      assert.ok(calls >= 2, `renewed ${calls} times`);
      assert.equal(most, 1);
    });

    it('cancels a workflow of short jobs claimed ahead: each ends completed or canceled, and nothing runs on', async () => {
      const marker = join(home, `cancel-short-${Date.now()}`);
      const count = 300;
      const { id } = await service.submit({ text: markedJobs('cancel-short', count, marker, 'echo {i} >> MARKER; sleep 0.01') });
      const running = await worker(id, { maxParallelJobs: 1, heartbeatMs: 50 });
      const done = running.run();
      for (let i = 0; i < 200 && ((await service.status(id)).counts.completed ?? 0) < 20; i++) await new Promise((r) => setTimeout(r, 25));
      await service.cancel(id);
      await done;
      const status = await service.status(id);
      assert.equal(status.status, 'canceled');
      const { completed = 0, canceled = 0, ...others } = status.counts;
      assert.deepEqual(others, {}, `only completed and canceled jobs: ${JSON.stringify(status.counts)}`);
      assert.equal(completed + canceled, count);
      assert.ok(completed >= 20 && canceled > 0, JSON.stringify(status.counts));
      const seen = markerLines(marker).length;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(markerLines(marker).length, seen, 'a job process ran on after its worker ended');
    });

    it('a worker killed with kill -9 amid short jobs claimed ahead loses nothing: its jobs run again and the workflow completes', async () => {
      const marker = join(home, `kill-short-${Date.now()}`);
      const count = 300;
      const { id } = await service.submit({ text: markedJobs('kill-short', count, marker, 'echo {i} >> MARKER') });
      const env = { ...process.env, HOOKFLOW_HOME: home, HOOKFLOW_STORE: handle.storeUrl, HOOKFLOW_WORKER_LEASE_MS: '1500' };
      const child: ChildProcess = spawn(process.execPath, [BIN, 'worker', '--workflow', id, '--max-parallel-jobs', '1', '--idle-timeout', '20s'], { env, stdio: 'ignore' });
      try {
        const began = Date.now();
        while (Date.now() - began < 20_000 && markerLines(marker).length < 60) await new Promise((r) => setTimeout(r, 20));
        assert.ok(markerLines(marker).length >= 60, 'the child worker ran jobs');
        process.kill(child.pid as number, 'SIGKILL');
      } finally {
        if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      }
      const { status } = await runToEnd(id, { maxParallelJobs: 1 });
      assert.equal(status.status, 'completed');
      assert.deepEqual(status.counts, { completed: count });
      const ran = new Set(markerLines(marker).map(Number));
      for (let i = 1; i <= count; i++) assert.ok(ran.has(i), `job ${i} never ran`);
    });

    it('a worker killed with kill -9 mid-job loses the job back to ready; another worker reruns it and the workflow completes', async () => {
      const marker = join(home, `killed-${Date.now()}`);
      const spec = `
name: survives-kill
jobs:
  - { name: slow, command: 'echo started >> ${marker}; sleep 1.5; echo finished >> ${marker}' }
`;
      const { id } = await service.submit({ text: spec });
      const env = { ...process.env, HOOKFLOW_HOME: home, HOOKFLOW_STORE: handle.storeUrl, HOOKFLOW_WORKER_LEASE_MS: '1500' };
      const child: ChildProcess = spawn(process.execPath, [BIN, 'worker', '--workflow', id, '--idle-timeout', '20s'], { env, stdio: 'ignore' });
      try {
        const began = Date.now();
        // Killed once the job's command is under way: running in the store and writing its marker.
        while (Date.now() - began < 15_000) {
          let text = '';
          try {
            text = readFileSync(marker, 'utf8');
          } catch {
            // not yet
          }
          if (text.includes('started')) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal((await service.status(id)).counts.running, 1, 'the child worker started the job');
        // The worker alone: its launcher sees its stdin close and takes the job down with it, so the
        // job never runs twice at once.
        process.kill(child.pid as number, 'SIGKILL');
      } finally {
        if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      }
      const killedAt = Date.now();
      const { status } = await runToEnd(id);
      assert.equal(status.status, 'completed');
      assert.ok(Date.now() - killedAt < 10_000, `rerun within the lease (1.5 s) plus the job (1.5 s), took ${Date.now() - killedAt} ms`);
      const [job] = await service.jobs(id);
      assert.equal(job.attempts, 2);
      assert.deepEqual(readFileSync(marker, 'utf8').trim().split('\n'), ['started', 'started', 'finished']);
    });
  });
}
