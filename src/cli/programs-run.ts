import type { Command } from 'commander';
import type { ProgramExecutionJson, ProgramServices, ProgramsConfigJson, ProgramStatsJson } from '../client/services.js';
import type { ConfigProblem } from '../programs/model.js';
import { EXECUTION_STATUSES, type ExecutionStatus } from '../store/programs.js';
import type { CliSession } from './context.js';
import { formatDuration, formatTime, truncate, type Colors, type Output } from './output.js';
import { UsageError } from './parse.js';
import { EXIT_CANCELED, parseProgramParams, runExitCode } from './programs.js';

/** What `hookflow program …` and `hookflow execution …` do (declared in programs.ts). */

const ENDED: ReadonlySet<ExecutionStatus> = new Set(['completed', 'failed', 'timeout', 'canceled']);

function statusWord(colors: Colors, status: ExecutionStatus): string {
  switch (status) {
    case 'completed':
      return colors.green(status);
    case 'failed':
    case 'timeout':
      return colors.red(status);
    case 'running':
      return colors.cyan(status);
    case 'canceled':
      return colors.yellow(status);
    default:
      return status;
  }
}

const time = (iso: string | null): string => formatTime(iso === null ? null : Date.parse(iso));
const seconds = (value: number | null): string => (value === null ? '-' : formatDuration(value * 1000));
const ordinal = (position: number | null): string => (position === null ? '' : position === 1 ? ' (next in the queue)' : ` (queued: ${position - 1} ahead of it)`);

function problemLine(problem: ConfigProblem): string {
  return `${problem.where}: ${problem.message}${problem.hint ? ` (${problem.hint})` : ''}`;
}

/** How it ended, for people: `completed in 1.2s`, `failed with exit code 3: exited with code 3`. */
function endText(execution: ProgramExecutionJson): string {
  const took = execution.duration_seconds === null ? '' : ` after ${seconds(execution.duration_seconds)}`;
  if (execution.status === 'completed') return `completed in ${seconds(execution.duration_seconds)}`;
  const code = execution.exit_code === null ? '' : ` (exit code ${execution.exit_code})`;
  return `${execution.status}${code}${took}${execution.error_message ? `: ${execution.error_message}` : ''}`;
}

/**
 * While `program run` waits: the first Ctrl-C (SIGINT, SIGTERM, or `io.shutdown` in tests) cancels
 * the execution; the next one stops waiting.
 */
class Interrupts {
  count = 0;
  private readonly onSignal = () => this.fire();

  constructor(
    private readonly abort: AbortSignal | undefined,
    private readonly onInterrupt: (count: number) => void,
  ) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    if (abort?.aborted) queueMicrotask(this.onSignal);
    else abort?.addEventListener('abort', this.onSignal, { once: true });
  }

  private fire(): void {
    this.count += 1;
    this.onInterrupt(this.count);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    this.abort?.removeEventListener('abort', this.onSignal);
  }
}

export interface RunFlags {
  param?: string[];
  follow?: boolean;
  detach?: boolean;
}

/** The programs of --url, or of the local store; `remote` says which. */
function withPrograms(session: CliSession, command: Command, body: (programs: ProgramServices, out: Output, remote: boolean) => Promise<void>): Promise<void> {
  return session.withServices(command, (services, out) => body(services.programs, out, session.remoteUrl(command) !== null));
}

export async function list(session: CliSession, command: Command): Promise<void> {
  await withPrograms(session, command, async (programs, out) => {
    const list = await programs.list();
    if (out.json) return out.data(list);
    if (list.length === 0) return out.line('no enabled programs (see `hookflow program config`)');
    out.table(
      ['ID', 'Name', 'Type', 'Runner', 'Image', 'Parameters', 'Description'],
      list.map((entry) => [
        entry.id,
        truncate(entry.name, 30),
        entry.type,
        entry.runner ?? 'auto',
        entry.runner === 'process' || entry.path_docker_compose_run ? '-' : (entry.docker_image ?? '-'),
        truncate(entry.parameters ?? '-', 30),
        truncate(entry.description || '-', 50),
      ]),
    );
  });
}

