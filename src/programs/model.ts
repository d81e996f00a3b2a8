import type { JsonObject } from '../events/model.js';
import type { ProgramKind, RunnerKind } from '../store/programs.js';

/**
 * Programs: PyExecutorHub's config.yaml as hookflow reads it. The configuration is parsed and
 * checked once (src/programs/config.ts) into these shapes; everything after works on them.
 */

export type NetworkMode = 'none' | 'bridge' | 'host';

/** A typed action a program runs before or after itself (`before: [{action, params}]`). */
export interface ProgramActionStep {
  action: string;
  params: JsonObject;
}

export interface ProgramSchedule {
  cron: string;
  timezone: string | null;
  parameters: Record<string, string>;
}

export interface ProgramDefinition {
  /** The map key under scripts:/bots:. */
  key: string;
  /** The `id` field, or the key when there is none. Executions record this. */
  id: string;
  name: string;
  description: string;
  kind: ProgramKind;
  enabled: boolean;
  /** Absolute, resolved against the config file's directory, inside the allowed roots. */
  directory: string;
  /** As written (relative to directory), or null: the first of DEFAULT_MAIN_FILES that exists at run time. */
  main_file: string | null;
  /** docker_image as written, or null (settings.docker_image then). */
  docker_image: string | null;
  /** The `parameters` string, split with shell quoting rules. */
  argv: string[];
  /** The `parameters` string as written (listed by GET /programs). */
  parameters: string | null;
  /** Absolute path of path_docker_compose_run, or null. */
  compose_file: string | null;
  /**
   * The program's `runner`, else compose when it has path_docker_compose_run, else settings.runner;
   * null when none of these names one: docker when an engine answers, else process (chosen at run time).
   */
  runner: RunnerKind | null;
  env: Record<string, string>;
  network: NetworkMode;
  timeout_seconds: number;
  /** Bytes, or null for none. */
  memory_limit: number | null;
  /** memory_limit as written ("1g"). */
  memory_limit_text: string | null;
  /** CPUs (0.5 = half a core), or null for none. */
  cpu_limit: number | null;
  max_concurrent: number | null;
  schedule: ProgramSchedule | null;
  /** Overrides the interpreter chosen by the main file's extension (python, node, typescript, bash, sh, executable). */
  language: ProgramLanguage | null;
  /** Program folder writable in docker and the sandbox (default read-only). */
  writable: boolean;
  /** Process runner: bubblewrap sandbox when available (default true). */
  sandbox: boolean;
  before: ProgramActionStep[];
  after: ProgramActionStep[];
  /** Where it was defined: `file:line:column`. */
  where: string;
}

export type ProgramLanguage = 'python' | 'node' | 'typescript' | 'bash' | 'sh' | 'executable';

export interface ProgramSettings {
  docker_image: string;
  timeout_seconds: number;
  max_concurrent_executions: number;
  memory_limit: number | null;
  memory_limit_text: string | null;
  cpu_limit: number | null;
  /** The runner of programs that name none; null: docker when an engine answers, else process. */
  runner: RunnerKind | null;
  network: NetworkMode;
  /** Directories (absolute) program paths may be in; the config file's directory is always one. */
  allowed_roots: string[];
  /** Interpreters by language, e.g. {python: "/usr/bin/python3"}; defaults python3, node, bash. */
  interpreters: Partial<Record<ProgramLanguage, string>>;
  /** Retention of finished executions: max age in days and max count (null: unbounded). */
  retention_days: number | null;
  retention_count: number | null;
  /** Output kept in the store per stream, bytes (default 1 MiB). */
  output_limit_bytes: number;
}

export interface ProgramsConfig {
  /** Absolute path of the config.yaml. */
  file: string;
  /** Its directory: relative paths and actions/ are found from here. */
  directory: string;
  /** scripts first, then bots, each in file order. */
  programs: ProgramDefinition[];
  settings: ProgramSettings;
  /** Problems that do not stop the file being used (unknown fields…), each with its place. */
  warnings: ConfigProblem[];
}

export interface ConfigProblem {
  message: string;
  /** file:line:column */
  where: string;
  line: number | null;
  column: number | null;
  /** dotted path in the document: scripts.my_script.timeout_seconds */
  path: string;
  hint?: string;
}

