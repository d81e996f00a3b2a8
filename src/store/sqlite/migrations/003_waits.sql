-- Parked steps: event-driven actions waiting for an event with their correlation id (the external
-- workflow id) until a deadline. Only waiting rows are in the partial indexes, so the router's
-- queries stay cheap however many finished waits the table keeps.
CREATE TABLE waits (
  id             TEXT PRIMARY KEY,
  action_type    TEXT NOT NULL,
  correlation_id TEXT NOT NULL,
  owner_kind     TEXT NOT NULL,
  owner_id       TEXT,
  params         TEXT NOT NULL DEFAULT '{}',
  outputs        TEXT NOT NULL DEFAULT '{}',
  metadata       TEXT NOT NULL DEFAULT '{}',
  status         TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'completed', 'failed', 'timeout')),
  deadline       INTEGER NOT NULL,
  wake_at        INTEGER,
  progress       REAL,
  eta_minutes    REAL,
  error          TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX waits_correlation ON waits (correlation_id) WHERE status = 'waiting';
CREATE INDEX waits_deadline ON waits (deadline) WHERE status = 'waiting';
CREATE INDEX waits_wake ON waits (wake_at) WHERE status = 'waiting' AND wake_at IS NOT NULL;
CREATE INDEX waits_owner ON waits (owner_kind, owner_id);

-- One row per (wait, event) delivered: claimed with a lease, then marked with its outcome, so each
-- pair is handled once however many processes route events, and again only if its owner died.
CREATE TABLE wait_events (
  wait_id          TEXT NOT NULL REFERENCES waits (id) ON DELETE CASCADE,
  event_id         TEXT NOT NULL,
  owner            TEXT NOT NULL,
  lease_expires_at INTEGER NOT NULL,
  outcome          TEXT,
  handled_at       INTEGER,
  PRIMARY KEY (wait_id, event_id)
) WITHOUT ROWID;
