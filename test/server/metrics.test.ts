import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../src/events/ids.js';
import type { EventRecord, EventStatus, HookExecutionRecord } from '../../src/events/model.js';
import { idFloor } from '../../src/server/live/event-ids.js';
import { LabelCap, ServerMetrics } from '../../src/server/metrics.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's samples; throws on a line that is not one. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  return found?.value;
}

function record(type: string, status: EventStatus = 'completed', id = newId()): EventRecord {
  return { id, type, stack: null, source: 't', data: {}, status, attempts: 1, error: null, created_at: Date.now(), processed_at: Date.now(), correlation_id: null, idempotency_key: null, parent_id: null };
}

function execution(eventId: string, hook: string, success: boolean, durationMs: number): HookExecutionRecord {
  return { event_id: eventId, hook_name: hook, success, output: '', error: success ? null : 'boom', duration_ms: durationMs, executed_at: Date.now(), attempt: 1 };
}

describe('LabelCap', () => {
  const cases: Array<{ max: number; values: string[]; labels: string[] }> = [
    { max: 2, values: ['a', 'b', 'c', 'a', 'd', 'b'], labels: ['a', 'b', 'other', 'a', 'other', 'b'] },
    { max: 0, values: ['a'], labels: ['other'] },
    { max: 5, values: ['a', 'a', 'a'], labels: ['a', 'a', 'a'] },
  ];
  for (const { max, values, labels } of cases) {
    it(`keeps the first ${max} distinct values: ${values.join(' ')}`, () => {
      const cap = new LabelCap(max);
      assert.deepEqual(
        values.map((value) => cap.label(value)),
        labels,
      );
    });
  }
});

describe('ServerMetrics', () => {
  function fixture(store: { counts?: Record<EventStatus, number>; fail?: boolean } = {}) {
    const dispatcher = new EventEmitter();
    let counted = 0;
    const metrics = new ServerMetrics(
      {
        dispatcher,
        store: {
          ping: async () => {
            if (store.fail) throw new Error('down');
          },
          countEventsByStatus: async () => {
            counted += 1;
            return store.counts ?? { pending: 0, processing: 0, completed: 0, failed: 0 };
          },
        },
      },
      { maxTypes: 2, storeCacheMs: 60_000 },
    );
    return { dispatcher, metrics, counted: () => counted };
  }

  it('counts published, processed and failed events by type, folding types past the cap into other', async () => {
    const { dispatcher, metrics } = fixture();
    for (const type of ['a.x', 'b.x', 'c.x', 'a.x']) dispatcher.emit('published', record(type, 'pending'));
    const failed = record('a.x', 'failed');
    dispatcher.emit('processed', { event: failed, executions: [execution(failed.id, 'h1', false, 20), execution(failed.id, 'h2', true, 3)] });
    dispatcher.emit('processed', { event: record('b.x'), executions: [] });
    const samples = parseExposition(await metrics.render());
    assert.equal(valueOf(samples, 'hookflow_events_published_total', { type: 'a.x' }), 2);
    assert.equal(valueOf(samples, 'hookflow_events_published_total', { type: 'other' }), 1);
    assert.equal(valueOf(samples, 'hookflow_events_published_total', { type: 'c.x' }), undefined);
    assert.equal(valueOf(samples, 'hookflow_events_processed_total', { type: 'a.x' }), 1);
    assert.equal(valueOf(samples, 'hookflow_events_processed_total', { type: 'b.x' }), 1);
    assert.equal(valueOf(samples, 'hookflow_events_failed_total', { type: 'a.x' }), 1);
    assert.equal(valueOf(samples, 'hookflow_events_failed_total', { type: 'b.x' }), undefined);
    assert.equal(valueOf(samples, 'hookflow_hook_executions_total', { hook: 'h1', result: 'failure' }), 1);
    assert.equal(valueOf(samples, 'hookflow_hook_executions_total', { hook: 'h2', result: 'success' }), 1);
    assert.equal(valueOf(samples, 'hookflow_hook_duration_seconds_sum', { hook: 'h1' }), 0.02);
    assert.equal(valueOf(samples, 'hookflow_hook_duration_seconds_bucket', { hook: 'h1', le: '0.01' }), 0);
    assert.equal(valueOf(samples, 'hookflow_hook_duration_seconds_bucket', { hook: 'h1', le: '0.025' }), 1);
    metrics.close();
  });

  it('measures dispatch latency from the time in the event id to the hook start', async () => {
    const { dispatcher, metrics } = fixture();
    // newId() is monotonic per process, so it may not carry an earlier time: make the id by hand.
    const created = Date.now() - 40;
    const id = idFloor(created).replace('-0000-0000-', '-7000-8000-');
    dispatcher.emit('hook-start', id, 'h', created + 30);
    const samples = parseExposition(await metrics.render());
    assert.equal(valueOf(samples, 'hookflow_dispatch_latency_seconds_count'), 1);
    assert.equal(valueOf(samples, 'hookflow_dispatch_latency_seconds_sum'), 0.03);
    metrics.close();
  });

  it('reads queue depth and store latency at scrape, once per cache period', async () => {
    const { metrics, counted } = fixture({ counts: { pending: 7, processing: 2, completed: 40, failed: 1 } });
    const samples = parseExposition(await metrics.render());
    await metrics.render();
    assert.equal(counted(), 1, 'the second scrape used the cached counts');
    assert.equal(valueOf(samples, 'hookflow_queue_depth'), 7);
    assert.equal(valueOf(samples, 'hookflow_events_stored', { status: 'processing' }), 2);
    assert.equal(valueOf(samples, 'hookflow_store_up'), 1);
    assert.ok((valueOf(samples, 'hookflow_store_ping_seconds') ?? -1) >= 0);
    assert.ok(valueOf(samples, 'process_cpu_user_seconds_total') !== undefined, 'process metrics are collected');
    metrics.close();
  });

  it('reports a store that does not answer as down, and still renders', async () => {
    const { metrics } = fixture({ fail: true });
    const samples = parseExposition(await metrics.render());
    assert.equal(valueOf(samples, 'hookflow_store_up'), 0);
    metrics.close();
  });

  it('stops listening on close', () => {
    const { dispatcher, metrics } = fixture();
    assert.equal(dispatcher.listenerCount('processed'), 1);
    metrics.close();
    assert.equal(dispatcher.listenerCount('processed') + dispatcher.listenerCount('hook-start') + dispatcher.listenerCount('published'), 0);
  });
});

