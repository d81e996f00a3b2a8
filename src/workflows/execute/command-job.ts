import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { constants } from 'node:os';
import { errorMessage, isHookflowError } from '../../errors.js';
import type { JobModel } from '../model.js';
import { resolvedPath, safeName } from '../paths.js';
import type { Launcher, ProcessExit, RunningProcess, SpawnSpec, StartTicket } from './launcher.js';

/**
 * One command job (a Torc job) run to its end: `job.command` through bash (or sh), prefixed by
 * its invocation script, in the run directory, writing stdout and stderr straight to
 * `<logDir>/<index>-<name>.o` / `.e` (the files are the logs; the store keeps the last 4 KiB of
 * each). A timeout or cancel terminates the process group, and kills it after a grace period.
 */

export type CommandOutcome = 'completed' | 'failed' | 'timeout' | 'canceled';

export interface CommandJobContext {
  launcher: Launcher;
  /** Where the command runs (the workflow run's directory). */
  cwd: string;
  /** Where the .o / .e files go; must exist. */
  logDir: string;
  /**
   * Variables of the job (HOOKFLOW_WORKFLOW_ID, HOOKFLOW_JOB_NAME, …), over the worker's own
   * environment; job.env goes over both. See commandEnvLayers.
   */
  env: Record<string, string>;
  /** null: no limit. */
  timeoutMs: number | null;
  /**
   * The worker's environment, under ctx.env. A worker passes a copy taken once at its start, which
   * must not change after: the launcher is sent it once and each start names it. Without it,
   * process.env is copied into every start.
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Aborting it cancels the job (outcome canceled). */
  signal: AbortSignal;
  /** Between SIGTERM and SIGKILL on a timeout or cancel (default 5 s). */
  killGraceMs?: number;
  /**
   * Run a simple command (words without quotes, variables, globs or operators, naming a program
   * rather than a shell builtin) without a shell, as GNU make does: the same result, without
   * starting bash first. Default true.
   */
  directExec?: boolean;
  /**
   * Start when this (earlier) start's process exits, inside the launcher (a worker's queued short
   * jobs); resolves null when there is nothing to wait for.
   */
  after?: Promise<StartTicket | null>;
  /** Told of this job's start request as soon as it is made, so a later job can start after it. */
  onTicket?: (ticket: StartTicket | null) => void;
}

export interface CommandJobResult {
  outcome: CommandOutcome;
  /** The exit code (128 + N for a process killed by signal N); null when it never ran or its end is unknown. */
  exit_code: number | null;
  error: string | null;
  /** The last 4 KiB this run wrote to each stream ('' when nothing). */
  stdout_tail: string;
  stderr_tail: string;
  stdout_path: string;
  stderr_path: string;
  /** When its process started (epoch ms); null when it never did. */
  started_at: number | null;
}

export const TAIL_BYTES = 4096;
export const DEFAULT_KILL_GRACE_MS = 5000;

/** The shell every command goes through: bash when there is one (Torc's default), else sh. */
export const JOB_SHELL = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';

/** The .o / .e files of a job (the names the workflow service reads, from paths.ts). */
export function commandLogPaths(logDir: string, job: Pick<JobModel, 'index' | 'name'>): { stdout_path: string; stderr_path: string } {
  // A worker's logDir is resolved already: then a join's normalizing is work for nothing.
  const stem = logDir.length > 1 && logDir === resolvedPath(logDir) ? `${logDir}/${job.index}-${safeName(job.name)}` : join(logDir, `${job.index}-${safeName(job.name)}`);
  return { stdout_path: `${stem}.o`, stderr_path: `${stem}.e` };
}

/** The command line a job runs: its invocation script (a wrapper, `srun`…) before its command. */
export function commandLine(job: Pick<JobModel, 'command' | 'invocation_script'>): string {
  const command = job.command ?? '';
  const script = job.invocation_script?.trim();
  return script ? `${script} ${command}` : command;
}

