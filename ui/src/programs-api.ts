/**
 * The programs' routes for the UI (src/server/routes/programs.ts, shapes of src/programs/views.ts),
 * beside api.ts and built on its `request`: PyExecutorHub's fields first, hookflow's after.
 */
import { request, type JsonObject } from './api.js';
import type { ExecutionStatsJson, ExecutionStatus } from './lib/programs.js';
import { currentSession } from './session.js';

export interface ProgramJson {
  id: string;
  name: string;
  description: string;
  type: 'script' | 'bot';
  enabled: boolean;
  /** Arguments from config.yaml, appended to argv. */
  parameters: string | null;
  docker_image: string | null;
  /** docker, compose or process; null: docker when an engine answers, else process. */
  runner: string | null;
  path_docker_compose_run: string | null;
  // hookflow's additions (an older server may leave them out)
  key?: string;
  path?: string;
  main_file?: string | null;
  timeout_seconds?: number;
  memory_limit?: string | null;
  cpu_limit?: number | null;
  max_concurrent?: number | null;
  network?: string;
  language?: string | null;
  schedule?: { cron: string; timezone: string | null; parameters: JsonObject } | null;
}

export interface ProgramExecutionJson {
  execution_id: string;
  program_id: string;
  status: ExecutionStatus;
  /** stdout */
  output: string;
  /** stderr, then why hookflow stopped it (PyExecutorHub's field) */
  error: string;
  start_time: string | null;
  end_time: string | null;
  duration_seconds: number | null;
  exit_code: number | null;
  // hookflow's additions
  parameters?: JsonObject;
  program_name?: string;
  program_type?: string;
  runner?: string;
  image?: string | null;
  trigger?: string;
  requested_by?: string | null;
  /** Why it ended as it did (timeout, canceled, exit code…), apart from stderr. */
  error_message?: string | null;
  /** stderr alone. */
  stderr?: string;
  output_truncated?: boolean;
  error_truncated?: boolean;
  created_at?: string | null;
  queue_position?: number | null;
}

/** A problem of config.yaml's last edit (src/programs/model.ts ConfigProblem). */
export interface ConfigProblemJson {
  message: string;
  /** file:line:column */
  where: string;
  path: string;
  hint?: string;
}

/** GET /programs/config: the file and the problems of its last edit (the last good configuration stays in force). */
export interface ProgramsConfigJson {
  file: string;
  programs: number;
  enabled: number;
  problems: ConfigProblemJson[];
}

export interface ExecutionPage {
  total: number;
  limit: number;
  offset: number;
  executions: ProgramExecutionJson[];
}

export interface ExecutionQuery {
  program_id?: string;
  status?: string;
  limit?: number;
  offset?: number;
}

const segment = encodeURIComponent;

function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export const programsApi = {
  programs: () => request<ProgramJson[]>('GET', '/programs'),
  config: () => request<ProgramsConfigJson>('GET', '/programs/config'),
  execute: (programId: string, parameters: Record<string, string>) => request<ProgramExecutionJson>('POST', '/executions', { program_id: programId, parameters }),
  executions: (filters: ExecutionQuery = {}) => request<ExecutionPage>('GET', `/executions${query({ ...filters })}`),
  execution: (id: string) => request<ProgramExecutionJson>('GET', `/executions/${segment(id)}`),
  cancel: (id: string) => request<ProgramExecutionJson>('POST', `/executions/${segment(id)}/cancel`),
  stats: () => request<ExecutionStatsJson>('GET', '/executions/stats'),
};

/** An execution's live output for EventSource, which cannot send headers: the token goes in the query. */
export function executionStreamUrl(id: string): string | null {
  const session = currentSession();
  return session ? `/executions/${segment(id)}/stream${query({ access_token: session.token })}` : null;
}

/** stderr alone: hookflow's `stderr`, else PyExecutorHub's `error` (stderr and the reason together). */
export function stderrOf(execution: ProgramExecutionJson): string {
  return execution.stderr ?? execution.error ?? '';
}
