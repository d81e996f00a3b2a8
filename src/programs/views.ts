import type { JsonObject } from '../events/model.js';
import type { ExecutionCounts, ExecutionRecord, ExecutionStatus } from '../store/programs.js';
import type { ConfigProblem, ProgramDefinition, ProgramsConfig } from './model.js';

/**
 * The JSON shapes of programs and executions, PyExecutorHub's fields first (its clients read
 * them: execution_id, program_id, status, output, error, start_time, end_time…), hookflow's after.
 * Shared by the API, the CLI's --json and the UI.
 */

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function seconds(from: number | null, to: number | null): number | null {
  if (from === null) return null;
  return Math.round(((to ?? Date.now()) - from) / 10) / 100;
}

export interface ProgramJson extends JsonObject {
  id: string;
  key: string;
  name: string;
  description: string;
  type: 'script' | 'bot';
  enabled: boolean;
  path: string;
  main_file: string | null;
  docker_image: string | null;
  parameters: string | null;
  path_docker_compose_run: string | null;
  runner: string | null;
  timeout_seconds: number;
  memory_limit: string | null;
  cpu_limit: number | null;
  max_concurrent: number | null;
  network: string;
  language: string | null;
  schedule: JsonObject | null;
  before: JsonObject[];
  after: JsonObject[];
}

export function programJson(program: ProgramDefinition, config: ProgramsConfig): ProgramJson {
  const runner = program.runner ?? config.settings.runner;
  // The program's own image as configured; the settings' default only where it could be used.
  const image = program.compose_file ? null : (program.docker_image ?? (runner === 'process' ? null : config.settings.docker_image));
  return {
    id: program.id,
    key: program.key,
    name: program.name,
    description: program.description,
    type: program.kind,
    enabled: program.enabled,
    path: program.directory,
    main_file: program.main_file,
    docker_image: image,
    parameters: program.parameters,
    path_docker_compose_run: program.compose_file,
    runner,
    timeout_seconds: program.timeout_seconds,
    memory_limit: program.memory_limit_text,
    cpu_limit: program.cpu_limit,
    max_concurrent: program.max_concurrent,
    network: program.network,
    language: program.language,
    schedule: program.schedule ? { cron: program.schedule.cron, timezone: program.schedule.timezone, parameters: program.schedule.parameters } : null,
    before: program.before.map((step) => ({ action: step.action, params: step.params })),
    after: program.after.map((step) => ({ action: step.action, params: step.params })),
  };
}

/** stderr, then the reason hookflow stopped it (PyExecutorHub put "Execution exceeded time limit" in `error`). */
export function errorText(execution: ExecutionRecord): string {
  if (!execution.error || execution.status === 'completed') return execution.error_output;
  if (execution.error_output.includes(execution.error)) return execution.error_output;
  const separator = execution.error_output && !execution.error_output.endsWith('\n') ? '\n' : '';
  return `${execution.error_output}${separator}${execution.error}`;
}

export function executionJson(execution: ExecutionRecord, extra: { queue_position?: number | null } = {}): JsonObject {
  return {
    execution_id: execution.id,
    program_id: execution.program_id,
    status: execution.status,
    output: execution.output,
    error: errorText(execution),
    start_time: iso(execution.started_at),
    end_time: iso(execution.ended_at),
    duration_seconds: seconds(execution.started_at, execution.ended_at),
    exit_code: execution.exit_code,
    parameters: execution.parameters,
    program_name: execution.program_name,
    program_type: execution.program_kind,
    runner: execution.runner,
    image: execution.image,
    trigger: execution.trigger,
    requested_by: execution.requested_by,
    error_message: execution.error,
    stderr: execution.error_output,
    output_truncated: execution.output_truncated,
    error_truncated: execution.error_output_truncated,
    created_at: iso(execution.created_at),
    queue_position: extra.queue_position ?? null,
    details: execution.details,
  };
}

/** When it started and ended, and how long it took (so far, while it runs). */
function timing(execution: ExecutionRecord): JsonObject {
  return { start_time: iso(execution.started_at), end_time: iso(execution.ended_at), duration_seconds: seconds(execution.started_at, execution.ended_at) };
}

