/**
 * The SQL of the hot paths, one atomic statement each. Batches arrive as parallel arrays and are
 * spread into rows by `unnest`, so a batch of any size is one round trip and one prepared plan.
 * Wake-ups (`pg_notify`) ride in the same statement, hence the same transaction, as the write.
 */
import { escapeLiteral } from 'pg';
import { EVENT_COLUMNS } from '../rows.js';

const E = EVENT_COLUMNS.split(', ')
  .map((column) => `e.${column}`)
  .join(', ');

/** The payload names the schema: channels are database-wide, stores are per schema. */
const NOTIFY_EVENTS = `pg_notify('hookflow_events', coalesce(current_schema(), ''))`;

/**
 * $1..$14: id, type, stack, source, data (JSON text), status, attempts, created_at, processed_at,
 * correlation_id, idempotency_key, parent_id, owner, lease_expires_at. Returns the ids inserted;
 * with `keyed`, a row whose idempotency key is taken is skipped. Unfinished rows join the queue
 * (event_queue), claimed ones with their lease. Pending rows wake listeners once per batch.
 *
 * `ON CONFLICT` makes every row a speculative insertion (one more WAL record each), ~1 µs of
 * server CPU per event; a batch with no idempotency key cannot conflict, so it goes without.
 */
function insertEventsStatement(keyed: boolean): string {
  return `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int4[],
      $8::int8[], $9::int8[], $10::text[], $11::text[], $12::text[], $13::text[], $14::int8[])
    WITH ORDINALITY AS input (id, type, stack, source, data, status, attempts, created_at, processed_at,
      correlation_id, idempotency_key, parent_id, owner, lease_expires_at, ord)
), inserted AS (
  INSERT INTO events (id, type, stack, source, data, status, attempts, created_at, processed_at,
      correlation_id, idempotency_key, parent_id, owner, lease_expires_at)
  SELECT id, type, stack, source, data::jsonb, status, attempts, created_at, processed_at,
      correlation_id, idempotency_key, parent_id, owner, lease_expires_at
  FROM input ORDER BY ord${keyed ? '\n  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING' : ''}
  RETURNING id, status, owner, lease_expires_at
), queued AS (
  INSERT INTO event_queue (id, owner, lease_expires_at)
  SELECT id, owner, lease_expires_at FROM inserted WHERE status IN ('pending', 'processing')
), woken AS (
  SELECT ${NOTIFY_EVENTS} FROM inserted WHERE status = 'pending' LIMIT 1
)
SELECT id FROM inserted WHERE (SELECT count(*) FROM woken) >= 0`;
}

/** A batch in which some row has an idempotency key. */
export const INSERT_EVENTS = insertEventsStatement(true);
/** A batch with no idempotency key at all. */
export const INSERT_UNKEYED_EVENTS = insertEventsStatement(false);

export const EVENTS_BY_KEYS = `SELECT ${EVENT_COLUMNS} FROM events WHERE idempotency_key = ANY($1::text[])`;

/**
 * Locks the oldest claimable queue rows (no owner, or a lease run out), skipping rows another
 * claimer holds, so concurrent claimers get disjoint sets without waiting on each other; then
 * leases them and marks their events processing. Both updates find their rows by
 * `id = ANY (ARRAY …)`, an index lookup whatever the statistics say: joined to the CTE, the
 * planner hashed the events against a scan of the whole table, a cost that grew with the log.
 * The arguments are SQL expressions (literals, see claimEventsScript).
 */
export function claimEventsStatement(owner: string, leaseUntil: string, now: string, limit: string): string {
  return `
WITH claimable AS MATERIALIZED (
  SELECT id FROM event_queue
  WHERE owner IS NULL OR lease_expires_at < ${now}
  ORDER BY id
  LIMIT ${limit}
  FOR UPDATE SKIP LOCKED
), leased AS (
  UPDATE event_queue q SET owner = ${owner}, lease_expires_at = ${leaseUntil}
  WHERE q.id = ANY (ARRAY (SELECT id FROM claimable))
)
UPDATE events e SET status = 'processing', owner = ${owner}, lease_expires_at = ${leaseUntil}, attempts = e.attempts + 1
WHERE e.id = ANY (ARRAY (SELECT id FROM claimable))
RETURNING ${E}`;
}

