/**
 * `npm run bench:api`: POST /events over HTTP against hookflow's server on SQLite, and in the same
 * run against a bare Fastify route that answers 200 without storing anything; prints both, the
 * ratio, and whether every event answered 2xx is in the store. Method: docs/benchmarks.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Engine } from '../src/engine.js';
import { serverOptionsFromEnv, startServer } from '../src/server/serve.js';
import { runLoad, type LoadConfig, type LoadResult } from './lib/api-load.js';
import { API_USAGE, parseApiOptions, UsageError, type ApiBenchOptions, type LoadGenPlace } from './lib/api-options.js';
import { apiJson, checkDurability, combineRounds, renderApiTable, type ApiResults, type ApiRound, type LoadFigures } from './lib/api-report.js';
import { runCase } from './lib/child.js';

const EVENT_TYPE = 'bench.api';
const BODY = JSON.stringify({ type: EVENT_TYPE, data: { n: 1, note: 'hookflow api benchmark' } });
const LOAD_ENTRY = fileURLToPath(new URL('./lib/api-load-entry.ts', import.meta.url));
const TSX_API = import.meta.resolve('tsx/esm/api');
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Temporary homes to remove however the run ends. */
const homes = new Set<string>();
function removeHomes(): void {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
  homes.clear();
}

function loadIn(place: LoadGenPlace, config: LoadConfig): Promise<LoadResult> {
  if (place === 'inline') return runLoad(config);
  if (place === 'child') {
    return runCase(LOAD_ENTRY, config, { label: 'loadgen', echo: true, timeoutMs: (config.durationS + 120) * 1000 }) as Promise<LoadResult>;
  }
  return new Promise((resolve, reject) => {
    // tsx's loader is per thread: the worker registers its own before it imports the .ts entry.
    const boot = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(LOAD_ENTRY).href)}); });`;
    const worker = new Worker(boot, { eval: true, workerData: config });
    worker.once('message', (result: LoadResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator's worker exited with code ${code}`));
    });
  });
}

/** A warm-up (not counted), then the measured run. */
async function drive(options: ApiBenchOptions, label: string, base: Omit<LoadConfig, 'durationS' | 'connections'>): Promise<{ figures: LoadFigures; acceptedIds: string[] }> {
  const acceptedIds: string[] = [];
  if (options.warmup > 0) {
    log(`  ${label}: warm-up ${options.warmup} s`);
    const warm = await loadIn(options.loadgen, { ...base, connections: options.connections, durationS: options.warmup });
    acceptedIds.push(...warm.acceptedIds);
  }
  log(`  ${label}: ${options.duration} s, ${options.connections} connections, load generator ${options.loadgen}`);
  const measured = await loadIn(options.loadgen, { ...base, connections: options.connections, durationS: options.duration });
  acceptedIds.push(...measured.acceptedIds);
  return { figures: measured.figures, acceptedIds };
}

/** The yardstick: Fastify parsing the same JSON body and answering 200, storing nothing. */
async function benchBare(options: ApiBenchOptions): Promise<LoadFigures> {
  const app = Fastify({ logger: false });
  app.post('/events', async (_request, reply) => reply.status(200).send({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    return (await drive(options, 'bare', { url: `http://127.0.0.1:${port}`, path: '/events', token: null, body: BODY, collectIds: false })).figures;
  } finally {
    await app.close();
  }
}

/** The server as `hookflow serve` runs it on SQLite (dispatcher on), logs and the publish rate limit off. */
async function benchHookflow(options: ApiBenchOptions): Promise<Required<Pick<ApiResults, 'hookflow' | 'durability'>>> {
  const home = mkdtempSync(join(tmpdir(), 'hookflow-bench-api-'));
  homes.add(home);
  const file = join(home, 'hookflow.db');
  const env = { ...process.env, HOOKFLOW_SECRET_KEY: randomBytes(24).toString('hex'), HOOKFLOW_ADMIN_PASSWORD: randomBytes(18).toString('base64url') };
  const engine = await Engine.open({ home, storeUrl: `sqlite:${file}`, env });
  let driven: { figures: LoadFigures; acceptedIds: string[] };
  try {
    await engine.dispatcher.start();
    const server = await startServer(engine, serverOptionsFromEnv({}, { host: '127.0.0.1', port: 0, logLevel: false, publishRateLimit: 0 }), env);
    try {
      const { token } = await server.ctx.auth.createToken('bench-api', 'operator', 'bench');
      driven = await drive(options, 'hookflow', { url: server.url, path: '/events', token, body: BODY, collectIds: true });
    } finally {
      await server.close();
    }
  } finally {
    await engine.close();
  }
  // Read back after the engine closed, through a connection of our own.
  const db = new Database(file, { readonly: true });
  const stored = new Set((db.prepare('SELECT id FROM events WHERE type = ?').pluck().all(EVENT_TYPE) as string[]));
  db.close();
  rmSync(home, { recursive: true, force: true });
  homes.delete(home);
  return { hookflow: driven.figures, durability: checkDurability(driven.acceptedIds, stored) };
}

function describeMachine() {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cpus: cores.length,
    memory_gb: Math.round(totalmem() / 1024 ** 3),
    os: `${platform()} ${release()}`,
    node: process.version,
    load_average: loadavg().map((value) => Math.round(value * 100) / 100),
    sqlite_sync: process.env.HOOKFLOW_SQLITE_SYNC ?? 'full',
  };
}

async function main(): Promise<number> {
  let options: ApiBenchOptions;
  try {
    options = parseApiOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      log(`${error.message}\n\n${API_USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    log(API_USAGE);
    return 0;
  }
  const machine = describeMachine();
  log(`machine: ${machine.cpus} × ${machine.cpu}, ${machine.memory_gb} GB, Node ${machine.node}, load ${machine.load_average.join(' ')}`);
  if (machine.load_average[0] > machine.cpus) log(`warning: the load average (${machine.load_average[0]}) is above the core count: the figures will be low and noisy`);
  const rounds: ApiRound[] = [];
  for (let index = 0; index < options.rounds; index += 1) {
    const round: ApiRound = {};
    // Alternate which target goes first, so a drift in the machine's load hits both alike.
    const order = index % 2 === 0 ? options.only : [...options.only].reverse();
    for (const target of order) {
      if (target === 'bare') {
        log(`▶ bare Fastify route${options.rounds > 1 ? ` (round ${index + 1}/${options.rounds})` : ''}`);
        round.bare = await benchBare(options);
      } else {
        log(`▶ hookflow POST /events on SQLite${options.rounds > 1 ? ` (round ${index + 1}/${options.rounds})` : ''}`);
        Object.assign(round, await benchHookflow(options));
      }
    }
    rounds.push(round);
  }
  const { results, ratio, perRound } = combineRounds(rounds);
  const command = `npm run bench:api -- ${process.argv.slice(2).join(' ')}`.trim();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(apiJson(results, ratio, { machine, options, command, perRound }), null, 2)}\n`);
  } else {
    process.stdout.write(`\n${renderApiTable(results, ratio, perRound)}\n`);
    process.stdout.write(`${machine.cpus} × ${machine.cpu}, Node ${machine.node}, load generator: ${options.loadgen}\n`);
  }
  return results.durability && results.durability.missing > 0 ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    removeHomes();
    process.exit(130);
  });
}

main().then(
  (code) => {
    removeHomes();
    process.exit(code);
  },
  (error: unknown) => {
    removeHomes();
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
