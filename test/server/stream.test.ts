import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../src/engine.js';
import { LiveHub } from '../../src/server/live/hub.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface SseFrame {
  event: string;
  id: string | null;
  data: Record<string, unknown>;
}

/** A Server-Sent Events reader over fetch: collects frames, waits for the ones a test expects. */
class StreamReader {
  readonly frames: SseFrame[] = [];
  ended = false;
  private buffer = '';
  private readonly abort = new AbortController();
  private wake: (() => void) | null = null;
  status = 0;

  static async open(url: string, headers: Record<string, string> = {}): Promise<StreamReader> {
    const reader = new StreamReader();
    const res = await fetch(url, { headers, signal: reader.abort.signal });
    reader.status = res.status;
    if (res.status !== 200 || !res.body) {
      reader.ended = true;
      reader.frames.push({ event: 'http', id: null, data: (await res.json()) as Record<string, unknown> });
      return reader;
    }
    void reader.pump(res.body);
    return reader;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        this.buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = this.buffer.indexOf('\n\n')) >= 0) {
          const block = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          const frame: SseFrame = { event: 'message', id: null, data: {} };
          let hasData = false;
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('data: ')) {
              frame.data = JSON.parse(line.slice(6)) as Record<string, unknown>;
              hasData = true;
            }
          }
          if (hasData) this.frames.push(frame);
        }
        this.wake?.();
      }
    } catch {
      // aborted by close()
    }
    this.ended = true;
    this.wake?.();
  }

  of(event: string, eventId?: string): SseFrame[] {
    return this.frames.filter((frame) => frame.event === event && (eventId === undefined || (frame.data.id ?? frame.data.event_id) === eventId));
  }

  /** The last id: field received, as an EventSource would send it back. */
  lastId(): string | null {
    const withId = this.frames.filter((frame) => frame.id !== null);
    return withId.length > 0 ? withId[withId.length - 1].id : null;
  }

  async waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (this.ended && !condition()) throw new Error(`stream ended before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.frames.map((f) => `${f.event}:${String(f.data.type ?? f.data.event_type)}`).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.abort.abort();
  }
}

describe('GET /stream', () => {
  let server: TestServer;
  const streams: StreamReader[] = [];
  const open = async (query = '', headers: Record<string, string> = {}) => {
    const stream = await StreamReader.open(`${server.url}/stream?access_token=${server.tokens.viewer}${query}`, headers);
    streams.push(stream);
    return stream;
  };
  const publish = async (type: string, extra: Record<string, unknown> = {}) => {
    const res = await server.request('/events', { method: 'POST', role: 'operator', json: { type, ...extra } });
    assert.equal(res.status, 201);
    return ((await res.json()) as { event: { id: string } }).event.id;
  };

  before(async () => {
    server = await startTestServer();
    // A quicker tail than the server's (250 ms polls, 250 ms settling) keeps this file fast; the
    // route reads ctx.live on every request, so swapping it before the first stream is enough.
    server.ctx.live = new LiveHub(server.engine, { tail: { pollMs: 40, settleMs: 60 } });
    await server.engine.hooks.addCommands({ name: 'on-task', events: ['task.*'], commands: ['true'] });
  });
  after(async () => {
    for (const stream of streams) stream.close();
    await server.stop();
  });

  it('sends a published event, then its hook start and its processed form with the hook execution', async () => {
    const stream = await open();
    assert.equal(stream.status, 200);
    const id = await publish('task.done', { data: { n: 1 } });
    await stream.waitFor(() => stream.of('event.processed', id).length === 1, 'the processed event');
    const about = stream.frames.filter((frame) => (frame.data.id ?? frame.data.event_id) === id);
    assert.deepEqual(
      about.map((frame) => frame.event),
      ['event.published', 'hook.started', 'event.processed'],
    );
    const [published, started, processed] = about;
    assert.equal(published.id, id, 'the SSE id is the event id');
    assert.deepEqual(published.data.data, { n: 1 });
    assert.equal(started.data.hook_name, 'on-task');
    assert.equal(processed.id, null, 'only event.published frames move Last-Event-ID');
    assert.equal(processed.data.status, 'completed');
    const executions = processed.data.executions as Array<{ hook_name: string; success: boolean }>;
    assert.deepEqual(
      executions.map((execution) => [execution.hook_name, execution.success]),
      [['on-task', true]],
    );
    stream.close();
  });

  it('filters by type pattern and stack', async () => {
    const stream = await open('&type=task.*,deploy.done&stack=prod');
    const unwanted = [await publish('task.a', { stack: 'dev' }), await publish('other.b', { stack: 'prod' }), await publish('task.c')];
    const wanted = [await publish('task.d', { stack: 'prod' }), await publish('deploy.done', { stack: 'prod' })];
    await stream.waitFor(() => stream.of('event.published', wanted[1]).length === 1, 'the last wanted event');
    await stream.waitFor(() => stream.of('event.processed', wanted[0]).length === 1, 'the processed wanted event');
    const seen = new Set(stream.frames.map((frame) => String(frame.data.id ?? frame.data.event_id)));
    for (const id of wanted) assert.ok(seen.has(id), `${id} was sent`);
    for (const id of unwanted) assert.ok(!seen.has(id), `${id} was filtered out`);
    stream.close();
  });

  for (const { name, wait } of [
    { name: 'from the store (missed events older than the tail)', wait: 300 },
    { name: 'straight after (missed events still ahead of the tail)', wait: 0 },
  ]) {
    it(`resumes after Last-Event-ID with each missed event exactly once: ${name}`, async () => {
      const first = await open('&type=resume.*');
      const a = await publish('resume.a');
      await first.waitFor(() => first.of('event.published', a).length === 1, 'event a');
      const lastId = first.lastId();
      assert.equal(lastId, a);
      first.close();
      const missed = [await publish('resume.b'), await publish('resume.c')];
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const second = await open('&type=resume.*', { 'last-event-id': lastId as string });
      const live = await publish('resume.d');
      await second.waitFor(() => second.of('event.published', live).length === 1, 'the live event');
      const published = second.of('event.published').map((frame) => frame.id);
      assert.deepEqual(published, [...missed, live], 'missed ones once and in order, then live; not a again');
      second.close();
    });
  }

  it('takes the resume point from ?last_event_id= too (EventSource reconnects)', async () => {
    const first = await open('&type=qresume.*');
    const a = await publish('qresume.a');
    await first.waitFor(() => first.lastId() === a, 'event a');
    first.close();
    const b = await publish('qresume.b');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await open(`&type=qresume.*&last_event_id=${a}`);
    await second.waitFor(() => second.of('event.published', b).length === 1, 'event b');
    assert.deepEqual(
      second.of('event.published').map((frame) => frame.id),
      [b],
    );
    second.close();
  });

  it('shows events published by another process on the same store, processed here', async () => {
    const stream = await open('&type=task.remote');
    const other = await Engine.open({ home: server.home, storeUrl: `sqlite:${join(server.home, 'hookflow.db')}`, env: { HOOKFLOW_SECRET_KEY: 'test-secret-key' } });
    try {
      const { event } = await other.events.dispatch({ type: 'task.remote', data: { from: 'elsewhere' } });
      await stream.waitFor(() => stream.of('event.processed', event.id).length === 1, 'the remote event, processed by the server');
      assert.equal(stream.of('event.published', event.id).length, 1);
      assert.deepEqual(stream.of('event.published', event.id)[0].data.data, { from: 'elsewhere' });
    } finally {
      // Nothing of its own is in flight: no need to wait the default 10 s for it.
      await other.close(200);
    }
    stream.close();
  });

  const refusals: Array<{ name: string; path: (viewer: string) => string; headers?: Record<string, string>; status: number; code: string }> = [
    { name: 'no token', path: () => '/stream', status: 401, code: 'HF_ERR_UNAUTHORIZED' },
    { name: 'a forged token', path: () => '/stream?access_token=hf_forged', status: 401, code: 'HF_ERR_UNAUTHORIZED' },
    { name: 'an invalid type pattern', path: (viewer) => `/stream?access_token=${viewer}&type=Bad..Type`, status: 400, code: 'HF_ERR_INVALID_ARGUMENT' },
    { name: 'a Last-Event-ID that is not an event id', path: (viewer) => `/stream?access_token=${viewer}`, headers: { 'last-event-id': 'nope' }, status: 400, code: 'HF_ERR_INVALID_ARGUMENT' },
  ];
  for (const refusal of refusals) {
    it(`answers ${refusal.status} to ${refusal.name}`, async () => {
      const res = await fetch(`${server.url}${refusal.path(server.tokens.viewer)}`, { headers: refusal.headers });
      assert.equal(res.status, refusal.status);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, refusal.code);
    });
  }

  it('leaves streams out of the HTTP request durations', async () => {
    const stream = await open();
    stream.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = await (await server.request('/metrics', { role: 'viewer' })).text();
    assert.match(text, /hookflow_http_request_duration_seconds_count\{method="POST",route="\/events",status_code="201"\}/);
    assert.doesNotMatch(text, /route="\/stream",status_code="200"/);
    assert.match(text, /route="\/stream",status_code="401"/, 'refused streams are ordinary requests');
  });

  it('takes a bearer header as well as ?access_token=', async () => {
    const stream = await StreamReader.open(`${server.url}/stream`, { authorization: `Bearer ${server.tokens.viewer}` });
    streams.push(stream);
    assert.equal(stream.status, 200);
    stream.close();
  });
});

describe('GET /stream and shutdown', () => {
  it('ends open streams when the server closes, without waiting for them', async () => {
    const server = await startTestServer();
    const streams = await Promise.all([1, 2, 3].map(() => StreamReader.open(`${server.url}/stream?access_token=${server.tokens.viewer}`)));
    assert.ok(streams.every((stream) => stream.status === 200));
    assert.equal(server.ctx.live.clientCount, 3);
    const started = Date.now();
    await server.stop();
    assert.ok(Date.now() - started < 3000, `closed in ${Date.now() - started} ms`);
    for (const stream of streams) await stream.waitFor(() => stream.ended, 'the end of the stream', 2000);
  });
});
