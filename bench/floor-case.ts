/**
 * The floor case of `npm run bench:events`: what this host gives at the latency phase's rate
 * before any hookflow code runs, timed the same way (call time → done, at a fixed rate), so the
 * p99 aim can be read against what the machine itself allows that minute:
 *  - loop: a 1 ms timer (an in-process pipeline as long as hookflow's p50 does nothing else), and
 *    the loop's stalls > 4 ms meanwhile: the host's preemptions (steal), which any pipeline that
 *    lasts about a millisecond runs into at that rate (a hop of a few µs would mostly miss them);
 *  - sqlite_commit: one row inserted and committed (WAL, the run's synchronous mode: FULL as hookflow runs), the
 *    least a durable publish on SQLite costs;
 *  - postgres_commit: one autocommitted INSERT round trip on the bench's PostgreSQL, the least a
 *    durable publish on PostgreSQL costs;
 *  - sqlite_reference: the yardstick for SQLite throughput (a batched insert, two updates
 *    and an execution insert per event, time-ordered keys) as fast as one connection runs it:
 *    hookflow writes at least that per event through its one writer, so its SQLite rates stay
 *    below this figure, and an aim above it is out of this host's reach.
 * Started by bench/events.ts with its FloorCaseConfig as the one argument; prints one result.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchLoopStalls } from './lib/latency-trace.js';
import { withClient } from './lib/pg.js';
import { emitResult, readConfig, type FloorCaseConfig, type FloorCaseResult, type FloorFigures, type SqliteReferenceFigures } from './lib/protocol.js';
import { atFixedRate } from './lib/schedule.js';
import { round3, summarize } from './lib/stats.js';
import { newId } from '../src/events/ids.js';

/** Runs `work` at the config's rate for its seconds; each call's time from its call to its end. */
async function timedAtRate(config: FloorCaseConfig, work: () => Promise<void> | void): Promise<FloorFigures> {
  const total = Math.max(1, Math.round(config.rate * config.seconds));
  const times: number[] = [];
  const pending: Array<Promise<void>> = [];
  let failure: unknown = null;
  await atFixedRate(config.rate, total, () => {
    const calledAt = performance.now();
    const done = Promise.resolve()
      .then(work)
      .then(
        () => {
          times.push(performance.now() - calledAt);
        },
        (error: unknown) => {
          failure ??= error;
        },
      );
    pending.push(done);
  });
  await Promise.all(pending);
  if (failure) throw failure;
  const summary = summarize(times);
  return { p50_ms: summary.p50_ms, p99_ms: summary.p99_ms, max_ms: summary.max_ms, count: summary.count };
}

async function loopFloor(config: FloorCaseConfig): Promise<FloorCaseResult['loop']> {
  const origin = performance.now();
  const stalls = watchLoopStalls(origin);
  const figures = await timedAtRate(config, () => new Promise<void>((resolve) => setTimeout(resolve, 1)));
  const seen = stalls.stop();
  const stalledMs = seen.reduce((sum, stall) => sum + stall.ms, 0);
  return { ...figures, stalls_per_s: round3(seen.length / config.seconds), stalled_percent: round3((stalledMs / (performance.now() - origin)) * 100) };
}

