/**
 * One hookflow case of `npm run bench:events`: one store backend, one runtime, in a process of its
 * own (so peak RSS is this case's, and no other case's garbage is collected on its clock).
 * Started by bench/events.ts with its HookflowCaseConfig as the one argument; prints one result.
 *
 * Phases, each on a fresh store with one enabled no-op hook on `bench.*`:
 *  1. throughput: `inFlight` publishes in flight at once to a started dispatcher, until N resolved
 *     (publish/s) and N `processed` signals arrived (processed/s);
 *  2. drain (optional): N events published while the dispatcher is stopped, then start → last processed;
 *  3. latency: publishes at a fixed rate; publish call → hook start, per event.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dispatcher, type ProcessedEvent } from '../src/events/dispatcher.js';
import { buildHook } from '../src/hooks/definition.js';
import { createHookHost } from '../src/hooks/host.js';
import type { HookRecord, HookRuntime } from '../src/hooks/model.js';
import { loadRuntime as loadEngineRuntime } from '../src/engine.js';
import { SecretBox } from '../src/secrets/crypto.js';
import type { Store } from '../src/store/store.js';
import { withClient } from './lib/pg.js';
import { emitResult, readConfig, type HookflowCaseConfig, type HookflowCaseResult, type RuntimeName } from './lib/protocol.js';
import { eventTraceTsv, stallsTsv, watchLoopStalls, type TracedEvent } from './lib/latency-trace.js';
import { PeakRss } from './lib/rss.js';
import { atFixedRate } from './lib/schedule.js';
import { StoreCalls, type CallCount } from './lib/store-calls.js';
import { cpuPerEvent, sampleCpu, type CpuPerEvent } from './lib/cpu.js';
import { perSecond, round3, summarize } from './lib/stats.js';
import { Countdown } from './lib/waiter.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures');
const EVENT_TYPE = 'bench.tick';
const WARMUP_TYPE = 'bench.warmup';

class RuntimeUnavailable extends Error {}

/** The engine's own loader; a runtime that fails to load is reported as not measured. */
async function loadRuntime(name: RuntimeName, home: string): Promise<HookRuntime> {
  try {
    return await loadEngineRuntime(name, { home, envAllowlist: [] });
  } catch (error) {
    throw new RuntimeUnavailable(`the ${name} runtime could not be loaded: ${(error as Error).message.split('\n')[0]}`);
  }
}

function benchHook(runtime: RuntimeName, purpose: 'throughput' | 'latency'): HookRecord {
  const base = { name: `bench-${runtime}`, events: ['bench.*'], runtime };
  if (runtime === 'commands') return buildHook({ ...base, commands: ['true'] }).hook;
  if (runtime === 'lua') return buildHook({ ...base, source: join(fixtures, 'noop.lua') }).hook;
  return buildHook({ ...base, source: join(fixtures, purpose === 'latency' ? 'stamp-hook.mjs' : 'noop-hook.mjs') }).hook;
}

interface OpenedStore {
  store: Store;
  cleanup: () => Promise<void>;
}

async function openFreshStore(config: HookflowCaseConfig, phase: string): Promise<OpenedStore> {
  if (config.store === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `hookflow-bench-${config.runtime}-${phase}-`));
    const { SqliteStore } = await import('../src/store/sqlite/index.js');
    const store = await SqliteStore.open(join(dir, 'hookflow.db'), { synchronous: config.sqliteSync, writerThread: config.sqliteWriter === 'thread' });
    return {
      store,
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (!config.pgUrl) throw new Error('a postgres case needs pgUrl');
  const url = config.pgUrl;
  const schema = `hf_${config.runtime}_${phase}`;
  const { PostgresStore } = await import('../src/store/postgres/index.js');
  const store = await PostgresStore.open(url, { schema });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await withClient(url, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    },
  };
}

function makeDispatcher(store: Store, runtime: HookRuntime, config: HookflowCaseConfig): Dispatcher {
  const box = SecretBox.fromKey('hookflow-bench');
  const dispatcher = new Dispatcher({
    store,
    runtimes: { get: (name) => (name === runtime.name ? runtime : undefined) },
    concurrency: config.concurrency,
    host: (self) =>
      createHookHost(store, box, async (type, data, options) => (await self.publish({ type, data, stack: options.stack ?? null, parent_id: options.parent_id ?? null })).event.id),
  });
  dispatcher.on('error', (error: unknown) => process.stderr.write(`dispatcher error: ${(error as Error).message ?? String(error)}\n`));
  return dispatcher;
}

