import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../src/engine.js';
import type { ProgramService } from '../../src/programs/service.js';
import type { ExecutionRecord } from '../../src/store/programs.js';
import { createTestDatabase, postgresProblem } from '../support/postgres.js';
import { requireService } from '../support/services.js';

/**
 * The execution hub end to end on the process runner: before/after actions around every
 * execution (after failures and timeouts too), typed actions, the queue under the concurrency
 * limit, cancels, lost executions, schedules and a configuration edited while it runs; on SQLite
 * and on PostgreSQL.
 */

interface Backend {
  name: string;
  /** A store URL for a fresh store, and how to remove it. */
  open(home: string): Promise<{ url: string; drop(): Promise<void> }>;
  skip: { skip: string | false };
}

const BACKENDS: Backend[] = [
  { name: 'SQLite', open: async (home) => ({ url: `sqlite:${join(home, 'hookflow.db')}`, drop: async () => {} }), skip: { skip: false } },
  {
    name: 'PostgreSQL',
    open: async () => {
      const database = await createTestDatabase();
      return { url: database.url, drop: () => database.drop() };
    },
    skip: requireService('PostgreSQL', await postgresProblem()),
  },
];

const CONFIG = `
scripts:
  ok_script:
    path: programs/ok
    main_file: main.sh
    parameters: "--greeting 'hello there'"
  failing:
    path: programs/failing
    main_file: main.sh
  sleeper:
    path: programs/sleeper
    main_file: main.sh
    timeout_seconds: 1
  slow:
    path: programs/slow
    main_file: main.sh
  py_script:
    path: programs/py
    after:
      - action: log
        params:
          message: "typed after action saw exit code {{ exit_code }}"
  off:
    path: programs/ok
    main_file: main.sh
    enabled: false
bots:
  ticker:
    path: programs/ok
    main_file: main.sh
    schedule:
      cron: "* * * * * *"
      parameters:
        who: schedule
settings:
  runner: process
  max_concurrent_executions: 1
  timeout_seconds: 30
  interpreters:
    python: /usr/bin/python3
`;