// Words of a command that the shell would pass on unchanged: no quotes, $, globs, ~, braces,
// redirections, operators or comments.
const SIMPLE_COMMAND = /^[A-Za-z0-9_@%+=:,./-]+(?:[ \t]+[A-Za-z0-9_@%+=:,./-]+)*$/;
// Builtins and keywords of bash (`compgen -b -k`) whose meaning differs from a program of the same
// name, or that have none. true and false are left out: /usr/bin/true behaves the same.
const SHELL_WORDS = new Set(
  (
    '. : [ alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs disown echo enable eval exec exit export ' +
    'fc fg getopts hash help history jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt ' +
    'source suspend test times trap type typeset ulimit umask unalias unset wait if then else elif fi case esac for select while until do done ' +
    'in function time { } ! [[ ]] coproc'
  ).split(' '),
);

/**
 * The argv of a command line: its words when the shell would only split it into words and run a
 * program (so the shell can be skipped), else [shell, -c, line]. A leading NAME=value makes it a
 * shell command too.
 */
export function commandArgv(line: string, options: { directExec?: boolean; shell?: string } = {}): { argv: string[]; direct: boolean } {
  const shell = options.shell ?? JOB_SHELL;
  const trimmed = line.trim();
  if (options.directExec !== false && SIMPLE_COMMAND.test(trimmed)) {
    const words = trimmed.split(/[ \t]+/);
    const program = words[0];
    if (!program.includes('=') && !SHELL_WORDS.has(program)) return { argv: words, direct: true };
  }
  return { argv: [shell, '-c', line], direct: false };
}

/** What a job's environment adds to the worker's: its variables, job.env, PWD. */
function jobOwnEnv(jobVars: Readonly<Record<string, string>>, job: Pick<JobModel, 'env'>, cwd: string): Record<string, string> {
  const env: Record<string, string> = { ...jobVars, ...job.env };
  env.PWD = resolvedPath(cwd);
  return env;
}