/** Counts processed events of the benchmark's type, and failed ones apart. */
function countProcessed(dispatcher: Dispatcher, target: number, onEach?: (done: ProcessedEvent, at: number) => void): { countdown: Countdown; failed: () => number } {
  const countdown = new Countdown(target, 'events processed');
  let failed = 0;
  let firstError: string | null = null;
  dispatcher.on('processed', (done: ProcessedEvent) => {
    if (done.event.type !== EVENT_TYPE) return;
    if (done.event.status !== 'completed') {
      failed += 1;
      firstError ??= done.event.error;
    }
    onEach?.(done, performance.now());
    countdown.tick();
  });
  return {
    countdown,
    failed: () => {
      if (firstError) process.stderr.write(`${failed} events failed; first error: ${firstError}\n`);
      return failed;
    },
  };
}

/** Publishes `count` events of WARMUP_TYPE and waits until all are processed. */
async function warmUp(dispatcher: Dispatcher, count: number): Promise<void> {
  if (count <= 0) return;
  const done = new Countdown(count, 'warm-up events processed');
  const listener = (processed: ProcessedEvent) => {
    if (processed.event.type === WARMUP_TYPE) done.tick();
  };
  dispatcher.on('processed', listener);
  const lanes = Math.min(count, 50);
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        next += 1;
        await dispatcher.publish({ type: WARMUP_TYPE, data: { warmup: true } });
      }
    }),
  );
  await done.done();
  dispatcher.off('processed', listener);
}

/** Publishes N events with `inFlight` publishes outstanding at a time; resolves when all resolved. */
async function publishAll(dispatcher: Dispatcher, n: number, inFlight: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, n) }, async () => {
      while (next < n) {
        const seq = next++;
        await dispatcher.publish({ type: EVENT_TYPE, data: { seq } });
      }
    }),
  );
}

interface ThroughputFigures {
  publishMs: number;
  processedMs: number;
  failed: number;
  storeCalls: Record<string, CallCount>;
  cpu: CpuPerEvent;
}

async function throughputPhase(runtime: HookRuntime, config: HookflowCaseConfig): Promise<ThroughputFigures> {
  const { store, cleanup } = await openFreshStore(config, 'tp');
  const calls = new StoreCalls();
  const dispatcher = makeDispatcher(calls.wrap(store), runtime, config);
  try {
    await store.saveHook(benchHook(config.runtime, 'throughput'), { replace: true });
    await dispatcher.start();
    await warmUp(dispatcher, config.warmup);
    const { countdown, failed } = countProcessed(dispatcher, config.n);
    calls.enabled = true;
    const cpuFrom = sampleCpu();
    const start = performance.now();
    const publishing = publishAll(dispatcher, config.n, config.inFlight);
    // A publish that throws must end the case rather than leave the countdown waiting forever.
    publishing.catch((error: Error) => countdown.fail(error));
    await publishing;
    const publishMs = performance.now() - start;
    const processedAt = await countdown.done();
    const cpu = cpuPerEvent(cpuFrom, sampleCpu(), config.n);
    calls.enabled = false;
    return { publishMs, processedMs: processedAt - start, failed: failed(), storeCalls: calls.toJson(), cpu };
  } finally {
    await dispatcher.stop(5_000);
    await cleanup();
  }
}

async function drainPhase(runtime: HookRuntime, config: HookflowCaseConfig): Promise<{ ms: number; cpu: CpuPerEvent }> {
  const { store, cleanup } = await openFreshStore(config, 'drain');
  const dispatcher = makeDispatcher(store, runtime, config);
  try {
    await store.saveHook(benchHook(config.runtime, 'throughput'), { replace: true });
    // Published while the dispatcher is idle: every event is left pending for the claim path.
    await publishAll(dispatcher, config.n, config.inFlight);
    const { countdown } = countProcessed(dispatcher, config.n);
    const cpuFrom = sampleCpu();
    const start = performance.now();
    await dispatcher.start();
    const doneAt = await countdown.done();
    return { ms: doneAt - start, cpu: cpuPerEvent(cpuFrom, sampleCpu(), config.n) };
  } finally {
    await dispatcher.stop(5_000);
    await cleanup();
  }
}

interface LatencyFigures {
  hook: number[];
  hookStart: number[];
  done: number[];
}

