import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { newId } from '../../src/events/ids.js';
import type { EventRecord, HookExecutionRecord } from '../../src/events/model.js';
import { HookflowError } from '../../src/errors.js';
import { SseClient } from '../../src/server/live/client.js';
import { idFloor, idSuccessor, idTime, isEventId } from '../../src/server/live/event-ids.js';
import { filterMatches, parseStreamFilter } from '../../src/server/live/filter.js';
import { LiveHub } from '../../src/server/live/hub.js';
import { publishedFrame, sseText } from '../../src/server/live/sse.js';
import { planTail, StoreTail } from '../../src/server/live/tail.js';
import type { EventQuery } from '../../src/store/store.js';

function event(id: string, type = 'task.done', stack: string | null = null): EventRecord {
  return {
    id,
    type,
    stack,
    source: 'test',
    data: {},
    status: 'pending',
    attempts: 0,
    error: null,
    created_at: idTime(id),
    processed_at: null,
    correlation_id: null,
    idempotency_key: null,
    parent_id: null,
  };
}

/** An id made at `ms`, with a sequence that orders ids made at the same ms. */
function idAt(ms: number, sequence = 0): string {
  const floor = idFloor(ms);
  return `${floor.slice(0, 14)}7${sequence.toString(16).padStart(3, '0')}-8000-000000000000`;
}

/** A store of events in memory answering listEvents as the real ones do (id < before, newest first). */
class MemoryLog {
  events: EventRecord[] = [];
  reads = 0;
  add(...events: EventRecord[]): void {
    this.events.push(...events);
  }
  async listEvents(query: EventQuery): Promise<EventRecord[]> {
    this.reads += 1;
    return this.events
      .filter((row) => query.before === undefined || row.id < query.before)
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, query.limit);
  }
  async getEvent(id: string): Promise<EventRecord | null> {
    return this.events.find((row) => row.id === id) ?? null;
  }
  async listExecutionsForEvent(): Promise<HookExecutionRecord[]> {
    return [];
  }
}

/** Just enough of a ServerResponse: records writes; `full` makes write() report back-pressure. */
class FakeResponse extends EventEmitter {
  chunks: string[] = [];
  writableLength = 0;
  full = false;
  ended = false;
  destroyed = false;
  socket = null;
  headers: Record<string, string> = {};
  setHeader(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    if (this.full) this.writableLength += chunk.length;
    return !this.full;
  }
  end(): this {
    this.ended = true;
    this.emit('close');
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    this.emit('close');
    return this;
  }
  text(): string {
    return this.chunks.join('');
  }
  /** The `event:` names written, in order. */
  names(): string[] {
    return [...this.text().matchAll(/^event: (.+)$/gm)].map((match) => match[1]);
  }
}

const asResponse = (fake: FakeResponse) => fake as unknown as ServerResponse;

describe('event ids as cursors', () => {
  it('floors sort below every id of their ms and above every earlier id', () => {
    const now = Date.now();
    const id = newId(now);
    assert.ok(isEventId(id));
    assert.equal(idTime(id), now);
    assert.ok(idFloor(now) < id);
    assert.ok(idFloor(now + 1) > id);
    // Version 0 where real ids have 7: a floor is never an id.
    assert.equal(idFloor(now).charAt(14), '0');
  });

  it('the successor of an id is above it and below every larger id', () => {
    const a = newId();
    const b = newId();
    assert.ok(a < b);
    assert.ok(idSuccessor(a) > a);
    assert.ok(idSuccessor(a) < b);
  });

  for (const [text, valid] of [
    ['01a20496-69d1-753c-9181-2de69e516a25', true],
    ['01A20496-69d1-753c-9181-2de69e516a25', false],
    ['nope', false],
    ['01a20496-69d1-753c-9181-2de69e516a25x', false],
  ] as const) {
    it(`isEventId(${JSON.stringify(text)}) is ${valid}`, () => assert.equal(isEventId(text), valid));
  }
});

