import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isHookflowError } from '../../src/errors.js';
import { newId } from '../../src/events/ids.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { MIGRATIONS_DIR, migrate } from '../../src/store/postgres/migrate.js';
import { loadMigrations } from '../../src/store/migrations.js';
import type { EventInsert, Store } from '../../src/store/store.js';
import * as sql from '../../src/store/postgres/statements.js';
import { createTestDatabase, postgresProblem, schemaClients, testPgUrl, type TestDatabase } from '../support/postgres.js';
import { requireService } from '../support/services.js';
import { runStoreConformance } from './conformance.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** Rows a plan node produced or dropped per loop. */
function rowsSeen(node: PlanNode): number {
  return (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Join Filter'] ?? 0);
}

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

const service = requireService('PostgreSQL', await postgresProblem());

// One fresh database for this run of the file. The conformance tests share one schema in it,
// emptied after each test: migrating a fresh schema per test would cost ~0.3 s a test.
let database: TestDatabase | null = null;
let admin: pg.Client | null = null;
const CONFORMANCE_SCHEMA = 'conformance';

async function testDatabase(): Promise<TestDatabase> {
  database ??= await createTestDatabase();
  return database;
}

async function adminClient(url: string): Promise<pg.Client> {
  if (!admin) {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  }
  return admin;
}

after(async () => {
  await admin?.end();
  await database?.drop();
});

runStoreConformance(
  'PostgresStore',
  async () => {
    const { url } = await testDatabase();
    const opened: Store[] = [];
    const open = async () => {
      const store = await PostgresStore.open(url, { schema: CONFORMANCE_SCHEMA, poolSize: 4 });
      opened.push(store);
      return store;
    };
    return {
      store: await open(),
      second: open,
      cleanup: async () => {
        for (const store of opened) await store.close();
        const client = await adminClient(url);
        await client.query(`SET search_path TO ${CONFORMANCE_SCHEMA};
          DELETE FROM hook_executions; DELETE FROM events; DELETE FROM hooks; DELETE FROM state;
          DELETE FROM secrets; DELETE FROM processes; DELETE FROM users; DELETE FROM api_tokens;
          DELETE FROM settings; DELETE FROM sources; DELETE FROM schedule_ticks; DELETE FROM waits; UPDATE meta SET value = 0;`);
      },
    };
  },
  service,
);

describe('PostgresStore specifics', service, () => {
  let url: string;
  const opened: Store[] = [];
  const open = async (options: { schema?: string } = {}) => {
    const store = await PostgresStore.open(url, options);
    opened.push(store);
    return store;
  };

  before(async () => {
    url = (await testDatabase()).url;
  });

  after(async () => {
    for (const store of opened) await store.close();
  });

  it('lease renewals racing completions and a release of the same owner’s events never deadlock', async () => {
    const store = await open({ schema: 'renewals_race' });
    await store.migrate();
    const connections = await schemaClients(url, 'renewals_race', 6);
    const owner = 'racing-owner';
    const renew = (client: pg.Client) => client.query(sql.RENEW_LEASES, [owner, Date.now() + 30_000]);
    const complete = (client: pg.Client, ids: string[]) =>
      client.query(sql.COMPLETE_EVENTS, [ids, ids.map(() => owner), ids.map(() => 'completed'), ids.map(() => null), ids.map(() => Date.now()), [], [], [], [], [], [], [], []]);
    const release = (client: pg.Client, ids: string[]) => client.query(sql.RELEASE_EVENTS, [owner, ids]);
    try {
      for (let round = 0; round < 3; round += 1) {
        const rows: EventInsert[] = Array.from({ length: 2000 }, () => ({
          event: { id: newId(), type: 'task.done', data: {}, created_at: Date.now() },
          claim: { owner, lease_expires_at: Date.now() + 30_000 },
          completed: false,
        }));
        await store.insertEvents(rows);
        // Finished in the reverse of the renewals' order, in two batches, while renewals run.
        const ids = rows.map((row) => row.event.id).reverse();
        const [a, b, c, d, e, f] = connections;
        const outcomes = await Promise.allSettled([renew(a), complete(b, ids.slice(0, 900)), renew(c), complete(d, ids.slice(900, 1800)), release(e, ids.slice(1800)), renew(f)]);
        const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [String((outcome.reason as Error).message)] : []));
        assert.deepEqual(failures, [], `round ${round}`);
        const finished = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' && (index === 1 || index === 3) ? outcome.value.rows : []));
        assert.equal(finished.length, 1800);
        const released = outcomes[4].status === 'fulfilled' ? Number((outcomes[4].value.rows[0] as { released: string }).released) : null;
        assert.equal(released, 200);
      }
    } finally {
      await Promise.all(connections.map((client) => client.end()));
    }
  });

  it('claims and completions reach their rows through indexes, with or without statistics, under either plan-cache mode, and rewrite rows in place', async () => {
    const store = await open({ schema: 'plans' });
    const now = Date.now();
    const events = (count: number, completed = false): EventInsert[] =>
      Array.from({ length: count }, () => ({ event: { id: newId(), type: 'task.done', data: {}, created_at: now }, claim: null, completed }));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const literal = (value: unknown): string => {
      if (value === null) return 'NULL';
      if (Array.isArray(value)) {
        const items = value.map((item) => (item === null ? 'NULL' : `"${String(item).replace(/["\\]/g, '\\$&')}"`));
        return client.escapeLiteral(`{${items.join(',')}}`);
      }
      return typeof value === 'string' ? client.escapeLiteral(value) : String(value);
    };
    const explain = async (statement: string): Promise<PlanNode[]> => {
      const result = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`);
      return planNodes((result.rows[0] as { 'QUERY PLAN': Array<{ Plan: PlanNode }> })['QUERY PLAN'][0].Plan);
    };
    const inTransaction = async <T>(run: () => Promise<T>): Promise<T> => {
      await client.query('BEGIN');
      try {
        const result = await run();
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    };
    const updates = async () => {
      const { rows } = await client.query(`SELECT pg_stat_get_xact_tuples_updated('events'::regclass) AS updated, pg_stat_get_xact_tuples_hot_updated('events'::regclass) AS hot`);
      return { updated: Number(rows[0].updated), hot: Number(rows[0].hot) };
    };
    try {
      await client.query('SET search_path TO plans');
      // A new store taking a burst: no statistics yet (and none gathered while the test runs).
      await client.query('ALTER TABLE events SET (autovacuum_enabled = false)');
      for (let batch = 0; batch < 10; batch += 1) await store.insertEvents(events(2000));
      // The completion is a named statement of the store: the plan cache may give it either plan.
      // The last round leaves the planner only nested loops, the join it picks when it guesses
      // few rows (as a cached plan does, ten for every array): cheap only if each row of the
      // batch is found through an index.
      const rounds = [
        ['no statistics', 'force_custom_plan', 'any join'],
        ['no statistics', 'force_generic_plan', 'any join'],
        ['analyzed', 'force_custom_plan', 'any join'],
        ['analyzed', 'force_generic_plan', 'any join'],
        ['analyzed', 'force_generic_plan', 'nested loops'],
      ] as const;
      for (const [statistics, cacheMode, joins] of rounds) {
        const mode = `${statistics}, ${cacheMode}, ${joins}`;
        if (statistics === 'analyzed' && cacheMode === 'force_custom_plan') {
          // Statistics of a log mostly finished, as it is most of the time.
          for (let batch = 0; batch < 20; batch += 1) await store.insertEvents(events(2000, true));
          await client.query('ANALYZE events');
        }
        // Claim and completion each commit (as the store's do), so the completion may prune what
        // the claim left behind, and the next round claims the next rows, on pages no earlier
        // round rewrote.
        const claim = await inTransaction(async () => {
          const before = await updates();
          await client.query(sql.CLAIM_PLAN_SETTINGS);
          const nodes = await explain(sql.claimEventsStatement(literal('planner'), String(now + 30_000), String(now), '500'));
          const after = await updates();
          assert.equal(after.updated - before.updated, 500, mode);
          assert.ok(after.hot - before.hot >= 250, `${mode}: only ${after.hot - before.hot} of 500 claims were HOT updates`);
          return nodes;
        });
        const complete = await inTransaction(async () => {
          await client.query(`SET LOCAL plan_cache_mode = ${cacheMode}`);
          if (joins === 'nested loops') await client.query('SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off');
          // Prepared in each round: a cached generic plan would outlive the settings it was made under.
          await client.query('DEALLOCATE ALL');
          await client.query(`PREPARE complete AS ${sql.COMPLETE_EVENTS}`);
          const ids = (await client.query(`SELECT id FROM events WHERE owner = 'planner' AND status = 'processing' ORDER BY id DESC LIMIT 100`)).rows.map((row) => String(row.id));
          const values = [ids, ids.map(() => 'planner'), ids.map(() => 'completed'), ids.map(() => null), ids.map(() => now), [], [], [], [], [], [], [], []];
          const before = await updates();
          const nodes = await explain(`EXECUTE complete(${values.map(literal).join(', ')})`);
          const after = await updates();
          assert.equal(after.updated - before.updated, 100, mode);
          assert.ok(after.hot - before.hot >= 50, `${mode}: only ${after.hot - before.hot} of 100 completions were HOT updates`);
          return nodes;
        });
        for (const [name, nodes, batch] of [['claim', claim, 500], ['complete', complete, 100]] as const) {
          const onEvents = nodes.filter((node) => node['Relation Name'] === 'events');
          assert.deepEqual(onEvents.filter((node) => node['Node Type'] === 'Seq Scan'), [], `${mode}: ${name} scans the whole log`);
          // Rows every node produced or dropped: a few per row of the batch, not the backlog, the
          // owner's events or the batch squared.
          const rows = nodes.reduce((sum, node) => sum + rowsSeen(node) * (node['Actual Loops'] ?? 1), 0);
          assert.ok(rows <= 20 * batch, `${mode}: ${name} of ${batch} went through ${rows} rows`);
        }
      }
    } finally {
      await client.end();
    }
  });

  it('moves unfinished events into the queue when it migrates, and an event deleted outside hookflow leaves it', async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const before = loadMigrations(MIGRATIONS_DIR).filter((migration) => migration.version < 8);
      await migrate(client, 'queue_upgrade', before);
      const insert = (id: string, status: string, owner: string | null, lease: number | null) =>
        client.query(
          `INSERT INTO queue_upgrade.events (id, type, data, status, created_at, processed_at, owner, lease_expires_at) VALUES ($1, 'task.done', '{}', $2, 1, $3, $4, $5)`,
          [id, status, status === 'completed' ? 2 : null, owner, lease],
        );
      const [pending, processing, completed] = [newId(), newId(), newId()];
      await insert(pending, 'pending', null, null);
      await insert(processing, 'processing', 'someone', 4_000_000_000_000);
      await insert(completed, 'completed', null, null);
      assert.deepEqual(await migrate(client, 'queue_upgrade'), loadMigrations(MIGRATIONS_DIR).filter((m) => m.version >= 8).map((m) => m.version));
      const queued = await client.query('SELECT id, owner, lease_expires_at FROM queue_upgrade.event_queue ORDER BY id');
      assert.deepEqual(queued.rows, [
        { id: pending, owner: null, lease_expires_at: null },
        { id: processing, owner: 'someone', lease_expires_at: '4000000000000' },
      ]);

      const store = await open({ schema: 'queue_upgrade' });
      assert.deepEqual((await store.claimEvents('me', 30_000, 10)).map((event) => event.id), [pending], 'the leased one stays with its owner');
      await client.query('DELETE FROM queue_upgrade.events WHERE id = ANY($1)', [[pending, processing]]);
      assert.equal(Number((await client.query('SELECT count(*) FROM queue_upgrade.event_queue')).rows[0].count), 0);
    } finally {
      await client.end();
    }
  });

  it('vacuums the event queue after every so many completions (the dead entries completions leave at its head)', async () => {
    const vacuums = async (schema: string): Promise<number> => {
      const { rows } = await (await adminClient(url)).query(`SELECT vacuum_count FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'event_queue'`, [schema]);
      return Number(rows[0]?.vacuum_count ?? -1);
    };
    const completeAll = async (store: Store, count: number) => {
      await store.insertEvents(
        Array.from({ length: count }, () => ({ event: { id: newId(), type: 'task.done', data: {}, created_at: Date.now() }, claim: null, completed: false })),
      );
      for (let done = 0; done < count; ) {
        const claimed = await store.claimEvents('vacuum-test', 30_000, 50);
        const now = Date.now();
        const applied = await store.completeEvents(claimed.map((event) => ({ id: event.id, owner: 'vacuum-test', status: 'completed', error: null, processed_at: now, executions: [] })));
        assert.equal(applied.length, claimed.length);
        done += claimed.length;
      }
    };
    const often = await PostgresStore.open(url, { schema: 'queue_vacuum_often', queueVacuumEvery: 100 });
    await completeAll(often, 300);
    // close() waits for a vacuum still running.
    await often.close();
    assert.ok((await vacuums('queue_vacuum_often')) >= 1, 'vacuumed after 100 completions');
    const byDefault = await open({ schema: 'queue_vacuum_default' });
    await completeAll(byDefault, 300);
    assert.equal(await vacuums('queue_vacuum_default'), 0, 'not before 50 000 by default');
  });

  it('stores opening at once on a new schema apply each migration exactly once', async () => {
    const stores = await Promise.all([open({ schema: 'racing' }), open({ schema: 'racing' }), open({ schema: 'racing' })]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>('SELECT version FROM racing.hookflow_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((row) => row.version),
        loadMigrations(MIGRATIONS_DIR).map((m) => m.version),
      );
      assert.deepEqual(await migrate(client, 'racing'), [], 'nothing left to apply');
    } finally {
      await client.end();
    }
    await Promise.all(stores.map((store) => store.ping()));
  });

  it('works in the default schema, and schemas keep stores and wake-ups apart', async () => {
    const plain = await open();
    const isolated = await open({ schema: 'isolated' });
    const [{ event }] = await plain.insertEvents([
      { event: { id: newId(), type: 'task.done', created_at: Date.now() }, claim: null, completed: false },
    ]);
    assert.deepEqual(await plain.getEvent(event.id), event);
    assert.equal(await isolated.getEvent(event.id), null);

    let wakes = 0;
    const unsubscribe = await isolated.subscribeEvents(() => {
      wakes += 1;
    });
    await plain.insertEvents([{ event: { id: newId(), type: 'task.done', created_at: Date.now() }, claim: null, completed: false }]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(wakes, 0, 'an insert in another schema does not wake this one');
    await unsubscribe?.();
  });

  it('takes the schema from ?schema= in the URL when no option names one', async () => {
    const store = await PostgresStore.open(`${url}?schema=from_url`);
    opened.push(store);
    await store.stateSet('where', 'from_url');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT value FROM from_url.state WHERE key = $1', ['where']);
      assert.deepEqual(rows, [{ value: 'from_url' }]);
    } finally {
      await client.end();
    }
    await assert.rejects(PostgresStore.open(`${url}?schema=Bad-Name`), /invalid PostgreSQL schema name/);
  });

  it('a subscriber survives the loss of its LISTEN connection', async () => {
    const store = await open({ schema: 'listening' });
    const publisher = await open({ schema: 'listening' });
    let wakes = 0;
    const unsubscribe = await store.subscribeEvents(() => {
      wakes += 1;
    });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ killed: boolean }>(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN hookflow_events%' AND pid <> pg_backend_pid()`,
      );
      assert.equal(rows.length, 1, 'exactly one LISTEN connection');
    } finally {
      await client.end();
    }
    // Notifications sent while it was down are lost, so a reconnect wakes subscribers once.
    assert.ok(await waitUntil(() => wakes >= 1, 5_000), 'the reconnect wakes the subscriber');
    const seen = wakes;
    await publisher.insertEvents([{ event: { id: newId(), type: 'task.done', created_at: Date.now() }, claim: null, completed: false }]);
    assert.ok(await waitUntil(() => wakes > seen, 5_000), 'notifications arrive again after the reconnect');
    await unsubscribe?.();
  });

  it('rejects bad URLs and schema names, and says where it could not connect', async () => {
    const cases: Array<[string, string, { schema?: string }, string]> = [
      ['not a URL', 'mysql://localhost/db', {}, 'HF_ERR_INVALID_STORE_URL'],
      ['bad schema', testPgUrl(), { schema: 'x; drop table events' }, 'HF_ERR_INVALID_STORE_URL'],
      ['nothing listening', 'postgres://u:secret@127.0.0.1:1/db', {}, 'HF_ERR_STORE'],
    ];
    for (const [name, target, options, code] of cases) {
      await assert.rejects(PostgresStore.open(target, options), (error: unknown) => {
        assert.ok(isHookflowError(error), name);
        assert.equal(error.code, code, name);
        assert.ok(!error.message.includes('secret'), `${name}: the password stays out of messages`);
        return true;
      });
    }
  });
});
