/**
 * The store conformance suite: the same tests, unchanged, against every backend. A backend passes
 * when it behaves as src/store/store.ts says, including under concurrency (two Stores on one
 * database stand for two processes).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isHookflowError } from '../../src/errors.js';
import { newId } from '../../src/events/ids.js';
import type { EventRecord, HookExecutionRecord, JsonObject, NewEvent } from '../../src/events/model.js';
import { NO_RETRY, type HookRecord } from '../../src/hooks/model.js';
import type { ApiTokenRecord, UserRecord } from '../../src/store/accounts.js';
import type { SourceKind, SourceRecord } from '../../src/store/sources.js';
import type { WaitRecord } from '../../src/store/waits.js';
import type { EventInsert, EventQuery, ProcessInfo, Store } from '../../src/store/store.js';

export interface StoreHarness {
  store: Store;
  /** Opens another independent Store on the same database, as another process would. */
  second: () => Promise<Store>;
  /** Closes every store opened and removes the database. */
  cleanup: () => Promise<void>;
}

export interface ConformanceOptions {
  /** Skips the whole suite with this reason (a service is unavailable). */
  skip?: string | false;
}

const MINUTE = 60_000;

type EventSpec = NewEvent & { id?: string; created_at?: number };

function insertRow(spec: EventSpec, extra: Partial<Omit<EventInsert, 'event'>> = {}): EventInsert {
  const { id, created_at, ...event } = spec;
  return {
    event: { ...event, id: id ?? newId(), created_at: created_at ?? Date.now() },
    claim: extra.claim ?? null,
    completed: extra.completed ?? false,
  };
}

function pending(spec: EventSpec = { type: 'task.done' }): EventInsert {
  return insertRow(spec);
}

function claimed(owner: string, leaseMs: number, spec: EventSpec = { type: 'task.done' }): EventInsert {
  return insertRow(spec, { claim: { owner, lease_expires_at: Date.now() + leaseMs } });
}

function completed(spec: EventSpec = { type: 'task.done' }): EventInsert {
  return insertRow(spec, { completed: true });
}

async function insertOne(store: Store, row: EventInsert): Promise<EventRecord> {
  const [result] = await store.insertEvents([row]);
  return result.event;
}

function execution(
  eventId: string,
  hookName: string,
  executedAt: number,
  extra: Partial<HookExecutionRecord> = {},
): HookExecutionRecord {
  return {
    event_id: eventId,
    hook_name: hookName,
    success: true,
    output: `${hookName} ran`,
    error: null,
    duration_ms: 12.5,
    executed_at: executedAt,
    attempt: 1,
    ...extra,
  };
}

function withoutId(record: HookExecutionRecord): HookExecutionRecord {
  const copy = { ...record };
  delete copy.id;
  return copy;
}

function hookRecord(name: string, extra: Partial<HookRecord> = {}): HookRecord {
  return {
    name,
    description: `the ${name} hook`,
    events: ['task.*'],
    stack: null,
    filter: null,
    runtime: 'lua',
    source: `/hooks/${name}.lua`,
    commands: null,
    cwd: null,
    action: null,
    params: null,
    timeout_ms: 30_000,
    memory_mb: 64,
    enabled: true,
    retry: { ...NO_RETRY },
    created_at: 1_000,
    updated_at: 1_000,
    last_run: null,
    run_count: 0,
    ...extra,
  };
}

