-- Events: the durable log. Ids are time-ordered (UUIDv7), so ordering by id is ordering by time.
CREATE TABLE events (
  id               TEXT PRIMARY KEY,
  type             TEXT NOT NULL,
  stack            TEXT,
  source           TEXT NOT NULL DEFAULT 'api',
  data             TEXT NOT NULL,
  status           TEXT NOT NULL DEFAULT 'pending',
  attempts         INTEGER NOT NULL DEFAULT 0,
  error            TEXT,
  created_at       INTEGER NOT NULL,
  processed_at     INTEGER,
  correlation_id   TEXT,
  idempotency_key  TEXT,
  parent_id        TEXT,
  owner            TEXT,
  lease_expires_at INTEGER
) WITHOUT ROWID;

-- Only unfinished events are in these indexes, so claiming stays cheap however long the log grows:
-- pending ones in id (= time) order, processing ones by lease expiry to find those of dead owners.
CREATE INDEX events_pending ON events (id) WHERE status = 'pending';
CREATE INDEX events_leases ON events (lease_expires_at) WHERE status = 'processing';
-- Every index here costs a b-tree write per event: only what listing and lookups need. Owners are
-- found through events_leases (few rows), times through the time-ordered ids.
CREATE UNIQUE INDEX events_idempotency ON events (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_type ON events (type, id);
CREATE INDEX events_correlation ON events (correlation_id) WHERE correlation_id IS NOT NULL;

CREATE TABLE hook_executions (
  id          INTEGER PRIMARY KEY,
  event_id    TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  hook_name   TEXT NOT NULL,
  success     INTEGER NOT NULL,
  output      TEXT NOT NULL DEFAULT '',
  error       TEXT,
  duration_ms REAL NOT NULL,
  executed_at INTEGER NOT NULL,
  attempt     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX hook_executions_event ON hook_executions (event_id);
CREATE INDEX hook_executions_hook ON hook_executions (hook_name, executed_at);

CREATE TABLE hooks (
  name        TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  events      TEXT NOT NULL,
  stack       TEXT,
  filter      TEXT,
  runtime     TEXT NOT NULL,
  source      TEXT,
  commands    TEXT,
  cwd         TEXT,
  timeout_ms  INTEGER NOT NULL,
  memory_mb   INTEGER NOT NULL,
  enabled     INTEGER NOT NULL DEFAULT 1,
  retry       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  last_run    INTEGER,
  run_count   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('hooks_revision', 0);

CREATE TABLE state (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE secrets (
  name       TEXT PRIMARY KEY,
  ciphertext TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE processes (
  id           TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  host         TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  info         TEXT NOT NULL DEFAULT '{}'
);
