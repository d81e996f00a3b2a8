-- hookflow on PostgreSQL, first schema. Timestamps are epoch milliseconds (bigint), like the SQLite
-- backend, so both stores hand callers the same numbers. Text keys use the "C" collation: ordering
-- and cursors (`id < $1`) then follow bytes, as in SQLite, and comparisons are cheaper.

-- Events: the durable log. Ids are time-ordered (UUIDv7), so ordering by id is ordering by time.
CREATE TABLE events (
  id               text COLLATE "C" PRIMARY KEY,
  type             text COLLATE "C" NOT NULL,
  stack            text,
  source           text NOT NULL DEFAULT 'api',
  data             jsonb NOT NULL DEFAULT '{}',
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'processing', 'completed', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  error            text,
  created_at       bigint NOT NULL,
  processed_at     bigint,
  correlation_id   text,
  idempotency_key  text,
  parent_id        text,
  owner            text,
  lease_expires_at bigint
);

-- Most events have no idempotency key: a partial unique index keeps those out of it entirely.
CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Only unfinished events are in this index, so claiming stays cheap however long the log grows,
-- and finishing an event adds nothing to it.
CREATE INDEX events_claimable ON events (id) WHERE status IN ('pending', 'processing');
CREATE INDEX events_owner ON events (owner) WHERE owner IS NOT NULL;
CREATE INDEX events_type ON events (type, id);
CREATE INDEX events_created ON events USING brin (created_at);
CREATE INDEX events_correlation ON events (correlation_id) WHERE correlation_id IS NOT NULL;

CREATE TABLE hook_executions (
  id          bigserial PRIMARY KEY,
  event_id    text COLLATE "C" NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  hook_name   text COLLATE "C" NOT NULL,
  success     boolean NOT NULL,
  output      text NOT NULL DEFAULT '',
  error       text,
  duration_ms double precision NOT NULL,
  executed_at bigint NOT NULL,
  attempt     integer NOT NULL DEFAULT 1
);
CREATE INDEX hook_executions_event ON hook_executions (event_id);
CREATE INDEX hook_executions_hook ON hook_executions (hook_name, executed_at, id);

CREATE TABLE hooks (
  name        text COLLATE "C" PRIMARY KEY,
  description text NOT NULL DEFAULT '',
  events      text[] NOT NULL,
  stack       text,
  filter      text,
  runtime     text NOT NULL,
  source      text,
  commands    text[],
  cwd         text,
  timeout_ms  integer NOT NULL,
  memory_mb   integer NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  retry       jsonb NOT NULL,
  created_at  bigint NOT NULL,
  updated_at  bigint NOT NULL,
  last_run    bigint,
  run_count   bigint NOT NULL DEFAULT 0
);

-- Counters and markers of the store itself (hooks_revision: bumped by every hook change).
CREATE TABLE meta (
  key   text COLLATE "C" PRIMARY KEY,
  value bigint NOT NULL
);
INSERT INTO meta (key, value) VALUES ('hooks_revision', 0);

CREATE TABLE state (
  key        text COLLATE "C" PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE secrets (
  name       text COLLATE "C" PRIMARY KEY,
  ciphertext text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE processes (
  id           text COLLATE "C" PRIMARY KEY,
  kind         text NOT NULL,
  host         text NOT NULL,
  pid          integer NOT NULL,
  started_at   bigint NOT NULL,
  heartbeat_at bigint NOT NULL,
  info         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX processes_kind ON processes (kind, heartbeat_at);