function ids(events: readonly EventRecord[]): string[] {
  return events.map((event) => event.id);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

async function rejectsWithCode(promise: Promise<unknown>, code: string, messageIncludes: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHookflowError(error), `expected a HookflowError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.ok(error.message.includes(messageIncludes), `"${error.message}" should name ${messageIncludes}`);
    return true;
  });
}

function userRecord(username: string, extra: Partial<UserRecord> = {}): UserRecord {
  return {
    username,
    password_hash: `scrypt$16384$8$1$salt-${username}$hash-${username}`,
    role: 'operator',
    created_at: 1_000,
    updated_at: 1_000,
    ...extra,
  };
}

function tokenRecord(id: string, name: string, extra: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  return {
    id,
    name,
    role: 'viewer',
    secret_hash: `sha256-of-${id}`,
    created_by: 'alice',
    created_at: 1_000,
    expires_at: null,
    revoked_at: null,
    ...extra,
  };
}

function sourceRecord(kind: SourceKind, name: string, extra: Partial<SourceRecord> = {}): SourceRecord {
  return {
    kind,
    name,
    enabled: true,
    config: { path: `/hooks/${name}`, every: '*/5 * * * *', headers: { 'x-a': ['1', 2, null] }, strict: false },
    created_at: 1_000,
    updated_at: 1_000,
    ...extra,
  };
}

export function runStoreConformance(
  label: string,
  openStore: () => Promise<StoreHarness>,
  options: ConformanceOptions = {},
): void {
  describe(label, { skip: options.skip ?? false }, () => {
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      harness = await openStore();
      store = harness.store;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    describe('lifecycle', () => {
      it('pings and names its kind', async () => {
        await store.ping();
        assert.ok(store.kind === 'sqlite' || store.kind === 'postgres');
      });

      it('migrate() is idempotent, also when two stores migrate at once', async () => {
        const event = await insertOne(store, pending());
        await store.migrate();
        await store.migrate();
        const other = await harness.second();
        await Promise.all([store.migrate(), other.migrate()]);
        assert.deepEqual(await other.getEvent(event.id), event);
      });
    });

    describe('events', () => {
      it('insertEvents then getEvent round-trips every field', async () => {
        const data: JsonObject = {
          text: 'héllo ✓ 🎉 "quoted" back\\slash',
          int: 42,
          float: 3.25,
          tiny: -1e-7,
          big: 2 ** 53 - 1,
          yes: true,
          no: false,
          nothing: null,
          list: [1, 'two', { three: 3 }, []],
          nested: { a: { b: { c: [null, { d: 'e' }] } } },
          empty: {},
        };
        const full = insertRow({
          type: 'task.failed',
          data,
          stack: 'prod',
          source: 'webhook',
          correlation_id: 'corr-1',
          idempotency_key: 'key-1',
          parent_id: newId(),
          created_at: 1_700_000_000_123,
        });
        const minimal = insertRow({ type: 'system.started' });
        const results = await store.insertEvents([full, minimal]);
        assert.deepEqual(
          results.map((r) => r.created),
          [true, true],
        );
        const [stored, bare] = results.map((r) => r.event);
        assert.deepEqual(stored, {
          id: full.event.id,
          type: 'task.failed',
          stack: 'prod',
          source: 'webhook',
          data,
          status: 'pending',
          attempts: 0,
          error: null,
          created_at: 1_700_000_000_123,
          processed_at: null,
          correlation_id: 'corr-1',
          idempotency_key: 'key-1',
          parent_id: full.event.parent_id,
        });
        assert.deepEqual(await store.getEvent(full.event.id), stored);
        assert.deepEqual(bare, {
          id: minimal.event.id,
          type: 'system.started',
          stack: null,
          source: 'api',
          data: {},
          status: 'pending',
          attempts: 0,
          error: null,
          created_at: minimal.event.created_at,
          processed_at: null,
          correlation_id: null,
          idempotency_key: null,
          parent_id: null,
        });
        assert.deepEqual(await store.getEvent(minimal.event.id), bare);
        assert.equal(await store.getEvent(newId()), null);
        assert.deepEqual(await store.insertEvents([]), []);
      });

      it('insertEvents returns rows in input order: pending, claimed on insert, completed', async () => {
        const rows = [pending(), claimed('owner-a', MINUTE), completed({ type: 'task.done', created_at: 5_000 })];
        const results = await store.insertEvents(rows);
        assert.deepEqual(
          results.map((r) => r.event.id),
          rows.map((r) => r.event.id),
        );
        const [p, c, done] = results.map((r) => r.event);
        assert.deepEqual([p.status, p.attempts, p.processed_at], ['pending', 0, null]);
        assert.deepEqual([c.status, c.attempts, c.processed_at], ['processing', 1, null]);
        assert.equal(done.status, 'completed');
        assert.equal(done.attempts, 0);
        assert.equal(done.processed_at, 5_000);
        for (const event of [p, c, done]) assert.deepEqual(await store.getEvent(event.id), event);
        // The event claimed on insert is owned: nobody else may claim it while its lease lives.
        const other = await harness.second();
        assert.deepEqual(ids(await other.claimEvents('owner-b', MINUTE, 10)), [p.id]);
        assert.equal(await other.claimEvent(c.id, 'owner-b', MINUTE), null);
      });

      it('an idempotency key returns the first event, across batches and within one', async () => {
        const first = pending({ type: 'order.created', data: { n: 1 }, idempotency_key: 'order-7' });
        const [created] = await store.insertEvents([first]);
        assert.equal(created.created, true);

        const again = pending({ type: 'order.created', data: { n: 2 }, idempotency_key: 'order-7' });
        const fresh = pending({ type: 'order.created', data: { n: 3 }, idempotency_key: 'order-8' });
        const twin = pending({ type: 'order.created', data: { n: 4 }, idempotency_key: 'order-8' });
        // A row without a key, in a batch with keys (PostgreSQL inserts batches without any key by another statement).
        const unkeyed = pending({ type: 'order.created', data: { n: 5 } });
        const results = await store.insertEvents([again, fresh, unkeyed, twin]);
        assert.deepEqual(
          results.map((r) => r.created),
          [false, true, true, false],
        );
        assert.deepEqual(results[0].event, created.event);
        assert.equal(results[1].event.id, fresh.event.id);
        assert.equal(results[2].event.id, unkeyed.event.id);
        assert.deepEqual(results[3].event, results[1].event);
        assert.equal(await store.getEvent(again.event.id), null);
        assert.equal(await store.getEvent(twin.event.id), null);
        assert.equal((await store.listEvents({ limit: 100 })).length, 3);
        assert.deepEqual(ids(await store.claimEvents('owner-a', MINUTE, 10)), [first.event.id, fresh.event.id, unkeyed.event.id].sort(), 'each inserted one is queued');
      });

      it('two stores inserting the same idempotency key at once keep exactly one event', async () => {
        const other = await harness.second();
        const rows = [
          pending({ type: 'order.created', idempotency_key: 'race' }),
          pending({ type: 'order.created', idempotency_key: 'race' }),
        ];
        const [a, b] = await Promise.all([store.insertEvents([rows[0]]), other.insertEvents([rows[1]])]);
        assert.deepEqual([a[0].created, b[0].created].sort(), [false, true]);
        assert.equal(a[0].event.id, b[0].event.id);
        assert.equal((await store.listEvents({ limit: 10 })).length, 1);
      });

      it('claimEvents claims pending events oldest first, up to the limit, and counts attempts', async () => {
        const start = Date.now();
        const rows = Array.from({ length: 5 }, (_, i) => pending({ type: 'task.done', created_at: start + i }));
        await store.insertEvents([completed(), claimed('someone', MINUTE), ...rows]);
        const expected = rows.map((r) => r.event.id).sort();

        const first = await store.claimEvents('owner-a', MINUTE, 3);
        assert.deepEqual(ids(first), expected.slice(0, 3));
        for (const event of first) {
          assert.equal(event.status, 'processing');
          assert.equal(event.attempts, 1);
          assert.deepEqual(await store.getEvent(event.id), event);
        }
        assert.deepEqual(ids(await store.claimEvents('owner-a', MINUTE, 10)), expected.slice(3));
        assert.deepEqual(await store.claimEvents('owner-a', MINUTE, 10), []);
        assert.deepEqual(await store.claimEvents('owner-a', MINUTE, 0), []);
      });

      it('two stores claiming concurrently get disjoint sets covering every event', async () => {
        const total = 500;
        await store.insertEvents(Array.from({ length: total }, () => pending()));
        const other = await harness.second();
        const claimLoop = async (claimer: Store, owner: string): Promise<string[]> => {
          const got: string[] = [];
          for (;;) {
            const batch = await claimer.claimEvents(owner, MINUTE, 7);
            if (batch.length === 0) return got;
            for (const event of batch) {
              assert.equal(event.attempts, 1, `event ${event.id} claimed twice`);
              got.push(event.id);
            }
          }
        };
        const [a, b] = await Promise.all([claimLoop(store, 'owner-a'), claimLoop(other, 'owner-b')]);
        const all = [...a, ...b];
        assert.equal(new Set(all).size, all.length, 'an event was claimed by both stores');
        assert.equal(all.length, total);
        assert.ok(a.length > 0 && b.length > 0, `both stores should have claimed (a=${a.length}, b=${b.length})`);
        assert.equal((await store.countEventsByStatus()).processing, total);
        assert.equal(await store.hasClaimableEvents(), false);
      });

      it('an expired lease is claimed again by another owner, with attempts incremented', async () => {
        const event = await insertOne(store, claimed('owner-a', 1));
        const other = await harness.second();
        await sleep(15);
        const [reclaimed] = await other.claimEvents('owner-b', MINUTE, 10);
        assert.equal(reclaimed.id, event.id);
        assert.equal(reclaimed.attempts, 2);
        assert.equal(reclaimed.status, 'processing');
        // owner-a lost it: its renewals no longer reach it.
        assert.equal(await store.renewLeases('owner-a', MINUTE), 0);

        const second = await insertOne(store, pending());
        assert.equal((await store.claimEvent(second.id, 'owner-a', 1))?.attempts, 1);
        await sleep(15);
        const taken = await other.claimEvent(second.id, 'owner-b', MINUTE);
        assert.equal(taken?.attempts, 2);
        assert.equal(await store.claimEvent(second.id, 'owner-a', MINUTE), null);
      });

      it('claimEvent claims one event only while it is claimable', async () => {
        const event = await insertOne(store, pending());
        const done = await insertOne(store, completed());
        const got = await store.claimEvent(event.id, 'owner-a', MINUTE);
        assert.equal(got?.id, event.id);
        assert.equal(got?.status, 'processing');
        assert.equal(got?.attempts, 1);
        assert.equal(await store.claimEvent(event.id, 'owner-b', MINUTE), null, 'a live lease is not claimable');
        assert.equal(await store.claimEvent(done.id, 'owner-a', MINUTE), null, 'a completed event is not claimable');
        assert.equal(await store.claimEvent(newId(), 'owner-a', MINUTE), null);
      });

      it('renewLeases keeps a lease alive', async () => {
        await store.insertEvents([claimed('owner-a', 80), claimed('owner-a', 80), claimed('owner-z', MINUTE)]);
        assert.equal(await store.renewLeases('owner-a', MINUTE), 2);
        await sleep(120);
        const other = await harness.second();
        assert.deepEqual(await other.claimEvents('owner-b', MINUTE, 10), []);
        assert.equal(await store.hasClaimableEvents(), false);
        assert.equal(await store.renewLeases('nobody', MINUTE), 0);
      });

      it('completeEvents sets the status of owned events and records their executions', async () => {
        const a = await insertOne(store, claimed('owner-a', MINUTE));
        const b = await insertOne(store, claimed('owner-a', MINUTE));
        const now = Date.now();
        const executionsA = [
          execution(a.id, 'notify', now, { output: 'sent' }),
          execution(a.id, 'audit', now + 1, { success: false, error: 'boom', output: '', attempt: 1, duration_ms: 3 }),
        ];
        const applied = await store.completeEvents([
          { id: a.id, owner: 'owner-a', status: 'failed', error: 'hooks failed: audit', processed_at: now + 5, executions: executionsA },
          { id: b.id, owner: 'owner-a', status: 'completed', error: null, processed_at: now + 6, executions: [] },
        ]);
        assert.deepEqual(applied.sort(), [a.id, b.id].sort());
        const storedA = await store.getEvent(a.id);
        assert.deepEqual(
          [storedA?.status, storedA?.error, storedA?.processed_at, storedA?.attempts],
          ['failed', 'hooks failed: audit', now + 5, 1],
        );
        const storedB = await store.getEvent(b.id);
        assert.deepEqual([storedB?.status, storedB?.error, storedB?.processed_at], ['completed', null, now + 6]);

        const recorded = await store.listExecutionsForEvent(a.id);
        assert.deepEqual(recorded.map(withoutId), executionsA);
        for (const record of recorded) assert.equal(typeof record.id, 'number');
        assert.deepEqual(await store.listExecutionsForEvent(b.id), []);
        // Finished events are nobody's any more.
        assert.equal(await store.renewLeases('owner-a', MINUTE), 0);
        assert.deepEqual(await store.completeEvents([]), []);
      });

      it('completeEvents does not overwrite an event whose lease was lost, but records its executions', async () => {
        const event = await insertOne(store, claimed('owner-a', 1));
        const kept = await insertOne(store, claimed('owner-a', MINUTE));
        await sleep(15);
        const other = await harness.second();
        assert.deepEqual(ids(await other.claimEvents('owner-b', MINUTE, 10)), [event.id]);

        const now = Date.now();
        const late = execution(event.id, 'slow', now, { success: false, error: 'late' });
        const applied = await store.completeEvents([
          { id: event.id, owner: 'owner-a', status: 'failed', error: 'late', processed_at: now, executions: [late] },
          { id: kept.id, owner: 'owner-a', status: 'completed', error: null, processed_at: now, executions: [] },
        ]);
        assert.deepEqual(applied, [kept.id]);
        const current = await store.getEvent(event.id);
        assert.deepEqual([current?.status, current?.error, current?.attempts], ['processing', null, 2]);
        assert.deepEqual((await store.listExecutionsForEvent(event.id)).map(withoutId), [late]);

        const onTime = execution(event.id, 'slow', now + 10);
        assert.deepEqual(
          await other.completeEvents([{ id: event.id, owner: 'owner-b', status: 'completed', error: null, processed_at: now + 10, executions: [onTime] }]),
          [event.id],
        );
        assert.equal((await store.getEvent(event.id))?.status, 'completed');
        assert.deepEqual((await store.listExecutionsForEvent(event.id)).map(withoutId), [late, onTime]);
        // A finished event cannot be finished again, even by its last owner.
        assert.deepEqual(
          await other.completeEvents([{ id: event.id, owner: 'owner-b', status: 'failed', error: 'x', processed_at: now, executions: [] }]),
          [],
        );
        assert.equal((await store.getEvent(event.id))?.status, 'completed');
      });

      it('completeEvents bumps run_count and last_run of the hooks that ran', async () => {
        await store.saveHook(hookRecord('notify'), { replace: false });
        await store.saveHook(hookRecord('audit'), { replace: false });
        await store.saveHook(hookRecord('idle'), { replace: false });
        const a = await insertOne(store, claimed('owner-a', MINUTE));
        const b = await insertOne(store, claimed('owner-a', MINUTE));
        await store.completeEvents([
          {
            id: a.id,
            owner: 'owner-a',
            status: 'completed',
            error: null,
            processed_at: 300,
            executions: [execution(a.id, 'notify', 100), execution(a.id, 'audit', 150), execution(a.id, 'gone', 150)],
          },
          { id: b.id, owner: 'owner-a', status: 'completed', error: null, processed_at: 300, executions: [execution(b.id, 'notify', 250)] },
        ]);
        const runs = async (name: string) => {
          const hook = await store.getHook(name);
          return [hook?.run_count, hook?.last_run];
        };
        assert.deepEqual(await runs('notify'), [2, 250]);
        assert.deepEqual(await runs('audit'), [1, 150]);
        assert.deepEqual(await runs('idle'), [0, null]);
        // An older execution does not move last_run back.
        const c = await insertOne(store, claimed('owner-a', MINUTE));
        await store.completeEvents([
          { id: c.id, owner: 'owner-a', status: 'completed', error: null, processed_at: 300, executions: [execution(c.id, 'notify', 50)] },
        ]);
        assert.deepEqual(await runs('notify'), [3, 250]);
      });

      it('two stores completing runs of the same hooks at once lose no count', async () => {
        await store.saveHook(hookRecord('alpha'), { replace: false });
        await store.saveHook(hookRecord('beta'), { replace: false });
        const other = await harness.second();
        const rounds = 20;
        const finish = async (finisher: Store, owner: string, order: string[]) => {
          for (let i = 0; i < rounds; i++) {
            const event = await insertOne(finisher, claimed(owner, MINUTE));
            const executions = order.map((name, j) => execution(event.id, name, 1_000 + i * 10 + j));
            await finisher.completeEvents([{ id: event.id, owner, status: 'completed', error: null, processed_at: 1, executions }]);
          }
        };
        await Promise.all([finish(store, 'owner-a', ['alpha', 'beta']), finish(other, 'owner-b', ['beta', 'alpha'])]);
        assert.equal((await store.getHook('alpha'))?.run_count, rounds * 2);
        assert.equal((await store.getHook('beta'))?.run_count, rounds * 2);
      });

      it('releaseEvents puts the owner’s events back to pending', async () => {
        const [a, b, c] = (await store.insertEvents([claimed('owner-a', MINUTE), claimed('owner-a', MINUTE), claimed('owner-a', MINUTE)])).map(
          (r) => r.event,
        );
        const foreign = await insertOne(store, claimed('owner-z', MINUTE));
        assert.equal(await store.releaseEvents('owner-a', [a.id, foreign.id]), 1);
        const released = await store.getEvent(a.id);
        assert.equal(released?.status, 'pending');
        assert.equal(await store.releaseEvents('owner-a'), 2);
        assert.equal(await store.releaseEvents('owner-a'), 0);
        assert.equal(await store.releaseEvents('owner-a', []), 0);
        assert.equal((await store.getEvent(foreign.id))?.status, 'processing');
        assert.equal(await store.renewLeases('owner-a', MINUTE), 0);
        // Released events are claimable by anyone again.
        const other = await harness.second();
        assert.deepEqual(ids(await other.claimEvents('owner-b', MINUTE, 10)), [a.id, b.id, c.id].sort());
      });

      it('listEvents filters by type pattern, status, stack, since, cursor and limit', async () => {
        const spec: Array<[string, string | null, number]> = [
          ['task.failed', 'prod', 1_000],
          ['task.step.failed', 'prod', 2_000],
          ['task.done', 'dev', 3_000],
          ['workflow.failed', null, 4_000],
          ['taskx.failed', 'prod', 5_000],
          ['task', 'dev', 6_000],
          ['agent_x.node-up', null, 7_000],
        ];
        const rows = spec.map(([type, stack, created_at]) => pending({ type, stack, created_at }));
        await store.insertEvents(rows);
        const [e1, e2, e3, e4, e5, e6, e7] = rows.map((r) => r.event.id);
        // e1 completed, e3 failed, e4 processing; the others stay pending.
        await store.claimEvent(e1, 'owner-a', MINUTE);
        await store.claimEvent(e3, 'owner-a', MINUTE);
        await store.claimEvent(e4, 'owner-a', MINUTE);
        await store.completeEvents([
          { id: e1, owner: 'owner-a', status: 'completed', error: null, processed_at: 1, executions: [] },
          { id: e3, owner: 'owner-a', status: 'failed', error: 'x', processed_at: 1, executions: [] },
        ]);
        const all = [e7, e6, e5, e4, e3, e2, e1];
        const cases: Array<[string, EventQuery, string[]]> = [
          ['no filter: newest first', { limit: 100 }, all],
          ['exact type', { type: 'task.failed', limit: 100 }, [e1]],
          ['trailing wildcard: one or more segments', { type: 'task.*', limit: 100 }, [e3, e2, e1]],
          ['leading wildcard: one segment', { type: '*.failed', limit: 100 }, [e5, e4, e1]],
          ['middle wildcard', { type: 'task.*.failed', limit: 100 }, [e2]],
          ['lone star', { type: '*', limit: 100 }, all],
          ['type with _ and -', { type: 'agent_x.node-up', limit: 100 }, [e7]],
          ['status pending', { status: 'pending', limit: 100 }, [e7, e6, e5, e2]],
          ['status completed', { status: 'completed', limit: 100 }, [e1]],
          ['status failed', { status: 'failed', limit: 100 }, [e3]],
          ['status processing', { status: 'processing', limit: 100 }, [e4]],
          ['stack', { stack: 'prod', limit: 100 }, [e5, e2, e1]],
          ['since is inclusive', { since: 5_000, limit: 100 }, [e7, e6, e5]],
          ['before is exclusive', { before: e4, limit: 100 }, [e3, e2, e1]],
          ['limit', { limit: 2 }, [e7, e6]],
          ['combined', { type: 'task.*', stack: 'prod', status: 'pending', limit: 100 }, [e2]],
          ['nothing matches', { type: 'deploy.*', limit: 100 }, []],
        ];
        for (const [name, query, expected] of cases) {
          assert.deepEqual(ids(await store.listEvents(query)), expected, name);
        }
      });

      it('listEvents pages through everything with the before cursor', async () => {
        const rows = Array.from({ length: 25 }, () => pending());
        await store.insertEvents(rows);
        const expected = rows.map((r) => r.event.id).sort().reverse();
        const seen: string[] = [];
        let before: string | undefined;
        const sizes: number[] = [];
        for (;;) {
          const page = await store.listEvents({ limit: 10, ...(before ? { before } : {}) });
          sizes.push(page.length);
          if (page.length === 0) break;
          seen.push(...ids(page));
          before = page[page.length - 1].id;
        }
        assert.deepEqual(sizes, [10, 10, 5, 0]);
        assert.deepEqual(seen, expected);
      });

      it('countEventsByStatus counts every status, zero included', async () => {
        assert.deepEqual(await store.countEventsByStatus(), { pending: 0, processing: 0, completed: 0, failed: 0 });
        await store.insertEvents([pending(), pending(), claimed('owner-a', MINUTE), completed()]);
        const failing = await insertOne(store, claimed('owner-a', MINUTE));
        await store.completeEvents([{ id: failing.id, owner: 'owner-a', status: 'failed', error: 'x', processed_at: 1, executions: [] }]);
        assert.deepEqual(await store.countEventsByStatus(), { pending: 2, processing: 1, completed: 1, failed: 1 });
      });

      it('deleteEvent deletes finished events with their executions, never unfinished ones', async () => {
        const live = await insertOne(store, pending());
        const busy = await insertOne(store, claimed('owner-a', MINUTE));
        const done = await insertOne(store, claimed('owner-a', MINUTE));
        const failed = await insertOne(store, claimed('owner-a', MINUTE));
        await store.completeEvents([
          { id: done.id, owner: 'owner-a', status: 'completed', error: null, processed_at: 1, executions: [execution(done.id, 'h', 1)] },
          { id: failed.id, owner: 'owner-a', status: 'failed', error: 'x', processed_at: 1, executions: [execution(failed.id, 'h', 1)] },
        ]);
        const cases: Array<[string, string, 'deleted' | 'not_found' | 'in_progress']> = [
          ['pending', live.id, 'in_progress'],
          ['processing', busy.id, 'in_progress'],
          ['completed', done.id, 'deleted'],
          ['failed', failed.id, 'deleted'],
          ['already deleted', done.id, 'not_found'],
          ['unknown', newId(), 'not_found'],
        ];
        for (const [name, id, expected] of cases) assert.equal(await store.deleteEvent(id), expected, name);
        assert.equal(await store.getEvent(done.id), null);
        assert.deepEqual(await store.listExecutionsForEvent(done.id), []);
        assert.deepEqual(await store.listExecutionsForHook('h', { limit: 10, onlyFailed: false }), []);
        assert.notEqual(await store.getEvent(live.id), null);
        assert.notEqual(await store.getEvent(busy.id), null);
      });

      it('deleteEventsBefore deletes only finished events older than the cutoff', async () => {
        const oldDone = await insertOne(store, claimed('owner-a', MINUTE, { type: 'task.done', created_at: 1_000 }));
        const oldFailed = await insertOne(store, claimed('owner-a', MINUTE, { type: 'task.done', created_at: 1_000 }));
        const oldPending = await insertOne(store, pending({ type: 'task.done', created_at: 1_000 }));
        const oldProcessing = await insertOne(store, claimed('owner-a', MINUTE, { type: 'task.done', created_at: 1_000 }));
        const newDone = await insertOne(store, completed({ type: 'task.done', created_at: 9_000 }));
        const atCutoff = await insertOne(store, completed({ type: 'task.done', created_at: 5_000 }));
        await store.completeEvents([
          { id: oldDone.id, owner: 'owner-a', status: 'completed', error: null, processed_at: 1, executions: [execution(oldDone.id, 'h', 1)] },
          { id: oldFailed.id, owner: 'owner-a', status: 'failed', error: 'x', processed_at: 1, executions: [] },
        ]);
        assert.equal(await store.deleteEventsBefore(5_000), 2);
        const left = ids(await store.listEvents({ limit: 100 })).sort();
        assert.deepEqual(left, [oldPending.id, oldProcessing.id, newDone.id, atCutoff.id].sort());
        assert.deepEqual(await store.listExecutionsForEvent(oldDone.id), []);
        assert.equal(await store.deleteEventsBefore(5_000), 0);
      });

      it('hasClaimableEvents sees pending events and expired leases only', async () => {
        assert.equal(await store.hasClaimableEvents(), false);
        await store.insertEvents([completed(), claimed('owner-a', MINUTE)]);
        assert.equal(await store.hasClaimableEvents(), false);
        const expiring = await insertOne(store, claimed('owner-a', 1));
        await sleep(15);
        assert.equal(await store.hasClaimableEvents(), true);
        await store.claimEvent(expiring.id, 'owner-b', MINUTE);
        assert.equal(await store.hasClaimableEvents(), false);
        await store.insertEvents([pending()]);
        const other = await harness.second();
        assert.equal(await other.hasClaimableEvents(), true);
      });
    });

    describe('hook executions', () => {
      it('listExecutionsForHook lists newest first, with limit and onlyFailed', async () => {
        const event = await insertOne(store, claimed('owner-a', MINUTE));
        const runs = [
          execution(event.id, 'h', 100),
          execution(event.id, 'h', 200, { success: false, error: 'e200' }),
          execution(event.id, 'h', 300),
          execution(event.id, 'h', 400, { success: false, error: 'e400', attempt: 2 }),
          execution(event.id, 'other', 500),
        ];
        await store.completeEvents([{ id: event.id, owner: 'owner-a', status: 'failed', error: 'x', processed_at: 1, executions: runs }]);
        const at = (records: HookExecutionRecord[]) => records.map((r) => r.executed_at);
        assert.deepEqual(at(await store.listExecutionsForHook('h', { limit: 10, onlyFailed: false })), [400, 300, 200, 100]);
        assert.deepEqual(at(await store.listExecutionsForHook('h', { limit: 2, onlyFailed: false })), [400, 300]);
        const failed = await store.listExecutionsForHook('h', { limit: 10, onlyFailed: true });
        assert.deepEqual(failed.map(withoutId), [runs[3], runs[1]]);
        assert.deepEqual(await store.listExecutionsForHook('missing', { limit: 10, onlyFailed: false }), []);
        assert.deepEqual(at(await store.listExecutionsForEvent(event.id)), [100, 200, 300, 400, 500]);
      });
    });

    describe('hooks', () => {
      it('saveHook and getHook round-trip every field; a taken name conflicts unless replace', async () => {
        const hook = hookRecord('cleanup', {
          description: 'cleans up',
          events: ['task.failed', 'workflow.*'],
          stack: 'prod',
          filter: 'data.task.exit_code != 0',
          runtime: 'commands',
          source: '/hooks/cleanup.yaml',
          commands: ['echo "$EVENT_TYPE"', 'rm -rf /tmp/x'],
          cwd: '/srv',
          timeout_ms: 5_000,
          memory_mb: 128,
          enabled: false,
          retry: { max_attempts: 3, backoff_ms: 500, backoff_multiplier: 1.5 },
          created_at: 1_700_000_000_000,
          updated_at: 1_700_000_000_001,
        });
        await store.saveHook(hook, { replace: false });
        assert.deepEqual(await store.getHook('cleanup'), hook);
        assert.equal(await store.getHook('missing'), null);

        await rejectsWithCode(store.saveHook({ ...hook, description: 'other' }, { replace: false }), 'HF_ERR_CONFLICT', 'cleanup');
        assert.deepEqual(await store.getHook('cleanup'), hook);

        // Run history survives a replace; the definition and updated_at change.
        const event = await insertOne(store, claimed('owner-a', MINUTE));
        await store.completeEvents([
          { id: event.id, owner: 'owner-a', status: 'completed', error: null, processed_at: 1, executions: [execution(event.id, 'cleanup', 777)] },
        ]);
        const replacement = hookRecord('cleanup', { description: 'v2', events: ['task.*'], created_at: 5, updated_at: 1_800_000_000_000 });
        await store.saveHook(replacement, { replace: true });
        assert.deepEqual(await store.getHook('cleanup'), {
          ...replacement,
          created_at: hook.created_at,
          run_count: 1,
          last_run: 777,
        });
        await store.saveHook(hookRecord('fresh'), { replace: true });
        assert.deepEqual(await store.getHook('fresh'), hookRecord('fresh'));
      });

      it('listHooks filters by stack and enabledOnly, sorted by name', async () => {
        await store.saveHook(hookRecord('zeta', { stack: 'prod' }), { replace: false });
        await store.saveHook(hookRecord('alpha', { stack: null }), { replace: false });
        await store.saveHook(hookRecord('Mid', { stack: 'prod', enabled: false }), { replace: false });
        await store.saveHook(hookRecord('beta', { stack: 'dev' }), { replace: false });
        const names = async (query: { stack?: string | null; enabledOnly?: boolean }) => (await store.listHooks(query)).map((h) => h.name);
        assert.deepEqual(await names({}), ['Mid', 'alpha', 'beta', 'zeta']);
        assert.deepEqual(await names({ stack: null }), ['Mid', 'alpha', 'beta', 'zeta']);
        assert.deepEqual(await names({ stack: 'prod' }), ['Mid', 'zeta']);
        assert.deepEqual(await names({ enabledOnly: true }), ['alpha', 'beta', 'zeta']);
        assert.deepEqual(await names({ stack: 'prod', enabledOnly: true }), ['zeta']);
        assert.deepEqual(await names({ stack: 'nowhere' }), []);
      });

      it('setHookEnabled and deleteHook say whether the hook existed', async () => {
        await store.saveHook(hookRecord('h'), { replace: false });
        const before = Date.now();
        assert.equal(await store.setHookEnabled('h', false), true);
        const disabled = await store.getHook('h');
        assert.equal(disabled?.enabled, false);
        assert.ok((disabled?.updated_at ?? 0) >= before, 'updated_at moves on enable/disable');
        assert.equal(await store.setHookEnabled('h', true), true);
        assert.equal((await store.getHook('h'))?.enabled, true);
        assert.equal(await store.setHookEnabled('missing', true), false);
        assert.equal(await store.deleteHook('h'), true);
        assert.equal(await store.getHook('h'), null);
        assert.equal(await store.deleteHook('h'), false);
      });

      it('hooksRevision changes with every hook change, only then, and is shared across stores', async () => {
        const other = await harness.second();
        const revisions = [await store.hooksRevision()];
        const step = async (name: string, change: () => Promise<unknown>, changes: boolean) => {
          await change().catch(() => {});
          const revision = await store.hooksRevision();
          const last = revisions[revisions.length - 1];
          if (changes) assert.notEqual(revision, last, `${name} should change the revision`);
          else assert.equal(revision, last, `${name} should not change the revision`);
          assert.equal(await other.hooksRevision(), revision, `${name}: both stores see one revision`);
          revisions.push(revision);
        };
        await step('save', () => store.saveHook(hookRecord('h'), { replace: false }), true);
        await step('read', () => store.getHook('h'), false);
        await step('rejected save', () => store.saveHook(hookRecord('h'), { replace: false }), false);
        await step('replace', () => other.saveHook(hookRecord('h', { description: 'v2' }), { replace: true }), true);
        await step('disable', () => store.setHookEnabled('h', false), true);
        await step('disable a missing hook', () => store.setHookEnabled('nope', false), false);
        await step('delete', () => other.deleteHook('h'), true);
        await step('delete a missing hook', () => store.deleteHook('h'), false);
        assert.equal(new Set(revisions).size, 5);
      });
    });

    describe('state', () => {
      it('stateSet, stateGet and stateDelete round-trip JSON values', async () => {
        const values: Array<[string, Parameters<Store['stateSet']>[1]]> = [
          ['number', 42.5],
          ['string', 'héllo'],
          ['bool', false],
          ['list', [1, 'a', { b: null }]],
          ['object', { nested: { deep: [true] }, n: -3 }],
          ['empty-object', {}],
        ];
        for (const [key, value] of values) {
          await store.stateSet(key, value);
          assert.deepEqual(await store.stateGet(key), value, key);
        }
        await store.stateSet('number', 'now a string');
        assert.equal(await store.stateGet('number'), 'now a string');
        assert.equal(await store.stateGet('missing'), null);
        assert.equal(await store.stateDelete('string'), true);
        assert.equal(await store.stateDelete('string'), false);
        assert.equal(await store.stateGet('string'), null);
        const other = await harness.second();
        assert.deepEqual(await other.stateGet('list'), [1, 'a', { b: null }]);
      });

      it('stateList lists keys in order, optionally by prefix, with updated_at', async () => {
        const before = Date.now();
        await store.stateSet('b:2', 2);
        await store.stateSet('a:1', 1);
        await store.stateSet('b:1', { one: 1 });
        await store.stateSet('b', 'bare');
        await store.stateSet('c%_', 'literal');
        const all = await store.stateList();
        assert.deepEqual(
          all.map((e) => e.key),
          ['a:1', 'b', 'b:1', 'b:2', 'c%_'],
        );
        for (const entry of all) assert.ok(entry.updated_at >= before && entry.updated_at <= Date.now() + 1);
        assert.deepEqual(
          (await store.stateList('b:')).map((e) => [e.key, e.value]),
          [
            ['b:1', { one: 1 }],
            ['b:2', 2],
          ],
        );
        // Prefixes are literal text, not patterns.
        assert.deepEqual(
          (await store.stateList('c%')).map((e) => e.key),
          ['c%_'],
        );
        assert.deepEqual(await store.stateList('%'), []);
        assert.deepEqual(await store.stateList('zzz'), []);
      });

      it('stateIncrement adds to numbers, starts missing keys at 0, refuses other values', async () => {
        assert.equal(await store.stateIncrement('n', 5), 5);
        assert.equal(await store.stateIncrement('n', -2), 3);
        assert.equal(await store.stateIncrement('n', 0.5), 3.5);
        assert.equal(await store.stateGet('n'), 3.5);
        await store.stateSet('word', 'seven');
        await rejectsWithCode(store.stateIncrement('word', 1), 'HF_ERR_CONFLICT', 'word');
        await store.stateSet('list', [1]);
        await rejectsWithCode(store.stateIncrement('list', 1), 'HF_ERR_CONFLICT', 'list');
        assert.equal(await store.stateGet('word'), 'seven');
      });

      it('concurrent stateIncrement from two stores loses no update', async () => {
        const other = await harness.second();
        const increments = (incrementer: Store) => Array.from({ length: 100 }, () => incrementer.stateIncrement('hits', 1));
        const results = await Promise.all([...increments(store), ...increments(other)]);
        assert.equal(await store.stateGet('hits'), 200);
        assert.deepEqual(
          results.sort((x, y) => x - y),
          Array.from({ length: 200 }, (_, i) => i + 1),
        );
      });
    });

    describe('secrets', () => {
      it('secretPut, secretGet, secretList and secretDelete', async () => {
        const before = Date.now();
        await store.secretPut('db-password', 'cipher-1');
        await store.secretPut('api_token', 'cipher-2');
        assert.equal(await store.secretGet('db-password'), 'cipher-1');
        assert.equal(await store.secretGet('missing'), null);
        const listed = await store.secretList();
        assert.deepEqual(
          listed.map((s) => s.name),
          ['api_token', 'db-password'],
        );
        for (const entry of listed) {
          assert.ok(entry.created_at >= before && entry.updated_at >= entry.created_at);
          assert.equal(Object.keys(entry).sort().join(','), 'created_at,name,updated_at', 'no ciphertext in listings');
        }
        const created = listed[1].created_at;
        await sleep(5);
        await store.secretPut('db-password', 'cipher-3');
        assert.equal(await store.secretGet('db-password'), 'cipher-3');
        const updated = (await store.secretList()).find((s) => s.name === 'db-password');
        assert.equal(updated?.created_at, created);
        assert.ok((updated?.updated_at ?? 0) > created);
        assert.equal(await store.secretDelete('db-password'), true);
        assert.equal(await store.secretDelete('db-password'), false);
        assert.equal(await store.secretGet('db-password'), null);
      });
    });

    describe('processes', () => {
      it('registerProcess, heartbeatProcess, listLiveProcesses and removeProcess', async () => {
        const now = Date.now();
        const process = (id: string, extra: Partial<ProcessInfo> = {}): ProcessInfo => ({
          id,
          kind: 'dispatcher',
          host: 'host-1',
          pid: 4242,
          started_at: now - 1_000,
          heartbeat_at: now,
          info: { version: '0.1.0', concurrency: 8, tags: ['a'] },
          ...extra,
        });
        const live = process('live');
        const stale = process('stale', { started_at: now - 120_000, heartbeat_at: now - 60_000 });
        await store.registerProcess(live);
        await store.registerProcess(stale);
        await store.registerProcess(process('worker', { kind: 'worker' }));
        assert.deepEqual(await store.listLiveProcesses('dispatcher', 10_000), [live]);

        await store.heartbeatProcess('stale');
        const other = await harness.second();
        const both = await other.listLiveProcesses('dispatcher', 10_000);
        assert.deepEqual(
          both.map((p) => p.id),
          ['stale', 'live'],
        );
        assert.ok(both[0].heartbeat_at >= now);

        await store.registerProcess(process('live', { heartbeat_at: now + 5, info: { version: '0.2.0' } }));
        const [reregistered] = (await store.listLiveProcesses('dispatcher', 10_000)).filter((p) => p.id === 'live');
        assert.deepEqual(reregistered.info, { version: '0.2.0' });

        await store.removeProcess('live');
        await store.removeProcess('never-registered');
        await store.heartbeatProcess('never-registered');
        assert.deepEqual(
          (await store.listLiveProcesses('dispatcher', 10_000)).map((p) => p.id),
          ['stale'],
        );
        assert.deepEqual(
          (await store.listLiveProcesses('worker', 10_000)).map((p) => p.id),
          ['worker'],
        );
      });
    });

    describe('wake-ups', () => {
      it('subscribeEvents: PostgreSQL wakes on another store’s pending events and hook changes; SQLite returns null', async () => {
        let calls = 0;
        let hookCalls = 0;
        const unsubscribe = await store.subscribeEvents((change) => {
          if (change === 'events') calls += 1;
          else hookCalls += 1;
        });
        if (store.kind === 'sqlite') {
          assert.equal(unsubscribe, null);
          return;
        }
        assert.equal(typeof unsubscribe, 'function');
        const other = await harness.second();
        await other.insertEvents([pending()]);
        assert.ok(await waitFor(() => calls >= 1, 3_000), 'a pending insert by another store should wake the subscriber');

        // Released events are claimable again: they wake subscribers too.
        const seen = calls;
        await other.insertEvents([claimed('owner-b', MINUTE)]);
        await other.releaseEvents('owner-b');
        assert.ok(await waitFor(() => calls > seen, 3_000), 'released events should wake the subscriber');

        // A hook saved elsewhere wakes subscribers on the hooks channel, so dispatchers reload.
        assert.equal(hookCalls, 0);
        await other.saveHook(hookRecord('wake'), { replace: false });
        assert.ok(await waitFor(() => hookCalls >= 1, 3_000), 'a hook change should wake the subscriber on the hooks channel');

        await unsubscribe?.();
        await unsubscribe?.();
        const after = calls;
        await other.insertEvents([pending()]);
        await sleep(150);
        assert.equal(calls, after, 'no call after unsubscribe');
      });
    });

    describe('accounts', () => {
      it('createUser, getUser and listUsers round-trip every field, by username; a taken username conflicts', async () => {
        const carol = userRecord('carol', { role: 'viewer', created_at: 1_700_000_000_123, updated_at: 1_700_000_000_456 });
        await store.accounts.createUser(carol);
        await store.accounts.createUser(userRecord('alice', { role: 'admin' }));
        await store.accounts.createUser(userRecord('Bob'));
        assert.deepEqual(await store.accounts.getUser('carol'), carol);
        assert.equal(await store.accounts.getUser('nobody'), null);
        assert.deepEqual(
          (await store.accounts.listUsers()).map((u) => [u.username, u.role]),
          [
            ['Bob', 'operator'],
            ['alice', 'admin'],
            ['carol', 'viewer'],
          ],
          'byte order, as both backends compare text keys',
        );
        await rejectsWithCode(store.accounts.createUser(userRecord('carol', { role: 'admin' })), 'HF_ERR_CONFLICT', '"carol"');
        assert.deepEqual(await store.accounts.getUser('carol'), carol, 'a conflicting create changes nothing');
      });

      it('updateUser changes only what it is given; deleteUser leaves the user’s tokens', async () => {
        await store.accounts.createUser(userRecord('alice'));
        const cases: Array<[string, Parameters<Store['accounts']['updateUser']>[1], Partial<UserRecord>]> = [
          ['password only', { password_hash: 'scrypt$new', updated_at: 2_000 }, { password_hash: 'scrypt$new', role: 'operator', updated_at: 2_000 }],
          ['role only', { role: 'admin', updated_at: 3_000 }, { password_hash: 'scrypt$new', role: 'admin', updated_at: 3_000 }],
          ['both', { password_hash: 'scrypt$both', role: 'viewer', updated_at: 4_000 }, { password_hash: 'scrypt$both', role: 'viewer', updated_at: 4_000 }],
          ['neither', { updated_at: 5_000 }, { password_hash: 'scrypt$both', role: 'viewer', updated_at: 5_000 }],
        ];
        for (const [name, changes, expected] of cases) {
          assert.equal(await store.accounts.updateUser('alice', changes), true, name);
          assert.deepEqual(await store.accounts.getUser('alice'), { ...userRecord('alice'), ...expected }, name);
        }
        assert.equal(await store.accounts.updateUser('nobody', { role: 'admin', updated_at: 6_000 }), false);
        assert.equal(await store.accounts.getUser('nobody'), null, 'updateUser creates nobody');

        await store.accounts.createToken(tokenRecord('tok1', 'ci', { created_by: 'alice' }));
        assert.equal(await store.accounts.deleteUser('alice'), true);
        assert.equal(await store.accounts.deleteUser('alice'), false);
        assert.equal(await store.accounts.getUser('alice'), null);
        assert.equal((await store.accounts.getToken('tok1'))?.created_by, 'alice', 'the token stays and still names its creator');
      });

      it('createFirstUser creates only into an empty table, again once it is empty again', async () => {
        assert.equal(await store.accounts.createFirstUser(userRecord('root', { role: 'admin' })), true);
        assert.equal(await store.accounts.createFirstUser(userRecord('second', { role: 'admin' })), false);
        assert.deepEqual(
          (await store.accounts.listUsers()).map((u) => u.username),
          ['root'],
        );
        assert.equal(await store.accounts.deleteUser('root'), true);
        await store.accounts.createUser(userRecord('plain'));
        assert.equal(await store.accounts.createFirstUser(userRecord('root')), false, 'a user made by createUser counts');
        assert.equal(await store.accounts.deleteUser('plain'), true);
        assert.equal(await store.accounts.createFirstUser(userRecord('again')), true);
      });

      it('createFirstUser racing from two stores creates exactly one user', async () => {
        const other = await harness.second();
        for (let round = 0; round < 5; round++) {
          const contenders = [store, other, store, other, store, other].map((s, i) =>
            s.accounts.createFirstUser(userRecord(`admin-${round}-${i}`, { role: 'admin' })),
          );
          const results = await Promise.all(contenders);
          assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(results)}`);
          const users = await other.accounts.listUsers();
          assert.deepEqual(
            users.map((u) => u.username),
            [`admin-${round}-${results.indexOf(true)}`],
          );
          assert.equal(await store.accounts.deleteUser(users[0].username), true);
        }
      });

      it('createToken, getToken and listTokens (by creation, revoked included); a taken id or name conflicts', async () => {
        const full = tokenRecord('tok-b', 'deploy', {
          role: 'operator',
          created_by: null,
          created_at: 1_700_000_000_002,
          expires_at: 1_800_000_000_000,
        });
        await store.accounts.createToken(full);
        await store.accounts.createToken(tokenRecord('tok-c', 'backup', { created_at: 1_700_000_000_001 }));
        await store.accounts.createToken(tokenRecord('tok-a', 'ci', { created_at: 1_700_000_000_003, revoked_at: 1_700_000_000_004 }));
        assert.deepEqual(await store.accounts.getToken('tok-b'), full);
        assert.equal(await store.accounts.getToken('missing'), null);
        assert.deepEqual(
          (await store.accounts.listTokens()).map((t) => t.id),
          ['tok-c', 'tok-b', 'tok-a'],
        );
        await rejectsWithCode(store.accounts.createToken(tokenRecord('tok-d', 'deploy')), 'HF_ERR_CONFLICT', '"deploy"');
        await rejectsWithCode(store.accounts.createToken(tokenRecord('tok-b', 'fresh-name')), 'HF_ERR_CONFLICT', '"tok-b"');
        assert.equal(await store.accounts.getToken('tok-d'), null);
        assert.equal((await store.accounts.listTokens()).length, 3);
      });

      it('revokeToken revokes once: a second revoke, or one of a missing token, is false and keeps the first time', async () => {
        await store.accounts.createToken(tokenRecord('tok1', 'ci'));
        assert.equal(await store.accounts.revokeToken('tok1', 5_000), true);
        assert.equal(await store.accounts.revokeToken('tok1', 6_000), false);
        assert.equal((await store.accounts.getToken('tok1'))?.revoked_at, 5_000);
        assert.equal(await store.accounts.revokeToken('missing', 5_000), false);
        const other = await harness.second();
        assert.equal(await other.accounts.revokeToken('tok1', 7_000), false, 'another store sees the revocation');
        await rejectsWithCode(store.accounts.createToken(tokenRecord('tok2', 'ci')), 'HF_ERR_CONFLICT', '"ci"');
      });

      it('putSettingIfAbsent keeps the first value; two stores racing agree on one', async () => {
        assert.equal(await store.accounts.getSetting('jwt_secret'), null);
        assert.equal(await store.accounts.putSettingIfAbsent('jwt_secret', 'first'), 'first');
        assert.equal(await store.accounts.putSettingIfAbsent('jwt_secret', 'second'), 'first');
        assert.equal(await store.accounts.getSetting('jwt_secret'), 'first');

        const other = await harness.second();
        for (let round = 0; round < 5; round++) {
          const key = `race-${round}`;
          const results = await Promise.all([
            store.accounts.putSettingIfAbsent(key, 'from-a'),
            other.accounts.putSettingIfAbsent(key, 'from-b'),
            store.accounts.putSettingIfAbsent(key, 'from-a2'),
            other.accounts.putSettingIfAbsent(key, 'from-b2'),
          ]);
          assert.equal(new Set(results).size, 1, `round ${round}: ${JSON.stringify(results)}`);
          assert.ok(['from-a', 'from-b', 'from-a2', 'from-b2'].includes(results[0]));
          assert.equal(await store.accounts.getSetting(key), results[0]);
          assert.equal(await other.accounts.getSetting(key), results[0]);
        }
      });
    });

    describe('sources', () => {
      it('saveSource and getSource round-trip every field; a taken (kind, name) conflicts unless replace', async () => {
        const hook = sourceRecord('webhook', 'github', { enabled: false, created_at: 1_700_000_000_123, updated_at: 1_700_000_000_456 });
        await store.sources.saveSource(hook, { replace: false });
        assert.deepEqual(await store.sources.getSource('webhook', 'github'), hook);
        assert.equal(await store.sources.getSource('schedule', 'github'), null, 'kinds are apart');
        assert.equal(await store.sources.getSource('webhook', 'missing'), null);

        await rejectsWithCode(
          store.sources.saveSource(sourceRecord('webhook', 'github'), { replace: false }),
          'HF_ERR_CONFLICT',
          'webhook named "github"',
        );
        assert.deepEqual(await store.sources.getSource('webhook', 'github'), hook, 'a conflicting save changes nothing');

        const replacement = sourceRecord('webhook', 'github', { config: { path: '/new' }, created_at: 9_000, updated_at: 9_000 });
        await store.sources.saveSource(replacement, { replace: true });
        assert.deepEqual(
          await store.sources.getSource('webhook', 'github'),
          { ...replacement, created_at: hook.created_at },
          'a replaced source keeps its created_at',
        );
        await store.sources.saveSource(sourceRecord('watcher', 'fresh'), { replace: true });
        assert.ok(await store.sources.getSource('watcher', 'fresh'), 'replace also inserts');
      });

      it('listSources lists one kind, ordered by name', async () => {
        for (const [kind, name] of [
          ['schedule', 'nightly'],
          ['webhook', 'stripe'],
          ['schedule', 'Hourly'],
          ['webhook', 'github'],
          ['schedule', 'backup'],
          ['watcher', 'uploads'],
        ] as const) {
          await store.sources.saveSource(sourceRecord(kind, name), { replace: false });
        }
        const cases: Array<[SourceKind, string[]]> = [
          ['schedule', ['Hourly', 'backup', 'nightly']],
          ['webhook', ['github', 'stripe']],
          ['watcher', ['uploads']],
        ];
        for (const [kind, names] of cases) {
          const listed = await store.sources.listSources(kind);
          assert.deepEqual(
            listed.map((s) => s.name),
            names,
            kind,
          );
          assert.ok(listed.every((s) => s.kind === kind));
        }
        await store.sources.deleteSource('watcher', 'uploads');
        assert.deepEqual(await store.sources.listSources('watcher'), []);
      });

      it('setSourceEnabled and deleteSource report whether the source existed', async () => {
        await store.sources.saveSource(sourceRecord('schedule', 'nightly'), { replace: false });
        await store.sources.saveSource(sourceRecord('webhook', 'nightly'), { replace: false });
        const before = Date.now();
        assert.equal(await store.sources.setSourceEnabled('schedule', 'nightly', false), true);
        const disabled = await store.sources.getSource('schedule', 'nightly');
        assert.equal(disabled?.enabled, false);
        assert.ok((disabled?.updated_at ?? 0) >= before, 'enabling counts as an update');
        assert.equal((await store.sources.getSource('webhook', 'nightly'))?.enabled, true, 'the other kind is untouched');
        assert.equal(await store.sources.setSourceEnabled('schedule', 'nightly', true), true);
        assert.equal((await store.sources.getSource('schedule', 'nightly'))?.enabled, true);
        assert.equal(await store.sources.setSourceEnabled('watcher', 'nightly', true), false);

        assert.equal(await store.sources.deleteSource('schedule', 'nightly'), true);
        assert.equal(await store.sources.deleteSource('schedule', 'nightly'), false);
        assert.equal(await store.sources.getSource('schedule', 'nightly'), null);
        assert.ok(await store.sources.getSource('webhook', 'nightly'), 'the other kind is untouched');
      });

      it('sourcesRevision changes with every save, enable and delete, and only then; other stores see it', async () => {
        const other = await harness.second();
        let last = await store.sources.sourcesRevision();
        const expectChange = async (what: string, changed: boolean) => {
          const now = await other.sources.sourcesRevision();
          if (changed) assert.notEqual(now, last, `${what} should change the revision`);
          else assert.equal(now, last, `${what} should not change the revision`);
          last = now;
        };
        await store.sources.saveSource(sourceRecord('webhook', 'a'), { replace: false });
        await expectChange('a save', true);
        await store.sources.saveSource(sourceRecord('webhook', 'a'), { replace: true });
        await expectChange('a replace', true);
        await assert.rejects(store.sources.saveSource(sourceRecord('webhook', 'a'), { replace: false }));
        await expectChange('a conflicting save', false);
        await store.sources.setSourceEnabled('webhook', 'a', false);
        await expectChange('a disable', true);
        await store.sources.setSourceEnabled('webhook', 'missing', false);
        await expectChange('disabling a missing source', false);
        await store.sources.deleteSource('webhook', 'a');
        await expectChange('a delete', true);
        await store.sources.deleteSource('webhook', 'a');
        await expectChange('deleting a missing source', false);
        await store.saveHook(hookRecord('not-a-source'), { replace: false });
        await expectChange('a hook change', false);
      });

      it('claimScheduleTick: one claim per (schedule, tick); lastScheduleTick is the latest claimed', async () => {
        assert.equal(await store.sources.lastScheduleTick('nightly'), null);
        assert.equal(await store.sources.claimScheduleTick('nightly', 60_000, 'server-a'), true);
        assert.equal(await store.sources.claimScheduleTick('nightly', 60_000, 'server-a'), false, 'not even by its owner');
        assert.equal(await store.sources.claimScheduleTick('nightly', 180_000, 'server-b'), true);
        assert.equal(await store.sources.claimScheduleTick('nightly', 120_000, 'server-b'), true, 'a missed tick is claimed late');
        assert.equal(await store.sources.claimScheduleTick('hourly', 60_000, 'server-b'), true, 'schedules are apart');
        assert.equal(await store.sources.lastScheduleTick('nightly'), 180_000);
        assert.equal(await store.sources.lastScheduleTick('hourly'), 60_000);
      });

      it('claimScheduleTick from two stores on the same ticks: exactly one claim each', async () => {
        const other = await harness.second();
        const ticks = Array.from({ length: 10 }, (_, i) => 1_700_000_000_000 + i * 60_000);
        const claims = await Promise.all(
          ticks.flatMap((tick) => [
            store.sources.claimScheduleTick('every-minute', tick, 'server-a'),
            other.sources.claimScheduleTick('every-minute', tick, 'server-b'),
          ]),
        );
        ticks.forEach((tick, i) => {
          assert.equal(claims[2 * i] !== claims[2 * i + 1], true, `tick ${tick}: ${claims[2 * i]} / ${claims[2 * i + 1]}`);
        });
        assert.equal(await other.sources.lastScheduleTick('every-minute'), ticks[ticks.length - 1]);
      });

      it('deleteSource of a schedule forgets its ticks; of another kind it leaves them', async () => {
        await store.sources.saveSource(sourceRecord('schedule', 'nightly'), { replace: false });
        await store.sources.saveSource(sourceRecord('webhook', 'nightly'), { replace: false });
        assert.equal(await store.sources.claimScheduleTick('nightly', 60_000, 'server-a'), true);
        assert.equal(await store.sources.claimScheduleTick('hourly', 60_000, 'server-a'), true);

        assert.equal(await store.sources.deleteSource('webhook', 'nightly'), true);
        assert.equal(await store.sources.lastScheduleTick('nightly'), 60_000);

        assert.equal(await store.sources.deleteSource('schedule', 'nightly'), true);
        assert.equal(await store.sources.lastScheduleTick('nightly'), null);
        assert.equal(await store.sources.lastScheduleTick('hourly'), 60_000, 'other schedules keep theirs');
        assert.equal(await store.sources.claimScheduleTick('nightly', 60_000, 'server-a'), true, 'a new schedule of that name starts afresh');
      });

      it('pruneScheduleTicks deletes a schedule\'s ticks before a time, never its latest, never another\'s', async () => {
        for (const tick of [10_000, 20_000, 30_000, 40_000]) assert.equal(await store.sources.claimScheduleTick('busy', tick, 'server-a'), true);
        assert.equal(await store.sources.claimScheduleTick('rare', 5_000, 'server-a'), true);
        assert.equal(await store.sources.pruneScheduleTicks('busy', 30_000), 2, 'the ticks at 10 s and 20 s');
        assert.equal(await store.sources.pruneScheduleTicks('busy', 30_000), 0, 'nothing left to prune');
        assert.equal(await store.sources.claimScheduleTick('busy', 30_000, 'server-b'), false, 'a kept tick stays claimed');
        assert.equal(await store.sources.claimScheduleTick('busy', 10_000, 'server-b'), true, 'a pruned tick is forgotten');
        assert.equal(await store.sources.pruneScheduleTicks('busy', 1_000_000), 2, 'all but the latest (10 s again, and 30 s)');
        assert.equal(await store.sources.lastScheduleTick('busy'), 40_000);
        assert.equal(await store.sources.claimScheduleTick('busy', 40_000, 'server-b'), false);
        assert.equal(await store.sources.pruneScheduleTicks('rare', 1_000_000), 0, 'a lone tick is its latest');
        assert.equal(await store.sources.lastScheduleTick('rare'), 5_000);
        assert.equal(await store.sources.pruneScheduleTicks('none', 1_000_000), 0);
      });
    });

    describe('waits', () => {
      function waitRecord(id: string, extra: Partial<WaitRecord> = {}): WaitRecord {
        return {
          id,
          action_type: 'deploy',
          correlation_id: `wf-${id}`,
          owner_kind: 'hook',
          owner_id: `notify:${id}`,
          params: { endpoint: 'e-1', nested: { list: [1, 'two', null] } },
          outputs: { status: 'deleting' },
          metadata: { step_id: 'delete' },
          status: 'waiting',
          deadline: Date.now() + 10 * MINUTE,
          wake_at: null,
          progress: null,
          eta_minutes: null,
          error: null,
          created_at: Date.now(),
          updated_at: Date.now(),
          ...extra,
        };
      }

      async function correlated(correlationId: string, createdAt = Date.now(), type = 'notification.received'): Promise<EventRecord> {
        return insertOne(store, completed({ type, correlation_id: correlationId, created_at: createdAt }));
      }

      const pendingQuery = (extra: Partial<{ since: number; lookbackMs: number; now: number; limit: number }> = {}) => ({
        since: 0,
        lookbackMs: 60 * MINUTE,
        now: Date.now(),
        limit: 100,
        ...extra,
      });

      it('createWait and getWait round-trip every field; listWaits filters, newest first; hasWaiting', async () => {
        assert.equal(await store.waits.hasWaiting(), false);
        const first = waitRecord('w1', { created_at: 1_000, updated_at: 2_000, wake_at: 5_000, progress: 12.5, eta_minutes: 3 });
        const second = waitRecord('w2', { owner_kind: 'cli', owner_id: null, created_at: 3_000, updated_at: 3_000 });
        await store.waits.createWait(first);
        await store.waits.createWait(second);
        assert.deepEqual(await store.waits.getWait('w1'), first);
        assert.equal(await store.waits.getWait('missing'), null);
        assert.equal(await store.waits.hasWaiting(), true);
        assert.deepEqual((await store.waits.listWaits({ limit: 10 })).map((w) => w.id), ['w2', 'w1']);
        assert.deepEqual((await store.waits.listWaits({ owner_kind: 'hook', limit: 10 })).map((w) => w.id), ['w1']);
        assert.deepEqual((await store.waits.listWaits({ correlation_id: 'wf-w2', limit: 10 })).map((w) => w.id), ['w2']);
        assert.deepEqual((await store.waits.listWaits({ status: 'completed', limit: 10 })).map((w) => w.id), []);
        assert.equal((await store.waits.listWaits({ limit: 1 })).length, 1);
        await assert.rejects(store.waits.createWait(first), Error, 'a second wait with one id');
      });

      it('pendingPairs: events with the correlation id, within the lookback, not handled, of waiting waits only', async () => {
        const now = Date.now();
        await store.waits.createWait(waitRecord('a', { created_at: now }));
        await store.waits.createWait(waitRecord('b', { created_at: now }));
        await store.waits.createWait(waitRecord('done', { status: 'completed', created_at: now }));
        const early = await correlated('wf-a', now - 30 * MINUTE);
        const tooEarly = await correlated('wf-a', now - 90 * MINUTE);
        const later = await correlated('wf-a', now + 5);
        const forB = await correlated('wf-b', now + 10);
        await correlated('wf-done', now + 15);
        await correlated('wf-nobody', now + 20);
        await insertOne(store, completed({ type: 'no.correlation' }));

        const pairs = await store.waits.pendingPairs(pendingQuery());
        assert.deepEqual(pairs, [
          { wait_id: 'a', event_id: early.id },
          { wait_id: 'a', event_id: later.id },
          { wait_id: 'b', event_id: forB.id },
        ]);
        assert.ok(!pairs.some((pair) => pair.event_id === tooEarly.id), 'older than the lookback');
        assert.deepEqual(await store.waits.pendingPairs(pendingQuery({ limit: 1 })), [{ wait_id: 'a', event_id: early.id }]);

        // since: for waits parked before it, only events created from it on.
        assert.deepEqual(
          (await store.waits.pendingPairs(pendingQuery({ since: now + 7 }))).map((pair) => pair.event_id),
          [forB.id],
          'waits parked before since see only newer events',
        );
        await store.waits.createWait(waitRecord('fresh', { correlation_id: 'wf-a', created_at: now + 8 }));
        assert.deepEqual(
          (await store.waits.pendingPairs(pendingQuery({ since: now + 7 }))).filter((pair) => pair.wait_id === 'fresh').map((pair) => pair.event_id),
          [early.id, later.id],
          'a wait parked after since still looks back over its whole window',
        );

        await store.waits.markHandled('a', { event_id: early.id, outcome: 'ignore' });
        assert.ok(!(await store.waits.pendingPairs(pendingQuery())).some((pair) => pair.wait_id === 'a' && pair.event_id === early.id), 'a handled pair is not pending');
      });

      it('createWait with ignoreEvents: those events never reach the wait', async () => {
        const trigger = await correlated('wf-x', Date.now() - 1_000);
        const answer = await correlated('wf-x', Date.now() - 500);
        await store.waits.createWait(waitRecord('x', { correlation_id: 'wf-x' }), { ignoreEvents: [trigger.id] });
        assert.deepEqual(await store.waits.pendingPairs(pendingQuery()), [{ wait_id: 'x', event_id: answer.id }]);
      });

      it('claimPair: once per pair; again only after the lease expired unhandled; never for a wait not waiting', async () => {
        await store.waits.createWait(waitRecord('c'));
        const event = await correlated('wf-c');
        assert.equal(await store.waits.claimPair('c', event.id, 'router-a', 60_000), true);
        assert.equal(await store.waits.claimPair('c', event.id, 'router-b', 60_000), false, 'claimed by router-a');
        assert.equal(await store.waits.claimPair('c', event.id, 'router-a', 60_000), false, 'not even by its owner');
        assert.deepEqual(await store.waits.pendingPairs(pendingQuery()), [], 'a live claim is not pending');

        const other = await correlated('wf-c');
        assert.equal(await store.waits.claimPair('c', other.id, 'router-a', 1), true);
        await sleep(20);
        assert.deepEqual(await store.waits.pendingPairs(pendingQuery()), [{ wait_id: 'c', event_id: other.id }], 'an expired claim is pending again');
        assert.equal(await store.waits.claimPair('c', other.id, 'router-b', 60_000), true, 'an expired claim can be taken over');
        await store.waits.markHandled('c', { event_id: other.id, outcome: 'ignore' });

        const third = await correlated('wf-c');
        assert.equal(await store.waits.claimPair('c', third.id, 'router-a', 1), true);
        await store.waits.markHandled('c', { event_id: third.id, outcome: 'ignore' });
        await sleep(20);
        assert.equal(await store.waits.claimPair('c', third.id, 'router-b', 60_000), false, 'a handled pair is never claimed again');

        await store.waits.finishWait('c', { status: 'completed', outputs: {}, error: null });
        const late = await correlated('wf-c');
        assert.equal(await store.waits.claimPair('c', late.id, 'router-a', 60_000), false, 'the wait is over');
      });

      it('claimPair from two stores at once: exactly one claim per pair', async () => {
        const other = await harness.second();
        await store.waits.createWait(waitRecord('race'));
        const events = await Promise.all(Array.from({ length: 8 }, () => correlated('wf-race')));
        const claims = await Promise.all(
          events.flatMap((event) => [store.waits.claimPair('race', event.id, 'router-a', 60_000), other.waits.claimPair('race', event.id, 'router-b', 60_000)]),
        );
        events.forEach((event, i) => assert.equal(claims[2 * i] !== claims[2 * i + 1], true, `${event.id}: ${claims[2 * i]} / ${claims[2 * i + 1]}`));
      });

      it('finishWait ends a waiting wait once, with its outputs and error, and marks the pair handled', async () => {
        await store.waits.createWait(waitRecord('f'));
        const event = await correlated('wf-f');
        assert.equal(await store.waits.claimPair('f', event.id, 'router-a', 60_000), true);
        const before = Date.now();
        const finished = await store.waits.finishWait('f', { status: 'failed', outputs: { status: 'failed', code: 7 }, error: 'quota' }, { event_id: event.id, outcome: 'complete' });
        assert.equal(finished?.status, 'failed');
        assert.deepEqual(finished?.outputs, { status: 'failed', code: 7 });
        assert.equal(finished?.error, 'quota');
        assert.ok((finished?.updated_at ?? 0) >= before);
        assert.deepEqual(await store.waits.getWait('f'), finished);
        assert.equal(await store.waits.finishWait('f', { status: 'completed', outputs: {}, error: null }), null, 'only once');
        assert.equal((await store.waits.getWait('f'))?.status, 'failed');
        assert.equal(await store.waits.hasWaiting(), false);
      });

      it('finishWait from two stores at once: exactly one ends the wait', async () => {
        const other = await harness.second();
        for (let i = 0; i < 5; i++) await store.waits.createWait(waitRecord(`race-${i}`));
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, i) => [
            store.waits.finishWait(`race-${i}`, { status: 'completed', outputs: { by: 'a' }, error: null }),
            other.waits.finishWait(`race-${i}`, { status: 'failed', outputs: { by: 'b' }, error: 'b' }),
          ]).flat(),
        );
        for (let i = 0; i < 5; i++) {
          const [a, b] = [results[2 * i], results[2 * i + 1]];
          assert.equal((a === null) !== (b === null), true, `race-${i}: one winner`);
          const stored = await store.waits.getWait(`race-${i}`);
          assert.deepEqual(stored?.outputs, (a ?? b)?.outputs, 'the winner wrote the outputs');
        }
      });

      it('updateProgress keeps the other value when one is null, and does nothing once the wait ended', async () => {
        await store.waits.createWait(waitRecord('p'));
        assert.equal((await store.waits.updateProgress('p', { progress: 40, eta_minutes: null }))?.progress, 40);
        const both = await store.waits.updateProgress('p', { progress: null, eta_minutes: 2.5 });
        assert.equal(both?.progress, 40);
        assert.equal(both?.eta_minutes, 2.5);
        await store.waits.finishWait('p', { status: 'completed', outputs: {}, error: null });
        assert.equal(await store.waits.updateProgress('p', { progress: 90, eta_minutes: null }), null);
        assert.equal((await store.waits.getWait('p'))?.progress, 40);
      });

      it('expireWaits times out waiting waits past their deadline, once, even from two stores', async () => {
        const other = await harness.second();
        const now = Date.now();
        for (let i = 0; i < 6; i++) await store.waits.createWait(waitRecord(`late-${i}`, { deadline: now - 1_000 + i }));
        await store.waits.createWait(waitRecord('future', { deadline: now + MINUTE }));
        await store.waits.createWait(waitRecord('over', { deadline: now - 1_000, status: 'completed' }));
        const [a, b] = await Promise.all([store.waits.expireWaits(now, 100), other.waits.expireWaits(now, 100)]);
        const expired = [...a, ...b].map((w) => w.id).sort();
        assert.deepEqual(expired, Array.from({ length: 6 }, (_, i) => `late-${i}`));
        for (const wait of [...a, ...b]) {
          assert.equal(wait.status, 'timeout');
          assert.match(wait.error ?? '', new RegExp(`wf-${wait.id}`), 'the error names the workflow id');
        }
        assert.deepEqual(await store.waits.expireWaits(now, 100), [], 'only once');
        assert.equal((await store.waits.getWait('future'))?.status, 'waiting');
        assert.equal((await store.waits.getWait('over'))?.status, 'completed');
        assert.equal((await store.waits.expireWaits(now + 2 * MINUTE, 100)).length, 1, 'the future one in its time');
      });

      it('takeDueTimers returns due timers and moves them by the retry interval', async () => {
        const now = Date.now();
        await store.waits.createWait(waitRecord('due', { wake_at: now - 10 }));
        await store.waits.createWait(waitRecord('not-yet', { wake_at: now + MINUTE }));
        await store.waits.createWait(waitRecord('no-timer'));
        await store.waits.createWait(waitRecord('ended', { wake_at: now - 10, status: 'timeout' }));
        const taken = await store.waits.takeDueTimers(now, 30_000, 100);
        assert.deepEqual(taken.map((w) => w.id), ['due']);
        assert.equal(taken[0].wake_at, now + 30_000);
        assert.deepEqual(await store.waits.takeDueTimers(now + 1_000, 30_000, 100), [], 'not again before the retry');
        assert.deepEqual((await store.waits.takeDueTimers(now + 31_000, 30_000, 100)).map((w) => w.id), ['due'], 'again after it');
      });

      it('deleteWaitsBefore deletes finished waits only', async () => {
        await store.waits.createWait(waitRecord('old-done', { status: 'completed', updated_at: 1_000 }));
        await store.waits.createWait(waitRecord('old-waiting', { updated_at: 1_000 }));
        await store.waits.createWait(waitRecord('new-done', { status: 'timeout' }));
        assert.equal(await store.waits.deleteWaitsBefore(10_000), 1);
        assert.equal(await store.waits.getWait('old-done'), null);
        assert.ok(await store.waits.getWait('old-waiting'));
        assert.ok(await store.waits.getWait('new-done'));
      });

      it('an action hook keeps its action and params, also when replaced', async () => {
        const hook = hookRecord('notify', { runtime: 'action', source: null, action: 'notification', params: { channel: 'slack', url: '{{ secret.SLACK }}', list: [1, { a: null }] } });
        await store.saveHook(hook, { replace: false });
        assert.deepEqual(await store.getHook('notify'), hook);
        const replaced = { ...hook, action: 'log', params: { message: 'x' }, updated_at: 5_000 };
        await store.saveHook(replaced, { replace: true });
        assert.deepEqual(await store.getHook('notify'), replaced);
        assert.deepEqual((await store.getHook('notify'))?.params, { message: 'x' });
        await store.saveHook(hookRecord('plain'), { replace: false });
        const plain = await store.getHook('plain');
        assert.equal(plain?.action, null);
        assert.equal(plain?.params, null);
      });
    });
  });
}
