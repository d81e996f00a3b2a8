import type { JsonObject, JsonValue } from '../events/model.js';

/**
 * The one internal model both workflow formats compile to (src/workflows/spec/compile.ts): a graph
 * of jobs, each a shell command or a typed action with params, plus the workflow actions bound to
 * lifecycle triggers. The store, the engine and the workers only ever see this model, never Torc
 * or BudPipeline documents. A BudPipeline DAG's steps are jobs whose `step` part is set.
 */

export type WorkflowFormat = 'torc' | 'dag';

/** How a job's end moves its dependents: Torc's rules or BudPipeline's (REFERENCE.md). */
export type DependencyRule = 'torc' | 'dag';

export interface ResourceNeeds {
  num_cpus: number;
  num_gpus: number;
  num_nodes: number;
  /** Bytes; 0 when not given. */
  memory_bytes: number;
  /** Seconds (from `PT4H`-style durations); null when not given. */
  runtime_seconds: number | null;
}

/** One rule of a Torc failure handler: which exit codes it matches and how often it retries. */
export interface FailureRule {
  /** Empty with match_all_exit_codes. */
  exit_codes: number[];
  match_all_exit_codes: boolean;
  /** Default 3. */
  max_retries: number;
  recovery_script: string | null;
}

export interface RetryBackoff {
  max_attempts: number;
  backoff_seconds: number;
  backoff_multiplier: number;
  max_backoff_seconds: number;
}

/** What a DAG step adds to a job: its condition, failure mode and retry (BudPipeline's semantics). */
export interface StepPart {
  id: string;
  condition: string | boolean | null;
  on_failure: 'fail' | 'continue' | 'retry';
  /** Used only with on_failure: retry. */
  retry: RetryBackoff;
}

export interface JobModel {
  /** Position in `jobs`: the job's identity in the store (names may repeat in Torc specs). */
  index: number;
  name: string;
  /** Exactly one of command and action is set. */
  command: string | null;
  invocation_script: string | null;
  action: string | null;
  /** Params of the typed action (templates unresolved for DAG steps). */
  params: JsonObject | null;
  /** Indexes of the jobs this one waits for, ascending, no duplicates. */
  depends_on: number[];
  env: Record<string, string>;
  resources: ResourceNeeds;
  /** The `slurm_schedulers` entry's name, or null. */
  scheduler: string | null;
  cancel_on_blocking_job_failure: boolean;
  /** Rules of the job's failure handler (Torc), in order; empty when none. */
  failure_rules: FailureRule[];
  /** Seconds; null = no limit of its own (a DAG's settings.timeout_seconds may still apply). */
  timeout_seconds: number | null;
  input_files: string[];
  output_files: string[];
  step: StepPart | null;
}

export type TriggerType =
  | 'on_workflow_start'
  | 'on_workflow_complete'
  | 'on_jobs_ready'
  | 'on_jobs_complete'
  | 'on_worker_start'
  | 'on_worker_complete';

export const TRIGGER_TYPES: readonly TriggerType[] = [
  'on_workflow_start',
  'on_workflow_complete',
  'on_jobs_ready',
  'on_jobs_complete',
  'on_worker_start',
  'on_worker_complete',
];

export interface WorkflowActionModel {
  index: number;
  trigger_type: TriggerType;
  /** `run_commands`, `schedule_nodes`, or any typed action's type. */
  action_type: string;
  /** once per worker (default for worker triggers) or once per workflow run. */
  persistent: boolean;
  /** Indexes of the selected jobs (jobs ∪ regex matches), ascending; empty for non-job triggers. */
  selected_jobs: number[];
  /** The selected jobs for job triggers, 1 for the others. */
  required_triggers: number;
  /** Everything else as written: commands, scheduler, num_allocations, params… */
  fields: JsonObject;
}

export interface SlurmSchedulerModel {
  name: string;
  account: string | null;
  partition: string | null;
  nodes: number;
  walltime: string | null;
  gres: string | null;
  mem: string | null;
  qos: string | null;
  /** Extra sbatch arguments, as written. */
  extra: string | null;
}

export interface WorkflowParameter {
  name: string;
  type: string;
  required: boolean;
  default?: JsonValue;
  description: string;
}

export interface WorkflowModel {
  name: string;
  format: WorkflowFormat;
  description: string | null;
  user: string | null;
  dependency_rule: DependencyRule;
  jobs: JobModel[];
  files: Array<{ name: string; path: string }>;
  actions: WorkflowActionModel[];
  slurm_schedulers: SlurmSchedulerModel[];
  /** DAG parameters (declared); the values given at submit live on the workflow record. */
  parameters: WorkflowParameter[];
  /** DAG `outputs` templates, resolved when the workflow ends. */
  outputs: JsonObject;
  /** At most this many jobs of the workflow run at once (DAG max_parallel_steps); null = no limit. */
  max_parallel_jobs: number | null;
  /** DAG settings.timeout_seconds; null = none. */
  timeout_seconds: number | null;
  /** Topological layers of job indexes. */
  levels: number[][];
}
