import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFrame } from '../../src/client/programs-remote.js';
import { DeliveredOutput } from '../../src/client/programs-follow.js';
import type { ProgramExecutionJson, ProgramStreamMessage } from '../../src/client/services.js';
import { parseProgramParams, runExitCode } from '../../src/cli/programs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { CliHome, ISO } from './helpers.js';

/** config.yaml and its scripts (runner: process, one execution at a time), copied into each home. */
const FIXTURE = join(import.meta.dirname, '../fixtures/programs/cli');

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function homeWithPrograms(): CliHome {
  const home = new CliHome();
  cpSync(FIXTURE, home.dir, { recursive: true });
  return home;
}

async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('program run exit codes and parameters (pure)', () => {
  const cases: Array<[string, Pick<ProgramExecutionJson, 'status' | 'exit_code'>, number]> = [
    ['completed', { status: 'completed', exit_code: 0 }, 0],
    ['failed with its code', { status: 'failed', exit_code: 3 }, 3],
    ['failed by a signal (137)', { status: 'failed', exit_code: 137 }, 137],
    ['failed without a code', { status: 'failed', exit_code: null }, 1],
    ['failed with a code no process exits with', { status: 'failed', exit_code: 300 }, 1],
    ['failed yet exit code 0 (an action said so)', { status: 'failed', exit_code: 0 }, 1],
    ['timeout', { status: 'timeout', exit_code: 137 }, 124],
    ['canceled', { status: 'canceled', exit_code: null }, 130],
    ['still running', { status: 'running', exit_code: null }, 1],
  ];
  for (const [name, execution, code] of cases) it(`${name} → ${code}`, () => assert.equal(runExitCode(execution), code));

  it('--param keeps everything after the first = and lets a later one win', () => {
    assert.deepEqual(parseProgramParams(['name=world', 'query=a=b=c', 'empty=', 'name=again']), { name: 'again', query: 'a=b=c', empty: '' });
    assert.throws(() => parseProgramParams(['=x']), /is not KEY=VALUE/);
    assert.throws(() => parseProgramParams(['novalue']), /is not KEY=VALUE/);
  });

  it('SSE frames: event and data lines, comments skipped', () => {
    assert.deepEqual(parseFrame('event: output\ndata: {"stream":"stdout","text":"hi"}'), { event: 'output', data: '{"stream":"stdout","text":"hi"}' });
    assert.deepEqual(parseFrame('data: a\ndata: b'), { event: 'message', data: 'a\nb' });
    assert.equal(parseFrame(': keep-alive'), null);
  });

  it('a reconnect or the final record delivers only what the listener has not had', () => {
    const got: string[] = [];
    const delivered = new DeliveredOutput((message: ProgramStreamMessage) => message.type === 'output' && got.push(`${message.stream}:${message.text}`));
    delivered.output('stdout', 'one\n');
    delivered.output('stderr', 'e1\n');
    delivered.restart(); // a reconnect replays what was printed so far, then goes on
    delivered.output('stdout', 'one\ntw');
    delivered.output('stdout', 'o\n');
    delivered.finish({ output: 'one\ntwo\nthree\n', stderr: 'e1\n', output_truncated: false, error_truncated: false } as ProgramExecutionJson);
    assert.deepEqual(got, ['stdout:one\n', 'stderr:e1\n', 'stdout:tw', 'stdout:o\n', 'stdout:three\n']);
  });
});