export async function runProgram(session: CliSession, id: string, flags: RunFlags, command: Command): Promise<void> {
  if (flags.detach && flags.follow) throw new UsageError('--detach and --follow exclude each other', 'follow a detached execution with `hookflow execution logs ID --follow`');
  const parameters = parseProgramParams(flags.param ?? []);
  await withPrograms(session, command, async (programs, out, remote) => {
    const submitted = await programs.run({ program_id: id, parameters });
    const executionId = submitted.execution_id;
    if (flags.detach) {
      if (out.json) return out.data(submitted);
      out.line(executionId);
      out.note(
        `queued ${submitted.program_id} as execution ${executionId}${ordinal(submitted.queue_position)}; follow it with \`hookflow execution logs ${executionId} --follow\`` +
          (remote ? '' : ' (a `hookflow serve` on this store runs it)'),
      );
      return;
    }
    if (!out.json) out.note(`running ${submitted.program_id} as execution ${executionId}${(submitted.queue_position ?? 0) > 1 ? ordinal(submitted.queue_position) : ''} (Ctrl-C cancels it)`);
    const stopWaiting = new AbortController();
    let ownEnded = false;
    const interrupts = new Interrupts(session.io.shutdown, (count) => {
      if (ownEnded || count > 1) {
        out.note(ownEnded ? 'stopped waiting: the executions started here are canceled unless they end within 10s' : 'stopped waiting');
        stopWaiting.abort();
        return;
      }
      out.note(`canceling execution ${executionId} (Ctrl-C again to stop waiting)`);
      programs.cancel(executionId).catch((error: unknown) => out.warn(`could not cancel ${executionId}: ${error instanceof Error ? error.message : String(error)}`));
    });
    // With --json, stdout is for the JSON: streamed output goes to stderr.
    const streams = { stdout: out.json ? session.io.stderr : session.io.stdout, stderr: session.io.stderr };
    // Said as soon as it ends, before any wait for executions this process started besides it.
    let reported = false;
    const report = (execution: ProgramExecutionJson) => {
      if (reported || out.json) return;
      reported = true;
      if (!flags.follow) {
        if (execution.output) streams.stdout.write(execution.output);
        if (execution.stderr) streams.stderr.write(execution.stderr);
      }
      if (execution.status === 'completed') out.note(`execution ${executionId} ${endText(execution)}`);
      else out.error(`execution ${executionId} ${endText(execution)}`);
    };
    let final: ProgramExecutionJson;
    try {
      final = await programs.follow(
        executionId,
        (message) => {
          if (message.type === 'output') {
            if (flags.follow) streams[message.stream].write(message.text);
          } else if (ENDED.has(message.execution.status)) {
            report(message.execution);
          }
        },
        {
          signal: stopWaiting.signal,
          runHere: true,
          onRunningHere: (others) => {
            ownEnded = true;
            out.note(`waiting for ${others.length} other execution${others.length === 1 ? '' : 's'} this process started (${others.join(', ')}); Ctrl-C cancels them`);
          },
        },
      );
    } finally {
      interrupts.dispose();
    }
    const ended = ENDED.has(final.status);
    session.exitCode = ended ? runExitCode(final) : interrupts.count > 0 ? EXIT_CANCELED : 1;
    if (out.json) return out.data(final);
    if (ended) report(final);
    else out.note(`execution ${executionId} is still ${final.status}: \`hookflow execution show ${executionId}\``);
  });
}

export async function executions(session: CliSession, flags: { program?: string; status?: ExecutionStatus; limit?: number; offset?: number }, command: Command): Promise<void> {
  await withPrograms(session, command, async (programs, out) => {
    const page = await programs.executions({ program_id: flags.program, status: flags.status, limit: flags.limit ?? 20, offset: flags.offset });
    if (out.json) return out.data(page);
    if (page.executions.length === 0) return out.line(page.total === 0 ? 'no executions' : `no executions past the first ${page.offset}`);
    out.table(
      ['ID', 'Program', 'Status', 'Exit', 'Trigger', 'Created', 'Duration'],
      page.executions.map((execution) => [
        execution.execution_id,
        execution.program_id,
        statusWord(out.colors, execution.status),
        execution.exit_code ?? '-',
        execution.trigger,
        time(execution.created_at),
        seconds(execution.duration_seconds),
      ]),
    );
    const shown = page.offset + page.executions.length;
    if (shown < page.total || page.offset > 0) out.note(`${page.offset + 1}–${shown} of ${page.total} (--limit, --offset for others)`);
  });
}

