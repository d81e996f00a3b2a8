import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliHome, ISO } from './helpers.js';

const TORC = join(import.meta.dirname, '../fixtures/compat/torc');
const SAMPLE_DAG = join(import.meta.dirname, '../fixtures/compat/budpipeline/sample_dag.json');

/** The rows of the compat folder's expected.md: file → jobs, files, actions after expansion. */
function expectedCounts(): Map<string, { jobs: number; files: number; actions: number }> {
  const rows = new Map<string, { jobs: number; files: number; actions: number }>();
  for (const line of readFileSync(join(TORC, 'expected.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 6 || !cells[1].endsWith('.yaml')) continue;
    rows.set(cells[1], { jobs: Number(cells[2]), files: Number(cells[3]), actions: Number(cells[4]) });
  }
  return rows;
}

/** a → (b, c) → d, with output on stdout and stderr. */
const DIAMOND = `name: diamond
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
actions:
  - trigger_type: on_jobs_complete
    action_type: run_commands
    jobs: [b, c]
    commands: ["echo both done"]
`;

const FAILING = `name: failing
jobs:
  - name: ok
    command: "true"
  - name: broken
    command: "exit 3"
    depends_on: [ok]
`;

const SLOW = `name: slow
jobs:
  - name: nap
    command: sleep 30
  - name: after
    command: "true"
    depends_on: [nap]
`;

const INVALID = `name: broken
jobs:
  - name: a
    comand: echo typo
  - name: a
    command: "true"
`;

interface Summary {
  name: string;
  format: string;
  jobs: number;
  files: number;
  levels: number;
  actions: Array<{ trigger_type: string; action_type: string; selected_jobs: number }>;
  job_names?: string[];
}

describe('hookflow workflow validate', () => {
  let home: CliHome;
  before(() => {
    home = new CliHome();
  });
  after(() => home.cleanup());

  it('validates every compat Torc file with the counts of expected.md', async () => {
    const expected = expectedCounts();
    assert.equal(expected.size, 9, 'expected.md lists nine files');
    const files = readdirSync(TORC).filter((file) => file.endsWith('.yaml'));
    assert.ok(files.length >= expected.size);
    for (const file of files) {
      const result = await home.run(['workflow', 'validate', join(TORC, file), '--json']);
      assert.equal(result.code, 0, `${file}: ${result.stdout}${result.stderr}`);
      const summary = JSON.parse(result.stdout) as Summary;
      assert.deepEqual(Object.keys(summary).sort(), ['actions', 'files', 'format', 'jobs', 'levels', 'name'], file);
      assert.equal(summary.format, 'torc', file);
      const counts = expected.get(file);
      if (!counts) continue;
      assert.deepEqual({ jobs: summary.jobs, files: summary.files, actions: summary.actions.length }, counts, file);
    }
    const ml = await home.json<Summary>(['workflow', 'validate', join(TORC, 'workflow_actions_ml_training.yaml')]);
    assert.equal(ml.actions.find((action) => action.trigger_type === 'on_jobs_ready')?.selected_jobs, 8, 'the regex train_model_.* selects 8 jobs');
  });

  it('lists the expanded job names with --show-jobs', async () => {
    const summary = await home.json<Summary>(['workflow', 'validate', join(TORC, 'hundred_jobs_parameterized.yaml'), '--show-jobs']);
    assert.equal(summary.job_names?.length, 100);
    assert.equal(summary.job_names?.[0], 'job_001');
    assert.equal(summary.job_names?.[99], 'job_100');
    const text = await home.ok(['workflow', 'validate', join(TORC, 'diamond_workflow.yaml'), '--show-jobs']);
    assert.match(text.stdout, /valid Torc workflow "diamond_workflow"/);
    assert.match(text.stdout, /jobs: +4/);
    assert.match(text.stdout, /postprocess/);
  });

  it('exits 1 for an invalid file: {errors: [{message, line, column, path}]}, or file:line:column lines', async () => {
    const file = home.file('broken.yaml', INVALID);
    const result = await home.run(['workflow', 'validate', file, '--json']);
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as { errors: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(report), ['errors']);
    assert.ok(report.errors.length >= 2, result.stdout);
    for (const error of report.errors) assert.deepEqual(Object.keys(error).sort(), ['column', 'line', 'message', 'path']);
    const typo = report.errors.find((error) => /comand/.test(String(error.message)));
    assert.deepEqual([typo?.line, typo?.column], [4, 5]);
    const human = await home.run(['workflow', 'validate', file]);
    assert.equal(human.code, 1);
    assert.ok(human.stdout.split('\n').some((line) => line.startsWith(`${file}:4:5: `)), human.stdout);
    assert.match(human.stdout, /duplicate|twice|more than once/i);
    const missing = await home.run(['workflow', 'validate', join(home.dir, 'nope.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read workflow file/);
  });

  it('validates a DAG, and draws the graph of a file without a store', async () => {
    const dag = await home.json<Summary>(['workflow', 'validate', SAMPLE_DAG]);
    assert.deepEqual([dag.format, dag.jobs, dag.levels], ['dag', 3, 3]);
    const mermaid = await home.ok(['workflow', 'graph', join(TORC, 'diamond_workflow.yaml')]);
    assert.match(mermaid.stdout, /^(graph|flowchart)/m);
    assert.match(mermaid.stdout, /work1/);
    const dot = await home.ok(['workflow', 'graph', join(TORC, 'diamond_workflow.yaml'), '--format', 'dot']);
    assert.match(dot.stdout, /digraph/);
  });
});

describe('hookflow workflow submit and the commands that inspect it', () => {
  let home: CliHome;
  before(() => {
    home = new CliHome();
  });
  after(() => home.cleanup());

  it('submits and waits for a diamond of shell commands, run by a worker in this process', async () => {
    const file = home.file('diamond.yaml', DIAMOND);
    const done = await home.json<{ id: string; run_id: number; status: string; counts: Record<string, number> }>(['workflow', 'submit', file, '--wait']);
    assert.equal(done.run_id, 1);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.counts, { completed: 4 });
    const { id } = done;

    const status = await home.json<Record<string, unknown>>(['workflow', 'status', id]);
    assert.deepEqual(status, { id, name: 'diamond', status: 'completed', run: 1, counts: { completed: 4 } });
    const human = await home.ok(['workflow', 'status', id]);
    assert.match(human.stdout, /Status: +completed/);
    assert.match(human.stdout, /4\/4 jobs finished/);

    const jobs = await home.json<Array<Record<string, unknown>>>(['workflow', 'jobs', id]);
    assert.deepEqual(
      jobs.map((job) => [job.name, job.status, job.exit_code, job.attempts]),
      [
        ['a', 'completed', 0, 1],
        ['b', 'completed', 0, 1],
        ['c', 'completed', 0, 1],
        ['d', 'completed', 0, 1],
      ],
    );
    for (const job of jobs) {
      for (const field of ['name', 'status', 'exit_code', 'attempts', 'worker_id', 'started_at', 'ended_at']) assert.ok(field in job, field);
      assert.match(String(job.started_at), ISO);
      assert.match(String(job.worker_id), /^worker-/);
    }
    assert.deepEqual(await home.json(['workflow', 'jobs', id, '--status', 'failed']), []);

    assert.equal((await home.ok(['workflow', 'logs', id, 'a'])).stdout, 'alpha\n');
    assert.equal((await home.ok(['workflow', 'logs', id, '2', '--stderr'])).stdout, 'gamma\n');
    assert.equal((await home.ok(['workflow', 'logs', id, 'b', '--follow'])).stdout, 'beta\n', '--follow returns once the job has ended');

    const actions = await home.json<Array<Record<string, unknown> & { executions: Array<Record<string, unknown>> }>>(['workflow', 'actions', id]);
    assert.equal(actions.length, 1);
    const [action] = actions;
    assert.equal(action.trigger_type, 'on_jobs_complete');
    assert.equal(action.action_type, 'run_commands');
    assert.equal(action.persistent, false);
    assert.deepEqual(action.selected_jobs, ['b', 'c']);
    assert.deepEqual([action.trigger_count, action.required_triggers], [2, 2]);
    assert.equal(action.executions.length, 1);
    assert.equal(action.executions[0].success, true);
    assert.match(String(action.executions[0].ended_at), ISO);
    const table = await home.ok(['workflow', 'actions', id]);
    assert.match(table.stdout, /on_jobs_complete/);
    assert.match(table.stdout, /2\/2/);

    const torcOutputs = await home.run(['workflow', 'outputs', id]);
    assert.equal(torcOutputs.code, 1);
    assert.match(torcOutputs.stderr, /only pipeline DAGs have outputs/);
    const graph = await home.ok(['workflow', 'graph', id]);
    assert.match(graph.stdout, /^(graph|flowchart)/m);

    const list = await home.json<Array<{ id: string; status: string; created_at: string }>>(['workflow', 'list']);
    assert.equal(list[0].id, id);
    assert.match(list[0].created_at, ISO);
  });

  it('runs a DAG with --param and prints its outputs', async () => {
    const done = await home.json<{ id: string; status: string }>(['workflow', 'submit', SAMPLE_DAG, '--param', 'run_transform=false', '--wait']);
    assert.equal(done.status, 'completed');
    assert.deepEqual(await home.json(['workflow', 'outputs', done.id]), { final_result: 'Hello World', was_transformed: 'False' });
    const jobs = await home.json<Array<{ name: string; status: string }>>(['workflow', 'jobs', done.id]);
    assert.deepEqual(
      jobs.map((job) => job.status),
      ['completed', 'skipped', 'completed'],
    );
    const bad = await home.run(['workflow', 'submit', SAMPLE_DAG, '--param', 'nope=1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown parameter "nope"/);
  });

  it('--watch prints progress lines and exits 1 when the workflow fails', async () => {
    const file = home.file('failing.yaml', FAILING);
    const result = await home.run(['workflow', 'submit', file, '--watch']);
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.ok(lines.some((line) => /failing .*\d\/2 +\d+%/.test(line)), result.stdout);
    assert.match(lines.at(-1) ?? '', /workflow \S+ failed/);
    const jobs = await home.json<Array<{ name: string; status: string; exit_code: number | null }>>(['workflow', 'jobs', lines.at(-1)?.split(' ')[1] ?? '']);
    const broken = jobs.find((job) => job.name === 'broken');
    assert.deepEqual([broken?.status, broken?.exit_code], ['failed', 3]);
    const tty = await home.run(['workflow', 'submit', file, '--watch'], { isTTY: true });
    assert.equal(tty.code, 1);
    assert.ok(tty.stdout.startsWith('\r\x1b[2K'), 'on a terminal the line is redrawn in place');
    assert.equal(tty.stdout.split('\n').length, 3, 'one progress line, then the outcome');
  });

  it('submits without waiting, cancels, restarts as a new run, and says when nothing is left to cancel', async () => {
    const file = home.file('slow.yaml', SLOW);
    const submitted = await home.json<Record<string, unknown>>(['workflow', 'submit', file]);
    assert.deepEqual(Object.keys(submitted).sort(), ['id', 'run_id']);
    const id = String(submitted.id);
    const note = await home.run(['workflow', 'submit', file]);
    assert.match(note.stdout, /submitted workflow "slow" as \S+ \(run 1, 2 jobs\)/);
    assert.match(note.stderr, /no worker is running/);
    await home.ok(['workflow', 'cancel', /as (\S+) /.exec(note.stdout)?.[1] ?? '']);

    const canceled = await home.ok(['workflow', 'cancel', id]);
    assert.match(canceled.stdout, new RegExp(`workflow ${id} canceled`));
    assert.deepEqual((await home.json<{ counts: Record<string, number> }>(['workflow', 'status', id])).counts, { canceled: 2 });
    const twice = await home.run(['workflow', 'cancel', id]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already ended/);

    assert.deepEqual(await home.json(['workflow', 'restart', id, '--failed-only']), { id, run_id: 2 });
    const again = await home.json<{ status: string; run: number; counts: Record<string, number> }>(['workflow', 'status', id]);
    assert.deepEqual([again.status, again.run, again.counts], ['running', 2, { ready: 1, blocked: 1 }]);
    await home.ok(['workflow', 'cancel', id]);
  });

  it('runs `hookflow worker --workflow ID`: a start line, the jobs, a stop line with the reason', async () => {
    const file = home.file('two.yaml', FAILING.replace('exit 3', 'echo fine'));
    const { id } = await home.json<{ id: string }>(['workflow', 'submit', file]);
    const result = await home.ok(['worker', '--workflow', id, '--max-parallel-jobs', '2', '--memory', '1g', '--idle-timeout', '30s']);
    assert.match(result.stdout, new RegExp(`^worker \\S+ started on .*: workflow ${id}, up to 2 jobs at once, jobs claimed by resources: 1 GiB, exits after 30s idle`, 'm'));
    assert.match(result.stdout, /^worker \S+ stopped: its workflow ended$/m);
    assert.equal((await home.json<{ status: string }>(['workflow', 'status', id])).status, 'completed');
    assert.deepEqual(await home.json(['worker', 'list']), []);
    const badMemory = await home.run(['worker', '--memory', 'lots']);
    assert.equal(badMemory.code, 2);
    assert.match(badMemory.stderr, /is not a size/);
  });

  it('stops an idle worker after --idle-timeout', async () => {
    const started = Date.now();
    const result = await home.ok(['worker', '--idle-timeout', '300ms', '--json']);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((line) => line.event), ['worker.started', 'worker.stopped']);
    assert.equal(lines[1].reason, 'idle');
    assert.ok(Date.now() - started < 10_000);
  });

  it('lists Slurm allocations (none) and asks what to cancel', async () => {
    assert.deepEqual(await home.json(['slurm', 'list']), []);
    const nothing = await home.run(['slurm', 'cancel']);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /name the allocations/);
  });
});

describe('hookflow serve runs an embedded worker', () => {
  let home: CliHome;
  before(() => {
    home = new CliHome();
  });
  after(() => home.cleanup());

  const serve = async (args: string[], body: (stdout: () => string) => Promise<void>) => {
    const shutdown = new AbortController();
    let stdout = '';
    const serving = home.run(['serve', '--no-http', '--quiet', '--poll', '20ms', ...args], { shutdown: shutdown.signal, onStdout: (chunk) => (stdout += chunk) });
    try {
      const deadline = Date.now() + 10_000;
      while (!/ready/.test(stdout)) {
        if (Date.now() > deadline) throw new Error(`serve did not start:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await body(() => stdout);
    } finally {
      shutdown.abort();
    }
    const result = await serving;
    assert.equal(result.code, 0, result.stderr);
    return result;
  };

  it('runs submitted jobs there (submit --wait sees the live worker), and not with --no-worker', async () => {
    const file = home.file('diamond.yaml', DIAMOND);
    const served = await serve([], async (stdout) => {
      assert.match(stdout(), /worker +worker-\S+ \(up to \d+ workflow jobs at once\)/);
      const workers = await home.json<Array<{ id: string; workflow_id: string | null }>>(['worker', 'list']);
      assert.equal(workers.length, 1);
      assert.equal(workers[0].workflow_id, null);
      const waited = await home.run(['workflow', 'submit', file, '--wait', '--json']);
      assert.equal(waited.code, 0, waited.stderr);
      assert.doesNotMatch(waited.stderr, /running the jobs here/);
      const jobs = await home.json<Array<{ worker_id: string }>>(['workflow', 'jobs', (JSON.parse(waited.stdout) as { id: string }).id]);
      assert.ok(jobs.every((job) => job.worker_id === workers[0].id), 'the embedded worker ran them');
    });
    assert.match(served.stdout, /stopped\n$/);
    await serve(['--no-worker'], async (stdout) => {
      assert.doesNotMatch(stdout(), /worker +worker-/);
      assert.deepEqual(await home.json(['worker', 'list']), []);
    });
  });
});