describe('hookflow program / execution on the local store', () => {
  let home: CliHome;
  before(() => {
    home = homeWithPrograms();
  });
  after(() => home.cleanup());

  it('program list shows the enabled programs, scripts before bots; --json is GET /programs', async () => {
    const table = await home.ok(['program', 'list']);
    for (const id of ['greet', 'fail', 'steps', 'slow', 'echo_bot']) assert.match(table.stdout, new RegExp(`│ ${id} `));
    assert.doesNotMatch(table.stdout, /│ off /);
    assert.match(table.stdout, /│ greet +│ Greeter +│ script +│ process +│ - +│ --flag 'two words'/);
    const list = await home.json<Array<Record<string, unknown>>>(['program', 'list']);
    assert.deepEqual(
      list.map((entry) => [entry.id, entry.type]),
      [
        ['greet', 'script'],
        ['fail', 'script'],
        ['steps', 'script'],
        ['slow', 'script'],
        ['sleepy', 'script'],
        ['echo_bot', 'bot'],
      ],
    );
    assert.equal(list[0]!.runner, 'process');
    assert.equal(list[0]!.parameters, "--flag 'two words'");
  });

  it('program run waits, prints the output at the end, and exits 0', async () => {
    const result = await home.run(['program', 'run', 'greet', '--param', 'name=world', '--param', 'query=a=b']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hello world from greet: --flag two words\n');
    assert.match(result.stderr, /^running greet as execution \S+ \(Ctrl-C cancels it\)\ngreeted\nexecution \S+ completed in /);
  });

  it("a failing program's exit code is the command's (3), with its stdout and stderr apart", async () => {
    const result = await home.run(['program', 'run', 'fail']);
    assert.equal(result.code, 3);
    assert.equal(result.stdout, 'about to fail\n');
    assert.match(result.stderr, /it went wrong\nerror: execution \S+ failed \(exit code 3\) after \S+: exited with code 3\n$/);
  });

  it('--follow streams stdout and stderr live, in order, and the exit code still comes through', async () => {
    const chunks: Array<{ at: number; text: string }> = [];
    const result = await home.run(['program', 'run', 'steps', '--follow', '--param', 'code=4'], { onStdout: (text) => chunks.push({ at: Date.now(), text }) });
    assert.equal(result.code, 4);
    assert.equal(result.stdout, 'one\nthree\n');
    assert.match(result.stderr, /\(Ctrl-C cancels it\)\ntwo\nerror: execution \S+ failed \(exit code 4\)/);
    // Live: "one" came on its own, well before "three" (the script pauses 300 ms between them).
    const three = chunks.find((chunk) => chunk.text.includes('three'));
    assert.match(chunks[0]!.text, /^one/);
    assert.ok(three && !chunks[0]!.text.includes('three') && three.at - chunks[0]!.at >= 200, `the output arrived all at once: ${JSON.stringify(chunks)}`);
  });

  it('--json prints the execution as the API does; execution show/logs read it back', async () => {
    const execution = await home.run(['program', 'run', 'echo_bot', '--param', 'text=hi', '--json']);
    assert.equal(execution.code, 0, execution.stderr);
    const json = JSON.parse(execution.stdout) as ProgramExecutionJson;
    assert.equal(json.program_id, 'echo_bot');
    assert.equal(json.status, 'completed');
    assert.equal(json.output, 'bot says hi\n');
    assert.equal(json.exit_code, 0);
    assert.equal(json.program_type, 'bot');
    assert.equal(json.trigger, 'cli');
    assert.deepEqual(json.parameters, { text: 'hi' });
    assert.match(json.start_time!, ISO);
    assert.equal(typeof json.duration_seconds, 'number');

    const shown = await home.json<ProgramExecutionJson>(['execution', 'show', json.execution_id]);
    assert.deepEqual({ ...shown, duration_seconds: null }, { ...json, duration_seconds: null });
    const human = await home.ok(['execution', 'show', json.execution_id]);
    assert.match(human.stdout, /Execution: +\S+\nProgram: +echo_bot \(Echo bot, bot\)\nStatus: +completed\nExit code: +0\nRunner: +process\nTrigger: +cli/);
    assert.match(human.stdout, /Parameters: +text=hi/);
    assert.match(human.stdout, /Output\nbot says hi\n$/);

    const logs = await home.run(['execution', 'logs', json.execution_id]);
    assert.deepEqual([logs.code, logs.stdout], [0, 'bot says hi\n']);
    const followed = await home.run(['execution', 'logs', json.execution_id, '--follow']);
    assert.deepEqual([followed.code, followed.stdout], [0, 'bot says hi\n']);
    const logsJson = await home.json<Record<string, unknown>>(['execution', 'logs', json.execution_id]);
    assert.deepEqual(
      { output: logsJson.output, output_lines: logsJson.output_lines, error_lines: logsJson.error_lines, exit_code: logsJson.exit_code },
      { output: 'bot says hi\n', output_lines: 1, error_lines: 0, exit_code: 0 },
    );
  });

  it('a timeout exits 124 with the reason', async () => {
    const result = await home.run(['program', 'run', 'sleepy']);
    assert.equal(result.code, 124);
    assert.equal(result.stdout, 'sleeping\n');
    assert.match(result.stderr, /error: execution \S+ timeout.*: Execution exceeded time limit/);
  });

  it('an unknown program exits 1 naming the programs; a disabled one says so; a bad --param is a usage error', async () => {
    const unknown = await home.run(['program', 'run', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no program "nope".*programs: greet, fail, steps, slow, sleepy, echo_bot/);
    const disabled = await home.run(['program', 'run', 'off']);
    assert.equal(disabled.code, 1);
    assert.match(disabled.stderr, /program off is disabled.*enabled: true/);
    const usage = await home.run(['program', 'run', 'greet', '--param', 'oops']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--param "oops" is not KEY=VALUE/);
    const both = await home.run(['program', 'run', 'greet', '--detach', '--follow']);
    assert.equal(both.code, 2);
  });

  it('with one slot: --detach queues behind a running one, execution cancel cancels it, Ctrl-C cancels the run', async () => {
    const interrupt = new AbortController();
    let started = false;
    const running = home.run(['program', 'run', 'slow', '--follow'], { shutdown: interrupt.signal, onStdout: (text) => (started ||= text.includes('started')) });
    const slow = await until('slow to run', async () => {
      if (!started) return null;
      const page = await home.json<{ executions: ProgramExecutionJson[] }>(['program', 'executions', '--program', 'slow', '--status', 'running']);
      return page.executions[0] ?? null;
    });

    const detached = await home.run(['program', 'run', 'greet', '--detach']);
    assert.equal(detached.code, 0, detached.stderr);
    const id = detached.stdout.trim();
    assert.match(detached.stderr, /queued greet as execution \S+ \(next in the queue\)/);
    const queued = await home.json<ProgramExecutionJson>(['execution', 'show', id]);
    assert.deepEqual([queued.status, queued.queue_position], ['queued', 1]);

    const canceled = await home.ok(['execution', 'cancel', id]);
    assert.match(canceled.stdout, new RegExp(`canceled execution ${id} \\(greet\\)`));
    assert.equal((await home.json<ProgramExecutionJson>(['execution', 'show', id])).status, 'canceled');
    const again = await home.run(['execution', 'cancel', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already ended canceled/);

    interrupt.abort();
    const result = await running;
    assert.equal(result.code, 130);
    assert.equal(result.stdout, 'started\n');
    assert.match(result.stderr, new RegExp(`canceling execution ${slow.execution_id}`));
    assert.equal((await home.json<ProgramExecutionJson>(['execution', 'show', slow.execution_id])).status, 'canceled');
  });

  it('program executions filters by program and status; execution stats counts by program and state', async () => {
    const failed = await home.json<{ total: number; executions: ProgramExecutionJson[] }>(['program', 'executions', '--status', 'failed']);
    assert.deepEqual(failed.executions.map((execution) => execution.program_id).sort(), ['fail', 'steps']);
    assert.equal(failed.total, 2);
    const table = await home.ok(['program', 'executions', '--program', 'greet']);
    assert.match(table.stdout, /│ greet +│ completed +│ 0 +│ cli /);
    assert.match(table.stdout, /│ greet +│ canceled +│ - +│ cli /);
    const limited = await home.run(['program', 'executions', '--limit', '1']);
    assert.match(limited.stderr, /1–1 of 7 \(--limit, --offset for others\)/);

    const stats = await home.json<Record<string, unknown>>(['execution', 'stats']);
    assert.equal(stats.total, 7);
    assert.deepEqual(stats.totals_by_status, { queued: 0, running: 0, completed: 2, failed: 2, timeout: 1, canceled: 2 });
    assert.deepEqual((stats.by_status as Record<string, unknown>).canceled, [
      { name: 'greet', total: 1 },
      { name: 'slow', total: 1 },
    ]);
    assert.equal(stats.max_concurrent_executions, 1);
    const human = await home.ok(['execution', 'stats']);
    assert.match(human.stdout, /Executions: 7\nRunning: +0 of 1 at once/);
    assert.match(human.stdout, /│ Program +│ completed +│ failed +│ timeout +│ canceled +│ Total +│/);
    assert.match(human.stdout, /│ greet +│ 1 +│ - +│ - +│ 1 +│ 2 +│/);
  });

  it('program config shows the file in force; a refused edit exits 1 with each problem at file:line:column', async () => {
    const good = await home.ok(['program', 'config']);
    assert.match(good.stdout, new RegExp(`Config: +${join(home.dir, 'config.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\nPrograms: +7 \\(6 enabled\\)\nRunner: +process`));
    assert.match(good.stderr, /no problems/);

    const warned = home.file('warned/config.yaml', 'scripts:\n  a:\n    path: .\n    colour: blue\n');
    const warnings = await home.run(['--programs', warned, 'program', 'config']);
    assert.equal(warnings.code, 0, warnings.stderr);
    assert.match(warnings.stdout, /1 warning\n {2}\S+warned\/config\.yaml:4:5: .*colour/);

    const broken = home.file('broken/config.yaml', 'scripts:\n  a:\n    path: .\n    timeout_seconds: soon\n');
    const refused = await home.run(['--programs', broken, 'program', 'config']);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /1 problem: the file's last edit was refused/);
    assert.match(refused.stdout, /broken\/config\.yaml:4:\d+: .*timeout_seconds/);
    const json = JSON.parse((await home.run(['--programs', broken, 'program', 'config', '--json'])).stdout) as { file: string; problems: Array<{ line: number }> };
    assert.equal(json.file, broken);
    assert.equal(json.problems[0]!.line, 4);
  });
});

describe('hookflow program / execution through a server (--url)', () => {
  let server: TestServer;
  let home: CliHome;
  let remote: string[];
  before(async () => {
    home = homeWithPrograms();
    server = await startTestServer({}, { HOOKFLOW_PROGRAMS: join(home.dir, 'config.yaml') });
    await (await server.engine.programs()).start();
    remote = ['--url', server.url, '--token', server.tokens.operator];
  });
  after(async () => {
    await server.stop();
    home.cleanup();
  });

  it('lists, runs (output, exit code, --follow, Ctrl-C), detaches and follows, shows stats, and reports unknown programs', async () => {
    const list = await home.json<Array<{ id: string }>>([...remote, 'program', 'list']);
    assert.deepEqual(
      list.map((entry) => entry.id),
      ['greet', 'fail', 'steps', 'slow', 'sleepy', 'echo_bot'],
    );

    const greet = await home.run([...remote, 'program', 'run', 'greet', '--param', 'name=remote']);
    assert.equal(greet.code, 0, greet.stderr);
    assert.equal(greet.stdout, 'hello remote from greet: --flag two words\n');

    const chunks: string[] = [];
    const steps = await home.run([...remote, 'program', 'run', 'steps', '--follow', '--param', 'code=5'], { onStdout: (text) => chunks.push(text) });
    assert.equal(steps.code, 5);
    assert.equal(steps.stdout, 'one\nthree\n');
    assert.match(steps.stderr, /\ntwo\nerror: execution \S+ failed \(exit code 5\)/);
    assert.ok(chunks.length >= 2 && /^one/.test(chunks[0]!) && !chunks[0]!.includes('three'), `the output arrived all at once: ${JSON.stringify(chunks)}`);

    const detached = await home.run([...remote, 'program', 'run', 'fail', '--detach']);
    assert.equal(detached.code, 0, detached.stderr);
    const id = detached.stdout.trim();
    const followed = await home.run([...remote, 'execution', 'logs', id, '--follow']);
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'about to fail\n');
    assert.match(followed.stderr, /it went wrong\n/);
    const shown = await home.json<ProgramExecutionJson>([...remote, 'execution', 'show', id]);
    assert.deepEqual([shown.status, shown.exit_code, shown.trigger, shown.requested_by], ['failed', 3, 'api', 'test-operator']);

    // Ctrl-C once it has started: the server cancels it, and the stream still brings its end.
    const interrupt = new AbortController();
    const slow = await home.run([...remote, 'program', 'run', 'slow', '--follow'], { shutdown: interrupt.signal, onStdout: (text) => text.includes('started') && interrupt.abort() });
    assert.equal(slow.code, 130);
    assert.equal(slow.stdout, 'started\n');
    assert.match(slow.stderr, /canceling execution \S+ \(Ctrl-C again to stop waiting\)\n(.|\n)*error: execution \S+ canceled/);

    const stats = await home.json<{ total: number; totals_by_program: Record<string, number> }>([...remote, 'execution', 'stats']);
    assert.deepEqual([stats.total, stats.totals_by_program], [4, { greet: 1, steps: 1, fail: 1, slow: 1 }]);

    const unknown = await home.run([...remote, 'program', 'run', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no program "nope".*programs: greet, fail/);
    const config = await home.json<{ file: string; enabled: number }>([...remote, 'program', 'config']);
    assert.deepEqual([config.file, config.enabled], [join(home.dir, 'config.yaml'), 6]);
  });
});
