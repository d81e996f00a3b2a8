import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type Docker from 'dockerode';
import YAML from 'yaml';
import type { JsonValue } from '../../events/model.js';
import {
  COMPOSE_PROJECT_LABEL,
  COMPOSE_SERVICE_LABEL,
  dockerClient,
  dockerErrorMessage,
  normalizeProjectName,
  removeComposeProject,
  type DockerConnectionOptions,
} from '../docker-info.js';
import { CANCELED_MESSAGE, formatBytes, TIME_LIMIT_MESSAGE } from './docker.js';
import type { ComposeRunner, ComposeRunSpec, OutputSink, RunnerAvailability, RunOutcome } from '../model.js';

/**
 * The compose runner: `up` of the program's compose file in its directory under a project name of
 * its own, then always `down --remove-orphans -v`, also after a timeout or a cancel, then a check
 * through the engine that nothing labelled with the project is left.
 *
 * The program's exit code: with one service, `--exit-code-from <it>` (compose's own code agrees);
 * with several, `--abort-on-container-exit` ends the run when the first container exits, and that
 * container's code is the program's. Both are read from the engine (container State) before `down`,
 * which also tells an OOM kill apart and a project whose containers never started.
 *
 * Output: compose merges each container's stdout and stderr into its own stdout (with "Attaching
 * to…"-style lines), which goes to the run's stdout; compose's progress and errors go to stderr.
 * The log prefix is dropped when there is one service, so its output reads as the program's.
 *
 * `down -v`: the project name is new for every execution, so a named volume of the project would
 * never be used again and would pile up; external volumes are not the project's and stay.
 */

const DEFAULT_KILL_GRACE_MS = 2_000;
const DOWN_TIMEOUT_MS = 120_000;
const DETECT_TIMEOUT_MS = 10_000;
const STDERR_TAIL_BYTES = 4_096;
/** Only these of hookflow's variables reach compose: enough to find docker, nothing secret. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CONFIG', 'DOCKER_CONTEXT'];

export interface ComposeRunnerOptions extends DockerConnectionOptions {
  /** The compose command's argv prefix; default: `docker compose` when it answers, else `docker-compose`. */
  command?: string[];
  /** After SIGTERM to `up` on timeout or cancel, SIGKILL follows after this long (default 2 s); also the containers' stop timeout. */
  killGraceMs?: number;
}

/** The services `up` starts (those without profiles), in file order; null when the file cannot be read as YAML. */
export function composeServices(text: string): string[] | null {
  let document: unknown;
  try {
    document = YAML.parse(text);
  } catch {
    return null;
  }
  if (!document || typeof document !== 'object') return null;
  const services = (document as { services?: unknown }).services;
  if (!services || typeof services !== 'object' || Array.isArray(services)) return null;
  return Object.entries(services as Record<string, unknown>)
    .filter(([, service]) => !(service && typeof service === 'object' && 'profiles' in service))
    .map(([name]) => name);
}

/** `up`'s arguments after the command prefix. */
export function composeUpArgs(file: string, project: string, services: string[] | null, graceSeconds: number): string[] {
  const args = ['-f', file, '-p', project, 'up', '--no-color', '-t', String(graceSeconds)];
  if (services && services.length === 1) return [...args, '--no-log-prefix', '--exit-code-from', services[0] as string];
  return [...args, '--abort-on-container-exit'];
}

export function composeDownArgs(file: string, project: string, graceSeconds: number): string[] {
  return ['-f', file, '-p', project, 'down', '--remove-orphans', '-v', '-t', String(graceSeconds)];
}

export interface ProjectContainerState {
  id: string;
  service: string;
  started: boolean;
  running: boolean;
  exit_code: number;
  oom_killed: boolean;
  finished_at: number;
  memory_limit: number | null;
}

/**
 * The container whose end is the program's: the single service's, else the first to finish (the
 * one that made `--abort-on-container-exit` stop the others). null when none ran.
 */
export function decidingContainer(containers: ProjectContainerState[], services: string[] | null): ProjectContainerState | null {
  const ran = containers.filter((container) => container.started && !container.running);
  if (services && services.length === 1) return ran.find((container) => container.service === services[0]) ?? null;
  return [...ran].sort((a, b) => a.finished_at - b.finished_at)[0] ?? null;
}

interface Detected {
  command: string[] | null;
  reason: string | null;
}

export class ComposeCliRunner implements ComposeRunner {
  readonly kind = 'compose' as const;
  private readonly connection: DockerConnectionOptions;
  private readonly killGraceMs: number;
  private detected: Promise<Detected> | null;
  private readonly active = new Map<AbortController, Promise<RunOutcome>>();

  constructor(options: ComposeRunnerOptions = {}) {
    this.connection = { docker: options.docker, socketPath: options.socketPath };
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.detected = options.command ? Promise.resolve({ command: options.command, reason: null }) : null;
  }

