-- Program executions (PyExecutorHub's execution hub): the history and the queue every process on
-- the store shares. Claims count `running` rows and take `queued` ones in id order (UUIDv7: FIFO,
-- hence COLLATE "C"), under a transaction-scoped advisory lock. Outputs are capped by the runner
-- (about 1 MiB), kept as text.
CREATE TABLE program_executions (
  id                     text COLLATE "C" PRIMARY KEY,
  program_id             text NOT NULL,
  program_name           text NOT NULL,
  program_kind           text NOT NULL CHECK (program_kind IN ('script', 'bot')),
  runner                 text NOT NULL CHECK (runner IN ('docker', 'compose', 'process')),
  status                 text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'timeout', 'canceled')),
  parameters             jsonb NOT NULL DEFAULT '{}',
  trigger                text NOT NULL,
  requested_by           text,
  image                  text,
  exit_code              integer,
  error                  text,
  output                 text NOT NULL DEFAULT '',
  error_output           text NOT NULL DEFAULT '',
  output_truncated       boolean NOT NULL DEFAULT false,
  error_output_truncated boolean NOT NULL DEFAULT false,
  details                jsonb NOT NULL DEFAULT '{}',
  owner                  text,
  lease_expires_at       bigint,
  cancel_requested       boolean NOT NULL DEFAULT false,
  created_at             bigint NOT NULL,
  started_at             bigint,
  ended_at               bigint
);
-- The queue (status = 'queued' by id), the running count, and expired leases.
CREATE INDEX program_executions_status ON program_executions (status, id);
-- A program's history, newest first.
CREATE INDEX program_executions_program ON program_executions (program_id, created_at);
-- Every program's history, newest first.
CREATE INDEX program_executions_created ON program_executions (created_at, id);
