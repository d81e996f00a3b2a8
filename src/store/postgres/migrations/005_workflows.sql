-- Workflows (Torc specs and BudPipeline DAGs compiled to one model), their jobs, workflow actions
-- and Slurm allocations. The columns that claims and finishes filter on are real columns; the
-- compiled job lives in `spec`. Per-job and per-workflow counters (remaining dependencies,
-- unfinished and failed jobs) and per-job dependent lists let a finish touch only the finished
-- job, its dependents and its workflow row, never scan the workflow. A workflow's row is the lock its transitions take.
CREATE TABLE workflows (
  id                text COLLATE "C" PRIMARY KEY,
  name              text NOT NULL,
  format            text NOT NULL CHECK (format IN ('torc', 'dag')),
  status            text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'canceled')),
  run               integer NOT NULL DEFAULT 1,
  user_name         text,
  description       text,
  params            jsonb NOT NULL DEFAULT '{}',
  outputs           jsonb,
  output_dir        text NOT NULL,
  created_by        text,
  job_count         integer NOT NULL,
  error             text,
  dependency_rule   text NOT NULL CHECK (dependency_rule IN ('torc', 'dag')),
  max_parallel_jobs integer,
  -- Jobs not ended in this run, and ended jobs that make the run fail.
  unfinished_count  integer NOT NULL,
  failed_count      integer NOT NULL DEFAULT 0,
  created_at        bigint NOT NULL,
  updated_at        bigint NOT NULL,
  started_at        bigint NOT NULL,
  ended_at          bigint
);
CREATE INDEX workflows_status ON workflows (status, id);

-- The compiled model without its jobs (they are in jobs.spec). Large and never changed, so kept out
-- of the workflow's row, which every transition rewrites.
CREATE TABLE workflow_models (
  workflow_id text COLLATE "C" PRIMARY KEY REFERENCES workflows (id) ON DELETE CASCADE,
  model       jsonb NOT NULL
);

CREATE TABLE jobs (
  workflow_id        text COLLATE "C" NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  job_index          integer NOT NULL,
  name               text NOT NULL,
  step_id            text,
  status             text NOT NULL,
  run                integer NOT NULL,
  attempts           integer NOT NULL DEFAULT 0,
  exit_code          integer,
  worker_id          text,
  lease_expires_at   bigint,
  ready_at           bigint,
  started_at         bigint,
  ended_at           bigint,
  outputs            jsonb,
  error              text,
  stdout_tail        text,
  log_dir            text,
  stderr_tail        text,
  cancel_requested   boolean NOT NULL DEFAULT false,
  -- Dependencies not ended yet in this run: the job is blocked while this is above 0.
  remaining          integer NOT NULL,
  cancel_on_blocking boolean NOT NULL DEFAULT false,
  on_failure         text,
  num_cpus           double precision NOT NULL DEFAULT 0,
  num_gpus           double precision NOT NULL DEFAULT 0,
  memory_bytes       bigint NOT NULL DEFAULT 0,
  -- The jobs that wait for this one (its own dependencies are in spec): a finish reads the
  -- dependents it must update from the finished row, without an edge table, which would cost more
  -- to fill than the jobs themselves.
  dependents         integer[],
  -- Actions (indexes) selecting this job, by trigger: a transition counts for them without a lookup.
  ready_actions      integer[],
  complete_actions   integer[],
  -- Bits: 1 counted for on_jobs_ready, 2 for on_jobs_complete, in this run.
  counted            integer NOT NULL DEFAULT 0,
  -- json, not jsonb: stored as written (never queried inside), so 100 000 inserts skip the jsonb parse.
  spec               json NOT NULL,
  PRIMARY KEY (workflow_id, job_index)
);
-- Only ready jobs are in this index: claims read it in (workflow, index) order.
CREATE INDEX jobs_ready ON jobs (workflow_id, job_index) WHERE status = 'ready';
-- Running jobs per workflow (max_parallel_jobs, expired leases) and per worker (lease renewals).
CREATE INDEX jobs_running ON jobs (workflow_id, lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_running_worker ON jobs (worker_id) WHERE status = 'running';
CREATE INDEX jobs_retrying ON jobs (ready_at) WHERE status = 'retrying';

CREATE TABLE workflow_actions (
  workflow_id       text COLLATE "C" NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  action_index      integer NOT NULL,
  trigger_type      text NOT NULL,
  action_type       text NOT NULL,
  persistent        boolean NOT NULL,
  required_triggers integer NOT NULL,
  trigger_count     integer NOT NULL DEFAULT 0,
  status            text NOT NULL CHECK (status IN ('waiting', 'pending', 'running', 'done', 'failed')),
  fields            jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (workflow_id, action_index)
);
CREATE INDEX workflow_actions_pending ON workflow_actions (workflow_id) WHERE status = 'pending';

-- The jobs an action watches (JSON array of indexes), kept out of the action's row, which trigger
-- counting rewrites; each job row carries the reverse (ready_actions, complete_actions).
CREATE TABLE workflow_action_jobs (
  workflow_id   text COLLATE "C" NOT NULL,
  action_index  integer NOT NULL,
  selected_jobs jsonb NOT NULL,
  PRIMARY KEY (workflow_id, action_index),
  FOREIGN KEY (workflow_id, action_index) REFERENCES workflow_actions (workflow_id, action_index) ON DELETE CASCADE
);

-- One row per claim of an action. worker_key is '' for a non-persistent action (one claim per
-- run) and the worker's id for a persistent one (one per worker per run): the unique key is the claim.
CREATE TABLE action_executions (
  id           text COLLATE "C" PRIMARY KEY,
  workflow_id  text COLLATE "C" NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  action_index integer NOT NULL,
  run          integer NOT NULL,
  worker_key   text NOT NULL,
  worker_id    text NOT NULL,
  success      boolean,
  result       jsonb,
  error        text,
  started_at   bigint NOT NULL,
  ended_at     bigint,
  UNIQUE (workflow_id, action_index, run, worker_key)
);

CREATE TABLE slurm_allocations (
  id            text COLLATE "C" PRIMARY KEY,
  workflow_id   text COLLATE "C" NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  action_index  integer,
  scheduler     text NOT NULL,
  state         text NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'canceled')),
  native_state  text,
  nodes         integer NOT NULL,
  script_path   text,
  submitted_at  bigint NOT NULL,
  updated_at    bigint NOT NULL
);
CREATE INDEX slurm_allocations_workflow ON slurm_allocations (workflow_id, submitted_at);
CREATE INDEX slurm_allocations_active ON slurm_allocations (state) WHERE state IN ('queued', 'running');
