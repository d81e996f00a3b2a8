import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { NewEvent } from '../../src/events/model.js';
import { cronFor } from '../../src/sources/config.js';
import { cronTicks, planTicks, type TickPlan } from '../../src/sources/schedule-plan.js';
import { ScheduleRunner } from '../../src/sources/schedule-runner.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';

const T = (iso: string) => Date.parse(iso);

describe('planTicks', () => {
  const everyMinute = cronTicks(cronFor('* * * * *', 'UTC'));
  const everySecond = cronTicks(cronFor('* * * * * *', 'UTC'));
  const nineInParis = cronTicks(cronFor('0 9 * * *', 'Europe/Paris'));
  const cases: Array<{ name: string; ticks: typeof everyMinute; after: string; now: string; graceMs: number; maxCounted?: number; plan: { missed: null | { count: number; more: boolean; first: string; last: string }; due: string[]; next: string | null } }> = [
    {
      name: 'nothing missed, nothing due, the next minute',
      ticks: everyMinute,
      after: '2025-01-01T10:00:00Z',
      now: '2025-01-01T10:00:30Z',
      graceMs: 5000,
      plan: { missed: null, due: [], next: '2025-01-01T10:01:00Z' },
    },
    {
      name: 'a tick reached is due',
      ticks: everyMinute,
      after: '2025-01-01T10:00:30Z',
      now: '2025-01-01T10:01:00.004Z',
      graceMs: 5000,
      plan: { missed: null, due: ['2025-01-01T10:01:00Z'], next: '2025-01-01T10:02:00Z' },
    },
    {
      name: 'a tick a little late (within the grace) is still due, not missed',
      ticks: everyMinute,
      after: '2025-01-01T10:00:30Z',
      now: '2025-01-01T10:01:04Z',
      graceMs: 5000,
      plan: { missed: null, due: ['2025-01-01T10:01:00Z'], next: '2025-01-01T10:02:00Z' },
    },
    {
      name: 'ticks older than the grace are missed, counted, first and last',
      ticks: everyMinute,
      after: '2025-01-01T10:00:00Z',
      now: '2025-01-01T10:05:30Z',
      graceMs: 5000,
      plan: { missed: { count: 5, more: false, first: '2025-01-01T10:01:00Z', last: '2025-01-01T10:05:00Z' }, due: [], next: '2025-01-01T10:06:00Z' },
    },
    {
      name: 'one missed tick',
      ticks: everyMinute,
      after: '2025-01-01T10:00:00Z',
      now: '2025-01-01T10:01:30Z',
      graceMs: 5000,
      plan: { missed: { count: 1, more: false, first: '2025-01-01T10:01:00Z', last: '2025-01-01T10:01:00Z' }, due: [], next: '2025-01-01T10:02:00Z' },
    },
    {
      name: 'missed and due together (per second, 2 s grace)',
      ticks: everySecond,
      after: '2025-01-01T10:00:00Z',
      now: '2025-01-01T10:00:05.500Z',
      graceMs: 2000,
      plan: { missed: { count: 3, more: false, first: '2025-01-01T10:00:01Z', last: '2025-01-01T10:00:03Z' }, due: ['2025-01-01T10:00:04Z', '2025-01-01T10:00:05Z'], next: '2025-01-01T10:00:06Z' },
    },
    {
      name: 'a long downtime stops counting at the cap (more: true), last still exact',
      ticks: everySecond,
      after: '2025-01-01T00:00:00Z',
      now: '2025-01-02T00:00:00Z',
      graceMs: 1000,
      maxCounted: 100,
      plan: { missed: { count: 100, more: true, first: '2025-01-01T00:00:01Z', last: '2025-01-01T23:59:59Z' }, due: ['2025-01-02T00:00:00Z'], next: '2025-01-02T00:00:01Z' },
    },
    {
      name: 'a time zone: 09:00 in Paris is 08:00 UTC in winter',
      ticks: nineInParis,
      after: '2025-01-01T12:00:00Z',
      now: '2025-01-03T12:00:00Z',
      graceMs: 5000,
      plan: { missed: { count: 2, more: false, first: '2025-01-02T08:00:00Z', last: '2025-01-03T08:00:00Z' }, due: [], next: '2025-01-04T08:00:00Z' },
    },
    {
      name: 'after equal to now: nothing',
      ticks: everyMinute,
      after: '2025-01-01T10:01:00Z',
      now: '2025-01-01T10:01:00Z',
      graceMs: 5000,
      plan: { missed: null, due: [], next: '2025-01-01T10:02:00Z' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan: TickPlan = planTicks(c.ticks, T(c.after), T(c.now), { graceMs: c.graceMs, maxCounted: c.maxCounted });
      const expected: TickPlan = {
        missed: c.plan.missed && { ...c.plan.missed, first: T(c.plan.missed.first), last: T(c.plan.missed.last) },
        due: c.plan.due.map(T),
        next: c.plan.next === null ? null : T(c.plan.next),
      };
      assert.deepEqual(plan, expected);
    });
  }

  it('a schedule that never fires again has no next tick', () => {
    const once = cronTicks(cronFor('0 0 0 1 1 * 2025', 'UTC'));
    assert.deepEqual(planTicks(once, T('2025-06-01T00:00:00Z'), T('2025-06-02T00:00:00Z'), { graceMs: 1000 }), { missed: null, due: [], next: null });
  });
});