function writeTree(root: string): void {
  const files: Record<string, string> = {
    'config.yaml': CONFIG,
    'programs/ok/main.sh': 'echo "args: $*"\necho "who: ${PARAM_WHO:-nobody}"\necho "literal\\\\nnewline"\necho "to stderr" >&2\n',
    'programs/failing/main.sh': 'echo "about to fail"\nexit 3\n',
    'programs/sleeper/main.sh': 'echo started\nsleep 30\n',
    'programs/slow/main.sh': 'echo slow-start\nsleep 0.6\necho slow-end\n',
    'programs/py/main.py': 'import os, sys\nprint("py", os.environ["PROGRAM_ID"], sys.argv[1:])\n',
    'actions/act_before.sh': 'echo "before $PROGRAM_ID $EXECUTION_ID"\n',
    'actions/act_after.sh': 'echo "after exit=$EXIT_CODE"\n',
    'actions/act_after.py.disabled': 'raise SystemExit(9)\n',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

for (const backend of BACKENDS) describe(`the programs execution hub (process runner, ${backend.name})`, backend.skip, () => {
  let home: string;
  let engine: Engine;
  let programs: ProgramService;
  let store: { url: string; drop(): Promise<void> };

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'hookflow-programs-service-'));
    writeTree(home);
    store = await backend.open(home);
    engine = await Engine.open({ home, storeUrl: store.url, env: { HOOKFLOW_SECRET_KEY: 'test-secret-key' }, pollMs: 50 });
    await engine.dispatcher.start();
    programs = await engine.programs();
    await programs.start({ schedules: false });
  });

  after(async () => {
    await engine?.close();
    await store?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const run = async (program_id: string, parameters: Record<string, string> = {}): Promise<ExecutionRecord> => {
    const execution = await programs.submit({ program_id, parameters, trigger: 'api' });
    return programs.waitFor(execution.id, 20_000);
  };

  it('runs act_before, the program, act_after in order, with argv, PARAM_*, streams apart and literal \\n turned into a line break', async () => {
    const execution = await run('ok_script', { who: 'tester' });
    assert.equal(execution.status, 'completed');
    assert.equal(execution.exit_code, 0);
    const lines = execution.output.split('\n');
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    assert.ok(at(`[ACT_BEFORE] before ok_script ${execution.id}`) >= 0, execution.output);
    assert.ok(at('args: --greeting hello there') > at('[ACT_BEFORE] before'), execution.output);
    assert.ok(at('who: tester') > 0);
    assert.ok(at('[ACT_AFTER] after exit=0') > at('who: tester'), execution.output);
    assert.ok(lines.includes('literal') && lines.includes('newline'), 'the two characters \\n became a line break');
    assert.equal(execution.error_output.trim(), 'to stderr');
    assert.ok(!execution.output.includes('exit=9'), 'a .disabled action does not run');
    assert.deepEqual(execution.details.disabled_actions, ['act_after.py.disabled']);
  });

  it('gives act_after the real exit code of a failing program, and records it failed', async () => {
    const execution = await run('failing');
    assert.equal(execution.status, 'failed');
    assert.equal(execution.exit_code, 3);
    assert.match(execution.output, /\[ACT_AFTER\] after exit=3/);
    assert.match(execution.error ?? '', /exited with code 3/);
  });

  it('stops a program at its timeout, then still runs act_after', async () => {
    const execution = await run('sleeper');
    assert.equal(execution.status, 'timeout');
    assert.equal(execution.error, 'Execution exceeded time limit');
    assert.match(execution.output, /\[ACT_AFTER\] after exit=(143|137)/);
  });

  it('runs typed after actions with the exit code in their templates', async () => {
    const execution = await run('py_script');
    assert.equal(execution.status, 'completed', execution.error_output);
    assert.match(execution.output, /py py_script \[\]/);
    assert.match(execution.output, /\[ACT_AFTER\] .*typed after action saw exit code 0/);
    const actions = execution.details.actions as Array<{ phase: string; name: string; success: boolean }>;
    assert.deepEqual(
      actions.map((action) => [action.phase, action.name, action.success]),
      [
        ['before', 'act_before.sh', true],
        ['after', 'log', true],
        ['after', 'act_after.sh', true],
      ],
    );
  });

  it('refuses unknown (404) and disabled (400) programs without storing anything', async () => {
    await assert.rejects(programs.submit({ program_id: 'nope', trigger: 'api' }), { code: 'HF_ERR_PROGRAM_NOT_FOUND' });
    await assert.rejects(programs.submit({ program_id: 'off', trigger: 'api' }), { code: 'HF_ERR_PROGRAM_DISABLED' });
    await assert.rejects(programs.submit({ program_id: 'ok_script', parameters: { 'bad key': 'x' }, trigger: 'api' }), { code: 'HF_ERR_INVALID_ARGUMENT' });
    const { executions } = await programs.list({ limit: 100 });
    assert.ok(executions.every((execution) => execution.program_id !== 'nope' && execution.program_id !== 'off'));
  });

  it('queues what is over the limit (never fails it) and runs it after, in order; cancels a queued one', async () => {
    const first = await programs.submit({ program_id: 'slow', trigger: 'api' });
    const second = await programs.submit({ program_id: 'slow', trigger: 'api' });
    const third = await programs.submit({ program_id: 'slow', trigger: 'api' });
    assert.equal((await programs.get(second.id))?.status, 'queued');
    const canceled = await programs.cancel(third.id);
    assert.equal(canceled.status, 'canceled');
    const [a, b] = [await programs.waitFor(first.id, 20_000), await programs.waitFor(second.id, 20_000)];
    assert.equal(a.status, 'completed');
    assert.equal(b.status, 'completed');
    assert.ok(b.started_at! >= a.ended_at!, 'the second started after the first ended (limit 1)');
    assert.equal((await programs.get(third.id))?.status, 'canceled');
    await assert.rejects(programs.cancel(first.id), { code: 'HF_ERR_CONFLICT' });
  });

  it('cancels a running execution: its process stops, act_after still runs', async () => {
    const execution = await programs.submit({ program_id: 'sleeper', trigger: 'api' });
    for (let i = 0; i < 100 && (await programs.get(execution.id))?.status !== 'running'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await programs.cancel(execution.id);
    const ended = await programs.waitFor(execution.id, 10_000);
    assert.equal(ended.status, 'canceled');
    assert.match(ended.output, /\[ACT_AFTER\] after exit=/);
  });

  it('streams output to a follower while the execution runs, then its final status', async () => {
    const execution = await programs.submit({ program_id: 'slow', trigger: 'api' });
    const seen: string[] = [];
    let firstOutputAt = 0;
    const done = new Promise<ExecutionRecord>((resolve) => {
      void programs.follow(execution.id, (message) => {
        if (message.type === 'output') {
          seen.push(message.text);
          if (message.text.includes('slow-start') && !firstOutputAt) firstOutputAt = Date.now();
        } else if (message.execution.status === 'completed' || message.execution.status === 'failed') resolve(message.execution);
      });
    });
    const ended = await done;
    assert.equal(ended.status, 'completed');
    assert.ok(seen.join('').includes('slow-end'));
    assert.ok(firstOutputAt > 0 && firstOutputAt < ended.ended_at! - 300, 'the first line arrived before the end');
  });

  it('publishes execution.* events for each transition', async () => {
    const execution = await run('failing');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const events = await engine.events.list({ limit: 500 });
    const mine = events.filter((event) => event.data.execution_id === execution.id).map((event) => event.type);
    assert.deepEqual(mine.sort(), ['execution.failed', 'execution.queued', 'execution.started']);
    const failed = events.find((event) => event.type === 'execution.failed' && event.data.execution_id === execution.id)!;
    assert.equal(failed.data.exit_code, 3);
    assert.equal(failed.data.program_id, 'failing');
  });

  it('fails an execution whose process died (its lease expired) and frees its slot', async () => {
    // A program of another server's config.yaml: this server's queue never claims it itself.
    const lost = await engine.store.programs.insertExecution({
      id: '01900000-0000-7000-8000-000000000001',
      program_id: 'elsewhere',
      program_name: 'elsewhere',
      program_kind: 'script',
      runner: 'process',
      parameters: {},
      trigger: 'api',
      requested_by: null,
      image: null,
      created_at: Date.now(),
    });
    const claimed = await engine.store.programs.claimExecutions('a-dead-process', 1, { maxConcurrent: 5, perProgram: {}, programs: ['elsewhere'] }, 1, Date.now() - 10_000);
    assert.equal(claimed[0]?.id, lost.id);
    for (let i = 0; i < 200 && (await programs.get(lost.id))?.status === 'running'; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const ended = await programs.get(lost.id);
    assert.equal(ended?.status, 'failed');
    assert.match(ended?.error ?? '', /lease expired/);
    assert.equal((await run('ok_script')).status, 'completed', 'the slot is free again');
  });

  it('cleans up finished executions by count, keeping queued and running ones', async () => {
    const before = await programs.list({ program_id: 'failing', limit: 100 });
    assert.ok(before.total >= 2, 'earlier tests ran failing twice');
    const deleted = await programs.cleanup({ endedBefore: null, keepLast: 1, program_id: 'failing' });
    assert.equal(deleted, before.total - 1);
    const after = await programs.list({ program_id: 'failing', limit: 100 });
    assert.equal(after.total, 1);
    assert.equal(after.executions[0]!.id, before.executions[0]!.id, 'the newest stays');
    assert.equal(await programs.applyRetention(), 0, 'no retention configured: nothing goes');
  });

  it('picks up an edit of config.yaml, and keeps the last good configuration after a bad one', async () => {
    writeFileSync(join(home, 'config.yaml'), `${CONFIG.replace('scripts:\n', 'scripts:\n  added:\n    path: programs/ok\n    main_file: main.sh\n')}`);
    for (let i = 0; i < 100 && !programs.programs().some((program) => program.id === 'added'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(programs.programs().some((program) => program.id === 'added'));
    writeFileSync(join(home, 'config.yaml'), 'scripts:\n  broken: [\n');
    for (let i = 0; i < 100 && programs.catalog.lastProblems().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(programs.catalog.lastProblems()[0]!.where, /config\.yaml:\d+:\d+/);
    assert.ok(programs.programs().some((program) => program.id === 'added'), 'the last good configuration stays');
    assert.equal((await run('added')).status, 'completed');
    writeFileSync(join(home, 'config.yaml'), CONFIG);
  });
});

for (const backend of BACKENDS) describe(`program schedules (${backend.name})`, backend.skip, () => {
  it('run a scheduled program on its cron, once per tick even with two servers on one store', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hookflow-programs-schedule-'));
    writeTree(home);
    const store = await backend.open(home);
    const open = () => Engine.open({ home, storeUrl: store.url, env: { HOOKFLOW_SECRET_KEY: 'test-secret-key' }, pollMs: 50 });
    const engines = [await open(), await open()];
    try {
      const services = await Promise.all(engines.map((engine) => engine.programs()));
      await Promise.all(services.map((service) => service.start()));
      await new Promise((resolve) => setTimeout(resolve, 2600));
      await Promise.all(services.map((service) => service.close(5_000)));
      const { executions } = await services[0]!.list({ program_id: 'ticker', limit: 100 });
      // Ticks are a second apart; the two servers' submits for one tick would be milliseconds apart.
      const times = executions.map((execution) => execution.created_at).sort((a, b) => a - b);
      assert.ok(times.length >= 1 && times.length <= 3, `one to three ticks in 2.6 s, got ${times.length}`);
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 250, `one execution per tick: ${times.join(', ')}`);
      assert.ok(executions.every((execution) => execution.trigger === 'schedule' && execution.parameters.who === 'schedule'));
    } finally {
      for (const engine of engines) await engine.close();
      await store.drop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
