import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { isHookflowError } from '../../../src/errors.js';
import { createLauncher, NodeLauncher, PythonLauncher, type Launcher, type LauncherKind, type SpawnSpec } from '../../../src/workflows/execute/launcher.js';
import { eventually, isAlive } from './helpers.js';

const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
let dir = '';
let counter = 0;

function spec(script: string, fields: Partial<SpawnSpec> = {}): SpawnSpec {
  const n = ++counter;
  return { argv: ['/bin/sh', '-c', script], cwd: dir, env, stdout_path: join(dir, `${n}.o`), stderr_path: join(dir, `${n}.e`), ...fields };
}

/** A missing file reads as empty: output files get their names once written to (or after 0.1 s). */
const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookflow-launcher-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const cases: Array<{ name: string; script: string; exit: { exit_code: number | null; signal: string | null }; stdout?: string; stderr?: string }> = [
  { name: 'success', script: 'echo out; echo err >&2', exit: { exit_code: 0, signal: null }, stdout: 'out\n', stderr: 'err\n' },
  { name: 'an exit code', script: 'exit 3', exit: { exit_code: 3, signal: null } },
  { name: 'a large exit code', script: 'exit 255', exit: { exit_code: 255, signal: null } },
  { name: 'killed by a signal', script: 'kill -TERM $$; sleep 1', exit: { exit_code: null, signal: 'SIGTERM' } },
  { name: 'SIGINT at its default', script: 'kill -INT $$; sleep 1', exit: { exit_code: null, signal: 'SIGINT' } },
  { name: 'SIGPIPE at its default (yes | head ends)', script: 'yes | head -n 2', exit: { exit_code: 0, signal: null }, stdout: 'y\ny\n' },
  { name: 'stdin is empty', script: 'cat; echo done', exit: { exit_code: 0, signal: null }, stdout: 'done\n' },
];