describe('ScheduleRunner on a shared store', () => {
  let dir: string;
  let store: Store;
  let other: Store;
  let runners: ScheduleRunner[];
  let published: NewEvent[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hookflow-schedules-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  beforeEach(async () => {
    const url = `sqlite:${join(dir, `${Date.now()}-${Math.random()}.db`)}`;
    // Two handles on one database: two servers sharing a store.
    store = await openStore(url, {});
    other = await openStore(url, {});
    runners = [];
    published = [];
  });
  afterEach(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await store.close();
    await other.close();
  });

  const runner = (on: Store, owner: string) => {
    const created = new ScheduleRunner({ sources: on.sources, owner, graceMs: 2000, publish: async (event) => void published.push(event) });
    runners.push(created);
    return created;
  };
  const save = (name: string, config: Record<string, unknown>, updatedAt = Date.now()) =>
    store.sources.saveSource({ kind: 'schedule', name, enabled: true, config: { timezone: null, event_type: 'schedule.triggered', payload: {}, stack: null, catch_up: false, ...config } as never, created_at: updatedAt, updated_at: updatedAt }, { replace: true });
  const of = (type: string) => published.filter((event) => event.type === type);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('two runners firing a per-second schedule publish exactly one event per tick', async () => {
    await save('every-second', { cron: '* * * * * *', payload: { n: 1 }, stack: 'ops' });
    await Promise.all([runner(store, 'server-a').start(), runner(other, 'server-b').start()]);
    await sleep(2600);
    const ticks = of('schedule.triggered').map((event) => Date.parse(String(event.data?.scheduled_at)));
    assert.ok(ticks.length >= 2, `only ${ticks.length} ticks fired`);
    assert.equal(new Set(ticks).size, ticks.length, 'no tick twice');
    const sorted = [...ticks].sort((a, b) => a - b);
    sorted.forEach((tick, i) => i > 0 && assert.equal(tick - sorted[i - 1], 1000, 'no tick skipped'));
    const first = of('schedule.triggered')[0];
    assert.deepEqual(first.data, { schedule: 'every-second', payload: { n: 1 }, scheduled_at: first.data?.scheduled_at, catch_up: false });
    assert.equal(first.stack, 'ops');
    assert.equal(first.source, 'schedule:every-second');
    assert.equal(of('schedule.missed').length, 0);
  });

  it('after downtime: one schedule.missed from two runners, and with catch_up one run', async () => {
    const now = Date.now();
    const lastFired = Math.floor((now - 60_000) / 10_000) * 10_000;
    await save('every-ten', { cron: '*/10 * * * * *', catch_up: true }, lastFired - 30_000);
    assert.equal(await store.sources.claimScheduleTick('every-ten', lastFired, 'a-server-that-died'), true);
    await Promise.all([runner(store, 'server-a').start(), runner(other, 'server-b').start()]);

    const missed = of('schedule.missed');
    assert.equal(missed.length, 1, 'reported once');
    const data = missed[0].data as { missed: number; first: string; last: string; more: boolean };
    assert.equal(Date.parse(data.first), lastFired + 10_000);
    const last = Date.parse(data.last);
    assert.ok(last <= now - 2000 && last > now - 2000 - 10_000 - 1000, `the last missed tick ${data.last} is the latest before the grace`);
    assert.equal(data.missed, (last - Date.parse(data.first)) / 10_000 + 1);
    assert.equal(data.more, false);

    const catchUps = of('schedule.triggered').filter((event) => event.data?.catch_up === true);
    assert.equal(catchUps.length, 1, 'caught up once');
    assert.equal(catchUps[0].data?.scheduled_at, data.last);

    // A runner starting later (a third server) finds nothing missed any more.
    await runner(store, 'server-c').start();
    assert.equal(of('schedule.missed').length, 1);
  });

  it('without catch_up only the report; a schedule saved after the downtime has missed nothing', async () => {
    const now = Date.now();
    await save('quiet', { cron: '*/10 * * * * *' }, now - 120_000);
    await save('fresh', { cron: '*/10 * * * * *' }, now);
    await runner(store, 'server-a').start();
    assert.deepEqual(
      of('schedule.missed').map((event) => event.data?.schedule),
      ['quiet'],
    );
    assert.equal(of('schedule.triggered').filter((event) => event.data?.catch_up === true).length, 0);
  });

  it('reload starts new schedules, stops removed and disabled ones', async () => {
    const schedules = runner(store, 'server-a');
    await schedules.start();
    assert.deepEqual(schedules.running(), []);
    await save('a', { cron: '0 * * * *' });
    await save('b', { cron: '0 * * * *' });
    await schedules.reload();
    assert.deepEqual(schedules.running(), ['a', 'b']);
    await store.sources.setSourceEnabled('schedule', 'a', false);
    await store.sources.deleteSource('schedule', 'b');
    await save('c', { cron: 'not a cron' });
    await schedules.reload();
    assert.deepEqual(schedules.running(), [], 'a disabled, b removed, c invalid');
  });
});
