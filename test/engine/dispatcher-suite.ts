import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Dispatcher, type ProcessedEvent } from '../../src/events/dispatcher.js';
import { isHookflowError } from '../../src/errors.js';
import type { EventRecord } from '../../src/events/model.js';
import { buildHook } from '../../src/hooks/definition.js';
import { createHookHost } from '../../src/hooks/host.js';
import type { HookRecord, HookRunResult, HookRuntime, HookRuntimeName } from '../../src/hooks/model.js';
import { SecretBox } from '../../src/secrets/crypto.js';
import type { Store } from '../../src/store/store.js';

export type Behaviour = (event: EventRecord, attempt: number, signal?: AbortSignal) => Promise<HookRunResult> | HookRunResult;

/** A runtime whose hooks are JS functions of the test, keyed by hook name. */
export class ScriptedRuntime implements HookRuntime {
  readonly name: HookRuntimeName = 'js';
  readonly behaviours = new Map<string, Behaviour>();
  readonly runs: Array<{ hook: string; event: string; attempt: number }> = [];
  running = 0;
  maxRunning = 0;

  async run({ hook, event, attempt, signal }: { hook: HookRecord; event: EventRecord; attempt: number; signal?: AbortSignal }): Promise<HookRunResult> {
    this.runs.push({ hook: hook.name, event: event.id, attempt });
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      const behaviour = this.behaviours.get(hook.name) ?? (() => ({ success: true, output: 'ok', error: null }));
      return await behaviour(event, attempt, signal);
    } finally {
      this.running -= 1;
    }
  }

  async close(): Promise<void> {}
}

