-- Workflows (Torc specs and BudPipeline DAGs compiled to one model), their jobs, workflow actions
-- and Slurm allocations. The columns that claims and finishes filter on are real columns; the
-- compiled job lives in `spec`. Per-job and per-workflow counters (remaining dependencies,
-- unfinished and failed jobs) and per-job dependent lists let a finish touch only the finished
-- job, its dependents and its workflow row, never scan the workflow.
CREATE TABLE workflows (
  id                TEXT PRIMARY KEY,
  name              TEXT NOT NULL,
  format            TEXT NOT NULL CHECK (format IN ('torc', 'dag')),
  status            TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'canceled')),
  run               INTEGER NOT NULL DEFAULT 1,
  user_name         TEXT,
  description       TEXT,
  params            TEXT NOT NULL DEFAULT '{}',
  outputs           TEXT,
  output_dir        TEXT NOT NULL,
  created_by        TEXT,
  job_count         INTEGER NOT NULL,
  error             TEXT,
  dependency_rule   TEXT NOT NULL CHECK (dependency_rule IN ('torc', 'dag')),
  max_parallel_jobs INTEGER,
  -- Jobs not ended in this run, and ended jobs that make the run fail.
  unfinished_count  INTEGER NOT NULL,
  failed_count      INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  started_at        INTEGER NOT NULL,
  ended_at          INTEGER
);
CREATE INDEX workflows_status ON workflows (status, id);

-- The compiled model without its jobs (they are in jobs.spec). Large and never changed, so kept out
-- of the workflow's row, which every transition rewrites.
CREATE TABLE workflow_models (
  workflow_id TEXT PRIMARY KEY REFERENCES workflows (id) ON DELETE CASCADE,
  model       TEXT NOT NULL
);

CREATE TABLE jobs (
  workflow_id      TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  job_index        INTEGER NOT NULL,
  name             TEXT NOT NULL,
  step_id          TEXT,
  status           TEXT NOT NULL,
  run              INTEGER NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  exit_code        INTEGER,
  worker_id        TEXT,
  lease_expires_at INTEGER,
  ready_at         INTEGER,
  started_at       INTEGER,
  ended_at         INTEGER,
  outputs          TEXT,
  error            TEXT,
  stdout_tail      TEXT,
  log_dir          TEXT,
  stderr_tail      TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  -- Dependencies not ended yet in this run: the job is blocked while this is above 0.
  remaining        INTEGER NOT NULL,
  cancel_on_blocking INTEGER NOT NULL DEFAULT 0,
  on_failure       TEXT,
  num_cpus         REAL NOT NULL DEFAULT 0,
  num_gpus         REAL NOT NULL DEFAULT 0,
  memory_bytes     INTEGER NOT NULL DEFAULT 0,
  -- The jobs that wait for this one (JSON array of indexes; its own dependencies are in spec): a
  -- finish reads the dependents it must update from the finished row, without an edge table,
  -- which would cost more to fill than the jobs themselves.
  dependents       TEXT,
  -- Actions (indexes) selecting this job, by trigger: a transition counts for them without a lookup.
  ready_actions    TEXT,
  complete_actions TEXT,
  -- Bits: 1 counted for on_jobs_ready, 2 for on_jobs_complete, in this run.
  counted          INTEGER NOT NULL DEFAULT 0,
  spec             TEXT NOT NULL,
  PRIMARY KEY (workflow_id, job_index)
);
-- Only ready jobs are in this index: claims read it in (workflow, index) order, with the needs
-- they fit to capacity, without touching the table.
CREATE INDEX jobs_ready ON jobs (workflow_id, job_index, num_cpus, num_gpus, memory_bytes) WHERE status = 'ready';
-- Running jobs per workflow (max_parallel_jobs, expired leases) and per worker (lease renewals).
CREATE INDEX jobs_running ON jobs (workflow_id, lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_running_worker ON jobs (worker_id) WHERE status = 'running';
CREATE INDEX jobs_retrying ON jobs (ready_at) WHERE status = 'retrying';

CREATE TABLE workflow_actions (
  workflow_id       TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  action_index      INTEGER NOT NULL,
  trigger_type      TEXT NOT NULL,
  action_type       TEXT NOT NULL,
  persistent        INTEGER NOT NULL,
  required_triggers INTEGER NOT NULL,
  trigger_count     INTEGER NOT NULL DEFAULT 0,
  status            TEXT NOT NULL CHECK (status IN ('waiting', 'pending', 'running', 'done', 'failed')),
  fields            TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (workflow_id, action_index)
);
CREATE INDEX workflow_actions_pending ON workflow_actions (workflow_id) WHERE status = 'pending';

-- The jobs an action watches (JSON array of indexes), kept out of the action's row, which trigger
-- counting rewrites; each job row carries the reverse (ready_actions, complete_actions).
CREATE TABLE workflow_action_jobs (
  workflow_id   TEXT NOT NULL,
  action_index  INTEGER NOT NULL,
  selected_jobs TEXT NOT NULL,
  PRIMARY KEY (workflow_id, action_index),
  FOREIGN KEY (workflow_id, action_index) REFERENCES workflow_actions (workflow_id, action_index) ON DELETE CASCADE
);

-- One row per claim of an action. worker_key is '' for a non-persistent action (one claim per
-- run) and the worker's id for a persistent one (one per worker per run): the unique key is the claim.
CREATE TABLE action_executions (
  id           TEXT PRIMARY KEY,
  workflow_id  TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  action_index INTEGER NOT NULL,
  run          INTEGER NOT NULL,
  worker_key   TEXT NOT NULL,
  worker_id    TEXT NOT NULL,
  success      INTEGER,
  result       TEXT,
  error        TEXT,
  started_at   INTEGER NOT NULL,
  ended_at     INTEGER,
  UNIQUE (workflow_id, action_index, run, worker_key)
);

CREATE TABLE slurm_allocations (
  id            TEXT PRIMARY KEY,
  workflow_id   TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  action_index  INTEGER,
  scheduler     TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'canceled')),
  native_state  TEXT,
  nodes         INTEGER NOT NULL,
  script_path   TEXT,
  submitted_at  INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX slurm_allocations_workflow ON slurm_allocations (workflow_id, submitted_at);
CREATE INDEX slurm_allocations_active ON slurm_allocations (state) WHERE state IN ('queued', 'running');
