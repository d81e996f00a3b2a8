import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dependencyKey, findActionFiles } from '../../src/programs/action-files.js';
import { canTransition, executionEventType, isFinished, shellExitCode, verdictOf } from '../../src/programs/execution-states.js';
import { composeProjectName } from '../../src/programs/executor.js';
import type { RunOutcome } from '../../src/programs/model.js';
import { ExecutionOutput, formatLogText, prefixLines } from '../../src/programs/output.js';
import { byStatus, errorText } from '../../src/programs/views.js';
import { EXECUTION_STATUSES, type ExecutionRecord } from '../../src/store/programs.js';

/** The programs' pure parts: the state machine, the verdicts, output capture and formatting, views. */

const outcome = (reason: RunOutcome['reason'], exit_code: number | null, signal: string | null = null, message: string | null = null): RunOutcome => ({
  reason,
  exit_code,
  signal,
  message,
  details: {},
});

describe('the execution state machine', () => {
  const allowed: Array<[string, string]> = [
    ['queued', 'running'],
    ['queued', 'canceled'],
    ['running', 'completed'],
    ['running', 'failed'],
    ['running', 'timeout'],
    ['running', 'canceled'],
  ];
  for (const from of EXECUTION_STATUSES) {
    for (const to of EXECUTION_STATUSES) {
      const expected = allowed.some(([a, b]) => a === from && b === to);
      it(`${from} → ${to}: ${expected ? 'allowed' : 'refused'}`, () => assert.equal(canTransition(from, to), expected));
    }
  }
  it('knows the finished states', () => {
    assert.deepEqual(EXECUTION_STATUSES.filter(isFinished), ['completed', 'failed', 'timeout', 'canceled']);
  });
  it('names the events: running publishes execution.started', () => {
    assert.deepEqual(EXECUTION_STATUSES.map(executionEventType), ['execution.queued', 'execution.started', 'execution.completed', 'execution.failed', 'execution.timeout', 'execution.canceled']);
  });
});

describe('what a run means for the execution', () => {
  const cases: Array<[string, RunOutcome, { status: string; exit_code: number | null; error: RegExp | null }]> = [
    ['exit 0', outcome('exited', 0), { status: 'completed', exit_code: 0, error: null }],
    ['exit 3', outcome('exited', 3), { status: 'failed', exit_code: 3, error: /exited with code 3/ }],
    ['killed by SIGKILL', outcome('exited', null, 'SIGKILL'), { status: 'failed', exit_code: 137, error: /killed by SIGKILL/ }],
    ['timeout', outcome('timeout', null, 'SIGTERM'), { status: 'timeout', exit_code: 143, error: /^Execution exceeded time limit$/ }],
    ['canceled', outcome('canceled', null, 'SIGTERM', 'Execution canceled'), { status: 'canceled', exit_code: 143, error: /Execution canceled/ }],
    ['out of memory', outcome('out_of_memory', 137, 'SIGKILL', 'killed: exceeded its memory limit of 64 MiB'), { status: 'failed', exit_code: 137, error: /memory limit of 64 MiB/ }],
    ['could not start', outcome('start_failed', null, null, "Main program file 'main.py' not found in /x"), { status: 'failed', exit_code: null, error: /Main program file/ }],
  ];
  for (const [name, run, want] of cases) {
    it(name, () => {
      const verdict = verdictOf(run);
      assert.equal(verdict.status, want.status);
      assert.equal(verdict.exit_code, want.exit_code);
      if (want.error) assert.match(verdict.error ?? '', want.error);
      else assert.equal(verdict.error, null);
    });
  }
  it('reads a signal as a shell does (128 + its number)', () => {
    assert.equal(shellExitCode({ exit_code: null, signal: 'SIGINT' }), 130);
    assert.equal(shellExitCode({ exit_code: 5, signal: null }), 5);
    assert.equal(shellExitCode({ exit_code: null, signal: null }), null);
  });
});

