/**
 * What the benchmark's parent (bench/events.ts) and its case processes say to each other: each
 * case runs in a child process of its own, gets its config as one JSON argument, and prints one
 * result line on stdout after RESULT_MARKER. Everything else a child prints goes to stderr.
 */
import type { CpuPerEvent } from './cpu.js';

export type StoreKind = 'sqlite' | 'postgres';
export type RuntimeName = 'js' | 'lua' | 'commands';

export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];
export const RUNTIME_NAMES: readonly RuntimeName[] = ['js', 'lua', 'commands'];

export const RESULT_MARKER = '@@hookflow-bench-result ';

export interface HookflowCaseConfig {
  store: StoreKind;
  runtime: RuntimeName;
  /** Events published in the throughput phase. */
  n: number;
  /** Publishes in flight at once in the throughput phase. */
  inFlight: number;
  /** The dispatcher's concurrency (its default is 100). */
  concurrency: number;
  /** Events published and processed before the clock starts (worker threads, JIT, caches). */
  warmup: number;
  /** Events per second in the latency phase. */
  rate: number;
  latencySeconds: number;
  /** Also time draining N events published while the dispatcher was stopped. */
  drain: boolean;
  /** The bench run's database (postgres only); each phase takes a schema of its own. */
  pgUrl: string | null;
  sqliteSync: 'full' | 'normal';
  sqliteWriter: 'thread' | 'main';
  /** Where to write the latency phase's per-event trace (bench/lib/latency-trace.ts), or null. */
  latencyTrace: string | null;
}

/** One (store, runtime) case's figures; the first six keys are the ones the issue asks for. */
export interface HookflowCaseResult {
  publish_per_s: number;
  processed_per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  rss_mb: number;
  n: number;
  /** Events processed per second draining N events published before the dispatcher started. */
  drain_per_s: number | null;
  publish_seconds: number;
  processed_seconds: number;
  /** Events whose no-op hook failed (should be 0; a non-zero count means the figures are suspect). */
  failed: number;
  latency_rate: number;
  latency_count: number;
  /** Where hook start was timed: inside the hook (`hook`) or at the dispatcher's `hook-start` (`hook-start`). */
  latency_source: 'hook' | 'hook-start';
  max_ms: number;
  mean_ms: number;
  /** publish call → the dispatcher's `hook-start` signal (main thread), whatever latency_source is. */
  hook_start_p50_ms: number;
  hook_start_p99_ms: number;
  /** publish call → the event's outcome committed (`processed`). */
  done_p50_ms: number;
  done_p99_ms: number;
  /** Store calls and rows per method in the throughput phase (group commit sizes, claim sizes). */
  store_calls: Record<string, { calls: number; rows: number; mean_ms: number }>;
  /**
   * CPU µs per event in the throughput (`processed`) and drain phases: the main thread's, and the
   * whole process's (worker threads included). Steadier than the rates on a busy machine.
   */
  cpu_us_per_event: { processed: CpuPerEvent; drain: CpuPerEvent | null };
}

/** The floor case (bench/floor-case.ts): the host's own latencies at the latency phase's rate. */
export interface FloorCaseConfig {
  rate: number;
  seconds: number;
  sqliteSync: 'full' | 'normal';
  /** A database of the bench run's own, or null to leave PostgreSQL out. */
  pgUrl: string | null;
}

/** Call → done at a fixed rate. */
export interface FloorFigures {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  count: number;
}

/**
 * The yardstick issue 2 gives for SQLite: per event a batched insert, two updates and one
 * execution insert, time-ordered keys. No hookflow code: an upper bound for a store that writes
 * at least that much per event through one writer.
 */
export interface SqliteReferenceFigures {
  events_per_s: number;
  n: number;
  batch: number;
}

export interface FloorCaseResult {
  rate: number;
  seconds: number;
  /** A 1 ms timer; stalls: gaps > 4 ms in the event loop's 1 ms ticks while it ran. */
  loop: FloorFigures & { stalls_per_s: number; stalled_percent: number };
  /** One row inserted and committed (WAL, the bench's synchronous mode). */
  sqlite_commit: FloorFigures;
  /** The reference SQLite workload, alone on one connection (bench/floor-case.ts). */
  sqlite_reference: SqliteReferenceFigures;
  /** One autocommitted INSERT round trip; null without PostgreSQL. */
  postgres_commit: FloorFigures | null;
}

export interface SkippedCase {
  skipped: string;
}

export interface GraphileCaseConfig {
  /** The graphile-worker run's own database. */
  pgUrl: string;
  n: number;
  rate: number;
  latencySeconds: number;
  warmup: number;
  /** Worker processes (its perfTest runs several `graphile-worker` CLIs side by side). */
  workers: number;
  concurrency: number;
  localQueueSize: number;
  /** Jobs per add_jobs call. */
  addBatch: number;
  /** Jobs of its own latencyTest (one at a time). */
  sequentialSamples: number;
}

export interface GraphileWorkerConfig {
  pgUrl: string;
  concurrency: number;
  localQueueSize: number;
}

export interface GraphileCaseResult {
  /** Jobs per second draining N jobs committed at once (its perfTest's figure). */
  jobs_per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  /** Jobs per second added with add_jobs in batches of addBatch. */
  add_per_s: number;
  /** N / time from the first addJobs call to the last job done, adding and working at once. */
  e2e_jobs_per_s: number;
  latency_rate: number;
  latency_count: number;
  /** addJobs calls the latency phase took (jobs due while one was in flight share the next). */
  latency_add_calls: number;
  /** Its own latencyTest: one addJob at a time, each awaited until its task started. */
  sequential_p50_ms: number;
  sequential_p99_ms: number;
  /** Peak RSS of each worker process, MiB. */
  worker_rss_mb: number[];
  workers: number;
  concurrency: number;
  local_queue_size: number;
  n: number;
}

/** Messages from a graphile-worker process to the graphile case. */
export type FromGraphileWorker =
  | { type: 'ready' }
  | { type: 'progress'; done: number; latencies: number[] }
  | { type: 'stopped'; rss_mb: number };

export type ToGraphileWorker = { type: 'stop' };

export function isSkipped(value: unknown): value is SkippedCase {
  return typeof value === 'object' && value !== null && typeof (value as { skipped?: unknown }).skipped === 'string';
}

/** Prints a case's result for the parent; the only thing a child writes to stdout. */
export function emitResult(result: unknown): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

/** The result a child printed, or null when it printed none. */
export function parseResult(stdout: string): unknown {
  const line = stdout
    .split('\n')
    .reverse()
    .find((candidate) => candidate.startsWith(RESULT_MARKER));
  return line === undefined ? null : (JSON.parse(line.slice(RESULT_MARKER.length)) as unknown);
}

/** The one JSON argument a case process is started with. */
export function readConfig<T>(argv: readonly string[] = process.argv): T {
  const raw = argv[2];
  if (!raw) throw new Error('a benchmark case needs its config as one JSON argument; run it through bench/events.ts');
  return JSON.parse(raw) as T;
}
