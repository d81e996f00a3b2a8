/**
 * `npm run bench:events`: hookflow's event benchmark, with graphile-worker measured side by side
 * on the same PostgreSQL. Each (store, runtime) case and the graphile-worker case runs in a fresh
 * child process (bench/events-case.ts, bench/graphile-case.ts); this file plans the run, makes
 * and drops the PostgreSQL databases, and prints the table (or, with --json, one JSON object).
 * Progress goes to stderr. Method: docs/benchmarks.md.
 */
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCase } from './lib/child.js';
import { parseOptions, USAGE, UsageError, type BenchOptions } from './lib/options.js';
import { createBenchDatabase, postgresProblem, redactPgUrl, settlePostgres, withClient, type BenchDatabase } from './lib/pg.js';
import {
  isSkipped,
  type FloorCaseConfig,
  type FloorCaseResult,
  type GraphileCaseConfig,
  type GraphileCaseResult,
  type HookflowCaseConfig,
  type HookflowCaseResult,
  type RuntimeName,
  type SkippedCase,
  type StoreKind,
} from './lib/protocol.js';
import { computeRatios, floorLines, renderTable, toJson, type BenchResults, type CaseOutcome, type Machine, type StoreResults } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Databases to drop however the run ends. */
const databases = new Set<BenchDatabase>();
/** Cases that failed; the run then exits 1 after printing what it has. */
let failures = 0;

async function dropDatabases(): Promise<void> {
  for (const database of [...databases]) {
    databases.delete(database);
    await database.drop().catch((error: Error) => log(`could not drop database ${database.name}: ${error.message}`));
  }
}

/**
 * A directory per case: every thread of the case (main, module loader, workers) writes a profile
 * of its own there, named by Node (CPU.<date>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is main).
 */
function nodeArgs(options: BenchOptions, name: string): string[] {
  if (!options.cpuProfDir) return [];
  const dir = resolve(options.cpuProfDir, name);
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', '--cpu-prof-dir', dir];
}

function traceFile(options: BenchOptions, name: string): string | null {
  if (!options.latencyTraceDir) return null;
  mkdirSync(options.latencyTraceDir, { recursive: true });
  return resolve(options.latencyTraceDir, `${name}.tsv`);
}

/** Generous: a case that is merely slow must finish; only a hung one is killed. */
function caseTimeoutMs(n: number, latencySeconds: number): number {
  return 300_000 + n * 3 + latencySeconds * 4_000;
}