export const PYEXECUTORHUB_DEFAULTS = {
  docker_image: 'pyexecutorhub-base',
  timeout_seconds: 300,
  max_concurrent_executions: 5,
  memory_limit: '1g',
  cpu_limit: '0.5',
} as const;

/** Tried in this order when a program names no main_file. */
export const DEFAULT_MAIN_FILES = ['main.py', 'run.py', 'app.py', 'index.py', 'main.js', 'index.js', 'main.sh'] as const;

// ── running ─────────────────────────────────────────────────────────────────────────────────

/** Which part of an execution a run is. */
export type RunPhase = 'before' | 'program' | 'after';

/** Where a script lives: the program folder, or the actions folder beside config.yaml. */
export type ScriptRoot = 'workspace' | 'actions';

/** Receives output as it is produced, streams apart. */
export interface OutputSink {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
}

export interface ResourceLimits {
  /** Bytes, or null for none. */
  memory_bytes: number | null;
  /** CPUs (fractions allowed), or null for none. */
  cpus: number | null;
}

/**
 * One process or container to run, as the runner-independent plan says. Runners map the script's
 * root to their view of it: docker and the sandbox bind the program folder at /workspace and the
 * actions folder at /hookflow/actions; an unsandboxed process uses the host paths.
 */
export interface RunSpec {
  execution_id: string;
  program_id: string;
  phase: RunPhase;
  /** The interpreter's argv before the script (["python3"], ["bash"]…), or [] to execute the script itself. */
  interpreter: string[];
  /** The script to run, or null to run the interpreter's argv and args alone (installs). */
  script: { root: ScriptRoot; path: string } | null;
  args: string[];
  /** Host paths. */
  workspace_dir: string;
  actions_dir: string | null;
  /** Extra read-only directories (host path → path in the runner's view), e.g. installed action dependencies. */
  extra_mounts: Array<{ host: string; target: string }>;
  writable: boolean;
  /**
   * Installed dependencies of the before/after actions (host path), or null. Runners show it at
   * /hookflow/deps (docker, sandbox) or as is (host) and point PYTHONPATH at <it>/python and
   * NODE_PATH at <it>/node/node_modules; with `installing`, it is writable and PIP_TARGET /
   * npm_config_prefix point into it.
   */
  dependency_dir?: string | null;
  installing?: boolean;
  /** The variables the program sees (PROGRAM_ID, EXECUTION_ID, PARAM_*, .env, env, EXIT_CODE); runners add PATH/HOME basics. */
  env: Record<string, string>;
  /** docker: the image. */
  image: string | null;
  limits: ResourceLimits;
  network: NetworkMode;
  /** process: use bubblewrap when available. */
  sandbox: boolean;
  /** epoch ms: the runner stops the run at this time (outcome reason 'timeout'). */
  deadline: number;
  /** Aborted on cancel (outcome reason 'canceled'). */
  signal: AbortSignal;
  output: OutputSink;
}

export type RunEndReason = 'exited' | 'timeout' | 'canceled' | 'out_of_memory' | 'start_failed';

export interface RunOutcome {
  reason: RunEndReason;
  /** The process's exit code (137 after SIGKILL…), or null when it never started or a signal ended it. */
  exit_code: number | null;
  signal: string | null;
  /** For people, when reason is not 'exited' (or it exited non-zero for a known cause). */
  message: string | null;
  /** What the runner applied: {sandbox: 'bwrap'|'none', memory: 'cgroup'|'rlimit'|'docker'|null, cpu: …, container_id…}. */
  details: JsonObject;
}

export interface RunnerAvailability {
  available: boolean;
  /** Why not, for people. */
  reason: string | null;
}

export interface Runner {
  readonly kind: RunnerKind;
  availability(): Promise<RunnerAvailability>;
  /** Runs to the end; never rejects for the program's own failures (they are outcomes). */
  run(spec: RunSpec): Promise<RunOutcome>;
  close(): Promise<void>;
}

/** A compose program's run: `up` in the file's directory, then always `down --remove-orphans`. */
export interface ComposeRunSpec {
  execution_id: string;
  program_id: string;
  compose_file: string;
  /** Unique per execution. */
  project_name: string;
  env: Record<string, string>;
  deadline: number;
  signal: AbortSignal;
  output: OutputSink;
}

export interface ComposeRunner {
  readonly kind: 'compose';
  availability(): Promise<RunnerAvailability & { command: string[] | null }>;
  run(spec: ComposeRunSpec): Promise<RunOutcome>;
}
