/**
 * One graphile-worker process for the comparison in `npm run bench:events`, configured as its own
 * perfTest (perfTest/graphile.config.js): 24 concurrent jobs, a pool of 25, a local queue of 500,
 * completions and failures batched with no delay. Started (twice) by bench/graphile-case.ts over
 * IPC; reports jobs done, and for `bench_stamp` jobs the add → task start latency.
 */
import { Logger, run, type Task } from 'graphile-worker';
import { readConfig, type FromGraphileWorker, type GraphileWorkerConfig, type ToGraphileWorker } from './lib/protocol.js';
import { PeakRss } from './lib/rss.js';

const REPORT_EVERY_MS = 20;

function send(message: FromGraphileWorker): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const config = readConfig<GraphileWorkerConfig>();
  const rss = new PeakRss(50);
  let done = 0;
  let reported = 0;
  let latencies: number[] = [];
  const noop: Task = () => {
    done += 1;
  };
  const stamp: Task = (payload) => {
    const startedAt = performance.timeOrigin + performance.now();
    const addedAt = (payload as { t?: unknown } | null)?.t;
    if (typeof addedAt === 'number') latencies.push(startedAt - addedAt);
    done += 1;
  };
  // Only errors: its info logs (one per job unless NO_LOG_SUCCESS) would be measured too.
  const logger = new Logger(() => (level, message) => {
    if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
  });
  const runner = await run({
    noHandleSignals: true,
    logger,
    taskList: { bench_noop: noop, bench_stamp: stamp },
    preset: {
      worker: {
        connectionString: config.pgUrl,
        concurrentJobs: config.concurrency,
        maxPoolSize: config.concurrency + 1,
        localQueue: { size: config.localQueueSize },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
        logger,
      },
    },
  });
  const flush = () => {
    if (done === reported && latencies.length === 0) return;
    reported = done;
    send({ type: 'progress', done, latencies });
    latencies = [];
  };
  const reporter = setInterval(flush, REPORT_EVERY_MS);
  process.on('message', (message: ToGraphileWorker) => {
    if (message.type !== 'stop') return;
    clearInterval(reporter);
    void runner.stop().then(() => {
      flush();
      send({ type: 'stopped', rss_mb: rss.stop() });
      process.disconnect();
    });
  });
  // The parent going away must not leave a worker polling a dropped database.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