/**
 * Without statistics (a new store taking a burst, before autovacuum has analyzed it), the planner
 * read every unfinished event through a bitmap and sorted them all to keep the oldest few hundred,
 * a claim costing more the longer the backlog. Without sorts and bitmap scans the one plan left is
 * the walk of the queue's primary key in id order that stops at the limit. SET LOCAL needs a
 * transaction: the settings and the claim go as one script, an implicit transaction in one round
 * trip, so the claim's values are written into it as literals.
 */
export const CLAIM_PLAN_SETTINGS = 'SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off';

export function claimEventsScript(owner: string, leaseUntil: number, now: number, limit: number): string {
  const integer = (value: number) => String(Math.trunc(value));
  return `${CLAIM_PLAN_SETTINGS}; ${claimEventsStatement(escapeLiteral(owner), integer(leaseUntil), integer(now), integer(limit))}`;
}

/** $1 id, $2 owner, $3 lease_expires_at, $4 now. */
export const CLAIM_EVENT = `
WITH claimable AS MATERIALIZED (
  SELECT id FROM event_queue WHERE id = $1 AND (owner IS NULL OR lease_expires_at < $4) FOR UPDATE
), leased AS (
  UPDATE event_queue q SET owner = $2, lease_expires_at = $3 FROM claimable WHERE q.id = claimable.id
)
UPDATE events e SET status = 'processing', owner = $2, lease_expires_at = $3, attempts = e.attempts + 1
FROM claimable WHERE e.id = claimable.id
RETURNING ${E}`;

/**
 * Statements that change events an owner holds lock their queue rows in id order first (a lock
 * clause under ORDER BY locks in that order), before any events row: a renewal over all of them
 * and a completion of some, each locking in its own scan order, deadlocked under load, and
 * PostgreSQL's deadlock check held both for a second (deadlock_timeout) before failing one. A
 * claim takes queue rows first too (skipping locked ones), so it never waits for an events row
 * a completion holds.
 */
const LOCK_ORDER = 'ORDER BY id FOR NO KEY UPDATE';

/**
 * $1 owner, $2 lease_expires_at. The live lease is the queue row's; the events row keeps the
 * lease as its claim set it.
 */
export const RENEW_LEASES = `
WITH held AS MATERIALIZED (
  SELECT id FROM event_queue WHERE owner = $1 ${LOCK_ORDER}
)
UPDATE event_queue q SET lease_expires_at = $2 FROM held WHERE q.id = held.id`;

/**
 * Completions $1..$5: id, owner, status, error, processed_at. Executions $6..$13: event_id,
 * hook_name, success, output, error, duration_ms, executed_at, attempt. Returns the ids whose
 * status was applied: those still processing and owned by the caller. Executions are recorded
 * either way. Hook rows are locked in name order before the bump, so two dispatchers finishing
 * runs of the same hooks queue on them instead of deadlocking.
 *
 * The update reads `held` only through a count, evaluated once before its first row (so the locks
 * are taken, in order, first): joined to it, the plan the statement gets once cached, which
 * guesses ten rows for every array, compared each completion with every other (a batch of 2 000
 * took two seconds). Each completion now finds its row through the primary key.
 */
export const COMPLETE_EVENTS = `
WITH held AS MATERIALIZED (
  SELECT id FROM event_queue WHERE id = ANY($1::text[]) AND owner = ANY($2::text[]) ORDER BY id FOR UPDATE
), recorded AS (
  INSERT INTO hook_executions (event_id, hook_name, success, output, error, duration_ms, executed_at, attempt)
  SELECT * FROM unnest($6::text[], $7::text[], $8::bool[], $9::text[], $10::text[], $11::float8[], $12::int8[], $13::int4[])
), finished AS (
  UPDATE events e SET status = c.status, error = c.error, processed_at = c.processed_at, owner = NULL, lease_expires_at = NULL
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[]) AS c (id, owner, status, error, processed_at)
  WHERE e.id = c.id AND e.owner = c.owner AND e.status = 'processing' AND (SELECT count(*) FROM held) >= 0
  RETURNING e.id
), dequeued AS (
  DELETE FROM event_queue q USING finished WHERE q.id = finished.id
), runs AS (
  SELECT hook_name, count(*) AS n, max(executed_at) AS last
  FROM unnest($7::text[], $12::int8[]) AS r (hook_name, executed_at)
  GROUP BY hook_name
), locked AS MATERIALIZED (
  SELECT h.name, runs.n, runs.last FROM hooks h JOIN runs ON runs.hook_name = h.name
  ORDER BY h.name
  FOR NO KEY UPDATE OF h
), bumped AS (
  UPDATE hooks h SET run_count = h.run_count + locked.n, last_run = GREATEST(h.last_run, locked.last)
  FROM locked WHERE h.name = locked.name
)
SELECT id FROM finished`;

