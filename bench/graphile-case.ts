/**
 * The graphile-worker case of `npm run bench:events`, on the same PostgreSQL as hookflow's and in a
 * database of its own. Runs `workers` worker processes (bench/graphile-worker.ts) configured as its
 * perfTest, and measures:
 *  1. drain (its perfTest's figure, `jobs_per_s`): N jobs added with add_jobs in batches inside one
 *     transaction, then ANALYZE; the clock runs from COMMIT until the job table is empty
 *     (completions committed);
 *  2. end to end (`e2e_jobs_per_s`): N jobs added with WorkerUtils.addJobs in batches while the
 *     workers run; first addJobs call → job table empty;
 *  3. latency: one addJob per job at a fixed rate; addJob call → task start, timed inside the task
 *     (performance.timeOrigin + now(), as hookflow's JS hook does).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger, makeWorkerUtils, runMigrations, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import {
  emitResult,
  readConfig,
  type FromGraphileWorker,
  type GraphileCaseConfig,
  type GraphileCaseResult,
  type GraphileWorkerConfig,
  type ToGraphileWorker,
} from './lib/protocol.js';
import { atFixedRate } from './lib/schedule.js';
import { perSecond, summarize } from './lib/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const STALL_MS = 60_000;

const quietLogger = new Logger(() => (level, message) => {
  if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
});

/** The worker processes and what they have reported so far. */
class WorkerFleet {
  private readonly done: number[];
  readonly latencies: number[] = [];
  private readonly rss: number[];
  private waiters: Array<() => void> = [];
  private lastProgress = performance.now();

  private constructor(private readonly children: ChildProcess[]) {
    this.done = children.map(() => 0);
    this.rss = children.map(() => 0);
  }

  static async start(count: number, config: GraphileWorkerConfig): Promise<WorkerFleet> {
    const children = Array.from({ length: count }, () =>
      fork(join(here, 'graphile-worker.ts'), [JSON.stringify(config)], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, NO_LOG_SUCCESS: '1' },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      }),
    );
    const fleet = new WorkerFleet(children);
    await Promise.all(
      children.map(
        (child, index) =>
          new Promise<void>((resolve, reject) => {
            child.once('exit', (code) => reject(new Error(`graphile-worker process ${index + 1} exited with code ${code}`)));
            child.on('message', (message: FromGraphileWorker) => {
              if (message.type === 'ready') resolve();
              fleet.receive(index, message);
            });
          }),
      ),
    );
    return fleet;
  }

  private receive(index: number, message: FromGraphileWorker): void {
    if (message.type === 'progress') {
      this.done[index] = message.done;
      for (const latency of message.latencies) this.latencies.push(latency);
      this.lastProgress = performance.now();
      for (const wake of this.waiters.splice(0)) wake();
    } else if (message.type === 'stopped') {
      this.rss[index] = message.rss_mb;
    }
  }

  get totalDone(): number {
    return this.done.reduce((sum, value) => sum + value, 0);
  }

  /** Resolves once the workers together report `target` jobs run. */
  async until(target: number): Promise<void> {
    while (this.totalDone < target) {
      if (performance.now() - this.lastProgress > STALL_MS) throw new Error(`graphile-worker stalled at ${this.totalDone} of ${target} jobs`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  }

  async stop(): Promise<number[]> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) {
              resolve();
              return;
            }
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.send({ type: 'stop' } satisfies ToGraphileWorker);
          }),
      ),
    );
    return this.rss;
  }
}