function lineCount(text: string): number {
  if (!text) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** GET /executions/{id}/logs: the execution with its timing and line counts. */
export function executionLogsJson(execution: ExecutionRecord): JsonObject {
  const error = errorText(execution);
  return {
    execution_id: execution.id,
    program_id: execution.program_id,
    status: execution.status,
    ...timing(execution),
    output: execution.output,
    error,
    output_lines: lineCount(execution.output),
    error_lines: lineCount(error),
    exit_code: execution.exit_code,
    output_truncated: execution.output_truncated,
    error_truncated: execution.error_output_truncated,
  };
}

/** `{STATUS: [{name, total}]}` sorted by total desc, then name (REFERENCE.md). */
export function byStatus(counts: ExecutionCounts): Record<string, Array<{ name: string; total: number }>> {
  const grouped: Record<string, Array<{ name: string; total: number }>> = {};
  for (const row of counts.by_status_program) (grouped[row.status] ??= []).push({ name: row.program_id, total: row.total });
  for (const rows of Object.values(grouped)) rows.sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
  return grouped;
}

export function statusTotals(counts: ExecutionCounts): Record<ExecutionStatus, number> {
  const totals: Record<ExecutionStatus, number> = { queued: 0, running: 0, completed: 0, failed: 0, timeout: 0, canceled: 0 };
  for (const row of counts.by_status_program) totals[row.status] += row.total;
  return totals;
}

/** GET /executions/stats. */
export function statsJson(counts: ExecutionCounts, recent: ExecutionRecord[], config: ProgramsConfig): JsonObject {
  const totals = statusTotals(counts);
  const byProgram: Record<string, number> = {};
  for (const row of counts.by_status_program) byProgram[row.program_id] = (byProgram[row.program_id] ?? 0) + row.total;
  return {
    total: counts.total,
    by_status: byStatus(counts),
    recent_executions: recent.map((execution) => ({ execution_id: execution.id, program_id: execution.program_id, status: execution.status, ...timing(execution) })),
    max_executions: config.settings.retention_count,
    concurrent_executions: totals.running,
    max_concurrent_executions: config.settings.max_concurrent_executions,
    totals_by_status: totals,
    totals_by_program: byProgram,
  };
}

/** GET /executions/concurrent. */
export function concurrentJson(running: ExecutionRecord[], queued: number, config: ProgramsConfig): JsonObject {
  return {
    concurrent_count: running.length,
    max_concurrent: config.settings.max_concurrent_executions,
    running_executions: running.map((execution) => ({
      execution_id: execution.id,
      program_id: execution.program_id,
      start_time: iso(execution.started_at),
      duration_seconds: seconds(execution.started_at, null),
    })),
    queued_count: queued,
  };
}

/** GET /programs/config: the file, its programs, and the problems of its last edit. */
export function programsConfigJson(config: ProgramsConfig, enabled: number, problems: readonly ConfigProblem[]): JsonObject {
  return {
    file: config.file,
    programs: config.programs.length,
    enabled,
    settings: config.settings as unknown as JsonObject,
    warnings: config.warnings as unknown as JsonObject[],
    problems: problems as unknown as JsonObject[],
  };
}

/** GET /executions/info: the counts and the limits in force. */
export function infoJson(counts: ExecutionCounts, config: ProgramsConfig): JsonObject {
  const totals = statusTotals(counts);
  return {
    total_executions: counts.total,
    queued_executions: totals.queued,
    running_executions: totals.running,
    completed_executions: totals.completed,
    failed_executions: totals.failed,
    timeout_executions: totals.timeout,
    canceled_executions: totals.canceled,
    max_concurrent_executions: config.settings.max_concurrent_executions,
    max_executions: config.settings.retention_count,
    retention_days: config.settings.retention_days,
    timeout_seconds: config.settings.timeout_seconds,
    config_file: config.file,
  };
}

export interface ConfiguredImage extends JsonObject {
  repository: string;
  tag: string;
  image_id: string;
  size: string;
  created_at: string;
  full_name: string;
  source: string;
}

function splitImage(name: string): { repository: string; tag: string } {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? { repository: name.slice(0, colon), tag: name.slice(colon + 1) } : { repository: name, tag: 'latest' };
}

/** GET /images/available: the images the configuration names (PyExecutorHub's shape: from config, not the engine). */
export function configuredImages(config: ProgramsConfig): ConfiguredImage[] {
  const images: ConfiguredImage[] = [];
  const seen = new Set<string>();
  for (const program of config.programs) {
    if (!program.docker_image || program.compose_file || seen.has(program.docker_image)) continue;
    seen.add(program.docker_image);
    images.push({
      ...splitImage(program.docker_image),
      image_id: 'config',
      size: 'N/A',
      created_at: 'N/A',
      full_name: program.docker_image,
      source: program.kind,
      [`${program.kind}_id`]: program.id,
    });
  }
  if (!seen.has(config.settings.docker_image)) {
    images.push({
      ...splitImage(config.settings.docker_image),
      image_id: 'config',
      size: 'N/A',
      created_at: 'N/A',
      full_name: config.settings.docker_image,
      source: 'default',
      description: 'Default image for programs without custom image',
    });
  }
  return images;
}