describe('stream filters', () => {
  const cases: Array<{ query: { type?: string; stack?: string }; event: { type: string; stack: string | null }; matches: boolean }> = [
    { query: {}, event: { type: 'a.b', stack: null }, matches: true },
    { query: { type: 'task.*' }, event: { type: 'task.failed', stack: null }, matches: true },
    { query: { type: 'task.*' }, event: { type: 'hook.failed', stack: null }, matches: false },
    { query: { type: 'task.*, hook.failed' }, event: { type: 'hook.failed', stack: null }, matches: true },
    { query: { type: '*' }, event: { type: 'x', stack: 'prod' }, matches: true },
    { query: { stack: 'prod' }, event: { type: 'x', stack: 'prod' }, matches: true },
    { query: { stack: 'prod' }, event: { type: 'x', stack: null }, matches: false },
    { query: { type: 'task.*', stack: 'prod' }, event: { type: 'task.a', stack: 'dev' }, matches: false },
  ];
  for (const { query, event: target, matches } of cases) {
    it(`${JSON.stringify(query)} ${matches ? 'matches' : 'does not match'} ${target.type}@${target.stack}`, () => {
      assert.equal(filterMatches(parseStreamFilter(query), target), matches);
    });
  }

  const tooMany = Array.from({ length: 21 }, (_, i) => `t${i}`).join(',');
  for (const type of ['Task', 'task..x', tooMany]) {
    it(`refuses type=${JSON.stringify(type.slice(0, 20))}`, () => {
      assert.throws(
        () => parseStreamFilter({ type }),
        (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_INVALID_ARGUMENT' && error.details.where === 'query.type',
      );
    });
  }
});

describe('planTail', () => {
  const ids = [idAt(1000), idAt(1001), idAt(1002), idAt(1003), idAt(1004)];
  const cases: Array<{ name: string; rows: string[]; cursor: string; seen: string[]; floor: string; inOrder: string[]; late: string[] }> = [
    { name: 'new rows above the cursor go in id order', rows: [ids[4], ids[3]], cursor: idFloor(1003), seen: [], floor: idFloor(0), inOrder: [ids[3], ids[4]], late: [] },
    { name: 'rows at or below the cursor already seen are skipped', rows: [ids[3], ids[2]], cursor: idFloor(1003), seen: [ids[2]], floor: idFloor(0), inOrder: [ids[3]], late: [] },
    { name: 'unseen rows below the cursor are late', rows: [ids[3], ids[2], ids[1]], cursor: idFloor(1003), seen: [ids[2]], floor: idFloor(0), inOrder: [ids[3]], late: [ids[1]] },
    { name: 'rows at or below the late floor are ignored', rows: [ids[1], ids[0]], cursor: idFloor(1003), seen: [], floor: idFloor(1001), inOrder: [], late: [ids[1]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planTail(c.rows.map((id) => event(id)), c.cursor, new Set(c.seen), c.floor);
      assert.deepEqual(
        plan.inOrder.map((row) => row.id),
        c.inOrder,
      );
      assert.deepEqual(
        plan.late.map((row) => row.id),
        c.late,
      );
    });
  }
});

describe('StoreTail', () => {
  function tailOver(log: MemoryLog, clock: { now: number }, options = {}) {
    const passed: Array<{ id: string; inOrder: boolean }> = [];
    const errors: unknown[] = [];
    const tail = new StoreTail(log, { published: (row, inOrder) => passed.push({ id: row.id, inOrder }), error: (error) => errors.push(error) }, { settleMs: 100, lateMs: 1000, pollMs: 60_000, ...options }, () => clock.now);
    return { tail, passed, errors };
  }

  it('passes on events once, in id order, only after they settled, and never history', async () => {
    const log = new MemoryLog();
    const clock = { now: 10_000 };
    log.add(event(idAt(9_800)));
    const { tail, passed, errors } = tailOver(log, clock);
    tail.start();
    log.add(event(idAt(10_050, 1)), event(idAt(10_050, 0)), event(idAt(10_020)));
    clock.now = 10_140;
    await tail.poll();
    // 10 050 is not 100 ms old yet.
    assert.deepEqual(passed, [{ id: idAt(10_020), inOrder: true }]);
    clock.now = 10_300;
    await tail.poll();
    await tail.poll();
    assert.deepEqual(
      passed.map((p) => p.id),
      [idAt(10_020), idAt(10_050, 0), idAt(10_050, 1)],
    );
    assert.equal(tail.cursor, idFloor(10_200));
    assert.deepEqual(errors, []);
    await tail.stop();
  });

  it('passes on a late commit below the cursor once, without an id, within the late window', async () => {
    const log = new MemoryLog();
    const clock = { now: 20_000 };
    const { tail, passed } = tailOver(log, clock);
    tail.start();
    log.add(event(idAt(20_100)));
    clock.now = 20_300;
    await tail.poll();
    // Made at 20 050 but committed only now, after the cursor moved past it.
    log.add(event(idAt(20_050)));
    // Made before the late window: never reported.
    log.add(event(idAt(19_000)));
    clock.now = 20_400;
    await tail.poll();
    await tail.poll();
    assert.deepEqual(passed, [
      { id: idAt(20_100), inOrder: true },
      { id: idAt(20_050), inOrder: false },
    ]);
    await tail.stop();
  });

  it('reads a burst larger than a poll may read in smaller slices, losing nothing', async () => {
    const log = new MemoryLog();
    const clock = { now: 30_000 };
    const { tail, passed } = tailOver(log, clock, { maxRowsPerPoll: 10, pageSize: 4 });
    tail.start();
    const burst = Array.from({ length: 45 }, (_, i) => event(idAt(30_000 + i * 5)));
    log.add(...burst);
    clock.now = 31_000;
    for (let i = 0; i < 20; i += 1) await tail.poll();
    assert.deepEqual(
      passed.map((p) => p.id),
      burst.map((row) => row.id),
    );
    assert.ok(passed.every((p) => p.inOrder));
    await tail.stop();
  });

  it('reports a failing read and keeps going', async () => {
    const clock = { now: 40_000 };
    let fail = true;
    const log = new MemoryLog();
    const flaky = {
      listEvents: async (query: EventQuery) => {
        if (fail) throw new Error('store down');
        return log.listEvents(query);
      },
    };
    const passed: string[] = [];
    const errors: unknown[] = [];
    const tail = new StoreTail(flaky, { published: (row) => passed.push(row.id), error: (error) => errors.push(error) }, { settleMs: 100, pollMs: 60_000 }, () => clock.now);
    tail.start();
    log.add(event(idAt(40_010)));
    clock.now = 40_200;
    await tail.poll();
    assert.equal(errors.length, 1);
    fail = false;
    await tail.poll();
    assert.deepEqual(passed, [idAt(40_010)]);
    await tail.stop();
  });
});

describe('SseClient', () => {
  const options = (extra = {}) => ({ filter: { types: null, stack: null }, resumeAfter: null, maxBufferBytes: 100, drainTimeoutMs: 50, retryMs: 1000, onClose: () => undefined, ...extra });

  it('writes frames while the client keeps up, and drops it once its buffer passes the cap', () => {
    const res = new FakeResponse();
    let closed = 0;
    const client = new SseClient(asResponse(res), options({ onClose: () => (closed += 1) }));
    client.open({});
    const frame = publishedFrame(event(newId()), true);
    client.deliver(frame);
    assert.ok(res.text().includes(frame.text));
    res.full = true;
    for (let i = 0; i < 5 && !client.closed; i += 1) client.deliver(frame);
    assert.equal(client.closed, true);
    assert.equal(res.destroyed, true);
    assert.equal(closed, 1);
    assert.match(client.closeReason ?? '', /too slowly/);
    const writes = res.chunks.length;
    client.deliver(frame);
    assert.equal(res.chunks.length, writes, 'nothing is written to a dropped client');
  });

  it('holds live frames during a replay, then writes them without those the replay carried', async () => {
    const res = new FakeResponse();
    const client = new SseClient(asResponse(res), options({ maxBufferBytes: 1_000_000 }));
    client.open({});
    client.beginReplay();
    const [a, b, c] = [event(newId()), event(newId()), event(newId())];
    client.deliver(publishedFrame(c, true));
    client.deliver(publishedFrame(b, false));
    assert.ok(!res.text().includes(c.id), 'nothing live is written during the replay');
    await client.finishReplay({ frames: [publishedFrame(a, true), publishedFrame(b, true)], published: new Set([a.id, b.id]), processed: new Set() });
    const order = [...res.text().matchAll(/"id":"([^"]+)"/g)].map((match) => match[1]);
    assert.deepEqual(order, [a.id, b.id, c.id]);
  });

  it('skips in-order frames at or below the id it resumes after', () => {
    const res = new FakeResponse();
    const old = event(newId());
    const young = event(newId());
    const client = new SseClient(asResponse(res), options({ resumeAfter: old.id }));
    client.open({});
    client.deliver(publishedFrame(old, true));
    client.deliver(publishedFrame(young, true));
    assert.ok(!res.text().includes(old.id));
    assert.ok(res.text().includes(young.id));
  });

  it('drops a client that does not read its replay', async () => {
    const res = new FakeResponse();
    res.full = true;
    const client = new SseClient(asResponse(res), options({ maxBufferBytes: 10 }));
    client.open({});
    client.beginReplay();
    await client.finishReplay({ frames: [publishedFrame(event(newId()), true), publishedFrame(event(newId()), true)], published: new Set(), processed: new Set() });
    assert.equal(client.closed, true);
    assert.match(client.closeReason ?? '', /replay/);
  });
});

describe('LiveHub', () => {
  function hubOver(log: MemoryLog) {
    const dispatcher = new EventEmitter();
    const reports: string[] = [];
    const hub = new LiveHub({ store: log, dispatcher }, { tail: { pollMs: 20, settleMs: 30 } }, (message) => reports.push(message));
    return { hub, dispatcher, reports };
  }
  const waitUntil = async (condition: () => boolean, ms = 2000) => {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it('sends an event’s hook.started and event.processed after its event.published, though the dispatcher signals first', async () => {
    const log = new MemoryLog();
    const { hub, dispatcher } = hubOver(log);
    const res = new FakeResponse();
    await hub.connect(asResponse(res), { filter: { types: null, stack: null }, lastEventId: null, headers: {} });
    assert.equal(hub.clientCount, 1);
    const row = event(newId());
    log.add(row);
    dispatcher.emit('hook-start', row.id, 'h', Date.now());
    const execution: HookExecutionRecord = { event_id: row.id, hook_name: 'h', success: true, output: '', error: null, duration_ms: 1, executed_at: Date.now(), attempt: 1 };
    dispatcher.emit('processed', { event: { ...row, status: 'completed' }, executions: [execution] });
    assert.deepEqual(res.names(), []);
    await waitUntil(() => res.names().length === 3);
    assert.deepEqual(res.names(), ['event.published', 'hook.started', 'event.processed']);
    await hub.close();
    assert.equal(res.ended, true);
    assert.equal(hub.clientCount, 0);
    assert.equal(dispatcher.listenerCount('processed'), 0, 'listeners go with the last client');
  });

  it('runs no tail and holds no listener without clients', async () => {
    const log = new MemoryLog();
    const { hub, dispatcher } = hubOver(log);
    const res = new FakeResponse();
    await hub.connect(asResponse(res), { filter: { types: null, stack: null }, lastEventId: null, headers: {} });
    assert.equal(dispatcher.listenerCount('hook-start'), 1);
    res.destroy();
    await waitUntil(() => dispatcher.listenerCount('hook-start') === 0);
    const reads = log.reads;
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(log.reads, reads, 'the tail stopped with the last client');
    await hub.close();
  });

  it('replays the newest events after a Last-Event-ID and says when it had to skip some', async () => {
    const log = new MemoryLog();
    const dispatcher = new EventEmitter();
    const hub = new LiveHub({ store: log, dispatcher }, { replayLimit: 2, tail: { pollMs: 1000, settleMs: 30 } });
    const base = Date.now() - 5_000;
    const rows = [0, 1, 2, 3].map((i) => event(idAt(base + i)));
    log.add(...rows);
    const res = new FakeResponse();
    await hub.connect(asResponse(res), { filter: { types: null, stack: null }, lastEventId: rows[0].id, headers: {} });
    assert.deepEqual(res.names(), ['replay.truncated', 'event.published', 'event.published']);
    assert.ok(res.text().includes(`id: ${rows[3].id}`) && res.text().includes(`id: ${rows[2].id}`) && !res.text().includes(`id: ${rows[1].id}`));
    await hub.close();
  });

  it('refuses clients past its limit and after close', async () => {
    const log = new MemoryLog();
    const hub = new LiveHub({ store: log, dispatcher: new EventEmitter() }, { maxClients: 1 });
    await hub.connect(asResponse(new FakeResponse()), { filter: { types: null, stack: null }, lastEventId: null, headers: {} });
    assert.throws(() => hub.admit(), (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_RATE_LIMITED');
    await hub.close();
    assert.throws(() => hub.admit(), (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_SHUTTING_DOWN');
  });
});

describe('sse frames', () => {
  it('puts the whole JSON on one data line, whatever newlines the data holds', () => {
    const text = sseText('event.published', { note: 'a\nb\r\nc' }, 'x');
    assert.equal(text, 'event: event.published\nid: x\ndata: {"note":"a\\nb\\r\\nc"}\n\n');
  });
});