describe('GET /metrics', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.engine.hooks.addCommands({ name: 'ok-hook', events: ['job.*'], commands: ['true'] });
    await server.engine.hooks.addCommands({ name: 'bad-hook', events: ['job.broken'], commands: ['false'] });
  });
  after(async () => server.stop());

  it('answers Prometheus text to a viewer and 401 without a token', async () => {
    const res = await server.request('/metrics', { role: 'viewer' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await res.text());
    assert.ok(samples.length > 20);
    assert.equal(valueOf(samples, 'hookflow_store_up'), 1);
    const anonymous = await server.request('/metrics', { role: null });
    assert.equal(anonymous.status, 401);
  });

  it('moves the event, hook and HTTP series as events are processed', async () => {
    for (const type of ['job.ok', 'job.ok', 'job.broken']) {
      const res = await server.request('/events?wait=true&timeout=20s', { method: 'POST', role: 'operator', json: { type } });
      assert.equal(res.status, 201);
    }
    const samples = parseExposition(await (await server.request('/metrics', { role: 'viewer' })).text());
    assert.equal(valueOf(samples, 'hookflow_events_processed_total', { type: 'job.ok' }), 2);
    assert.equal(valueOf(samples, 'hookflow_events_processed_total', { type: 'job.broken' }), 1);
    assert.equal(valueOf(samples, 'hookflow_events_failed_total', { type: 'job.broken' }), 1);
    assert.equal(valueOf(samples, 'hookflow_hook_executions_total', { hook: 'ok-hook', result: 'success' }), 3);
    assert.equal(valueOf(samples, 'hookflow_hook_executions_total', { hook: 'bad-hook', result: 'failure' }), 1);
    assert.equal(valueOf(samples, 'hookflow_dispatch_latency_seconds_count'), 4);
    assert.equal(valueOf(samples, 'hookflow_http_request_duration_seconds_count', { method: 'POST', route: '/events', status_code: '201' }), 3);
    assert.equal(valueOf(samples, 'hookflow_http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status_code: '401' }), 1);
  });

  it('is open without a token when metrics_auth is off, on a second server in the same process', async () => {
    const open = await startTestServer({ metricsAuth: false });
    try {
      const res = await open.request('/metrics', { role: null });
      assert.equal(res.status, 200);
      const samples = parseExposition(await res.text());
      // Its own registry: none of the first server's series.
      assert.equal(valueOf(samples, 'hookflow_events_processed_total', { type: 'job.ok' }), undefined);
    } finally {
      await open.stop();
    }
  });
});
