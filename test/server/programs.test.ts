/**
 * The programs API over HTTP (issue 6, section 5), against a real server running the fixture's
 * programs as local processes (test/fixtures/programs/api: one slot, before/after actions).
 * Tests run in order and each waits for its executions to end, so the one slot is free again.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { dockerAvailable } from '../../src/programs/docker-info.js';
import type { Role } from '../../src/store/accounts.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { requireService } from '../support/services.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/programs/api');
const FINAL = new Set(['completed', 'failed', 'timeout', 'canceled']);
const TEST_IMAGE = 'hookflow-test-busybox:latest';

/** Why the container routes cannot be tried here (no engine, or no test image), or null. */
async function dockerProblem(): Promise<string | null> {
  const availability = await dockerAvailable();
  if (!availability.available) return availability.reason;
  return new Docker()
    .getImage(TEST_IMAGE)
    .inspect()
    .then(
      () => null,
      () => `the test image ${TEST_IMAGE} is missing (scripts/docker-setup.sh builds it)`,
    );
}
const dockerSkip = requireService('docker', await dockerProblem());

interface ExecutionAnswer {
  execution_id: string;
  program_id: string;
  status: string;
  output: string;
  error: string;
  start_time: string | null;
  end_time: string | null;
  duration_seconds: number | null;
  exit_code: number | null;
  parameters: Record<string, unknown>;
  created_at: string;
  queue_position: number | null;
  stderr: string;
  error_message: string | null;
}

interface ErrorAnswer {
  error: { code: string; message: string };
}

async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, `${response.url}: ${text}`);
  return JSON.parse(text) as T;
}

/** The output's lines without the empty one after its last line break. */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function indexOfLine(lines: string[], pattern: RegExp, what: string): number {
  const index = lines.findIndex((line) => pattern.test(line));
  assert.ok(index >= 0, `no ${what} line in:\n${lines.join('\n')}`);
  return index;
}

interface Frame {
  event: string;
  data: unknown;
  at: number;
}

/** Reads a Server-Sent Events body to its end, each frame with the time it arrived (also given to `onFrame` as it comes). */
async function readFrames(response: Response, deadlineMs = 15_000, onFrame: (frame: Frame) => void = () => undefined): Promise<Frame[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let buffered = '';
  const timer = setTimeout(() => void reader.cancel(), deadlineMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === undefined || data === undefined) continue;
        const frame = { event, data: JSON.parse(data) as unknown, at: Date.now() };
        frames.push(frame);
        onFrame(frame);
      }
    }
  } finally {
    clearTimeout(timer);
  }
  return frames;
}

