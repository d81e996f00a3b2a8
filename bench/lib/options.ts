/** `npm run bench:events` options. Pure: argv in, options or a usage error out. */
import { parseArgs } from 'node:util';
import { DEFAULT_BENCH_PG_URL } from './pg.js';
import { RUNTIME_NAMES, type RuntimeName } from './protocol.js';
import { UsageError, wholeNumber } from './cli.js';

export type BenchTarget = 'sqlite' | 'postgres' | 'graphile';
export const BENCH_TARGETS: readonly BenchTarget[] = ['sqlite', 'postgres', 'graphile'];

export interface BenchOptions {
  n: number;
  commandsN: number;
  rate: number;
  /** The commands runtime spawns a shell per event, so its latency runs at a rate it can sustain. */
  commandsRate: number;
  latencySeconds: number;
  only: BenchTarget[];
  runtimes: RuntimeName[];
  json: boolean;
  pgUrl: string;
  sqliteSync: 'full' | 'normal';
  sqliteWriter: 'thread' | 'main';
  inFlight: number;
  concurrency: number;
  warmup: number;
  drain: boolean;
  /** Measure the host's own latencies at the rate first (bench/floor-case.ts). */
  floor: boolean;
  /** Directory for --cpu-prof output of every case process, or null. */
  cpuProfDir: string | null;
  /** Directory for each case's per-event latency trace (a .tsv per case), or null. */
  latencyTraceDir: string | null;
  help: boolean;
}

export { UsageError } from './cli.js';

export const USAGE = `npm run bench:events -- [options]

  --n N                 events per throughput phase (default 200000)
  --commands-n N        events for the commands runtime (default 2000)
  --rate R              events/s in the latency phase (default 1000)
  --commands-rate R     events/s in the commands runtime's latency phase (default 100)
  --latency-seconds S   length of each latency phase (default 5)
  --only LIST           sqlite,postgres,graphile (default all three)
  --runtimes LIST       js,lua,commands (default all three)
  --in-flight N         publishes in flight at once in the throughput phase (default 2000)
  --concurrency N       the dispatcher's concurrency (default 100, the dispatcher's own default)
  --warmup N            events processed before each clock starts (default 500)
  --no-drain            skip the drain phase (N events published while stopped, then drained; JS only)
  --no-floor            skip the host's floor (a 1 ms timer, a SQLite commit, a PostgreSQL INSERT at the rate)
  --sqlite-sync MODE    full (default, as hookflow runs) or normal
  --sqlite-writer W     thread (default, as hookflow runs: event writes on a writer thread) or main
  --pg-url URL          PostgreSQL server (default $HOOKFLOW_BENCH_PG_URL or ${DEFAULT_BENCH_PG_URL})
  --cpu-prof DIR        run every case process under --cpu-prof, writing .cpuprofile files to DIR
  --latency-trace DIR   write each case's latency phase event by event to DIR/STORE-RUNTIME.tsv
  --json                print the figures as one JSON object on stdout
  --help`;

const positiveInt = (name: string, raw: string | undefined, fallback: number): number => wholeNumber(name, raw, fallback);

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${name} must be a number above 0, got "${raw}"`);
  return value;
}

function list<T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T[] {
  if (raw === undefined) return [...allowed];
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (unknown.length > 0 || items.length === 0) {
    throw new UsageError(`--${name} takes a comma-separated list of ${allowed.join(', ')}; got "${raw}"`);
  }
  // In the canonical order, whatever order they were given in.
  return allowed.filter((item) => items.includes(item));
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const sqliteSync = values['sqlite-sync'] ?? 'full';
  if (sqliteSync !== 'full' && sqliteSync !== 'normal') throw new UsageError(`--sqlite-sync must be full or normal, got "${sqliteSync}"`);
  const sqliteWriter = values['sqlite-writer'] ?? 'thread';
  if (sqliteWriter !== 'thread' && sqliteWriter !== 'main') throw new UsageError(`--sqlite-writer must be thread or main, got "${sqliteWriter}"`);
  return {
    n: positiveInt('n', values.n, 200_000),
    commandsN: positiveInt('commands-n', values['commands-n'], 2_000),
    rate: positiveNumber('rate', values.rate, 1_000),
    commandsRate: positiveNumber('commands-rate', values['commands-rate'], 100),
    latencySeconds: positiveNumber('latency-seconds', values['latency-seconds'], 5),
    only: list('only', values.only, BENCH_TARGETS),
    runtimes: list('runtimes', values.runtimes, RUNTIME_NAMES),
    json: values.json ?? false,
    pgUrl: values['pg-url'] ?? (env.HOOKFLOW_BENCH_PG_URL || DEFAULT_BENCH_PG_URL),
    sqliteSync,
    sqliteWriter,
    inFlight: positiveInt('in-flight', values['in-flight'], 2_000),
    concurrency: positiveInt('concurrency', values.concurrency, 100),
    warmup: values.warmup === '0' ? 0 : positiveInt('warmup', values.warmup, 500),
    drain: !(values['no-drain'] ?? false),
    floor: !(values['no-floor'] ?? false),
    cpuProfDir: values['cpu-prof'] ?? null,
    latencyTraceDir: values['latency-trace'] ?? null,
    help: values.help ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      n: { type: 'string' },
      'commands-n': { type: 'string' },
      rate: { type: 'string' },
      'commands-rate': { type: 'string' },
      'latency-seconds': { type: 'string' },
      only: { type: 'string' },
      runtimes: { type: 'string' },
      json: { type: 'boolean' },
      'pg-url': { type: 'string' },
      'sqlite-sync': { type: 'string' },
      'sqlite-writer': { type: 'string' },
      'in-flight': { type: 'string' },
      concurrency: { type: 'string' },
      warmup: { type: 'string' },
      'no-drain': { type: 'boolean' },
      'no-floor': { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      'latency-trace': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
