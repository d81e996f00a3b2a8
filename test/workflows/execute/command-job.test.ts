import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandArgv, commandEnvLayers, commandLine, readTail, runCommandJob, TAIL_BYTES, type CommandJobContext } from '../../../src/workflows/execute/command-job.js';
import { createLauncher, fullEnv, type Launcher, type LauncherKind } from '../../../src/workflows/execute/launcher.js';
import { eventually, isAlive, makeJob } from './helpers.js';

let dir = '';
let logDir = '';
let counter = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookflow-command-job-'));
  logDir = join(dir, 'jobs');
  mkdirSync(logDir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('commandArgv: which commands skip the shell', () => {
  const table: Array<[string, string[] | 'shell']> = [
    ['true', ['true']],
    ['  python3 run.py --n=3 -v  ', ['python3', 'run.py', '--n=3', '-v']],
    ['./bin/tool a,b x:y 50%', ['./bin/tool', 'a,b', 'x:y', '50%']],
    ['echo hi', 'shell'],
    ['cd /tmp', 'shell'],
    ['FOO=1 tool', 'shell'],
    ['tool | wc -l', 'shell'],
    ['tool > out', 'shell'],
    ['tool && other', 'shell'],
    ['tool; other', 'shell'],
    ['tool $HOME', 'shell'],
    ['ls *.txt', 'shell'],
    ['tool ~/x', 'shell'],
    ["tool 'quoted arg'", 'shell'],
    ['tool {a,b}', 'shell'],
    ['tool # comment', 'shell'],
    ['tool\nother', 'shell'],
    ['tool `date`', 'shell'],
    ['[ -f x ]', 'shell'],
  ];
  for (const [line, expected] of table) {
    it(JSON.stringify(line), () => {
      const { argv, direct } = commandArgv(line, { shell: '/bin/bash' });
      if (expected === 'shell') assert.deepEqual({ argv, direct }, { argv: ['/bin/bash', '-c', line], direct: false });
      else assert.deepEqual({ argv, direct }, { argv: expected, direct: true });
    });
  }

  it('always uses the shell when directExec is false', () => {
    assert.deepEqual(commandArgv('true', { directExec: false, shell: '/bin/sh' }).argv, ['/bin/sh', '-c', 'true']);
  });

  it('puts the invocation script before the command', () => {
    assert.equal(commandLine({ command: 'python x.py', invocation_script: ' srun -n 1 ' }), 'srun -n 1 python x.py');
    assert.equal(commandLine({ command: 'python x.py', invocation_script: null }), 'python x.py');
  });

  it('builds the env: worker, job variables, job.env, and PWD; the worker layer is one object per worker env', () => {
    const baseEnv = { A: 'base', B: 'base', GONE: undefined };
    const layers = commandEnvLayers({ baseEnv, env: { B: 'job-vars', C: 'job-vars' }, cwd: '/work/x/../y' }, { env: { C: 'job', D: 'job' } });
    assert.deepEqual(fullEnv(layers), { A: 'base', B: 'job-vars', C: 'job', D: 'job', PWD: '/work/y' });
    assert.deepEqual(layers.baseEnv, { A: 'base', B: 'base' });
    assert.equal(commandEnvLayers({ baseEnv, env: {}, cwd: '/' }, { env: {} }).baseEnv, layers.baseEnv, 'the same object: the launcher holds it once');
  });

  it('without a worker env, copies process.env into each start', () => {
    const layers = commandEnvLayers({ env: { HF_JOB: 'x' }, cwd: '/tmp' }, { env: {} });
    assert.equal(layers.baseEnv, undefined);
    assert.equal(layers.env.PATH, process.env.PATH);
    assert.equal(layers.env.HF_JOB, 'x');
  });
});

describe('readTail', () => {
  const table: Array<[string, string, number, number, string]> = [
    ['whole small file', 'hello', 0, 4096, 'hello'],
    ['from an offset', 'old\nnew\n', 4, 4096, 'new\n'],
    ['nothing after the offset', 'old\n', 4, 4096, ''],
    ['last bytes only', 'abcdefgh', 0, 3, 'fgh'],
    ['never half a character', 'aéé', 0, 3, 'é'],
  ];
  for (const [name, content, offset, bytes, expected] of table) {
    it(name, async () => {
      const path = join(dir, `tail-${++counter}`);
      writeFileSync(path, content);
      assert.equal(await readTail(path, offset, bytes), expected);
    });
  }
  it('a missing file has an empty tail', async () => assert.equal(await readTail(join(dir, 'missing'), 0), ''));
});

for (const kind of ['python', 'node'] as const satisfies readonly LauncherKind[]) {
  describe(`runCommandJob (${kind} launcher)`, () => {
    let launcher: Launcher;
    before(() => {
      launcher = createLauncher({ kind, fallback: false });
    });
    after(() => launcher.close());

    const context = (fields: Partial<CommandJobContext> = {}): CommandJobContext => ({
      launcher,
      cwd: dir,
      logDir,
      env: { HOOKFLOW_WORKFLOW_ID: 'wf-1', HOOKFLOW_JOB_NAME: 'job', HOOKFLOW_JOB_INDEX: '0', HOOKFLOW_RUN: '1' },
      timeoutMs: null,
      signal: new AbortController().signal,
      ...fields,
    });
    const job = (command: string, fields: Parameters<typeof makeJob>[0] = {}) => makeJob({ index: ++counter, name: `${kind} job/${counter}`, command, ...fields });

    it('completes, with the output in the files and their tails', async () => {
      const result = await runCommandJob(job('echo "hello $HOOKFLOW_WORKFLOW_ID $MINE"; echo oops >&2', { env: { MINE: 'mine' } }), context());
      assert.deepEqual([result.outcome, result.exit_code, result.error], ['completed', 0, null]);
      assert.equal(result.stdout_tail, 'hello wf-1 mine\n');
      assert.equal(result.stderr_tail, 'oops\n');
      assert.match(result.stdout_path, new RegExp(`/jobs/${counter}-${kind}_job_${counter}\\.o$`));
      assert.equal(readFileSync(result.stdout_path, 'utf8'), 'hello wf-1 mine\n');
      assert.equal(readFileSync(result.stderr_path, 'utf8'), 'oops\n');
    });

    it('fails with the exit code', async () => {
      const result = await runCommandJob(job('echo bad >&2; exit 7'), context());
      assert.deepEqual([result.outcome, result.exit_code, result.error, result.stderr_tail], ['failed', 7, 'exit code 7', 'bad\n']);
    });

    it('runs in the run directory with PWD set', async () => {
      const result = await runCommandJob(job('pwd; echo "$PWD"'), context());
      assert.equal(result.stdout_tail, `${dir}\n${dir}\n`);
    });

    it('keeps the last 4 KiB of long output, of this run only', async () => {
      const first = job('head -c 10000 /dev/zero | tr "\\0" a; printf END');
      const result = await runCommandJob(first, context());
      assert.equal(result.stdout_tail.length, TAIL_BYTES);
      assert.ok(result.stdout_tail.endsWith('aaaEND'));
      const again = await runCommandJob({ ...first, command: 'echo second run' }, context());
      assert.equal(again.stdout_tail, 'second run\n');
      assert.equal(readFileSync(again.stdout_path, 'utf8').length, 10003 + 11);
    });

    it('times out: SIGTERM to the group, outcome timeout', async () => {
      const started = Date.now();
      const result = await runCommandJob(job('sleep 30'), context({ timeoutMs: 150 }));
      assert.equal(result.outcome, 'timeout');
      assert.match(result.error ?? '', /^timed out after 0\.15 s \(killed by SIGTERM\)$/);
      assert.equal(result.exit_code, 143);
      assert.ok(Date.now() - started < 2000);
    });

    it('times out: SIGKILL after the grace when TERM is ignored, and nothing of the group survives', async () => {
      const started = Date.now();
      const result = await runCommandJob(job('trap "" TERM; sleep 30 & echo $!; wait; echo survived'), context({ timeoutMs: 150, killGraceMs: 300 }));
      const elapsed = Date.now() - started;
      assert.equal(result.outcome, 'timeout');
      assert.match(result.error ?? '', /killed by SIGKILL/);
      assert.ok(elapsed >= 440 && elapsed < 2000, `took ${elapsed} ms`);
      const child = Number(result.stdout_tail.trim());
      assert.ok(child > 0 && (await eventually(() => !isAlive(child))), `sleep ${child} survived`);
    });

    it('is canceled by the signal', async () => {
      const cancel = new AbortController();
      setTimeout(() => cancel.abort(new Error('workflow canceled')), 100);
      const result = await runCommandJob(job('sleep 30'), context({ signal: cancel.signal }));
      assert.equal(result.outcome, 'canceled');
      assert.match(result.error ?? '', /^canceled: workflow canceled \(killed by SIGTERM\)$/);
    });

    it('does not start when already canceled', async () => {
      const cancel = new AbortController();
      cancel.abort();
      const marker = join(dir, `marker-${++counter}`);
      const result = await runCommandJob(job(`touch ${marker}`), context({ signal: cancel.signal }));
      assert.equal(result.outcome, 'canceled');
      assert.equal(existsSync(marker), false);
    });

    it('runs the invocation script with the command', async () => {
      const wrapper = join(dir, 'wrap.sh');
      writeFileSync(wrapper, '#!/bin/sh\necho "wrapped: $*"\nexec "$@"\n');
      chmodSync(wrapper, 0o755);
      const result = await runCommandJob(job('echo "inner $HOOKFLOW_RUN"', { invocation_script: wrapper }), context());
      assert.equal(result.stdout_tail, 'wrapped: echo inner 1\ninner 1\n');
      const direct = await runCommandJob(job('true', { invocation_script: `sh ${wrapper}` }), context());
      assert.deepEqual([direct.outcome, direct.stdout_tail], ['completed', 'wrapped: true\n']);
    });

    it('runs an executable script without a shebang as the shell does', async () => {
      const script = join(dir, `plain-${kind}.sh`);
      writeFileSync(script, 'echo "plain $1"\n');
      chmodSync(script, 0o755);
      const result = await runCommandJob(job(`${script} arg`), context());
      assert.deepEqual([result.outcome, result.stdout_tail], ['completed', 'plain arg\n']);
    });

    it('reports an unknown program as the shell does (127)', async () => {
      const result = await runCommandJob(job('hookflow-no-such-program-xyz --flag'), context());
      assert.deepEqual([result.outcome, result.exit_code, result.error], ['failed', 127, 'exit code 127']);
      assert.match(result.stderr_tail, /hookflow-no-such-program-xyz: (command )?not found/);
    });

    it('fails clearly when the run directory is missing', async () => {
      const result = await runCommandJob(job('true'), context({ cwd: join(dir, 'missing') }));
      assert.equal(result.outcome, 'failed');
      assert.equal(result.exit_code, null);
      assert.match(result.error ?? '', /could not start .*missing/);
    });
  });
}