export async function config(session: CliSession, command: Command): Promise<void> {
  await withPrograms(session, command, async (programs, out) => {
    const config = await programs.config();
    if (config.problems.length > 0) session.exitCode = 1;
    if (out.json) return out.data(config);
    printConfig(out, config);
  });
}

export async function show(session: CliSession, id: string, command: Command): Promise<void> {
  await withPrograms(session, command, async (programs, out) => {
    const shown = await programs.show(id);
    if (out.json) return out.data(shown);
    printExecution(out, shown);
  });
}

export async function logs(session: CliSession, id: string, flags: { follow?: boolean }, command: Command): Promise<void> {
  await withPrograms(session, command, async (programs, out, remote) => {
    if (out.json && !flags.follow) return out.data(await programs.logs(id));
    let final: ProgramExecutionJson;
    if (flags.follow) {
      const stop = new AbortController();
      const onShutdown = () => stop.abort();
      session.io.shutdown?.addEventListener('abort', onShutdown, { once: true });
      let noted = false;
      try {
        final = await programs.follow(
          id,
          (message) => {
            if (message.type === 'output') {
              if (!out.json) (message.stream === 'stdout' ? session.io.stdout : session.io.stderr).write(message.text);
            } else if (message.execution.status === 'queued' && !noted && !out.json) {
              noted = true;
              out.note(`execution ${id} is queued${ordinal(message.execution.queue_position)}${remote ? '' : ': it starts when a `hookflow serve` on this store has a free slot'}`);
            }
          },
          { signal: stop.signal },
        );
      } finally {
        session.io.shutdown?.removeEventListener('abort', onShutdown);
      }
      if (out.json) return out.data(await programs.logs(id));
    } else {
      final = await programs.show(id);
      if (final.output) session.io.stdout.write(final.output);
      if (final.stderr) session.io.stderr.write(final.stderr);
    }
    if (!ENDED.has(final.status)) {
      if (!flags.follow) out.note(`execution ${id} is ${final.status}: \`hookflow execution logs ${id} --follow\` follows it`);
    } else if (final.status !== 'completed') {
      out.note(`execution ${id} ${endText(final)}`);
    }
  });
}

export async function cancel(session: CliSession, id: string, command: Command): Promise<void> {
  await withPrograms(session, command, async (programs, out) => {
    const canceled = await programs.cancel(id);
    if (out.json) return out.data(canceled);
    if (canceled.status === 'canceled') out.line(`canceled execution ${id} (${canceled.program_id})`);
    else out.line(`asked execution ${id} (${canceled.program_id}, ${canceled.status}) to stop: it ends canceled once its process has stopped it`);
  });
}

export async function stats(session: CliSession, command: Command): Promise<void> {
  await withPrograms(session, command, async (programs, out) => {
    const stats = await programs.stats();
    if (out.json) return out.data(stats);
    printStats(out, stats);
  });
}

function printConfig(out: Output, config: ProgramsConfigJson): void {
  const settings = config.settings;
  const text = (value: unknown, fallback = '-') => (value === null || value === undefined || value === '' ? fallback : String(value));
  out.fields([
    ['Config', config.file],
    ['Programs', `${config.programs} (${config.enabled} enabled)`],
    ['Runner', text(settings.runner, 'auto (docker when an engine answers, else process)')],
    ['Image', text(settings.docker_image)],
    ['Timeout', `${text(settings.timeout_seconds)}s`],
    ['Concurrency', `${text(settings.max_concurrent_executions)} at once`],
    ['Memory', text(settings.memory_limit_text, 'no limit')],
    ['CPU', text(settings.cpu_limit, 'no limit')],
    ['Network', text(settings.network)],
    ['Retention', `${settings.retention_days === null || settings.retention_days === undefined ? 'any age' : `${text(settings.retention_days)} days`}, ${settings.retention_count === null || settings.retention_count === undefined ? 'any number' : `the last ${text(settings.retention_count)}`}`],
  ]);
  if (config.problems.length > 0) {
    out.line();
    out.line(out.colors.red(out.colors.bold(`${config.problems.length} problem${config.problems.length === 1 ? '' : 's'}: the file's last edit was refused, the last good configuration stays in force`)));
    for (const problem of config.problems) out.line(out.colors.red(`  ${problemLine(problem)}`));
  }
  if (config.warnings.length > 0) {
    out.line();
    out.line(out.colors.yellow(out.colors.bold(`${config.warnings.length} warning${config.warnings.length === 1 ? '' : 's'}`)));
    for (const warning of config.warnings) out.line(out.colors.yellow(`  ${problemLine(warning)}`));
  }
  if (config.problems.length === 0 && config.warnings.length === 0) out.note('no problems');
}