async function hookflowCase(options: BenchOptions, store: StoreKind, runtime: RuntimeName, pgUrl: string | null): Promise<CaseOutcome> {
  const isCommands = runtime === 'commands';
  const config: HookflowCaseConfig = {
    store,
    runtime,
    n: isCommands ? options.commandsN : options.n,
    inFlight: options.inFlight,
    concurrency: options.concurrency,
    warmup: isCommands ? Math.min(options.warmup, 50) : options.warmup,
    rate: isCommands ? options.commandsRate : options.rate,
    latencySeconds: options.latencySeconds,
    drain: options.drain && runtime === 'js',
    pgUrl,
    sqliteSync: options.sqliteSync,
    sqliteWriter: options.sqliteWriter,
    latencyTrace: traceFile(options, `${store}-${runtime}`),
  };
  const label = `${store}/${runtime}`;
  log(`▶ ${label}: N ${config.n}, latency at ${config.rate}/s for ${config.latencySeconds} s`);
  try {
    const result = await runCase(join(here, 'events-case.ts'), config, {
      label,
      echo: true,
      timeoutMs: caseTimeoutMs(config.n, config.latencySeconds),
      nodeArgs: nodeArgs(options, `${store}-${runtime}`),
    });
    if (isSkipped(result)) {
      log(`  ${label}: not measured: ${result.skipped}`);
      return result;
    }
    const figures = result as HookflowCaseResult;
    log(
      `  ${label}: publish ${figures.publish_per_s}/s, processed ${figures.processed_per_s}/s` +
        `${figures.drain_per_s === null ? '' : `, drain ${figures.drain_per_s}/s`}, p50 ${figures.p50_ms} ms, p99 ${figures.p99_ms} ms, RSS ${figures.rss_mb} MB` +
        `, CPU µs/event main ${figures.cpu_us_per_event.processed.main_us ?? '-'} total ${figures.cpu_us_per_event.processed.total_us}` +
        `${figures.cpu_us_per_event.drain ? ` (drain main ${figures.cpu_us_per_event.drain.main_us ?? '-'} total ${figures.cpu_us_per_event.drain.total_us})` : ''}`,
    );
    return figures;
  } catch (error) {
    failures += 1;
    log(`  ${(error as Error).message}`);
    return { skipped: `failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

async function storeCases(options: BenchOptions, store: StoreKind, pgUrl: string | null): Promise<StoreResults> {
  const results: StoreResults = {};
  for (const runtime of options.runtimes) {
    if (pgUrl) await settlePostgres(pgUrl);
    results[runtime] = await hookflowCase(options, store, runtime, pgUrl);
  }
  return results;
}

async function graphileCase(options: BenchOptions, pgUrl: string): Promise<GraphileCaseResult | SkippedCase> {
  const config: GraphileCaseConfig = {
    pgUrl,
    n: options.n,
    rate: options.rate,
    latencySeconds: options.latencySeconds,
    warmup: options.warmup,
    workers: 2,
    concurrency: 24,
    localQueueSize: 500,
    addBatch: 1000,
    sequentialSamples: 200,
  };
  log(`▶ graphile-worker: N ${config.n}, ${config.workers} processes × ${config.concurrency}, local queue ${config.localQueueSize}`);
  try {
    const result = (await runCase(join(here, 'graphile-case.ts'), config, {
      label: 'graphile-worker',
      echo: true,
      // Three phases of N jobs (drain, end to end) plus latency.
      timeoutMs: caseTimeoutMs(config.n * 2, config.latencySeconds),
      nodeArgs: nodeArgs(options, 'graphile'),
    })) as GraphileCaseResult;
    log(`  graphile-worker: drain ${result.jobs_per_s} jobs/s, end to end ${result.e2e_jobs_per_s} jobs/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms`);
    return result;
  } catch (error) {
    failures += 1;
    log(`  ${(error as Error).message}`);
    return { skipped: `failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** The host's own latencies at the latency phase's rate, with no hookflow code (bench/floor-case.ts). */
async function floorCase(options: BenchOptions, pgUrl: string | null): Promise<FloorCaseResult | SkippedCase> {
  const config: FloorCaseConfig = { rate: options.rate, seconds: options.latencySeconds, sqliteSync: options.sqliteSync, pgUrl };
  log(`▶ this host's floor: at ${config.rate}/s for ${config.seconds} s each`);
  try {
    const result = (await runCase(join(here, 'floor-case.ts'), config, {
      label: 'floor',
      echo: true,
      timeoutMs: caseTimeoutMs(0, config.seconds * 3),
      nodeArgs: [],
    })) as FloorCaseResult;
    for (const line of floorLines(result).slice(1)) log(line);
    return result;
  } catch (error) {
    failures += 1;
    log(`  ${(error as Error).message}`);
    return { skipped: `failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

async function describeMachine(pgUrl: string | null): Promise<Machine> {
  let postgres: string | null = null;
  if (pgUrl) {
    postgres = await withClient(pgUrl, async (client) => (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? null).catch(() => null);
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memory_gb: Math.round(totalmem() / 1024 ** 3),
    os: `${platform()} ${release()}`,
    node: process.version,
    load_average: loadavg().map((value) => Math.round(value * 100) / 100),
    postgres,
  };
}


async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      log(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const started = performance.now();
  const wantsPg = options.only.includes('postgres') || options.only.includes('graphile');
  const pgProblem = wantsPg ? await postgresProblem(options.pgUrl) : null;
  if (pgProblem) log(`PostgreSQL cases skipped: ${pgProblem}`);
  const machine = await describeMachine(wantsPg && !pgProblem ? options.pgUrl : null);
  log(`machine: ${machine.cpus} × ${machine.cpu}, ${machine.memory_gb} GB, ${machine.os}, Node ${machine.node}, load ${machine.load_average.join(' ')}`);

  const results: BenchResults = {};
  if (options.floor) {
    const usesPg = options.only.includes('postgres') && !pgProblem;
    const database = usesPg ? await createBenchDatabase(options.pgUrl, 'floor_bench') : null;
    if (database) databases.add(database);
    try {
      results.floor = await floorCase(options, database?.url ?? null);
    } finally {
      await dropDatabases();
    }
  }
  if (options.only.includes('sqlite')) results.sqlite = await storeCases(options, 'sqlite', null);
  // The peer runs before hookflow's PostgreSQL cases, and every PostgreSQL case starts from a
  // settled server (settlePostgres), so neither side pays for the other's leftovers.
  if (options.only.includes('graphile')) {
    if (pgProblem) results.graphile_worker = { skipped: pgProblem };
    else {
      const database = await createBenchDatabase(options.pgUrl, 'graphile_bench');
      databases.add(database);
      try {
        await settlePostgres(database.url);
        results.graphile_worker = await graphileCase(options, database.url);
      } finally {
        await dropDatabases();
      }
    }
  }

  if (options.only.includes('postgres')) {
    if (pgProblem) results.postgres = { skipped: pgProblem };
    else {
      const database = await createBenchDatabase(options.pgUrl, 'hookflow_bench');
      databases.add(database);
      try {
        results.postgres = await storeCases(options, 'postgres', database.url);
      } finally {
        await dropDatabases();
      }
    }
  }
  const ratios = computeRatios(results, options.rate);
  const durationS = Math.round((performance.now() - started) / 100) / 10;
  if (options.json) {
    const { help: _help, ...rest } = options;
    const shown = { ...rest, pgUrl: redactPgUrl(rest.pgUrl) };
    const args = process.argv.slice(2).map((arg) => (/^postgres(ql)?:\/\//.test(arg) ? redactPgUrl(arg) : arg));
    const command = ['npm run bench:events', ...(args.length > 0 ? ['--', ...args] : [])].join(' ');
    process.stdout.write(`${JSON.stringify(toJson(results, ratios, { machine, command, options: shown, duration_s: durationS }), null, 2)}\n`);
  } else {
    process.stdout.write(`\n${renderTable(results, ratios)}\n`);
    process.stdout.write(`\n${machine.cpus} × ${machine.cpu}, ${machine.memory_gb} GB, Node ${machine.node}${machine.postgres ? `, PostgreSQL ${machine.postgres}` : ''}; ${durationS} s\n`);
  }
  return failures > 0 ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: dropping the benchmark databases`);
    void dropDatabases().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    await dropDatabases();
    process.exit(1);
  },
);