for (const kind of ['python', 'node'] as const satisfies readonly LauncherKind[]) {
  describe(`${kind} launcher`, () => {
    let launcher: Launcher;
    before(() => {
      launcher = createLauncher({ kind, fallback: false });
    });
    after(() => launcher.close());

    it('reports its kind', () => assert.equal(launcher.kind, kind));

    for (const { name, script, exit, stdout, stderr } of cases) {
      it(name, async () => {
        const request = spec(script);
        const running = await launcher.start(request);
        assert.ok(running.pid > 0);
        const ended = await running.exited;
        assert.deepEqual({ exit_code: ended.exit_code, signal: ended.signal }, exit);
        if (stdout !== undefined) assert.equal(read(request.stdout_path), stdout);
        if (stderr !== undefined) assert.equal(read(request.stderr_path), stderr);
      });
    }

    it('runs in cwd with exactly the env given', async () => {
      const request = spec('pwd; echo "$HF_TEST_VAR"; echo "${HOME-unset}"', { env: { PATH: env.PATH ?? '/usr/bin:/bin', HF_TEST_VAR: 'v 1' }, cwd: '/' });
      await (await launcher.start(request)).exited;
      assert.equal(read(request.stdout_path), '/\nv 1\nunset\n');
    });


    it('runs a start queued behind another with the base it named, even once that base was dropped', async () => {
      const base = (name: string) => ({ PATH: env.PATH ?? '/usr/bin:/bin', HF_BASE: name });
      const first = launcher.request(spec('sleep 0.3', { baseEnv: base('first') }));
      const queued = spec('echo "$HF_BASE"', { baseEnv: base('queued') });
      const ticket = launcher.request(queued, first);
      // More bases than a launcher keeps: the queued start's base is dropped before it runs.
      for (let i = 0; i < 10; i++) await (await launcher.start(spec('true', { baseEnv: base(`other ${i}`) }))).exited;
      await (await ticket.started).exited;
      assert.equal(read(queued.stdout_path), 'queued\n');
    });

    it('runs with env over baseEnv, each base sent once and still right after older ones were dropped', async () => {
      const bases = Array.from({ length: 12 }, (_, i) => ({ PATH: env.PATH ?? '/usr/bin:/bin', HF_BASE: `base ${i}`, HF_OVER: 'from base' }));
      // Every base twice, the first again at the end (dropped by then: sent again).
      const order = [...bases.keys(), ...bases.keys(), 0];
      for (const index of order) {
        const request = spec('echo "$HF_BASE|$HF_OVER|$HF_JOB"', { baseEnv: bases[index], env: { HF_OVER: 'from env', HF_JOB: `job ${index}` } });
        await (await launcher.start(request)).exited;
        assert.equal(read(request.stdout_path), `base ${index}|from env|job ${index}\n`);
      }
    });
    it('finds a program by the PATH of its env', async () => {
      const request = spec('', { argv: ['echo', 'found'] });
      assert.deepEqual((await (await launcher.start(request)).exited).exit_code, 0);
      assert.equal(read(request.stdout_path), 'found\n');
    });

    it('appends to the files, and says where this run begins', async () => {
      const first = spec('echo one; echo e1 >&2');
      await (await launcher.start(first)).exited;
      const second = await launcher.start({ ...spec('echo two'), stdout_path: first.stdout_path, stderr_path: first.stderr_path });
      await second.exited;
      assert.deepEqual(second.output_offsets, { stdout: 4, stderr: 3 });
      assert.equal(read(first.stdout_path), 'one\ntwo\n');
    });

    it('writes both streams to one file when given one path', async () => {
      const request = spec('echo a; echo b >&2; echo c');
      await (await launcher.start({ ...request, stderr_path: request.stdout_path })).exited;
      assert.equal(read(request.stdout_path), 'a\nb\nc\n');
    });

    it('runs 50 short processes at once', async () => {
      const requests = Array.from({ length: 50 }, (_, i) => spec(`sleep 0.05; echo ${i}; exit ${i % 3}`));
      const started = await Promise.all(requests.map((request) => launcher.start(request)));
      assert.equal(new Set(started.map((running) => running.pid)).size, 50);
      const exits = await Promise.all(started.map((running) => running.exited));
      assert.deepEqual(
        exits.map((exit) => exit.exit_code),
        requests.map((_, i) => i % 3),
      );
      requests.forEach((request, i) => assert.equal(read(request.stdout_path), `${i}\n`));
    });

    it('keeps no output files of a process that wrote nothing, and the written ones whole', async () => {
      const silent = spec('true');
      const exit = await (await launcher.start(silent)).exited;
      assert.equal(exit.exit_code, 0);
      assert.ok(!existsSync(silent.stdout_path) && !existsSync(silent.stderr_path), 'empty output files were left');
      if (exit.output_sizes) assert.deepEqual(exit.output_sizes, { stdout: 0, stderr: 0 });
      const chatty = spec('echo out');
      await (await launcher.start(chatty)).exited;
      assert.equal(read(chatty.stdout_path), 'out\n');
      assert.ok(!existsSync(chatty.stderr_path));
    });

    it('names the output files of a process that runs on, so its output can be followed, and keeps an existing file', async () => {
      const slow = spec('sleep 0.4');
      const running = await launcher.start(slow);
      assert.ok(await eventually(() => existsSync(slow.stdout_path) && existsSync(slow.stderr_path), 2000), 'the files of a running process got no names');
      await running.exited;
      assert.ok(existsSync(slow.stdout_path), 'the named file was dropped at the end');
      const retry = spec('true');
      writeFileSync(retry.stdout_path, 'earlier\n');
      await (await launcher.start(retry)).exited;
      assert.equal(read(retry.stdout_path), 'earlier\n');
    });

    it('keeps the files of a process whose group runs on after it', async () => {
      const request = spec('(sleep 0.3; echo late) & true');
      const exit = await (await launcher.start(request)).exited;
      assert.equal(exit.exit_code, 0);
      assert.ok(await eventually(() => read(request.stdout_path) === 'late\n', 3000), `got ${JSON.stringify(read(request.stdout_path))}`);
    });

    it('starts a request after another one exits, in order, and at once after a start that failed', async () => {
      const marks = spec('');
      const step = (name: string, seconds: number) => spec(`echo start ${name} >> ${marks.stdout_path}; sleep ${seconds}; echo end ${name} >> ${marks.stdout_path}`);
      const first = launcher.request(step('a', 0.2));
      const second = launcher.request(step('b', 0.05), first);
      const third = launcher.request(step('c', 0), second);
      await Promise.all([first, second, third].map(async (ticket) => (await ticket.started).exited));
      assert.equal(read(marks.stdout_path), 'start a\nend a\nstart b\nend b\nstart c\nend c\n');
      const failed = launcher.request(spec('', { argv: ['/no/such/program'] }));
      const next = launcher.request(spec('echo ran'), failed);
      await assert.rejects(failed.started, (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_PROCESS_START');
      assert.equal((await (await next.started).exited).exit_code, 0);
      const ended = launcher.request(spec('true'));
      await (await ended.started).exited;
      await pause(20);
      const late = launcher.request(spec('echo late'), ended);
      assert.equal((await (await late.started).exited).exit_code, 0);
    });

    it('kills the whole process group', async () => {
      const request = spec('sleep 30 & echo $!; wait');
      const running = await launcher.start(request);
      assert.ok(await eventually(() => read(request.stdout_path).trim() !== ''));
      const child = Number(read(request.stdout_path).trim());
      assert.ok(isAlive(child));
      running.kill('SIGTERM');
      const exit = await running.exited;
      assert.equal(exit.signal, 'SIGTERM');
      assert.ok(await eventually(() => !isAlive(child)), `the child sleep ${child} survived`);
    });

    it('terminates what still runs when closed (SIGKILL for what ignores SIGTERM)', async () => {
      const own = createLauncher({ kind, fallback: false });
      const polite = await own.start(spec('sleep 30'));
      const stubborn = await own.start(spec('trap "" TERM; sleep 30; true'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await own.close();
      assert.ok(Date.now() - started < 4000);
      assert.deepEqual(await polite.exited, { exit_code: null, signal: 'SIGTERM', ...(kind === 'python' ? { output_sizes: { stdout: 0, stderr: 0 } } : {}) });
      assert.equal((await stubborn.exited).signal, 'SIGKILL');
      assert.ok(!isAlive(polite.pid) && !isAlive(stubborn.pid));
    });

    const startFailures: Array<[string, Partial<SpawnSpec>, RegExp]> = [
      ['an unknown program', { argv: ['hookflow-no-such-program-xyz'] }, /could not start hookflow-no-such-program-xyz: .*(not found|ENOENT)/i],
      ['a missing cwd', { cwd: '/nonexistent-hookflow-dir' }, /nonexistent-hookflow-dir/],
      ['an output file it cannot create', { stdout_path: '/nonexistent-hookflow-dir/x.o' }, /nonexistent-hookflow-dir/],
    ];
    for (const [name, fields, message] of startFailures) {
      it(`refuses to start ${name} (HF_ERR_PROCESS_START)`, async () => {
        await assert.rejects(launcher.start(spec('true', fields)), (error: unknown) => {
          assert.ok(isHookflowError(error) && error.code === 'HF_ERR_PROCESS_START', String(error));
          assert.match(error.message, message);
          return true;
        });
      });
    }
  });
}

describe('python launcher failures', () => {
  it('fails the processes of a launcher that died, kills them, and falls back to node', async () => {
    const warnings: string[] = [];
    const launcher = new PythonLauncher({ processes: 1, onWarning: (message) => warnings.push(message) });
    try {
      const request = spec('sleep 30');
      const running = await launcher.start(request);
      assert.ok(isAlive(running.pid));
      process.kill(launcher.launcherPids[0], 'SIGKILL');
      await assert.rejects(running.exited, (error: unknown) => {
        assert.ok(isHookflowError(error) && error.code === 'HF_ERR_LAUNCHER_DIED', String(error));
        assert.match(error.message, /died \(killed by SIGKILL\) while process \d+ ran; its outcome is unknown and it was killed/);
        return true;
      });
      assert.ok(await eventually(() => !isAlive(running.pid)), 'the orphan still runs');
      assert.equal(launcher.kind, 'node');
      assert.match(warnings.join('\n'), /starting processes with node instead/);
      const next = spec('echo after');
      assert.equal((await (await launcher.start(next)).exited).exit_code, 0);
      assert.equal(read(next.stdout_path), 'after\n');
    } finally {
      await launcher.close();
    }
  });

  it('starts another launcher process only when starts overlap', async () => {
    const launcher = new PythonLauncher({ fallback: false, processes: 2 });
    try {
      await (await launcher.start(spec('true'))).exited;
      await (await launcher.start(spec('true'))).exited;
      assert.equal(launcher.launcherPids.length, 1);
      const exits = await Promise.all(Array.from({ length: 10 }, async () => (await launcher.start(spec('sleep 0.05'))).exited));
      assert.ok(exits.every((exit) => exit.exit_code === 0));
      assert.equal(launcher.launcherPids.length, 2);
    } finally {
      await launcher.close();
    }
  });

  it('terminates its children when it is sent SIGTERM', async () => {
    const launcher = new PythonLauncher({ fallback: false, processes: 1 });
    try {
      const request = spec('trap "echo got-term; exit 0" TERM; sleep 30 & wait');
      const running = await launcher.start(request);
      await new Promise((resolve) => setTimeout(resolve, 100));
      process.kill(launcher.launcherPids[0], 'SIGTERM');
      // It reports the ends it caused before it goes.
      assert.equal((await running.exited).exit_code, 0);
      assert.equal(read(request.stdout_path), 'got-term\n');
      await eventually(() => launcher.launcherPids.length === 0);
      await assert.rejects(launcher.start(spec('true')), /not running: exited with code 0/);
    } finally {
      await launcher.close();
    }
  });

  it('without fallback, refuses starts once the launcher died', async () => {
    const launcher = new PythonLauncher({ fallback: false, processes: 1 });
    try {
      await (await launcher.start(spec('true'))).exited;
      const pid = launcher.launcherPids[0];
      process.kill(pid, 'SIGKILL');
      await eventually(() => !isAlive(pid));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await assert.rejects(launcher.start(spec('true')), /HOOKFLOW_LAUNCHER=node|not running/);
    } finally {
      await launcher.close();
    }
  });

  it('starts with node when the interpreter is missing', async () => {
    const warnings: string[] = [];
    const launcher = new PythonLauncher({ python: '/nonexistent/python3', onWarning: (message) => warnings.push(message) });
    try {
      const request = spec('echo fallback');
      assert.equal((await (await launcher.start(request)).exited).exit_code, 0);
      assert.equal(read(request.stdout_path), 'fallback\n');
      assert.equal(launcher.kind, 'node');
      assert.match(warnings[0] ?? '', /\/nonexistent\/python3 not found/);
    } finally {
      await launcher.close();
    }
  });

  it('sends the starts it had queued before a failed boot to node', async () => {
    // The interpreter runs but is not python: it exits before saying ready, having read no request.
    const launcher = new PythonLauncher({ python: '/bin/false' });
    try {
      const requests = [spec('echo a'), spec('echo b')];
      const exits = await Promise.all(requests.map(async (request) => (await launcher.start(request)).exited));
      assert.deepEqual(
        exits.map((exit) => exit.exit_code),
        [0, 0],
      );
      assert.equal(launcher.kind, 'node');
    } finally {
      await launcher.close();
    }
  });

});

describe('createLauncher', () => {
  const table: Array<[string, NodeJS.ProcessEnv, string, boolean]> = [
    ['python by default', {}, 'PythonLauncher', true],
    ['HOOKFLOW_LAUNCHER=node', { HOOKFLOW_LAUNCHER: 'node' }, 'NodeLauncher', false],
    ['HOOKFLOW_LAUNCHER=python never falls back', { HOOKFLOW_LAUNCHER: 'python' }, 'PythonLauncher', false],
  ];
  for (const [name, variables, type, fallback] of table) {
    it(name, async () => {
      const launcher = createLauncher({}, variables);
      try {
        assert.equal(launcher.constructor.name, type);
        if (launcher instanceof PythonLauncher) assert.equal((launcher as unknown as { fallback: boolean }).fallback, fallback);
        else assert.ok(launcher instanceof NodeLauncher);
      } finally {
        await launcher.close();
      }
    });
  }
});

describe('launcher.py protocol', { timeout: 15_000 }, () => {
  const script = new URL('../../../src/workflows/execute/launcher.py', import.meta.url).pathname;

  /**
   * Sends lines to a fresh launcher.py and returns its replies. Its stdin is closed only once
   * `complete` holds for the replies so far: the launcher terminates what still runs at EOF.
   */
  function converse(lines: readonly object[], complete: (replies: ReadonlyArray<Record<string, unknown>>) => boolean): Promise<Array<Record<string, unknown>>> {
    return new Promise((resolve, reject) => {
      const child = spawn('/usr/bin/python3', ['-I', '-S', script], { stdio: ['pipe', 'pipe', 'inherit'] });
      const replies: Array<Record<string, unknown>> = [];
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.trim() !== '') replies.push(JSON.parse(line) as Record<string, unknown>);
        if (!child.stdin.writableEnded && complete(replies)) child.stdin.end();
      });
      child.on('error', reject);
      child.on('close', () => resolve(replies));
      child.stdin.write(lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    });
  }

  it('refuses a start naming an environment base it was not sent, and a malformed base', async () => {
    const replies = await converse([
      { op: 'env', key: 7 },
      { op: 'spawn', id: 1, argv: ['true'], cwd: dir, env: {}, env_base: 99, stdout_path: join(dir, 'p1.o'), stderr_path: join(dir, 'p1.e') },
    ], (replies) => replies.filter((reply) => reply.error !== undefined).length === 2);
    assert.deepEqual(
      replies.filter((reply) => reply.ready === undefined),
      [{ error: 'bad env request: it needs a key and an env object' }, { id: 1, error: 'LookupError: unknown environment base 99' }],
    );
  });

  it('writes the start and exit replies (formatted directly) as JSON, whatever the id', async () => {
    const spawnOf = (id: unknown, command: string) => ({ op: 'spawn', id, argv: ['/bin/sh', '-c', command], cwd: dir, env: {}, stdout_path: join(dir, `r${String(id)}.o`), stderr_path: join(dir, `r${String(id)}.e`) });
    const replies = await converse([spawnOf(5, 'exit 3'), spawnOf('five', 'echo hi'), spawnOf(6, 'kill -TERM $$')], (replies) => replies.filter((reply) => 'exit_code' in reply).length === 3);
    const ofId = (id: unknown) => replies.filter((reply) => reply.id === id);
    for (const [id, exit_code, signal, stdout_size] of [
      [5, 3, null, 0],
      ['five', 0, null, 3],
      [6, null, 'SIGTERM', 0],
    ] as const) {
      const [started, ended] = ofId(id);
      assert.deepEqual(Object.keys(started), ['id', 'pid', 'stdout_offset', 'stderr_offset', 'at'], `start of ${id}`);
      assert.ok(Number.isInteger(started.pid) && started.stdout_offset === 0 && Math.abs(Number(started.at) - Date.now()) < 60_000);
      assert.deepEqual(ended, { id, exit_code, signal, stdout_size, stderr_size: 0 }, `exit of ${id}`);
    }
  });
});