/** The last lines of a stream, for `execution show`. */
function tail(text: string, lines: number): { text: string; cut: number } {
  const all = text.replace(/\n$/, '').split('\n');
  return all.length <= lines ? { text: all.join('\n'), cut: 0 } : { text: all.slice(-lines).join('\n'), cut: all.length - lines };
}

function printExecution(out: Output, execution: ProgramExecutionJson): void {
  const fields: Array<[string, string]> = [
    ['Execution', execution.execution_id],
    ['Program', execution.program_name && execution.program_name !== execution.program_id ? `${execution.program_id} (${execution.program_name}, ${execution.program_type})` : `${execution.program_id} (${execution.program_type})`],
    ['Status', `${statusWord(out.colors, execution.status)}${ordinal(execution.queue_position)}`],
    ['Exit code', execution.exit_code === null ? '-' : String(execution.exit_code)],
    ['Runner', execution.image ? `${execution.runner} (${execution.image})` : execution.runner],
    ['Trigger', execution.requested_by ? `${execution.trigger} by ${execution.requested_by}` : execution.trigger],
  ];
  if (Object.keys(execution.parameters).length > 0) fields.push(['Parameters', Object.entries(execution.parameters).map(([key, value]) => `${key}=${String(value)}`).join(' ')]);
  fields.push(['Created', time(execution.created_at)], ['Started', time(execution.start_time)], ['Ended', time(execution.end_time)], ['Duration', seconds(execution.duration_seconds)]);
  if (execution.error_message) fields.push(['Error', execution.error_message]);
  out.fields(fields);
  for (const [title, text, truncated] of [
    ['Output', execution.output, execution.output_truncated],
    ['Stderr', execution.stderr, execution.error_truncated],
  ] as const) {
    if (!text) continue;
    const shown = tail(text, 20);
    out.line();
    out.line(out.colors.bold(`${title}${shown.cut > 0 ? ` (last 20 lines; ${shown.cut} more with \`hookflow execution logs ${execution.execution_id}\`)` : ''}${truncated ? ' (cut at the output limit)' : ''}`));
    out.line(shown.text);
  }
}

function printStats(out: Output, stats: ProgramStatsJson): void {
  out.fields([
    ['Executions', String(stats.total)],
    ['Running', `${stats.concurrent_executions} of ${stats.max_concurrent_executions} at once`],
    ['Kept', stats.max_executions === null ? 'all' : `the last ${stats.max_executions}`],
  ]);
  if (stats.total === 0) return;
  const programs = Object.keys(stats.totals_by_program).sort((a, b) => (stats.totals_by_program[b] ?? 0) - (stats.totals_by_program[a] ?? 0) || a.localeCompare(b));
  const statuses = EXECUTION_STATUSES.filter((status) => stats.totals_by_status[status] > 0);
  const count = (status: ExecutionStatus, program: string) => stats.by_status[status]?.find((row) => row.name === program)?.total ?? 0;
  out.line();
  out.table(
    ['Program', ...statuses, 'Total'],
    [
      ...programs.map((name) => [name, ...statuses.map((status) => count(status, name) || '-'), stats.totals_by_program[name] ?? 0]),
      [out.colors.bold('all'), ...statuses.map((status) => stats.totals_by_status[status]), stats.total],
    ],
  );
  if (stats.recent_executions.length === 0) return;
  out.line();
  out.line(out.colors.bold('Latest'));
  out.table(
    ['ID', 'Program', 'Status', 'Started', 'Duration'],
    stats.recent_executions.map((execution) => [execution.execution_id, execution.program_id, statusWord(out.colors, execution.status), time(execution.start_time), seconds(execution.duration_seconds)]),
  );
}