export interface StoreHandle {
  store: Store;
  /** Another Store on the same database, as a second process would have. */
  second: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

const ok: HookRunResult = { success: true, output: 'ok', error: null };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function hook(name: string, events: string[], extra: Partial<Parameters<typeof buildHook>[0]> = {}): HookRecord {
  return buildHook({ name, events, runtime: 'js', source: '/dev/null', ...extra }).hook;
}

export function makeDispatcher(store: Store, runtime: ScriptedRuntime, options: { concurrency?: number; leaseMs?: number; pollMs?: number } = {}): Dispatcher {
  const box = SecretBox.fromKey('test');
  return new Dispatcher({
    store,
    runtimes: { get: (name) => (name === 'js' ? runtime : undefined) },
    concurrency: options.concurrency,
    leaseMs: options.leaseMs,
    pollMs: options.pollMs ?? 50,
    host: (self) =>
      createHookHost(store, box, async (type, data, o) => (await self.publish({ type, data, stack: o.stack ?? null, parent_id: o.parent_id ?? null })).event.id),
  });
}

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The dispatcher's behaviour, run unchanged on each store backend. */
export function runDispatcherSuite(label: string, open: () => Promise<StoreHandle>, skip: string | false = false): void {
  describe(`dispatcher on ${label}`, { skip }, () => {
    let handle: StoreHandle;
    let store: Store;
    const dispatchers: Dispatcher[] = [];
    const start = async (runtime: ScriptedRuntime, options: Parameters<typeof makeDispatcher>[2] = {}, on: Store = store) => {
      const dispatcher = makeDispatcher(on, runtime, options);
      dispatchers.push(dispatcher);
      await dispatcher.start();
      return dispatcher;
    };
    /** A runtime whose hook `name` succeeds after sleeping `ms`. */
    const sleepingHook = (name: string, ms: number): ScriptedRuntime => {
      const runtime = new ScriptedRuntime();
      runtime.behaviours.set(name, async () => {
        await sleep(ms);
        return ok;
      });
      return runtime;
    };

    before(async () => {
      handle = await open();
      store = handle.store;
    });
    // A failed assertion must not leave a dispatcher running into the next test.
    afterEach(async () => {
      for (const dispatcher of dispatchers.splice(0)) await dispatcher.stop(1000);
    });
    after(async () => {
      await handle.cleanup();
    });

    it('persists, runs matching hooks and records each execution', async () => {
      const runtime = new ScriptedRuntime();
      await store.saveHook(hook('a-exact', ['t1.done']), { replace: true });
      await store.saveHook(hook('a-prefix', ['t1.*']), { replace: true });
      await store.saveHook(hook('a-other', ['t2.done']), { replace: true });
      const dispatcher = await start(runtime);
      const { event, created } = await dispatcher.publish({ type: 't1.done', data: { n: 1 } });
      // Listen before anything else awaits: the outcome may be committed during the next round trip.
      const processed = dispatcher.waitFor(event.id);
      assert.equal(created, true);
      assert.ok((await store.getEvent(event.id)) !== null, 'durable when publish resolves');
      const done = await processed;
      assert.equal(done.event.status, 'completed');
      assert.deepEqual(done.executions.map((e) => e.hook_name).sort(), ['a-exact', 'a-prefix']);
      const stored = await store.getEvent(event.id);
      assert.equal(stored?.status, 'completed');
      assert.ok(stored?.processed_at);
      assert.equal((await store.listExecutionsForEvent(event.id)).length, 2);
      assert.equal((await store.getHook('a-exact'))?.run_count, 1);
      await dispatcher.stop(1000);
    });

    it('marks the event failed naming each failed hook, and publishes hook.failed', async () => {
      const runtime = new ScriptedRuntime();
      runtime.behaviours.set('b-bad', () => ({ success: false, output: '', error: 'connection refused' }));
      runtime.behaviours.set('b-worse', () => {
        throw new Error('thrown');
      });
      await store.saveHook(hook('b-bad', ['t3.x']), { replace: true });
      await store.saveHook(hook('b-worse', ['t3.x']), { replace: true });
      await store.saveHook(hook('b-good', ['t3.x']), { replace: true });
      await store.saveHook(hook('b-watch', ['hook.failed']), { replace: true });
      const dispatcher = await start(runtime);
      const failedSeen: EventRecord[] = [];
      dispatcher.on('processed', (p: ProcessedEvent) => {
        if (p.event.type === 'hook.failed') failedSeen.push(p.event);
      });
      const { event } = await dispatcher.publish({ type: 't3.x' });
      const done = await dispatcher.waitFor(event.id);
      assert.equal(done.event.status, 'failed');
      assert.match(done.event.error ?? '', /^hooks failed: \[/);
      assert.match(done.event.error ?? '', /hook b-bad: connection refused/);
      assert.match(done.event.error ?? '', /hook b-worse: thrown/);
      assert.doesNotMatch(done.event.error ?? '', /b-good/);
      await waitUntil(() => failedSeen.length === 2, 5000, 'two hook.failed events');
      assert.deepEqual(failedSeen.map((e) => e.data.hook_name).sort(), ['b-bad', 'b-worse']);
      assert.ok(failedSeen.every((e) => e.parent_id === event.id));
      await dispatcher.stop(1000);
    });

    it('completes an event no hook matches at once', async () => {
      const dispatcher = await start(new ScriptedRuntime());
      const { event } = await dispatcher.publish({ type: 'nobody.listens' });
      assert.equal(event.status, 'completed');
      assert.equal((await store.getEvent(event.id))?.status, 'completed');
      await dispatcher.stop(1000);
    });

    it('runs the hooks of events another write inserted (an outbox), and completes the unwanted ones there', async () => {
      const runtime = new ScriptedRuntime();
      await store.saveHook(hook('o-wanted', ['outbox.wanted']), { replace: true });
      const dispatcher = await start(runtime);
      await dispatcher.prepareOutbox();
      const wanted = dispatcher.outboxInsert({ type: 'outbox.wanted', data: { n: 1 }, source: 'worker' });
      const unwanted = dispatcher.outboxInsert({ type: 'outbox.unwanted' });
      assert.equal(wanted.completed, false);
      assert.equal(unwanted.completed, true);
      assert.throws(() => dispatcher.outboxInsert({ type: 'Not A Type' }), (error: unknown) => isHookflowError(error));
      const inserted = await store.insertEvents([wanted, unwanted]);
      dispatcher.outboxCommitted(inserted);
      const done = await dispatcher.waitFor(wanted.event.id);
      assert.equal(done.event.status, 'completed');
      assert.deepEqual(done.executions.map((e) => e.hook_name), ['o-wanted']);
      assert.equal((await store.getEvent(unwanted.event.id))?.status, 'completed');
      assert.equal((await store.listExecutionsForEvent(unwanted.event.id)).length, 0);
      await dispatcher.stop(1000);
    });

    it('enforces stacks and filters', async () => {
      const runtime = new ScriptedRuntime();
      await store.saveHook(hook('c-prod', ['t4.x'], { stack: 'production' }), { replace: true });
      await store.saveHook(hook('c-any', ['t4.x']), { replace: true });
      await store.saveHook(hook('c-filtered', ['t4.x'], { filter: 'data.task.exit_code != 0' }), { replace: true });
      const dispatcher = await start(runtime);
      const names = async (input: { stack?: string; data?: Record<string, unknown> }) => {
        const { event } = await dispatcher.publish({ type: 't4.x', stack: input.stack, data: input.data as never });
        return (await dispatcher.waitFor(event.id)).executions.map((e) => e.hook_name).sort();
      };
      assert.deepEqual(await names({ stack: 'staging', data: { task: { exit_code: 0 } } }), ['c-any']);
      assert.deepEqual(await names({ stack: 'production', data: { task: { exit_code: 0 } } }), ['c-any', 'c-prod']);
      assert.deepEqual(await names({ data: { task: { exit_code: 2 } } }), ['c-any', 'c-filtered']);
      assert.deepEqual(await names({}), ['c-any']);
      await dispatcher.stop(1000);
    });

    it('retries a hook by its policy, recording every attempt', async () => {
      const runtime = new ScriptedRuntime();
      runtime.behaviours.set('d-flaky', (_e, attempt) => (attempt < 3 ? { success: false, output: '', error: `try ${attempt}` } : ok));
      await store.saveHook(hook('d-flaky', ['t5.x'], { retry: { max_attempts: 3, backoff_ms: 20, backoff_multiplier: 2 } }), { replace: true });
      const dispatcher = await start(runtime);
      const { event } = await dispatcher.publish({ type: 't5.x' });
      const done = await dispatcher.waitFor(event.id);
      assert.equal(done.event.status, 'completed');
      assert.deepEqual(done.executions.map((e) => [e.attempt, e.success]), [[1, false], [2, false], [3, true]]);
      await dispatcher.stop(1000);
    });

    it('applies backpressure without dropping and without waiting for a timer', async () => {
      const runtime = sleepingHook('e-slow', 20);
      await store.saveHook(hook('e-slow', ['t6.x']), { replace: true });
      // A long poll interval proves pending events are claimed as soon as a slot frees.
      const dispatcher = await start(runtime, { concurrency: 2, pollMs: 60_000 });
      // Outcomes are counted from the start: the first ones may be recorded before the last publish resolves.
      const processed = new Set<string>();
      let allProcessed = (): void => {};
      const everyOutcome = new Promise<void>((resolve) => (allProcessed = resolve));
      dispatcher.on('processed', (p: ProcessedEvent) => {
        processed.add(p.event.id);
        if (processed.size === 30) allProcessed();
      });
      const started = Date.now();
      const published = await Promise.all(Array.from({ length: 30 }, (_, n) => dispatcher.publish({ type: 't6.x', data: { n } })));
      await everyOutcome;
      const elapsed = Date.now() - started;
      assert.ok(runtime.maxRunning <= 2, `at most 2 at once, saw ${runtime.maxRunning}`);
      assert.equal(runtime.runs.filter((r) => r.hook === 'e-slow').length, 30);
      assert.ok(elapsed < 3000, `30 × 20 ms with 2 slots took ${elapsed} ms`);
      for (const { event } of published) assert.equal((await store.getEvent(event.id))?.status, 'completed');
      await dispatcher.stop(1000);
    });

    it('returns the first event for a repeated idempotency key', async () => {
      const dispatcher = await start(new ScriptedRuntime());
      const first = await dispatcher.publish({ type: 't7.x', idempotency_key: `key-${label}` });
      const second = await dispatcher.publish({ type: 't7.x', idempotency_key: `key-${label}`, data: { other: true } });
      assert.equal(second.created, false);
      assert.equal(second.event.id, first.event.id);
      await dispatcher.stop(1000);
    });

    it('rejects bad input and stores nothing', async () => {
      const dispatcher = await start(new ScriptedRuntime());
      const before_ = await store.countEventsByStatus();
      await assert.rejects(dispatcher.publish({ type: 'Bad Type' }), { code: 'HF_ERR_INVALID_EVENT_TYPE' });
      await assert.rejects(dispatcher.publish({ type: 'ok.type', data: { big: 'x'.repeat(dispatcher.maxEventBytes + 1) } }), {
        code: 'HF_ERR_PAYLOAD_TOO_LARGE',
      });
      assert.deepEqual(await store.countEventsByStatus(), before_);
      await dispatcher.stop(1000);
    });

    it('with slow hooks a server holds only about half a second of work, so another server on the store takes the rest', async () => {
      const runtime = sleepingHook('h-slow', 100);
      await store.saveHook(hook('h-slow', ['t10.slow']), { replace: true });
      // The default local queue (1 000) would let `a` claim all 24 at insert and `b` idle.
      const a = await start(runtime, { concurrency: 2, pollMs: 20 });
      const otherStore = await handle.second();
      const b = await start(runtime, { concurrency: 2, pollMs: 20 }, otherStore);
      const ran = { a: 0, b: 0 };
      a.on('processed', () => (ran.a += 1));
      b.on('processed', () => (ran.b += 1));
      await Promise.all(Array.from({ length: 24 }, (_, n) => a.publish({ type: 't10.slow', data: { n } })));
      const deadline = Date.now() + 10_000;
      while (ran.a + ran.b < 24 && Date.now() < deadline) await sleep(20);
      assert.equal(ran.a + ran.b, 24);
      assert.ok(ran.b >= 6, `the other server ran ${ran.b} of 24`);
      await a.stop(1000);
      await b.stop(1000);
      await otherStore.close();
    });

    it('renews the lease of a long hook so nobody runs it twice', async () => {
      const runtime = sleepingHook('f-long', 900);
      await store.saveHook(hook('f-long', ['t8.x']), { replace: true });
      const a = await start(runtime, { leaseMs: 250 });
      const otherStore = await handle.second();
      const b = await start(runtime, { leaseMs: 250 }, otherStore);
      const { event } = await a.publish({ type: 't8.x' });
      await a.waitFor(event.id);
      await sleep(300);
      assert.equal(runtime.runs.filter((r) => r.event === event.id).length, 1);
      await a.stop(1000);
      await b.stop(1000);
      await otherStore.close();
    });

    it('takes over an event whose owner died once its lease expires', async () => {
      const runtime = new ScriptedRuntime();
      await store.saveHook(hook('g-take', ['t9.x']), { replace: true });
      // A "dead" process claimed it and never came back.
      const id = '01900000-0000-7000-8000-00000000abcd';
      await store.insertEvents([
        { event: { id, type: 't9.x', data: {}, created_at: Date.now() }, claim: { owner: 'dead-process', lease_expires_at: Date.now() + 200 }, completed: false },
      ]);
      const dispatcher = await start(runtime, { pollMs: 50 });
      const done = await dispatcher.waitFor(id);
      assert.equal(done.event.status, 'completed');
      assert.equal((await store.getEvent(id))?.attempts, 2);
      await dispatcher.stop(1000);
    });

    it('lets two processes share one store without running an event twice', async () => {
      const runtime = sleepingHook('h-count', 1);
      await store.saveHook(hook('h-count', ['t10.x']), { replace: true });
      const otherStore = await handle.second();
      const a = await start(runtime, { concurrency: 20 });
      const b = await start(runtime, { concurrency: 20 }, otherStore);
      // Half published by each, with slots for few, so both claim from the shared backlog.
      const ids: string[] = [];
      for (let i = 0; i < 400; i += 1) ids.push((await (i % 2 ? a : b).publish({ type: 't10.x', data: { i } })).event.id);
      await waitUntil(async () => (await store.listEvents({ type: 't10.x', status: 'completed', limit: 1000 })).length === 400, 20_000, '400 completed');
      const perEvent = new Map<string, number>();
      for (const run of runtime.runs.filter((r) => r.hook === 'h-count')) perEvent.set(run.event, (perEvent.get(run.event) ?? 0) + 1);
      assert.equal(perEvent.size, 400);
      assert.ok([...perEvent.values()].every((n) => n === 1), 'every event ran exactly once');
      await a.stop(1000);
      await b.stop(1000);
      await otherStore.close();
    });

    it('picks up a hook another process added, and events another process published', async () => {
      const runtime = new ScriptedRuntime();
      const dispatcher = await start(runtime, { pollMs: 50 });
      const otherStore = await handle.second();
      await otherStore.saveHook(hook('i-late', ['t11.x']), { replace: true });
      const other = makeDispatcher(otherStore, new ScriptedRuntime());
      // `other` is not started: it only publishes, as the CLI does.
      const { event } = await other.publish({ type: 't11.x' });
      assert.equal(event.status, 'pending');
      await waitUntil(async () => (await store.getEvent(event.id))?.status === 'completed', 5000, 'processed by the running dispatcher');
      assert.ok(runtime.runs.some((r) => r.hook === 'i-late' && r.event === event.id));
      await dispatcher.stop(1000);
      await otherStore.close();
    });

    it('stops gracefully: finishes within the deadline, releases the rest as pending', async () => {
      const runtime = sleepingHook('j-quick', 50);
      // Like the real runtimes: a run aborted by shutdown ends as a failed result.
      runtime.behaviours.set(
        'j-stuck',
        (_event, _attempt, signal) =>
          new Promise<HookRunResult>((resolve) =>
            signal?.addEventListener('abort', () => resolve({ success: false, output: '', error: 'HF_ERR_SHUTTING_DOWN: aborted' })),
          ),
      );
      await store.saveHook(hook('j-quick', ['t12.quick']), { replace: true });
      await store.saveHook(hook('j-stuck', ['t12.stuck']), { replace: true });
      const dispatcher = makeDispatcher(store, runtime);
      await dispatcher.start();
      const quick = await dispatcher.publish({ type: 't12.quick' });
      const stuck = await dispatcher.publish({ type: 't12.stuck' });
      await sleep(10);
      await dispatcher.stop(300);
      assert.equal((await store.getEvent(quick.event.id))?.status, 'completed');
      assert.equal((await store.getEvent(stuck.event.id))?.status, 'pending');
      // The interrupted run is not recorded as a failure: the event will simply run again.
      await sleep(50);
      assert.equal((await store.getEvent(stuck.event.id))?.status, 'pending');
      assert.deepEqual(await store.listExecutionsForEvent(stuck.event.id), []);
      await store.saveHook(hook('j-stuck', ['t12.stuck'], { enabled: false }), { replace: true });
    });
  });
}