function definedOnly(base: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name in base) {
    const value = base[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

// One copy per worker environment (ctx.baseEnv does not change): the launcher then holds it once.
const definedBases = new WeakMap<object, Readonly<Record<string, string>>>();

/**
 * The environment of a job's process, as layers: the worker's (one object per ctx.baseEnv, which
 * the launcher is sent once), and over it the job's variables, then job.env, and PWD (its directory).
 */
export function commandEnvLayers(ctx: Pick<CommandJobContext, 'baseEnv' | 'env' | 'cwd'>, job: Pick<JobModel, 'env'>): Pick<SpawnSpec, 'env' | 'baseEnv'> {
  const own = jobOwnEnv(ctx.env, job, ctx.cwd);
  // process.env can change between starts: it is copied whole each time.
  if (!ctx.baseEnv) return { env: { ...definedOnly(process.env), ...own } };
  let base = definedBases.get(ctx.baseEnv);
  if (!base) {
    base = definedOnly(ctx.baseEnv);
    definedBases.set(ctx.baseEnv, base);
  }
  return { env: own, baseEnv: base };
}

/** The last `bytes` of a file from `offset` on, as text starting at a whole character. */
export async function readTail(path: string, offset: number, bytes = TAIL_BYTES): Promise<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return '';
  }
  if (size <= offset) return '';
  const from = Math.max(offset, size - bytes);
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    let start = 0;
    // Cut at a character boundary: skip UTF-8 continuation bytes at the front of a cut.
    if (from > offset) while (start < bytesRead && start < 4 && (buffer[start] & 0xc0) === 0x80) start++;
    return buffer.subarray(start, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function exitCodeOf(exit: ProcessExit): number | null {
  if (exit.exit_code !== null) return exit.exit_code;
  const number = exit.signal ? constants.signals[exit.signal as NodeJS.Signals] : undefined;
  return number === undefined ? null : 128 + number;
}

function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return typeof reason === 'string' ? reason : '';
}

export async function runCommandJob(job: JobModel, ctx: CommandJobContext): Promise<CommandJobResult> {
  const paths = commandLogPaths(ctx.logDir, job);
  let startedAt: number | null = null;
  const ended = async (fields: Pick<CommandJobResult, 'outcome' | 'exit_code' | 'error'>, offsets: RunningProcess['output_offsets'] | null, sizes?: ProcessExit['output_sizes']): Promise<CommandJobResult> => {
    const tail = (path: string, offset: number | undefined, size: number | null | undefined) =>
      offset === undefined || (size !== undefined && size !== null && size <= offset) ? '' : readTail(path, offset);
    const [stdout_tail, stderr_tail] = await Promise.all([tail(paths.stdout_path, offsets?.stdout, sizes?.stdout), tail(paths.stderr_path, offsets?.stderr, sizes?.stderr)]);
    return { ...fields, stdout_tail, stderr_tail, ...paths, started_at: startedAt };
  };
  const after = ctx.after ? await ctx.after : null;
  if (ctx.signal.aborted) {
    ctx.onTicket?.(null);
    const why = reasonOf(ctx.signal);
    return ended({ outcome: 'canceled', exit_code: null, error: `canceled before it started${why ? `: ${why}` : ''}` }, null);
  }

  const line = commandLine(job);
  const env = commandEnvLayers(ctx, job);
  const { argv, direct } = commandArgv(line, { directExec: ctx.directExec });
  let running: RunningProcess;
  const spec = { argv, cwd: ctx.cwd, ...env, ...paths };
  const ticket = ctx.launcher.request(spec, after);
  ctx.onTicket?.(ticket);
  try {
    running = await ticket.started;
  } catch (error) {
    let fallback: RunningProcess | null = null;
    if (direct && isHookflowError(error) && error.code === 'HF_ERR_PROCESS_START') {
      // Not a program after all (or not found): the shell runs it and reports it as a shell would (127…).
      fallback = await ctx.launcher.start({ argv: commandArgv(line, { directExec: false }).argv, cwd: ctx.cwd, ...env, ...paths }).catch(() => null);
    }
    if (!fallback) return ended({ outcome: 'failed', exit_code: null, error: errorMessage(error) }, null);
    running = fallback;
  }
  startedAt = running.started_at;

  const grace = ctx.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  let killedFor: 'timeout' | 'cancel' | null = null;
  let graceTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'cancel') => {
    if (killedFor) return;
    killedFor = why;
    running.kill('SIGTERM');
    graceTimer = setTimeout(() => running.kill('SIGKILL'), grace);
  };
  const timeoutTimer = ctx.timeoutMs === null ? undefined : setTimeout(() => stop('timeout'), ctx.timeoutMs);
  const onAbort = () => stop('cancel');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  // It may have been aborted while the process was starting.
  if (ctx.signal.aborted) onAbort();

  let exit: ProcessExit;
  try {
    exit = await running.exited;
  } catch (error) {
    return ended({ outcome: 'failed', exit_code: null, error: errorMessage(error) }, running.output_offsets);
  } finally {
    clearTimeout(timeoutTimer);
    clearTimeout(graceTimer);
    ctx.signal.removeEventListener('abort', onAbort);
  }
  // What the job started is part of it: nothing of the group outlives a timeout or cancel.
  if (killedFor) running.kill('SIGKILL');

  const exitCode = exitCodeOf(exit);
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.exit_code ?? '?'}`;
  if (killedFor === 'timeout') {
    return ended({ outcome: 'timeout', exit_code: exitCode, error: `timed out after ${formatSeconds(ctx.timeoutMs ?? 0)} (${how})` }, running.output_offsets, exit.output_sizes);
  }
  if (killedFor === 'cancel') {
    const why = reasonOf(ctx.signal);
    return ended({ outcome: 'canceled', exit_code: exitCode, error: `canceled${why ? `: ${why}` : ''} (${how})` }, running.output_offsets, exit.output_sizes);
  }
  if (exit.exit_code === 0) return ended({ outcome: 'completed', exit_code: 0, error: null }, running.output_offsets, exit.output_sizes);
  return ended({ outcome: 'failed', exit_code: exitCode, error: how }, running.output_offsets, exit.output_sizes);
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
