import type { AuthService } from '../auth/service.js';
import type { JsonObject } from '../events/model.js';
import type { EventService } from '../events/service.js';
import type { HookService } from '../hooks/service.js';
import type { ConfigProblem } from '../programs/model.js';
import type { ProgramJson } from '../programs/views.js';
import type { ExecutionStatus } from '../store/programs.js';
import type { SecretService, StateService } from '../store/services.js';
import type { WorkflowService } from '../workflows/service.js';

/** What the CLI does with workflows, locally and through the API alike. */
export type WorkflowServices = Pick<
  WorkflowService,
  | 'validate'
  | 'submit'
  | 'get'
  | 'list'
  | 'status'
  | 'jobs'
  | 'job'
  | 'logs'
  | 'outputs'
  | 'cancel'
  | 'restart'
  | 'actions'
  | 'graph'
  | 'workers'
  | 'allocations'
  | 'cancelAllocations'
  | 'waitForEnd'
>;

/**
 * The services the CLI uses, whether it works on a local store or talks to a server: the engine's
 * own services locally, an HTTP client (src/client/remote.ts) remotely. One set of commands
 * serves both, so they cannot drift apart.
 */
export interface HookflowServices {
  /** Where these services act, for messages: a store URL or a server URL. */
  readonly target: string;
  readonly maxEventBytes: number;
  events: Pick<EventService, 'dispatch' | 'dispatchAndWait' | 'list' | 'get' | 'delete' | 'cleanup' | 'replay' | 'replayMatching'>;
  hooks: Pick<HookService, 'addFromFile' | 'addCommands' | 'addAction' | 'list' | 'get' | 'setEnabled' | 'remove' | 'history' | 'test'>;
  secrets: Pick<SecretService, 'set' | 'list' | 'delete'>;
  state: Pick<StateService, 'get' | 'set' | 'delete' | 'list'>;
  workflows: WorkflowServices;
  programs: ProgramServices;
  accounts: Pick<AuthService, 'addUser' | 'listUsers' | 'removeUser' | 'setPassword' | 'setRole' | 'createToken' | 'listTokens' | 'revokeToken'>;
}

// ── programs ─────────────────────────────────────────────────────────────────────────────────
// The shapes of src/programs/views.ts (what the API answers), typed for the CLI. Locally the
// views are applied to the ProgramService's records; remotely they come as they are.

export type { ProgramJson } from '../programs/views.js';

/** An execution as `executionJson` shows it: PyExecutorHub's fields first. */
export interface ProgramExecutionJson {
  execution_id: string;
  program_id: string;
  status: ExecutionStatus;
  output: string;
  /** stderr, then why hookflow stopped it. */
  error: string;
  start_time: string | null;
  end_time: string | null;
  duration_seconds: number | null;
  exit_code: number | null;
  parameters: JsonObject;
  program_name: string;
  program_type: string;
  runner: string;
  image: string | null;
  trigger: string;
  requested_by: string | null;
  /** Why it failed, timed out or was canceled; null when it completed. */
  error_message: string | null;
  /** stderr alone. */
  stderr: string;
  output_truncated: boolean;
  error_truncated: boolean;
  created_at: string;
  queue_position: number | null;
  details: JsonObject;
}

/** `executionLogsJson`: GET /executions/{id}/logs. */
export interface ProgramExecutionLogsJson {
  execution_id: string;
  program_id: string;
  status: ExecutionStatus;
  start_time: string | null;
  end_time: string | null;
  duration_seconds: number | null;
  output: string;
  error: string;
  output_lines: number;
  error_lines: number;
  exit_code: number | null;
  output_truncated: boolean;
  error_truncated: boolean;
}

/** `statsJson`: GET /executions/stats. */
export interface ProgramStatsJson {
  total: number;
  by_status: Record<string, Array<{ name: string; total: number }>>;
  recent_executions: Array<Pick<ProgramExecutionJson, 'execution_id' | 'program_id' | 'status' | 'start_time' | 'end_time' | 'duration_seconds'>>;
  max_executions: number | null;
  concurrent_executions: number;
  max_concurrent_executions: number;
  totals_by_status: Record<ExecutionStatus, number>;
  totals_by_program: Record<string, number>;
}

/** GET /programs/config: the file, its counts, the settings in force, and what is wrong with it. */
export interface ProgramsConfigJson {
  file: string;
  /** How many programs it defines, and how many of them are enabled. */
  programs: number;
  enabled: number;
  settings: JsonObject;
  /** Problems that do not stop the file being used. */
  warnings: ConfigProblem[];
  /** The errors of the last read when it was refused (the last good configuration stays in force). */
  problems: ConfigProblem[];
}

/** GET /executions: a page, newest first. */
export interface ProgramExecutionPageJson {
  total: number;
  limit: number;
  offset: number;
  executions: ProgramExecutionJson[];
}

export interface ProgramExecutionQuery {
  program_id?: string;
  status?: ExecutionStatus;
  limit?: number;
  offset?: number;
}

/** A message of an execution's live stream, as the API's SSE frames carry it. */
export type ProgramStreamMessage = { type: 'output'; stream: 'stdout' | 'stderr'; text: string } | { type: 'status'; execution: ProgramExecutionJson };

export interface FollowOptions {
  /** Stops following: follow() then resolves with the execution as it is. */
  signal?: AbortSignal;
  /**
   * Local store only: run queued executions in this process while following (FIFO, so those
   * queued ahead run here too). Once the followed one ends, executions this process started
   * besides it are waited for (`onRunningHere` names them first) unless `signal` aborts.
   */
  runHere?: boolean;
  onRunningHere?(executionIds: string[]): void;
}

/** What the CLI does with programs and executions, locally and through the API alike. */
export interface ProgramServices {
  /** The enabled programs, scripts before bots. */
  list(): Promise<ProgramJson[]>;
  config(): Promise<ProgramsConfigJson>;
  /** Stores an execution queued (unknown program: HF_ERR_PROGRAM_NOT_FOUND; disabled: HF_ERR_PROGRAM_DISABLED). */
  run(request: { program_id: string; parameters?: Record<string, string> }): Promise<ProgramExecutionJson>;
  executions(query?: ProgramExecutionQuery): Promise<ProgramExecutionPageJson>;
  show(id: string): Promise<ProgramExecutionJson>;
  logs(id: string): Promise<ProgramExecutionLogsJson>;
  /** A queued execution ends canceled at once; a running one is asked to stop (the answer still says running). */
  cancel(id: string): Promise<ProgramExecutionJson>;
  stats(): Promise<ProgramStatsJson>;
  /**
   * Streams an execution: what it printed so far, then its output as it comes, each stream's
   * text once and in order, and last the status message of its end; resolves with its final
   * record (or, when `signal` aborts, its record then).
   */
  follow(id: string, listener: (message: ProgramStreamMessage) => void, options?: FollowOptions): Promise<ProgramExecutionJson>;
}
