-- Program executions (PyExecutorHub's execution hub): the history and the queue every process on
-- the store shares. Claims count `running` rows and take `queued` ones in id order (UUIDv7: FIFO),
-- inside one IMMEDIATE transaction. Outputs are capped by the runner (about 1 MiB), kept as text.
CREATE TABLE program_executions (
  id                     TEXT PRIMARY KEY,
  program_id             TEXT NOT NULL,
  program_name           TEXT NOT NULL,
  program_kind           TEXT NOT NULL CHECK (program_kind IN ('script', 'bot')),
  runner                 TEXT NOT NULL CHECK (runner IN ('docker', 'compose', 'process')),
  status                 TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'timeout', 'canceled')),
  parameters             TEXT NOT NULL DEFAULT '{}',
  trigger                TEXT NOT NULL,
  requested_by           TEXT,
  image                  TEXT,
  exit_code              INTEGER,
  error                  TEXT,
  output                 TEXT NOT NULL DEFAULT '',
  error_output           TEXT NOT NULL DEFAULT '',
  output_truncated       INTEGER NOT NULL DEFAULT 0,
  error_output_truncated INTEGER NOT NULL DEFAULT 0,
  details                TEXT NOT NULL DEFAULT '{}',
  owner                  TEXT,
  lease_expires_at       INTEGER,
  cancel_requested       INTEGER NOT NULL DEFAULT 0,
  created_at             INTEGER NOT NULL,
  started_at             INTEGER,
  ended_at               INTEGER
);
-- The queue (status = 'queued' by id), the running count, and expired leases.
CREATE INDEX program_executions_status ON program_executions (status, id);
-- A program's history, newest first.
CREATE INDEX program_executions_program ON program_executions (program_id, created_at);
-- Every program's history, newest first.
CREATE INDEX program_executions_created ON program_executions (created_at, id);