/** Waits until graphile-worker's job table is empty: every completion is committed. */
async function untilEmpty(client: pg.Client): Promise<number> {
  const deadline = performance.now() + STALL_MS;
  for (;;) {
    const { rows } = await client.query<{ left: string }>('SELECT count(*) AS left FROM graphile_worker._private_jobs');
    if (Number(rows[0].left) === 0) return performance.now();
    if (performance.now() > deadline) throw new Error(`graphile-worker left ${rows[0].left} jobs in its table`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function specs(from: number, count: number, identifier: string): Array<{ identifier: string; payload: { seq: number } }> {
  return Array.from({ length: count }, (_, index) => ({ identifier, payload: { seq: from + index } }));
}

/** The statement WorkerUtils.addJobs issues, on our own client so a whole batch set is one transaction. */
const ADD_JOBS_SQL = `SELECT count(*) FROM graphile_worker.add_jobs(
  array(SELECT json_populate_recordset(null::graphile_worker.job_spec, $1::json)), false)`;

/**
 * Adds stamp jobs with at most one addJobs call in flight; jobs due meanwhile wait and go out
 * together in the next call (a group commit on the client side, as hookflow's publish does inside).
 * graphile-worker has none of its own: every addJob is a transaction that NOTIFYs, and PostgreSQL
 * serializes notifying commits, fsync included, which caps lone addJob calls on a slow disk.
 */
class GroupAdder {
  private pending: Array<{ identifier: string; payload: { t: number } }> = [];
  private inFlight: Promise<void> | null = null;
  calls = 0;
  lost = 0;

  constructor(private readonly utils: WorkerUtils) {}

  add(payload: { t: number }): void {
    this.pending.push({ identifier: 'bench_stamp', payload });
    if (!this.inFlight) this.flush();
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.calls += 1;
    this.inFlight = this.utils.addJobs(batch).then(
      () => {
        this.inFlight = null;
        if (this.pending.length > 0) this.flush();
      },
      (error: Error) => {
        this.inFlight = null;
        this.lost += batch.length;
        process.stderr.write(`addJobs failed: ${error.message}\n`);
      },
    );
  }

  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }
}

async function main(): Promise<void> {
  const config = readConfig<GraphileCaseConfig>();
  await runMigrations({ connectionString: config.pgUrl, logger: quietLogger });
  const client = new pg.Client({ connectionString: config.pgUrl });
  client.on('error', () => {});
  await client.connect();
  const utils = await makeWorkerUtils({ connectionString: config.pgUrl, logger: quietLogger });
  const fleet = await WorkerFleet.start(config.workers, { pgUrl: config.pgUrl, concurrency: config.concurrency, localQueueSize: config.localQueueSize });
  let rss: number[] = [];
  try {
    let expected = 0;
    // Warm-up: connections, prepared statements, JIT in every worker.
    for (let from = 0; from < config.warmup; from += config.addBatch) await utils.addJobs(specs(from, Math.min(config.addBatch, config.warmup - from), 'bench_noop'));
    expected += config.warmup;
    await fleet.until(expected);
    await untilEmpty(client);

    // 1. Drain N jobs committed at once.
    const addStart = performance.now();
    await client.query('BEGIN');
    for (let from = 0; from < config.n; from += config.addBatch) {
      await client.query(ADD_JOBS_SQL, [JSON.stringify(specs(from, Math.min(config.addBatch, config.n - from), 'bench_noop'))]);
    }
    // The running workers planned get_job on a near-empty table during the warm-up; without fresh
    // statistics some drains ran at ~1 200 jobs/s instead of its usual 8 000+ (its perfTest starts
    // new workers after adding, which plan afresh). ANALYZE in the adding transaction counts its
    // rows, and the statistics reach the workers with the COMMIT.
    await client.query('ANALYZE');
    const drainStart = performance.now();
    await client.query('COMMIT');
    const addMs = performance.now() - addStart;
    expected += config.n;
    await fleet.until(expected);
    const drainMs = (await untilEmpty(client)) - drainStart;

    // 2. Add and work at once.
    const e2eStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < config.n) {
          const from = next;
          const count = Math.min(config.addBatch, config.n - from);
          next += count;
          await utils.addJobs(specs(from, count, 'bench_noop'));
        }
      }),
    );
    expected += config.n;
    await fleet.until(expected);
    const e2eMs = (await untilEmpty(client)) - e2eStart;

    // 3. Latency at a fixed rate, jobs due while an add is in flight going out together in the next.
    const total = Math.max(1, Math.round(config.rate * config.latencySeconds));
    fleet.latencies.length = 0;
    const adder = new GroupAdder(utils);
    await atFixedRate(config.rate, total, () => adder.add({ t: performance.timeOrigin + performance.now() }));
    await adder.idle();
    expected += total - adder.lost;
    await fleet.until(expected);
    const latency = summarize(fleet.latencies);

    // 4. Its own latencyTest: one job at a time, the next added once the previous has started.
    fleet.latencies.length = 0;
    for (let index = 0; index < config.sequentialSamples; index += 1) {
      await utils.addJob('bench_stamp', { t: performance.timeOrigin + performance.now() });
      expected += 1;
      await fleet.until(expected);
    }
    const sequential = summarize(fleet.latencies);
    rss = await fleet.stop();
    const result: GraphileCaseResult = {
      jobs_per_s: perSecond(config.n, drainMs),
      p50_ms: latency.p50_ms,
      p95_ms: latency.p95_ms,
      p99_ms: latency.p99_ms,
      max_ms: latency.max_ms,
      mean_ms: latency.mean_ms,
      add_per_s: perSecond(config.n, addMs),
      e2e_jobs_per_s: perSecond(config.n, e2eMs),
      latency_rate: config.rate,
      latency_count: latency.count,
      latency_add_calls: adder.calls,
      sequential_p50_ms: sequential.p50_ms,
      sequential_p99_ms: sequential.p99_ms,
      worker_rss_mb: rss,
      workers: config.workers,
      concurrency: config.concurrency,
      local_queue_size: config.localQueueSize,
      n: config.n,
    };
    emitResult(result);
  } finally {
    if (rss.length === 0) await fleet.stop();
    await utils.release();
    await client.end().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
