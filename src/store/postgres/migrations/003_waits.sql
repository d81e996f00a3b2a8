-- Parked steps: event-driven actions waiting for an event with their correlation id (the external
-- workflow id) until a deadline. Only waiting rows are in the partial indexes, so the router's
-- queries stay cheap however many finished waits the table keeps.
CREATE TABLE waits (
  id             text COLLATE "C" PRIMARY KEY,
  action_type    text NOT NULL,
  correlation_id text NOT NULL,
  owner_kind     text NOT NULL,
  owner_id       text,
  params         jsonb NOT NULL DEFAULT '{}',
  outputs        jsonb NOT NULL DEFAULT '{}',
  metadata       jsonb NOT NULL DEFAULT '{}',
  status         text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'completed', 'failed', 'timeout')),
  deadline       bigint NOT NULL,
  wake_at        bigint,
  progress       double precision,
  eta_minutes    double precision,
  error          text,
  created_at     bigint NOT NULL,
  updated_at     bigint NOT NULL
);
CREATE INDEX waits_correlation ON waits (correlation_id) WHERE status = 'waiting';
CREATE INDEX waits_deadline ON waits (deadline) WHERE status = 'waiting';
CREATE INDEX waits_wake ON waits (wake_at) WHERE status = 'waiting' AND wake_at IS NOT NULL;
CREATE INDEX waits_owner ON waits (owner_kind, owner_id);

-- One row per (wait, event) delivered: claimed with a lease, then marked with its outcome, so each
-- pair is handled once however many processes route events, and again only if its owner died.
CREATE TABLE wait_events (
  wait_id          text COLLATE "C" NOT NULL REFERENCES waits (id) ON DELETE CASCADE,
  event_id         text COLLATE "C" NOT NULL,
  owner            text NOT NULL,
  lease_expires_at bigint NOT NULL,
  outcome          text,
  handled_at       bigint,
  PRIMARY KEY (wait_id, event_id)
);
