import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { HookRecord } from '../../src/hooks/model.js';
import { CommandsRuntime } from '../../src/hooks/runtimes/commands.js';
import { FakeHost, makeEvent, makeHook } from './js-fake-host.js';

/** Alive and not a zombie (here PID 1 may not reap orphans, so a killed orphan stays a zombie). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

describe('CommandsRuntime', () => {
  const home = realpathSync(mkdtempSync(join(tmpdir(), 'hookflow-commands-home-')));
  const elsewhere = realpathSync(mkdtempSync(join(tmpdir(), 'hookflow-commands-cwd-')));
  const runtime = new CommandsRuntime({ home });
  const host = new FakeHost();
  after(async () => {
    await runtime.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  const hook = (commands: string[] | null, overrides: Partial<HookRecord> = {}) => makeHook({ name: 'cmd-hook', runtime: 'commands', commands, ...overrides });

  it('runs the commands in order and shows what each printed', async () => {
    const result = await runtime.run({ hook: hook(['echo one', 'echo two >&2', 'echo three']), event: makeEvent(), attempt: 1 }, host);
    assert.deepEqual(result, { success: true, output: '$ echo one\none\n$ echo two >&2\ntwo\n$ echo three\nthree', error: null });
  });

  it('stops at the first command that fails, naming it, with the last lines of its stderr', async () => {
    const result = await runtime.run(
      { hook: hook(['echo one', 'printf "a\\nb\\nc\\nd\\ne\\nf\\n" >&2; exit 4', 'echo three']), event: makeEvent(), attempt: 1 },
      host,
    );
    assert.equal(result.success, false);
    assert.equal(result.error, 'command 2 of 3 (`printf "a\\nb\\nc\\nd\\ne\\nf\\n" >&2; exit 4`) exited with code 4\nb\nc\nd\ne\nf');
    assert.ok(!result.output.includes('three'), 'the third command did not run');
    assert.match(result.output, /^\$ echo one\none\n/);
  });

  it('names a plain `false` as the spec says', async () => {
    const result = await runtime.run({ hook: hook(['true', 'false', 'true']), event: makeEvent(), attempt: 1 }, host);
    assert.equal(result.error, 'command 2 of 3 (`false`) exited with code 1');
  });

  it('gives the event in the environment and as a JSON file that is removed afterwards', async () => {
    const event = makeEvent({ type: 'deploy.done', stack: 'production', data: { version: '1.2.3' } });
    const result = await runtime.run(
      {
        hook: hook([
          'echo "$HOOKFLOW_EVENT_ID|$HOOKFLOW_EVENT_TYPE|$HOOKFLOW_EVENT_STACK|$HOOKFLOW_HOOK_NAME|$HOOKFLOW_ATTEMPT"',
          'echo "$HOOKFLOW_EVENT_FILE"',
          'cat "$HOOKFLOW_EVENT_FILE"',
        ]),
        event,
        attempt: 2,
      },
      host,
    );
    assert.equal(result.success, true, result.error ?? '');
    const lines = result.output.split('\n');
    assert.equal(lines[1], `${event.id}|deploy.done|production|cmd-hook|2`);
    const file = lines[3] ?? '';
    assert.match(file, /hookflow-event-.*\.json$/);
    assert.deepEqual(JSON.parse(lines[5] ?? ''), event);
    assert.equal(existsSync(file), false, 'the event file is removed');
  });

  it('leaves HOOKFLOW_EVENT_STACK empty for an event with no stack', async () => {
    const result = await runtime.run({ hook: hook(['echo "[$HOOKFLOW_EVENT_STACK]"']), event: makeEvent({ stack: null }), attempt: 1 }, host);
    assert.equal(result.output, '$ echo "[$HOOKFLOW_EVENT_STACK]"\n[]');
  });

  it("runs in the hook's cwd, or in the home when it names none", async () => {
    const inHome = await runtime.run({ hook: hook(['pwd']), event: makeEvent(), attempt: 1 }, host);
    const inCwd = await runtime.run({ hook: hook(['pwd'], { cwd: elsewhere }), event: makeEvent(), attempt: 1 }, host);
    assert.equal(inHome.output, `$ pwd\n${home}`);
    assert.equal(inCwd.output, `$ pwd\n${elsewhere}`);
    const missing = await runtime.run({ hook: hook(['pwd'], { cwd: join(elsewhere, 'nope') }), event: makeEvent(), attempt: 1 }, host);
    assert.equal(missing.success, false);
    assert.match(missing.error ?? '', /working directory .*nope does not exist/);
  });

  it('kills a command past the time limit, with everything it started', async () => {
    const pidFile = join(elsewhere, 'child.pid');
    const started = Date.now();
    const result = await runtime.run(
      { hook: hook([`sleep 30 & echo $! > ${pidFile}; wait`], { timeout_ms: 300 }), event: makeEvent(), attempt: 1 },
      host,
    );
    assert.ok(Date.now() - started < 2_000, 'ended soon after the limit');
    assert.equal(result.success, false);
    assert.match(result.error ?? '', /^HF_ERR_HOOK_TIMEOUT: hook cmd-hook exceeded its 300 ms time limit during command 1 of 1/);
    const childPid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(isRunning(childPid), false, 'the background sleep was killed too');
  });

  it('counts the time limit over all the commands together', async () => {
    const started = Date.now();
    const result = await runtime.run({ hook: hook(['sleep 0.3', 'sleep 0.3', 'sleep 5'], { timeout_ms: 800 }), event: makeEvent(), attempt: 1 }, host);
    assert.ok(Date.now() - started < 2_000, 'the limit is not per command');
    assert.match(result.error ?? '', /^HF_ERR_HOOK_TIMEOUT: hook cmd-hook exceeded its 800 ms time limit during command [23] of 3/);
  });

  it('stops when the request is aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await runtime.run({ hook: hook(['sleep 5', 'echo never']), event: makeEvent(), attempt: 1, signal: controller.signal }, host);
    assert.equal(result.success, false);
    assert.match(result.error ?? '', /^HF_ERR_SHUTTING_DOWN: hook cmd-hook was aborted during command 1 of 2/);
  });

  it('fails a hook with no commands', async () => {
    for (const commands of [null, []]) {
      const result = await runtime.run({ hook: hook(commands), event: makeEvent(), attempt: 1 }, host);
      assert.deepEqual(result, { success: false, output: '', error: 'HF_ERR_INVALID_HOOK: commands hook cmd-hook has no commands' });
    }
  });
});