/** $1 owner, $2 ids (null: all the owner holds). Released events wake listeners. */
export const RELEASE_EVENTS = `
WITH held AS MATERIALIZED (
  SELECT id FROM event_queue WHERE owner = $1 AND ($2::text[] IS NULL OR id = ANY($2::text[])) ${LOCK_ORDER}
), unleased AS (
  UPDATE event_queue q SET owner = NULL, lease_expires_at = NULL FROM held WHERE q.id = held.id
), released AS (
  UPDATE events e SET status = 'pending', owner = NULL, lease_expires_at = NULL
  FROM held WHERE e.id = held.id AND e.status = 'processing'
  RETURNING e.id
), woken AS (
  SELECT ${NOTIFY_EVENTS} FROM released LIMIT 1
)
SELECT (SELECT count(*) FROM released) AS released, (SELECT count(*) FROM woken) AS woken`;

/** $1 now. */
export const HAS_CLAIMABLE = `
SELECT EXISTS (SELECT 1 FROM event_queue WHERE owner IS NULL OR lease_expires_at < $1) AS claimable`;

/**
 * $1..$17: the hook's columns, $18 replace, $19 action, $20 params (JSON text). Returns a row when
 * the hook was inserted or replaced, none when the name is taken and replace is false. A replaced
 * hook keeps its history (created_at, last_run, run_count).
 */
export const SAVE_HOOK = `
INSERT INTO hooks (name, description, events, stack, filter, runtime, source, commands, cwd, timeout_ms,
    memory_mb, enabled, retry, created_at, updated_at, last_run, run_count, action, params)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16, $17, $19, $20::jsonb)
ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, events = EXCLUDED.events,
    stack = EXCLUDED.stack, filter = EXCLUDED.filter, runtime = EXCLUDED.runtime, source = EXCLUDED.source,
    commands = EXCLUDED.commands, cwd = EXCLUDED.cwd, timeout_ms = EXCLUDED.timeout_ms,
    memory_mb = EXCLUDED.memory_mb, enabled = EXCLUDED.enabled, retry = EXCLUDED.retry,
    updated_at = EXCLUDED.updated_at, action = EXCLUDED.action, params = EXCLUDED.params
  WHERE $18::boolean
RETURNING name`;

/** In the transaction of the hook change it counts. */
export const BUMP_HOOKS_REVISION = `
WITH bumped AS (
  INSERT INTO meta (key, value) VALUES ('hooks_revision', 1)
  ON CONFLICT (key) DO UPDATE SET value = meta.value + 1
  RETURNING value
)
SELECT value, pg_notify('hookflow_hooks', coalesce(current_schema(), '')) FROM bumped`;

/** $1 key, $2 value (JSON text), $3 now. */
export const STATE_SET = `
INSERT INTO state (key, value, updated_at) VALUES ($1, $2::jsonb, $3)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`;

/**
 * $1 key, $2 by, $3 now. One atomic upsert; float8 arithmetic, as in JavaScript. Returns no row
 * when the key holds something other than a number.
 */
export const STATE_INCREMENT = `
INSERT INTO state (key, value, updated_at) VALUES ($1, to_jsonb($2::float8), $3)
ON CONFLICT (key) DO UPDATE SET value = to_jsonb(state.value::float8 + $2::float8), updated_at = EXCLUDED.updated_at
  WHERE jsonb_typeof(state.value) = 'number'
RETURNING value::float8 AS value`;

/** $1 name, $2 ciphertext, $3 now. */
export const SECRET_PUT = `
INSERT INTO secrets (name, ciphertext, created_at, updated_at) VALUES ($1, $2, $3, $3)
ON CONFLICT (name) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, updated_at = EXCLUDED.updated_at`;

/** A process registering again (restart with the same id) refreshes its heartbeat and info. */
export const REGISTER_PROCESS = `
INSERT INTO processes (id, kind, host, pid, started_at, heartbeat_at, info) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, info = EXCLUDED.info`;