  async availability(): Promise<RunnerAvailability & { command: string[] | null }> {
    const detected = await this.detect();
    return { available: detected.command !== null, reason: detected.reason, command: detected.command };
  }

  private detect(): Promise<Detected> {
    this.detected ??= detectComposeCommand(this.baseEnv()).then((found) => {
      // A missing command may be installed later: only a found one is kept.
      if (!found.command) this.detected = null;
      return found;
    });
    return this.detected;
  }

  private baseEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const key of INHERITED_ENV) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
    if (this.connection.socketPath && !env.DOCKER_HOST) env.DOCKER_HOST = `unix://${this.connection.socketPath}`;
    return env;
  }

  run(spec: ComposeRunSpec): Promise<RunOutcome> {
    // The run's own signal also fires on close(), so that shutting down still ends with `down`.
    const closing = new AbortController();
    const signal = AbortSignal.any([spec.signal, closing.signal]);
    const done = this.runProject({ ...spec, signal }).finally(() => this.active.delete(closing));
    this.active.set(closing, done);
    return done;
  }

  /** Cancels the runs still going (each then runs `down`) and waits for them. Not in ComposeRunner: call it on shutdown. */
  async close(): Promise<void> {
    const running = [...this.active];
    for (const [closing] of running) closing.abort();
    await Promise.allSettled(running.map(([, done]) => done));
  }

  private async runProject(spec: ComposeRunSpec): Promise<RunOutcome> {
    const project = normalizeProjectName(spec.project_name);
    const details: Record<string, JsonValue> = { project, command: null, down: null };
    const detected = await this.detect();
    if (!detected.command) return outcome('start_failed', null, detected.reason ?? 'No compose command found', details);
    const command = detected.command;

    let text: string;
    try {
      text = await readFile(spec.compose_file, 'utf8');
    } catch (error) {
      return outcome('start_failed', null, `Compose file ${spec.compose_file} could not be read: ${(error as Error).message}`, details);
    }
    const services = composeServices(text);
    const graceSeconds = Math.max(1, Math.ceil(this.killGraceMs / 1000));
    const cwd = dirname(spec.compose_file);
    const env = { ...this.baseEnv(), ...spec.env, PROGRAM_ID: spec.program_id, EXECUTION_ID: spec.execution_id };
    const upArgv = [...command, ...composeUpArgs(spec.compose_file, project, services, graceSeconds)];
    details.command = upArgv;

    if (spec.signal.aborted) return outcome('canceled', null, CANCELED_MESSAGE, details);
    if (Date.now() >= spec.deadline) return outcome('timeout', null, TIME_LIMIT_MESSAGE, details);
    try {
      const up = await runProcess(upArgv, { cwd, env, output: spec.output, deadline: spec.deadline, signal: spec.signal, killGraceMs: this.killGraceMs });
      if (up.stopped) return outcome(up.stopped, null, up.stopped === 'timeout' ? TIME_LIMIT_MESSAGE : CANCELED_MESSAGE, details, up.killSignal);
      return await this.judge(project, services, up, details);
    } finally {
      // The outcome returned above holds this same details object: the clean-up's result lands in it.
      await this.down(command, spec.compose_file, project, graceSeconds, cwd, env, details);
    }
  }

  /** The outcome of an `up` that ended by itself, from the project's containers as the engine saw them. */
  private async judge(project: string, services: string[] | null, up: ProcessResult, details: Record<string, JsonValue>): Promise<RunOutcome> {
    if (up.spawnError) return outcome('start_failed', null, `${details.command ? (details.command as string[])[0] : 'compose'} could not be started: ${up.spawnError}`, details);
    let containers: ProjectContainerState[];
    try {
      containers = await projectContainers(dockerClient(this.connection), project);
    } catch (error) {
      // Without the engine the compose command's own code is all there is.
      details.engine = dockerErrorMessage(error);
      return outcome('exited', up.code, null, details);
    }
    const deciding = decidingContainer(containers, services);
    if (!deciding) {
      const why = up.stderrTail.trim().split('\n').slice(-3).join('\n');
      return outcome('start_failed', up.code, `compose up failed (exit ${up.code ?? up.signal ?? '?'}) before any container ran${why ? `: ${why}` : ''}`, details);
    }
    details.service = deciding.service;
    if (deciding.oom_killed) {
      const limit = deciding.memory_limit ? ` of ${formatBytes(deciding.memory_limit)}` : '';
      return outcome('out_of_memory', deciding.exit_code, `Out of memory: service ${deciding.service} exceeded its memory limit${limit} and was killed`, details, 'SIGKILL');
    }
    return outcome('exited', deciding.exit_code, null, details);
  }

  private async down(command: string[], file: string, project: string, graceSeconds: number, cwd: string, env: Record<string, string>, details: Record<string, JsonValue>): Promise<void> {
    const result = await runProcess([...command, ...composeDownArgs(file, project, graceSeconds)], {
      cwd,
      env,
      output: null,
      deadline: Date.now() + DOWN_TIMEOUT_MS,
      signal: null,
      killGraceMs: 1_000,
    });
    details.down = result.code === 0 ? 'ok' : `down failed (exit ${result.code ?? result.signal ?? result.spawnError ?? '?'}): ${result.stderrTail.trim().split('\n').slice(-3).join('\n')}`;
    try {
      const left = await removeComposeProject(project, this.connection);
      if (left.containers.length + left.networks.length + left.volumes.length > 0) details.left_after_down = { ...left };
    } catch (error) {
      details.left_after_down = `not checked: ${dockerErrorMessage(error)}`;
    }
  }
}