/** A SQLite file of its own in the temp folder (WAL, the run's synchronous mode), removed after `body`. */
async function withScratchSqlite<T>(config: FloorCaseConfig, body: (db: Database.Database) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-bench-floor-'));
  const db = new Database(join(dir, 'floor.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${config.sqliteSync === 'normal' ? 'NORMAL' : 'FULL'}`);
    return await body(db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sqliteFloor(config: FloorCaseConfig): Promise<FloorFigures> {
  return withScratchSqlite(config, (db) => {
    db.exec('CREATE TABLE floor (id INTEGER PRIMARY KEY, data TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO floor (data) VALUES (?)');
    return timedAtRate(config, () => {
      insert.run('{"seq":1}');
    });
  });
}

const REFERENCE_EVENTS = 100_000;
const REFERENCE_BATCH = 500;

/**
 * Per batch, as a store that claims and completes in batches would: the events inserted in one
 * transaction, claimed (first update) in a second, completed (second update, execution insert)
 * in a third. Its tables have what the reference names and nothing more: no secondary index, no
 * foreign key, no JSON parsing.
 */
function sqliteReference(config: FloorCaseConfig): Promise<SqliteReferenceFigures> {
  return withScratchSqlite(config, (db) => {
    db.exec(`CREATE TABLE events (id TEXT PRIMARY KEY, type TEXT NOT NULL, data TEXT NOT NULL, status TEXT NOT NULL,
        attempts INTEGER NOT NULL, owner TEXT, lease_expires_at INTEGER, created_at INTEGER NOT NULL, processed_at INTEGER) WITHOUT ROWID;
      CREATE TABLE executions (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, hook_name TEXT NOT NULL, success INTEGER NOT NULL,
        output TEXT NOT NULL, duration_ms REAL NOT NULL, executed_at INTEGER NOT NULL)`);
    const insert = db.prepare(`INSERT INTO events (id, type, data, status, attempts, created_at) VALUES (?, 'bench.tick', ?, 'pending', 0, ?)`);
    const claim = db.prepare(`UPDATE events SET status = 'processing', owner = 'bench', lease_expires_at = ?, attempts = attempts + 1 WHERE id = ?`);
    const finish = db.prepare(`UPDATE events SET status = 'completed', processed_at = ?, owner = NULL, lease_expires_at = NULL WHERE id = ?`);
    const record = db.prepare(`INSERT INTO executions (event_id, hook_name, success, output, duration_ms, executed_at) VALUES (?, 'noop', 1, '', 0.01, ?)`);
    const inserted = db.transaction((ids: string[], now: number) => ids.forEach((id, index) => insert.run(id, `{"seq":${index}}`, now)));
    const claimed = db.transaction((ids: string[], now: number) => ids.forEach((id) => claim.run(now + 30_000, id)));
    const completed = db.transaction((ids: string[], now: number) =>
      ids.forEach((id) => {
        finish.run(now, id);
        record.run(id, now);
      }),
    );
    const started = performance.now();
    for (let done = 0; done < REFERENCE_EVENTS; done += REFERENCE_BATCH) {
      const now = Date.now();
      const ids = Array.from({ length: REFERENCE_BATCH }, () => newId(now));
      inserted(ids, now);
      claimed(ids, now);
      completed(ids, now);
    }
    const seconds = (performance.now() - started) / 1000;
    const { count } = db.prepare(`SELECT count(*) AS count FROM events WHERE status = 'completed'`).get() as { count: number };
    if (count !== REFERENCE_EVENTS) throw new Error(`the SQLite reference completed ${count} of ${REFERENCE_EVENTS} events`);
    return { events_per_s: Math.round(REFERENCE_EVENTS / seconds), n: REFERENCE_EVENTS, batch: REFERENCE_BATCH };
  });
}

async function postgresFloor(config: FloorCaseConfig, url: string): Promise<FloorFigures> {
  return withClient(url, async (client) => {
    await client.query('CREATE TABLE floor (id bigserial PRIMARY KEY, data text NOT NULL)');
    // One connection runs one query at a time: an INSERT due while another is in flight waits for
    // it, as on any single connection, and that wait counts.
    let previous: Promise<unknown> = Promise.resolve();
    return timedAtRate(config, async () => {
      const mine = previous.then(() => client.query('INSERT INTO floor (data) VALUES ($1)', ['{"seq":1}']));
      previous = mine.catch(() => undefined);
      await mine;
    });
  });
}

async function main(): Promise<void> {
  const config = readConfig<FloorCaseConfig>();
  const loop = await loopFloor(config);
  const sqlite = await sqliteFloor(config);
  const postgres = config.pgUrl ? await postgresFloor(config, config.pgUrl) : null;
  const reference = await sqliteReference(config);
  emitResult({ rate: config.rate, seconds: config.seconds, loop, sqlite_commit: sqlite, postgres_commit: postgres, sqlite_reference: reference } satisfies FloorCaseResult);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
