import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandList, runCommandsAction } from '../../../src/actions/builtin/run-commands.js';
import type { JsonObject, JsonValue } from '../../../src/events/model.js';
import { run } from './support.js';

describe('run_commands', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookflow-run-commands-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const lists: Array<[JsonValue, string[]]> = [
    [['a', 'b'], ['a', 'b']],
    ['echo one', ['echo one']],
    ['  ', []],
  ];
  for (const [value, expected] of lists) {
    it(`reads ${JSON.stringify(value)} as ${JSON.stringify(expected)}`, () => assert.deepEqual(commandList(value), expected));
  }

  it('runs the commands in order in cwd with env, collecting the output', async () => {
    const outcome = await run(runCommandsAction, { commands: ['mkdir -p out', 'echo "$GREETING" > out/status.txt', 'cat out/status.txt', 'echo oops >&2'], cwd: dir, env: { GREETING: 'hello', N: 3 } });
    assert.equal(outcome.status, 'completed', outcome.error ?? '');
    assert.deepEqual(outcome.outputs, { exit_code: 0, stdout: 'hello\n', stderr: 'oops\n', commands_run: 4, failed_command: null });
    assert.equal(await readFile(join(dir, 'out/status.txt'), 'utf8'), 'hello\n');
    assert.deepEqual(outcome.log.slice(0, 2), ['[info] $ mkdir -p out', '[info] $ echo "$GREETING" > out/status.txt']);
  });

  it('stops at the first failure, naming the command and its last error lines', async () => {
    const outcome = await run(runCommandsAction, { commands: ['echo first', 'echo broken >&2; exit 3', 'echo never'], cwd: dir });
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error, 'command 2 of 3 exited with 3: echo broken >&2; exit 3\nbroken');
    assert.deepEqual(outcome.outputs, { exit_code: 3, stdout: 'first\n', stderr: 'broken\n', commands_run: 2, failed_command: 'echo broken >&2; exit 3' });
  });

  it('uses bash by default, sh when asked', async () => {
    const bash = await run(runCommandsAction, { commands: 'echo ${BASH_VERSION:+bash}' });
    assert.equal(bash.outputs.stdout, 'bash\n');
    const sh = await run(runCommandsAction, { commands: 'echo ${BASH_VERSION:+bash}sh', shell: 'sh' });
    assert.equal(sh.outputs.stdout, 'sh\n');
  });

  it('kills the running command and its children when cancelled', async () => {
    const cancel = new AbortController();
    const pidFile = join(dir, 'child.pid');
    setTimeout(() => cancel.abort(new Error('stop')), 300);
    const started = performance.now();
    const outcome = await run(runCommandsAction, { commands: [`sleep 30 & echo $! > ${pidFile}; wait`], cwd: dir }, { signal: cancel.signal });
    assert.equal(outcome.status, 'cancelled');
    assert.ok(performance.now() - started < 5000);
    const child = Number(await readFile(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Gone, or a zombie waiting for a reaper (a container's PID 1 may not reap): either way not running.
    const state = await readFile(`/proc/${child}/stat`, 'utf8').then((stat) => stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3), () => 'gone');
    assert.ok(state === 'gone' || state === 'Z', `the background child was killed with its group (state ${state})`);
  });

  it('ends at the action’s timeout', async () => {
    const outcome = await run(runCommandsAction, { commands: ['sleep 30'] }, { timeoutSeconds: 0.2 });
    assert.equal(outcome.status, 'timeout');
  });

  const refusals: Array<[JsonObject, RegExp]> = [
    [{ commands: [] }, /commands needs at least one command/],
    [{ commands: ['ok', 3, ''] }, /commands\.1 must be a command[\s\S]*commands\.2 must be a command/],
    [{ commands: { a: 1 } }, /commands must be a list of commands or one command, not object/],
    [{ commands: 'true', env: { 'BAD-NAME': 'x', NESTED: { a: 1 } } }, /env\.BAD-NAME is not a valid variable name[\s\S]*env\.NESTED must be a string, number or boolean/],
  ];
  for (const [params, expected] of refusals) {
    it(`refuses ${JSON.stringify(params)}`, async () => {
      const outcome = await run(runCommandsAction, params);
      assert.equal(outcome.status, 'failed');
      assert.match(outcome.error ?? '', expected);
    });
  }

  it('says so when cwd is not a directory', async () => {
    const outcome = await run(runCommandsAction, { commands: 'true', cwd: join(dir, 'nope') });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /cwd .*nope is not a directory/);
  });
});