async function projectContainers(docker: Docker, project: string): Promise<ProjectContainerState[]> {
  const listed = await docker.listContainers({ all: true, filters: { label: [`${COMPOSE_PROJECT_LABEL}=${project}`] } });
  const states: ProjectContainerState[] = [];
  for (const info of listed) {
    const inspected = await docker.getContainer(info.Id).inspect();
    const started = Date.parse(inspected.State.StartedAt);
    states.push({
      id: info.Id,
      service: info.Labels[COMPOSE_SERVICE_LABEL] ?? '',
      // An engine writes 0001-01-01T00:00:00Z for a container that never started.
      started: Number.isFinite(started) && started > 0,
      running: inspected.State.Running,
      exit_code: inspected.State.ExitCode,
      oom_killed: inspected.State.OOMKilled,
      finished_at: Date.parse(inspected.State.FinishedAt) || 0,
      memory_limit: inspected.HostConfig.Memory || null,
    });
  }
  return states;
}

/** Finds `docker compose` (v2) or `docker-compose` (v1), in that order. */
export async function detectComposeCommand(env: Record<string, string> = { PATH: process.env.PATH ?? '' }): Promise<Detected> {
  const candidates: Array<{ command: string[]; probe: string[] }> = [
    { command: ['docker', 'compose'], probe: ['docker', 'compose', 'version'] },
    { command: ['docker-compose'], probe: ['docker-compose', 'version', '--short'] },
  ];
  const problems: string[] = [];
  for (const candidate of candidates) {
    const result = await runProcess(candidate.probe, { cwd: process.cwd(), env, output: null, deadline: Date.now() + DETECT_TIMEOUT_MS, signal: null, killGraceMs: 500 });
    if (result.code === 0) return { command: candidate.command, reason: null };
    problems.push(`${candidate.probe.join(' ')}: ${result.spawnError ?? (result.stderrTail.trim().split('\n')[0] || `exit ${result.code ?? result.signal}`)}`);
  }
  return { command: null, reason: `Neither docker compose nor docker-compose is available (${problems.join('; ')})` };
}

interface ProcessResult {
  code: number | null;
  signal: string | null;
  stopped: 'timeout' | 'canceled' | null;
  killSignal: string | null;
  stderrTail: string;
  spawnError: string | null;
}

interface ProcessOptions {
  cwd: string;
  env: Record<string, string>;
  output: OutputSink | null;
  deadline: number;
  signal: AbortSignal | null;
  killGraceMs: number;
}

/** Runs a command in its own process group; at the deadline or on abort: SIGTERM to the group, SIGKILL after the grace. */
function runProcess(argv: string[], options: ProcessOptions): Promise<ProcessResult> {
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    let stderrTail = '';
    let stopped: ProcessResult['stopped'] = null;
    let killSignal: string | null = null;
    let graceTimer: NodeJS.Timeout | undefined;
    const child = spawn(file as string, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
      killSignal = signal;
      try {
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    const stop = (reason: 'timeout' | 'canceled') => {
      if (stopped) return;
      stopped = reason;
      killGroup('SIGTERM');
      graceTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs);
    };
    const remaining = options.deadline - Date.now();
    const deadlineTimer = remaining < 2 ** 31 - 1 ? setTimeout(() => stop('timeout'), Math.max(0, remaining)) : undefined;
    const onAbort = () => stop('canceled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => options.output?.stdout(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      options.output?.stderr(chunk);
    });
    let settled = false;
    const finish = (result: Omit<ProcessResult, 'stopped' | 'killSignal' | 'stderrTail'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadlineTimer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ ...result, stopped, killSignal, stderrTail });
    };
    child.on('error', (error) => finish({ code: null, signal: null, spawnError: error.message }));
    child.on('close', (code, signal) => finish({ code, signal, spawnError: null }));
  });
}

function outcome(reason: RunOutcome['reason'], exitCode: number | null, message: string | null, details: Record<string, JsonValue>, signal: string | null = null): RunOutcome {
  return { reason, exit_code: exitCode, signal, message, details };
}