async function latencyPhase(runtime: HookRuntime, config: HookflowCaseConfig): Promise<LatencyFigures> {
  const { store, cleanup } = await openFreshStore(config, 'lat');
  const dispatcher = makeDispatcher(store, runtime, config);
  try {
    await store.saveHook(benchHook(config.runtime, 'latency'), { replace: true });
    await dispatcher.start();
    await warmUp(dispatcher, Math.min(config.warmup, Math.max(20, config.rate)));
    const total = Math.max(1, Math.round(config.rate * config.latencySeconds));
    const publishedAt = new Map<string, number>();
    const hookStartAt = new Map<string, number>();
    const doneAt = new Map<string, number>();
    const stampedAt = new Map<string, number>();
    const durableAt = new Map<string, number>();
    const origin = performance.now();
    const stalls = config.latencyTrace ? watchLoopStalls(origin) : null;
    dispatcher.on('hook-start', (id: string) => {
      hookStartAt.set(id, performance.now());
    });
    const { countdown } = countProcessed(dispatcher, total, (done, at) => {
      doneAt.set(done.event.id, at);
      const stamp = Number(done.executions[0]?.output);
      if (Number.isFinite(stamp) && stamp > 0) stampedAt.set(done.event.id, stamp);
    });
    let publishErrors = 0;
    await atFixedRate(config.rate, total, (seq) => {
      const calledAt = performance.now();
      dispatcher.publish({ type: EVENT_TYPE, data: { seq } }).then(
        ({ event }) => {
          publishedAt.set(event.id, calledAt);
          durableAt.set(event.id, performance.now());
        },
        (error: Error) => {
          publishErrors += 1;
          if (publishErrors === 1) countdown.fail(error);
        },
      );
    });
    await countdown.done();
    const figures: LatencyFigures = { hook: [], hookStart: [], done: [] };
    for (const [id, calledAt] of publishedAt) {
      const started = hookStartAt.get(id);
      if (started !== undefined) figures.hookStart.push(started - calledAt);
      const finished = doneAt.get(id);
      if (finished !== undefined) figures.done.push(finished - calledAt);
      const stamp = stampedAt.get(id);
      if (stamp !== undefined) figures.hook.push(stamp - (performance.timeOrigin + calledAt));
    }
    if (config.latencyTrace && stalls) {
      const after = (calledAt: number, at: number | undefined) => (at === undefined ? null : at - calledAt);
      const events = [...publishedAt].map(([id, calledAt]): TracedEvent => ({
        at: calledAt - origin,
        durable: after(calledAt, durableAt.get(id)),
        hook: after(performance.timeOrigin + calledAt, stampedAt.get(id)),
        hookStart: after(calledAt, hookStartAt.get(id)),
        done: after(calledAt, doneAt.get(id)),
      }));
      writeFileSync(config.latencyTrace, eventTraceTsv(events));
      writeFileSync(config.latencyTrace.replace(/\.tsv$/, '.stalls.tsv'), stallsTsv(stalls.stop()));
    }
    return figures;
  } finally {
    await dispatcher.stop(5_000);
    await cleanup();
  }
}

async function main(): Promise<void> {
  const config = readConfig<HookflowCaseConfig>();
  const rss = new PeakRss(50);
  const home = mkdtempSync(join(tmpdir(), 'hookflow-bench-home-'));
  let runtime: HookRuntime;
  try {
    runtime = await loadRuntime(config.runtime, home);
  } catch (error) {
    rmSync(home, { recursive: true, force: true });
    if (error instanceof RuntimeUnavailable) {
      emitResult({ skipped: error.message });
      return;
    }
    throw error;
  }
  try {
    const throughput = await throughputPhase(runtime, config);
    const drain = config.drain ? await drainPhase(runtime, config) : null;
    const latency = await latencyPhase(runtime, config);
    const inHook = latency.hook.length > 0;
    const primary = summarize(inHook ? latency.hook : latency.hookStart);
    const hookStart = summarize(latency.hookStart);
    const done = summarize(latency.done);
    const result: HookflowCaseResult = {
      publish_per_s: perSecond(config.n, throughput.publishMs),
      processed_per_s: perSecond(config.n, throughput.processedMs),
      p50_ms: primary.p50_ms,
      p95_ms: primary.p95_ms,
      p99_ms: primary.p99_ms,
      rss_mb: rss.stop(),
      n: config.n,
      drain_per_s: drain === null ? null : perSecond(config.n, drain.ms),
      publish_seconds: round3(throughput.publishMs / 1000),
      processed_seconds: round3(throughput.processedMs / 1000),
      failed: throughput.failed,
      latency_rate: config.rate,
      latency_count: primary.count,
      latency_source: inHook ? 'hook' : 'hook-start',
      max_ms: primary.max_ms,
      mean_ms: primary.mean_ms,
      hook_start_p50_ms: hookStart.p50_ms,
      hook_start_p99_ms: hookStart.p99_ms,
      done_p50_ms: done.p50_ms,
      done_p99_ms: done.p99_ms,
      store_calls: throughput.storeCalls,
      cpu_us_per_event: { processed: throughput.cpu, drain: drain?.cpu ?? null },
    };
    emitResult(result);
  } finally {
    await runtime.close();
    rmSync(home, { recursive: true, force: true });
  }
}

main().then(
  // Worker pools and pg sockets are closed by now; exiting also ends anything a runtime left behind.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