describe('the programs API', () => {
  let server: TestServer;
  let fixture: string;

  const get = async <T>(path: string, role: Role = 'viewer'): Promise<T> => json<T>(await server.request(path, { role }), 200);
  const execute = async (program_id: string, parameters?: Record<string, unknown>, path = '/execute'): Promise<ExecutionAnswer> =>
    json<ExecutionAnswer>(await server.request(path, { method: 'POST', role: 'operator', json: parameters === undefined ? { program_id } : { program_id, parameters } }), 200);
  const executionOf = (id: string) => get<ExecutionAnswer>(`/executions/${id}`);
  /** Polls GET /executions/{id} until `done` says so. */
  const waitUntil = async (id: string, done: (execution: ExecutionAnswer) => boolean, what: string, timeoutMs = 15_000): Promise<ExecutionAnswer> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const execution = await executionOf(id);
      if (done(execution)) return execution;
      assert.ok(Date.now() < until, `execution ${id} of ${execution.program_id} never got ${what}: still ${execution.status}`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  };
  /** Resolves once the execution's live stream carried `text` (the store has its output only at its end). */
  const printed = async (id: string, text: string): Promise<void> => {
    const stop = new AbortController();
    const response = await fetch(`${server.url}/executions/${id}/stream?access_token=${encodeURIComponent(server.tokens.viewer)}`, { signal: stop.signal });
    let seen = false;
    await readFrames(response, 15_000, (frame) => {
      if (!seen && frame.event === 'output' && (frame.data as { text: string }).text.includes(text)) {
        seen = true;
        stop.abort();
      }
    }).catch((error: unknown) => {
      if (!seen) throw error;
    });
    assert.ok(seen, `execution ${id} never printed ${JSON.stringify(text)}`);
  };
  const finished = (id: string) => waitUntil(id, (execution) => FINAL.has(execution.status), 'to an end');
  const cancel = (id: string, role: Role = 'operator') => server.request(`/executions/${id}/cancel`, { method: 'POST', role });

  before(async () => {
    fixture = mkdtempSync(join(tmpdir(), 'hookflow-programs-api-'));
    cpSync(FIXTURE, fixture, { recursive: true });
    server = await startTestServer({}, { HOOKFLOW_PROGRAMS: join(fixture, 'config.yaml') });
    await (await server.engine.programs()).start();
  });
  after(async () => {
    await server.stop();
    rmSync(fixture, { recursive: true, force: true });
  });

  describe('GET /programs', () => {
    it('lists the enabled programs, scripts before bots, with their configuration', async () => {
      const programs = await get<Array<Record<string, unknown>>>('/programs');
      assert.deepEqual(
        programs.map((program) => program.id),
        ['hello', 'failing', 'ticker', 'sleeper', 'long', 'imaged_script', 'echo_bot'],
      );
      const hello = programs[0]!;
      assert.equal(hello.name, 'Hello');
      assert.equal(hello.type, 'script');
      assert.equal(hello.enabled, true);
      assert.equal(hello.parameters, "--greeting 'hello there' --verbose");
      assert.equal(hello.runner, 'process');
      assert.equal(hello.main_file, 'main.py');
      assert.equal(hello.docker_image, null, 'no image for a process program that names none (settings.runner: process)');
      assert.equal(hello.path, join(fixture, 'scripts/hello'));
      const imaged = programs.find((program) => program.id === 'imaged_script')!;
      assert.equal(imaged.key, 'imaged', 'the map key and the id field differ');
      assert.equal(imaged.docker_image, 'test-script:latest');
      assert.equal(programs.at(-1)!.type, 'bot');
      assert.equal(programs.find((program) => program.id === 'sleeper')!.timeout_seconds, 2);
    });

    it('needs a token', async () => {
      const answer = await json<ErrorAnswer>(await server.request('/programs', { role: null }), 401);
      assert.equal(answer.error.code, 'HF_ERR_UNAUTHORIZED');
    });
  });

  let helloId = '';

  describe('POST /execute and POST /executions', () => {
    it('runs a program: PARAM_<KEY> from the request, argv from the config with quotes kept together, streams apart', async () => {
      const submitted = await execute('hello', { name: 'Ada Lovelace', count: 3, flag: false });
      helloId = submitted.execution_id;
      assert.equal(submitted.program_id, 'hello');
      assert.equal(submitted.status, 'queued', 'the answer is the stored execution, before it runs');
      assert.deepEqual(submitted.parameters, { name: 'Ada Lovelace', count: 3, flag: false }, 'values keep their JSON types');
      const done = await finished(helloId);
      assert.equal(done.status, 'completed', done.error);
      assert.equal(done.exit_code, 0);
      const lines = linesOf(done.output);
      assert.ok(lines.includes('argv=["--greeting", "hello there", "--verbose"]'), done.output);
      assert.ok(lines.includes(`program=hello execution=${helloId}`), done.output);
      assert.ok(lines.includes('name=Ada Lovelace'), done.output);
      assert.ok(lines.includes('count=3'), done.output);
      assert.ok(lines.includes('flag=false'), done.output);
      assert.equal(done.error, 'a warning on stderr\n', 'stderr is in error');
      assert.ok(!done.output.includes('a warning on stderr'), 'and not in output');
      assert.ok(done.start_time && done.end_time && Date.parse(done.end_time) >= Date.parse(done.start_time));
      assert.ok(typeof done.duration_seconds === 'number' && done.duration_seconds > 0);
    });

    it('turns a literal \\n the program printed into a line break', async () => {
      const lines = linesOf((await executionOf(helloId)).output);
      const first = lines.indexOf('first');
      assert.ok(first >= 0 && lines[first + 1] === 'second', lines.join('\n'));
      assert.ok(!lines.some((line) => line.includes('\\n')));
    });

    it('runs the before and after actions around it, in order, with their prefixes', async () => {
      const lines = linesOf((await executionOf(helloId)).output);
      const beforeLine = indexOfLine(lines, /^\[ACT_BEFORE\] before hello /, '[ACT_BEFORE]');
      assert.equal(lines[beforeLine], `[ACT_BEFORE] before hello ${helloId}`, 'act_before sees PROGRAM_ID and EXECUTION_ID');
      const programLine = indexOfLine(lines, /^argv=/, 'program');
      const afterLine = indexOfLine(lines, /^\[ACT_AFTER\]/, '[ACT_AFTER]');
      assert.ok(beforeLine < programLine && programLine < afterLine, lines.join('\n'));
      assert.equal(lines[afterLine], '[ACT_AFTER] after hello EXIT_CODE=0');
    });

    it('answers the same at POST /executions (a bot, with its configured argv)', async () => {
      const submitted = await execute('echo_bot', undefined, '/executions');
      assert.equal(submitted.program_id, 'echo_bot');
      const done = await finished(submitted.execution_id);
      assert.equal(done.status, 'completed', done.error);
      assert.ok(linesOf(done.output).includes('bot args=["--mode","production"]'), done.output);
    });

    const refusals: Array<{ name: string; path: string; role: Role | null; body: unknown; status: number; code: string }> = [
      { name: 'an unknown program', path: '/execute', role: 'operator', body: { program_id: 'no_such_program' }, status: 404, code: 'HF_ERR_PROGRAM_NOT_FOUND' },
      { name: 'a disabled program', path: '/execute', role: 'operator', body: { program_id: 'off' }, status: 400, code: 'HF_ERR_PROGRAM_DISABLED' },
      { name: 'a disabled program at /executions', path: '/executions', role: 'operator', body: { program_id: 'off' }, status: 400, code: 'HF_ERR_PROGRAM_DISABLED' },
      { name: 'a viewer', path: '/execute', role: 'viewer', body: { program_id: 'hello' }, status: 403, code: 'HF_ERR_FORBIDDEN' },
      { name: 'no token', path: '/execute', role: null, body: { program_id: 'hello' }, status: 401, code: 'HF_ERR_UNAUTHORIZED' },
      { name: 'a parameter that is an object', path: '/execute', role: 'operator', body: { program_id: 'hello', parameters: { a: { b: 1 } } }, status: 400, code: 'HF_ERR_INVALID_ARGUMENT' },
      { name: 'no program_id', path: '/executions', role: 'operator', body: { parameters: {} }, status: 400, code: 'HF_ERR_VALIDATION' },
    ];
    for (const refusal of refusals) {
      it(`refuses ${refusal.name} (${refusal.status}) and stores nothing`, async () => {
        const before = await get<{ total: number }>('/executions');
        const answer = await json<ErrorAnswer>(await server.request(refusal.path, { method: 'POST', role: refusal.role, json: refusal.body }), refusal.status);
        assert.equal(answer.error.code, refusal.code, answer.error.message);
        assert.equal((await get<{ total: number }>('/executions')).total, before.total);
      });
    }
  });

  describe('an execution, start to end', () => {
    let failingId = '';

    it('fails with the exit code, stderr in error; act_after sees the real exit code', async () => {
      failingId = (await execute('failing')).execution_id;
      const done = await finished(failingId);
      assert.equal(done.status, 'failed');
      assert.equal(done.exit_code, 3);
      assert.match(done.error, /^something went wrong\n/);
      assert.ok(done.output.includes('about to fail\n') && !done.output.includes('something went wrong'));
      assert.ok(linesOf(done.output).includes('[ACT_AFTER] after failing EXIT_CODE=3'), done.output);
    });

    it('times out with "Execution exceeded time limit", and act_after still runs', async () => {
      const { execution_id: id } = await execute('sleeper');
      const done = await finished(id);
      assert.equal(done.status, 'timeout');
      assert.equal(done.error, 'Execution exceeded time limit');
      assert.ok(done.duration_seconds !== null && done.duration_seconds >= 2 && done.duration_seconds < 10, `${done.duration_seconds} s`);
      const lines = linesOf(done.output);
      assert.ok(lines.includes('going to sleep') && !lines.includes('woke up'), done.output);
      const afterLine = lines[indexOfLine(lines, /^\[ACT_AFTER\]/, '[ACT_AFTER]')]!;
      assert.match(afterLine, /^\[ACT_AFTER\] after sleeper EXIT_CODE=(\d+)$/);
      assert.notEqual(afterLine, '[ACT_AFTER] after sleeper EXIT_CODE=0', 'a timed-out program did not exit 0');
    });

    it('GET /executions/{id}/logs: timing and line counts', async () => {
      const execution = await executionOf(failingId);
      const logs = await get<Record<string, unknown>>(`/executions/${failingId}/logs`);
      assert.equal(logs.execution_id, failingId);
      assert.equal(logs.program_id, 'failing');
      assert.equal(logs.status, 'failed');
      assert.equal(logs.start_time, execution.start_time);
      assert.equal(logs.end_time, execution.end_time);
      assert.equal(logs.duration_seconds, execution.duration_seconds);
      assert.equal(logs.output, execution.output);
      assert.equal(logs.error, execution.error);
      assert.equal(logs.output_lines, linesOf(execution.output).length);
      assert.equal(logs.error_lines, 2, 'stderr, then why it failed');
      assert.equal((await json<ErrorAnswer>(await server.request('/executions/no-such-execution/logs', { role: 'viewer' }), 404)).error.code, 'HF_ERR_NOT_FOUND');
    });

    it('GET /executions/{id}: 404 for an unknown id', async () => {
      assert.equal((await json<ErrorAnswer>(await server.request('/executions/no-such-execution', { role: 'viewer' }), 404)).error.code, 'HF_ERR_NOT_FOUND');
    });
  });

  describe('one slot (max_concurrent_executions: 1)', () => {
    it('runs one, queues the next (never refused for the limit), and runs it after', async () => {
      const first = await execute('long');
      const running = await waitUntil(first.execution_id, (execution) => execution.status === 'running', 'running');
      assert.ok(running.start_time !== null && running.end_time === null);
      const second = await execute('hello');
      assert.equal(second.status, 'queued');
      assert.equal(second.queue_position, 1);
      const concurrent = await get<{ concurrent_count: number; max_concurrent: number; queued_count: number; running_executions: Array<Record<string, unknown>> }>(
        '/executions/concurrent',
      );
      assert.equal(concurrent.concurrent_count, 1);
      assert.equal(concurrent.max_concurrent, 1);
      assert.equal(concurrent.queued_count, 1);
      assert.equal(concurrent.running_executions.length, 1);
      const [slot] = concurrent.running_executions;
      assert.equal(slot!.execution_id, first.execution_id);
      assert.equal(slot!.program_id, 'long');
      assert.equal(slot!.start_time, running.start_time);
      assert.equal(typeof slot!.duration_seconds, 'number');
      // Still queued a while later: the slot is taken, and waiting is not failing.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await executionOf(second.execution_id)).status, 'queued');

      await json(await cancel(first.execution_id), 200);
      const ended = await finished(first.execution_id);
      assert.equal(ended.status, 'canceled');
      const after = await finished(second.execution_id);
      assert.equal(after.status, 'completed', 'the queued one ran once the slot was free');
      assert.ok(Date.parse(after.start_time!) >= Date.parse(ended.end_time!), 'and not before');
    });
  });

  describe('POST /executions/{id}/cancel', () => {
    it('cancels a queued execution at once and stops a running one; 409 once it ended', async () => {
      const running = await execute('long');
      await printed(running.execution_id, 'long job started');
      const queued = await execute('hello');

      const queuedAnswer = await json<ExecutionAnswer>(await cancel(queued.execution_id), 200);
      assert.equal(queuedAnswer.status, 'canceled', 'a queued execution is canceled at once');
      assert.equal(queuedAnswer.start_time, null);
      assert.equal(queuedAnswer.error, 'canceled by test-operator', 'who canceled it');

      assert.equal((await json<ErrorAnswer>(await cancel(running.execution_id, 'viewer'), 403)).error.code, 'HF_ERR_FORBIDDEN');
      await json(await cancel(running.execution_id), 200);
      const stopped = await finished(running.execution_id);
      assert.equal(stopped.status, 'canceled');
      assert.equal(stopped.error, 'Execution canceled');
      assert.ok(!stopped.output.includes('long job done'));
      assert.ok(stopped.duration_seconds !== null && stopped.duration_seconds < 10, 'stopped, not run out');
      assert.ok(linesOf(stopped.output).some((line) => line.startsWith('[ACT_AFTER] after long EXIT_CODE=')), 'act_after runs after a cancel');

      for (const id of [queued.execution_id, running.execution_id]) {
        assert.equal((await json<ErrorAnswer>(await cancel(id), 409)).error.code, 'HF_ERR_CONFLICT');
      }
      assert.equal((await json<ErrorAnswer>(await cancel('no-such-execution'), 404)).error.code, 'HF_ERR_NOT_FOUND');
      assert.equal((await executionOf(queued.execution_id)).status, 'canceled', 'the queued one never ran');
    });
  });

  describe('GET /executions/{id}/stream', () => {
    it('follows a queued execution: its status, output while the program runs, the final status, the end (?access_token=)', async () => {
      const blocker = await execute('long');
      await waitUntil(blocker.execution_id, (execution) => execution.status === 'running', 'running');
      const { execution_id: id } = await execute('ticker');
      const response = await fetch(`${server.url}/executions/${id}/stream?access_token=${encodeURIComponent(server.tokens.viewer)}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reading = readFrames(response);
      await json(await cancel(blocker.execution_id), 200);
      const frames = await reading;
      assert.equal(frames[0]!.event, 'status');
      assert.equal((frames[0]!.data as ExecutionAnswer).status, 'queued', 'it starts with the execution as it is');

      const last = frames.at(-1)!;
      assert.equal(last.event, 'status', 'the last frame is the final status');
      assert.equal((last.data as ExecutionAnswer).status, 'completed');
      assert.equal((last.data as ExecutionAnswer).execution_id, id);
      const outputs = frames.filter((frame) => frame.event === 'output');
      const tick = (text: string) => outputs.find((frame) => (frame.data as { stream: string; text: string }).text.includes(text));
      const tick1 = tick('tick 1');
      const tick2 = tick('tick 2');
      assert.ok(tick1 && tick2, JSON.stringify(frames.map((frame) => frame.data)));
      assert.equal((tick1.data as { stream: string }).stream, 'stdout');
      // The program sleeps a second between its lines: the first came while it was running.
      assert.ok(last.at - tick1.at >= 700, `tick 1 arrived ${last.at - tick1.at} ms before the end`);
      assert.ok(tick2.at - tick1.at >= 700, `tick 2 arrived ${tick2.at - tick1.at} ms after tick 1`);
      const statuses = frames.filter((frame) => frame.event === 'status').map((frame) => (frame.data as ExecutionAnswer).status);
      assert.equal(statuses.filter((status) => FINAL.has(status)).length, 1, 'one final status');
    });

    it('joins a running execution: its status, what it printed so far, the rest as it comes, its end', async () => {
      const { execution_id: id } = await execute('long');
      await waitUntil(id, (execution) => execution.status === 'running', 'running');
      const response = await fetch(`${server.url}/executions/${id}/stream?access_token=${encodeURIComponent(server.tokens.viewer)}`);
      let printed = (): void => undefined;
      const started = new Promise<void>((resolve) => (printed = resolve));
      const reading = readFrames(response, 15_000, (frame) => {
        if (frame.event === 'output' && (frame.data as { text: string }).text.includes('long job started')) printed();
      });
      await started;
      await json(await cancel(id), 200);
      const frames = await reading;
      assert.equal(frames[0]!.event, 'status');
      assert.equal((frames[0]!.data as ExecutionAnswer).status, 'running');
      const text = frames
        .filter((frame) => frame.event === 'output' && (frame.data as { stream: string }).stream === 'stdout')
        .map((frame) => (frame.data as { text: string }).text)
        .join('');
      const ended = await executionOf(id);
      assert.equal(ended.status, 'canceled');
      assert.equal(text, ended.output, 'the frames carry all of its output, once');
      assert.equal(frames.at(-1)!.event, 'status');
      assert.equal((frames.at(-1)!.data as ExecutionAnswer).status, 'canceled');
      assert.equal(frames.filter((frame) => frame.event === 'status').length, 2, 'running, then canceled');
    });

    it('replays a finished execution and ends at once', async () => {
      const response = await fetch(`${server.url}/executions/${helloId}/stream?access_token=${encodeURIComponent(server.tokens.viewer)}`);
      const frames = await readFrames(response, 5_000);
      const text = frames
        .filter((frame) => frame.event === 'output' && (frame.data as { stream: string }).stream === 'stdout')
        .map((frame) => (frame.data as { text: string }).text)
        .join('');
      assert.equal(text, (await executionOf(helloId)).output);
      assert.equal(frames.at(-1)!.event, 'status');
      assert.equal((frames.at(-1)!.data as ExecutionAnswer).status, 'completed');
    });

    it('refuses a stream without a token (401) and an unknown execution (404)', async () => {
      assert.equal((await fetch(`${server.url}/executions/${helloId}/stream`)).status, 401);
      assert.equal((await fetch(`${server.url}/executions/${helloId}/stream?access_token=not-a-token`)).status, 401);
      const unknown = await fetch(`${server.url}/executions/no-such-execution/stream?access_token=${encodeURIComponent(server.tokens.viewer)}`);
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as ErrorAnswer).error.code, 'HF_ERR_NOT_FOUND');
    });
  });

  describe('execution events', () => {
    it('publishes execution.queued, execution.started and execution.completed with the execution', async () => {
      type EventAnswer = { type: string; source: string; correlation_id: string | null; data: Record<string, unknown> };
      const until = Date.now() + 5_000;
      let events: EventAnswer[] = [];
      while (events.length < 3 && Date.now() < until) {
        const page = await get<{ events: EventAnswer[] }>('/events?type=execution.*&limit=1000');
        events = page.events.filter((event) => event.data.execution_id === helloId);
        if (events.length < 3) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const byType = new Map(events.map((event) => [event.type, event]));
      assert.deepEqual([...byType.keys()].sort(), ['execution.completed', 'execution.queued', 'execution.started']);
      for (const event of events) {
        assert.equal(event.source, 'programs');
        assert.equal(event.correlation_id, helloId);
        assert.equal(event.data.program_id, 'hello');
        for (const field of ['execution_id', 'program_id', 'status', 'exit_code', 'duration_seconds']) assert.ok(field in event.data, `${event.type} has no ${field}`);
      }
      assert.equal(byType.get('execution.queued')!.data.status, 'queued');
      assert.equal(byType.get('execution.started')!.data.status, 'running');
      const completed = byType.get('execution.completed')!.data;
      assert.equal(completed.status, 'completed');
      assert.equal(completed.exit_code, 0);
      assert.ok(typeof completed.duration_seconds === 'number' && completed.duration_seconds > 0);
    });
  });

  describe('GET /executions', () => {
    type Page = { total: number; limit: number; offset: number; executions: ExecutionAnswer[] };

    it('filters by program and status', async () => {
      const all = await get<Page>('/executions?limit=1000');
      assert.ok(all.total >= 8, `${all.total} executions so far`);
      const cases: Array<{ query: string; keep: (execution: ExecutionAnswer) => boolean }> = [
        { query: 'program_id=hello', keep: (execution) => execution.program_id === 'hello' },
        { query: 'status=failed', keep: (execution) => execution.status === 'failed' },
        { query: 'status=canceled', keep: (execution) => execution.status === 'canceled' },
        { query: 'program_id=long&status=canceled', keep: (execution) => execution.program_id === 'long' && execution.status === 'canceled' },
        { query: 'program_id=no_such_program', keep: () => false },
      ];
      for (const { query, keep } of cases) {
        const page = await get<Page>(`/executions?${query}`);
        const expected = all.executions.filter(keep).map((execution) => execution.execution_id);
        assert.deepEqual(
          page.executions.map((execution) => execution.execution_id),
          expected,
          query,
        );
        assert.equal(page.total, expected.length, query);
      }
      assert.ok(all.executions.some((execution) => execution.status === 'failed'), 'the cases above filter something');
    });

    it('pages newest first with limit and offset', async () => {
      const all = await get<Page>('/executions?limit=1000');
      const created = all.executions.map((execution) => Date.parse(execution.created_at));
      assert.deepEqual(created, [...created].sort((a, b) => b - a), 'newest first');
      const first = await get<Page>('/executions?limit=3&offset=0');
      const second = await get<Page>('/executions?limit=3&offset=3');
      assert.equal(first.limit, 3);
      assert.equal(second.offset, 3);
      assert.equal(first.total, all.total);
      assert.equal(second.total, all.total);
      assert.deepEqual(
        [...first.executions, ...second.executions].map((execution) => execution.execution_id),
        all.executions.slice(0, 6).map((execution) => execution.execution_id),
      );
      assert.equal((await json<ErrorAnswer>(await server.request('/executions?status=sleeping', { role: 'viewer' }), 400)).error.code, 'HF_ERR_VALIDATION');
      assert.equal((await json<ErrorAnswer>(await server.request('/executions?limit=0', { role: 'viewer' }), 400)).error.code, 'HF_ERR_VALIDATION');
    });
  });

  describe('counts', () => {
    it('GET /executions/info: totals by status and the limits', async () => {
      const all = await get<{ executions: ExecutionAnswer[]; total: number }>('/executions?limit=1000');
      const info = await get<Record<string, unknown>>('/executions/info');
      assert.equal(info.total_executions, all.total);
      for (const status of ['queued', 'running', 'completed', 'failed', 'timeout', 'canceled']) {
        assert.equal(info[`${status}_executions`], all.executions.filter((execution) => execution.status === status).length, status);
      }
      assert.equal(info.max_concurrent_executions, 1);
      assert.equal(info.timeout_seconds, 20);
    });

    it('GET /executions/stats: by_status as [{name, total}] sorted by total, then name', async () => {
      const all = await get<{ executions: ExecutionAnswer[]; total: number }>('/executions?limit=1000');
      const stats = await get<{
        total: number;
        by_status: Record<string, Array<{ name: string; total: number }>>;
        recent_executions: Array<Record<string, unknown>>;
        max_executions: number | null;
        concurrent_executions: number;
      }>('/executions/stats');
      assert.equal(stats.total, all.total);
      const expected: Record<string, Array<{ name: string; total: number }>> = {};
      for (const execution of all.executions) {
        const rows = (expected[execution.status] ??= []);
        const row = rows.find((candidate) => candidate.name === execution.program_id);
        if (row) row.total += 1;
        else rows.push({ name: execution.program_id, total: 1 });
      }
      for (const rows of Object.values(expected)) rows.sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      assert.deepEqual(stats.by_status, expected);
      // The history so far has a tie to break by name and an order by total (else this test proves less).
      assert.deepEqual(stats.by_status.completed, [
        { name: 'hello', total: 2 },
        { name: 'echo_bot', total: 1 },
        { name: 'ticker', total: 1 },
      ]);
      assert.deepEqual(stats.by_status.canceled, [
        { name: 'long', total: 4 },
        { name: 'hello', total: 1 },
      ]);
      assert.equal(stats.concurrent_executions, 0);
      assert.equal(stats.max_executions, null, 'no retention count configured');
      assert.deepEqual(
        stats.recent_executions.map((execution) => execution.execution_id),
        all.executions.slice(0, 10).map((execution) => execution.execution_id),
      );
    });
  });

  describe('DELETE /executions/cleanup', () => {
    it('deletes the finished executions; running and queued ones stay', async () => {
      const finishedBefore = (await get<{ executions: ExecutionAnswer[] }>('/executions?limit=1000')).executions.filter((execution) => FINAL.has(execution.status));
      const running = await execute('long');
      await waitUntil(running.execution_id, (execution) => execution.status === 'running', 'running');
      const queued = await execute('hello');

      assert.equal((await json<ErrorAnswer>(await server.request('/executions/cleanup', { method: 'DELETE', role: 'viewer' }), 403)).error.code, 'HF_ERR_FORBIDDEN');
      const answer = await json<{ deleted_count: number; message: string }>(await server.request('/executions/cleanup', { method: 'DELETE', role: 'operator' }), 200);
      assert.equal(answer.deleted_count, finishedBefore.length);
      const left = await get<{ total: number; executions: ExecutionAnswer[] }>('/executions?limit=1000');
      assert.deepEqual(left.executions.map((execution) => execution.execution_id).sort(), [running.execution_id, queued.execution_id].sort());
      assert.equal((await json<ErrorAnswer>(await server.request(`/executions/${helloId}`, { role: 'viewer' }), 404)).error.code, 'HF_ERR_NOT_FOUND');

      await json(await cancel(queued.execution_id), 200);
      await json(await cancel(running.execution_id), 200);
      await finished(running.execution_id);
    });
  });

  describe('images from the configuration', () => {
    const testScript = {
      repository: 'test-script',
      tag: 'latest',
      image_id: 'config',
      size: 'N/A',
      created_at: 'N/A',
      full_name: 'test-script:latest',
      source: 'script',
      script_id: 'imaged_script',
    };
    const base = {
      repository: 'pyexecutorhub-base',
      tag: 'latest',
      image_id: 'config',
      size: 'N/A',
      created_at: 'N/A',
      full_name: 'pyexecutorhub-base',
      source: 'default',
      description: 'Default image for programs without custom image',
    };

    it('GET /images/available: the images config.yaml names, and the default', async () => {
      assert.deepEqual(await get('/images/available'), { total_images: 2, images: [testScript, base] });
    });

    it('GET /programs/config: the file in force and its problems', async () => {
      const state = await get<Record<string, unknown>>('/programs/config');
      assert.equal(state.file, join(fixture, 'config.yaml'));
      assert.equal(state.programs, 8);
      assert.equal(state.enabled, 7);
      assert.deepEqual(state.problems, []);
      assert.deepEqual(state.warnings, []);
    });

    const searches: Array<{ term: string; images: unknown[] }> = [
      { term: 'test-script:latest', images: [testScript] },
      { term: 'org/test-script', images: [] },
      { term: 'test-script', images: [testScript] },
      { term: 'TEST', images: [testScript] },
      { term: 'pyexecutorhub', images: [base] },
      { term: 'latest', images: [testScript] },
      { term: 'no-such-image', images: [] },
    ];
    for (const { term, images } of searches) {
      it(`GET /images/search/${term}`, async () => {
        assert.deepEqual(await get(`/images/search/${term}`), { search_term: term, total_images: images.length, images });
      });
    }
  });

  describe('containers', () => {
    it('GET /containers/active and GET /containers/logs/{image} show a running container', dockerSkip, async () => {
      const docker = new Docker();
      const container = await docker.createContainer({
        Image: TEST_IMAGE,
        Cmd: ['sh', '-c', 'echo hello from the container; echo a complaint >&2; sleep 30'],
        Labels: { 'hookflow.test': 'programs-api' },
        HostConfig: { AutoRemove: false, NetworkMode: 'none' },
      });
      try {
        await container.start();
        const shortId = container.id.slice(0, 12);
        const active = await get<{ total_containers: number; containers: Array<{ container_id: string; image: string; status: string; name: string }> }>('/containers/active');
        assert.equal(active.total_containers, active.containers.length);
        const mine = active.containers.find((candidate) => candidate.container_id === shortId);
        assert.ok(mine, JSON.stringify(active));
        assert.equal(mine.image, TEST_IMAGE);
        assert.match(mine.status, /^Up /);
        assert.ok(mine.name.length > 0 && !mine.name.startsWith('/'));

        type Logs = { image_name: string; total_containers: number; message: string; containers: Array<{ container_id: string; stdout: string; stderr: string; logs_lines: number }> };
        let logs: Logs;
        const until = Date.now() + 5_000;
        for (;;) {
          logs = await get<Logs>(`/containers/logs/${TEST_IMAGE}`);
          const entry = logs.containers.find((candidate) => candidate.container_id === shortId);
          if ((entry && entry.stdout && entry.stderr) || Date.now() > until) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(logs.image_name, TEST_IMAGE);
        const entry = logs.containers.find((candidate) => candidate.container_id === shortId);
        assert.deepEqual(entry, { container_id: shortId, stdout: 'hello from the container\n', stderr: 'a complaint\n', logs_lines: 2 });
        assert.equal(logs.total_containers, logs.containers.length);
        assert.equal(logs.message, `Found ${logs.total_containers} running containers for image: ${TEST_IMAGE}`);
        for (const image of ['hookflow-no-such-image:1', 'ghcr.io/hookflow/no-such-image:1', 'ghcr.io%2Fhookflow%2Fno-such-image:1']) {
          const none = await get<Logs>(`/containers/logs/${image}`);
          assert.deepEqual(none, { image_name: decodeURIComponent(image), containers: [], total_containers: 0, message: `Found 0 running containers for image: ${decodeURIComponent(image)}` });
        }
      } finally {
        await container.remove({ force: true });
      }
    });

    it('the container routes need a token', async () => {
      assert.equal((await server.request('/containers/active', { role: null })).status, 401);
      assert.equal((await server.request(`/containers/logs/${TEST_IMAGE}`, { role: null })).status, 401);
    });
  });
});