describe('output', () => {
  const formats: Array<[string, string]> = [
    ['a\\nb', 'a\nb'],
    ['tab\\there', 'tab\there'],
    ['crlf\\r\\nline', 'crlf\nline'],
    ['a real\nbreak', 'a real\nbreak'],
    ['no escapes', 'no escapes'],
  ];
  for (const [input, output] of formats) it(`formats ${JSON.stringify(input)}`, () => assert.equal(formatLogText(input), output));

  it('prefixes lines without the tag, and leaves tagged ones', () => {
    assert.equal(prefixLines('one\n✅ [ACT_AFTER] done\n', 'ACT_AFTER'), '[ACT_AFTER] one\n✅ [ACT_AFTER] done\n');
  });

  it('turns a literal \\n split across two chunks into a line break', () => {
    const output = new ExecutionOutput(1024);
    const sink = output.sink();
    sink.stdout(Buffer.from('first\\'));
    sink.stdout(Buffer.from('nsecond'));
    sink.close();
    assert.equal(output.result().output, 'first\nsecond');
  });

  it('keeps stdout and stderr apart, and a multi-byte character split across chunks whole', () => {
    const output = new ExecutionOutput(1024);
    const sink = output.sink();
    const euro = Buffer.from('€');
    sink.stdout(euro.subarray(0, 1));
    sink.stderr(Buffer.from('oops\n'));
    sink.stdout(euro.subarray(1));
    sink.close();
    assert.deepEqual(output.result(), { output: '€', error_output: 'oops\n', output_truncated: false, error_output_truncated: false });
  });

  it('prefixes an action’s lines whole, however they arrive', () => {
    const output = new ExecutionOutput(1024);
    const sink = output.sink('ACT_BEFORE');
    sink.stdout(Buffer.from('hel'));
    sink.stdout(Buffer.from('lo\nwor'));
    sink.stdout(Buffer.from('ld'));
    sink.close();
    assert.equal(output.result().output, '[ACT_BEFORE] hello\n[ACT_BEFORE] world\n');
  });

  it('keeps the head and the tail within the limit, with a marker saying how much was cut', () => {
    const output = new ExecutionOutput(100);
    const sink = output.sink();
    for (let i = 0; i < 50; i++) sink.stdout(Buffer.from(`line ${String(i).padStart(2, '0')}\n`));
    sink.close();
    const { output: text, output_truncated } = output.result();
    assert.equal(output_truncated, true);
    assert.ok(text.startsWith('line 00\n'), text);
    assert.ok(text.endsWith('line 49\n'), text);
    const omitted = Number(/\[… (\d+) bytes of output omitted/.exec(text)?.[1]);
    const kept = Buffer.byteLength(text.replace(/\n\[… \d+ bytes[^\n]*\n/, ''));
    assert.equal(kept, 100);
    assert.equal(kept + omitted, 50 * 8, 'every byte is either kept or counted as omitted');
  });

  it('streams chunks to listeners and counts lines', () => {
    const output = new ExecutionOutput(1024);
    const seen: string[] = [];
    output.onChunk((chunk) => seen.push(`${chunk.stream}:${chunk.text}`));
    const sink = output.sink();
    sink.stdout(Buffer.from('a\nb\n'));
    sink.stderr(Buffer.from('c\n'));
    sink.close();
    assert.deepEqual(seen, ['stdout:a\nb\n', 'stderr:c\n']);
    assert.deepEqual(output.lines(), { stdout: 2, stderr: 1 });
  });
});

describe('before/after action files', () => {
  it('finds act_before.* and act_after.* in name order, skips .disabled ones, hashes dependency files', () => {
    const directory = mkdtempSync(join(tmpdir(), 'hookflow-action-files-'));
    try {
      for (const name of ['act_before.sh', 'act_before.py', 'act_after.py.disabled', 'act_after.js', 'act_before.py~', 'README.md', 'requirements.txt']) {
        writeFileSync(join(directory, name), name === 'requirements.txt' ? 'requests==2\n' : '');
      }
      mkdirSync(join(directory, 'act_after.d'));
      const files = findActionFiles(directory);
      assert.deepEqual(files.before, ['act_before.py', 'act_before.sh']);
      assert.deepEqual(files.after, ['act_after.js']);
      assert.deepEqual(files.disabled, ['act_after.py.disabled']);
      assert.equal(files.packageJson, null);
      assert.match(files.requirements?.hash ?? '', /^[0-9a-f]{16}$/);
      const host = dependencyKey(files, 'host');
      assert.ok(host && host !== dependencyKey(files, 'image:python:3.11'), 'one install per runner context');
      writeFileSync(join(directory, 'requirements.txt'), 'requests==3\n');
      assert.notEqual(dependencyKey(findActionFiles(directory), 'host'), host, 'a new content is a new install');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('finds nothing in a folder that does not exist', () => {
    const files = findActionFiles('/nonexistent/hookflow/actions');
    assert.deepEqual([files.before, files.after, files.requirements], [[], [], null]);
    assert.equal(dependencyKey(files, 'host'), null);
  });
});

describe('views', () => {
  it('groups counts by status, sorted by total then name (REFERENCE.md)', () => {
    const grouped = byStatus({
      total: 7,
      by_status_program: [
        { status: 'completed', program_id: 'b', total: 2 },
        { status: 'completed', program_id: 'a', total: 2 },
        { status: 'completed', program_id: 'c', total: 3 },
        { status: 'failed', program_id: 'a', total: 0 },
      ],
    });
    assert.deepEqual(grouped.completed, [
      { name: 'c', total: 3 },
      { name: 'a', total: 2 },
      { name: 'b', total: 2 },
    ]);
  });

  it('puts why hookflow stopped an execution after its stderr, once', () => {
    const base = { status: 'timeout', error: 'Execution exceeded time limit', error_output: 'partial\n' } as ExecutionRecord;
    assert.equal(errorText(base), 'partial\nExecution exceeded time limit');
    assert.equal(errorText({ ...base, error_output: 'Execution exceeded time limit' }), 'Execution exceeded time limit');
    assert.equal(errorText({ ...base, status: 'completed', error: null, error_output: 'warn' }), 'warn');
  });

  it('names compose projects uniquely per execution, as compose accepts them', () => {
    const name = composeProjectName('My Script.v2', '01a205bb-3041-70e5-93a7-0b224dfbd15d');
    assert.match(name, /^hookflow-my-script-v2-[0-9a-f]{12}$/);
    assert.notEqual(name, composeProjectName('My Script.v2', '01a205bb-3041-70e5-93a7-0b224dfbd16e'));
  });
});
