import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import type { JsonObject } from '../../events/model.js';
import { errorMessage } from '../../errors.js';
import type { RunEndReason, Runner, RunnerAvailability, RunOutcome, RunSpec } from '../model.js';
import { detectCgroups, formatBytes, prepareLimits, type CgroupDetection, type PreparedLimits } from './limits.js';
import { bwrapArgs, dependencyEnv, sandboxPlan, scriptPath, sharesNetwork, type RootEntry } from './sandbox.js';
import { pause } from '../../util/pause.js';

/**
 * The process runner: a program as a local child process, in a bubblewrap sandbox when bwrap is
 * there (and the program has not turned it off), with memory and CPU limits (cgroups, else an
 * rlimit), in a process group of its own. A timeout or a cancel sends SIGTERM, then SIGKILL after
 * a grace; when the program's main process ends, whatever it left running is killed, as a
 * container's end would. A run resolves once nothing of it runs any more and its output is drained.
 */

export interface ProcessRunnerOptions {
  /** HOOKFLOW_HOME: the store and the secret key live there; sandboxed programs never see it. */
  home: string;
  /** bubblewrap's path; default: `bwrap` found on PATH; null: never sandbox. */
  bwrapPath?: string | null;
  /** Between SIGTERM and SIGKILL on timeout and cancel (default 2000 ms). */
  killGraceMs?: number;
  /** false: never use cgroups (memory as an rlimit, no CPU limit); default: when writable. */
  cgroups?: boolean;
  /** Where PATH, HOME, LANG, LC_ALL and TZ of programs come from (default process.env). Nothing else of it is passed. */
  baseEnv?: NodeJS.ProcessEnv;
}

export interface SandboxStatus {
  /** The working bwrap, or null. */
  bwrap: string | null;
  /** Why there is no sandbox, for people. */
  reason: string | null;
}

export const TIMEOUT_MESSAGE = 'Execution exceeded time limit';
export const CANCELED_MESSAGE = 'Execution canceled';
export const DEFAULT_KILL_GRACE_MS = 2000;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PASSED_ENV = ['LANG', 'LC_ALL', 'TZ'] as const;
const STDERR_TAIL_BYTES = 8192;
/** After the main process ended and the rest was killed: how long output may still take to drain. */
const DRAIN_WAIT_MS = 2000;
const GONE_WAIT_MS = 2000;
const MAX_TIMER_MS = 2 ** 31 - 1;

interface ActiveRun {
  cancel(): void;
  done: Promise<unknown>;
}

export class ProcessRunner implements Runner {
  readonly kind = 'process' as const;
  private readonly killGraceMs: number;
  private sandboxProbe: Promise<SandboxStatus> | null = null;
  private cgroupProbe: Promise<CgroupDetection | null> | null = null;
  private readonly active = new Set<ActiveRun>();
  private closed = false;

  constructor(private readonly options: ProcessRunnerOptions) {
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  }

  /** Always available; the reason says when programs would run unsandboxed. */
  async availability(): Promise<RunnerAvailability> {
    const sandbox = await this.sandbox();
    return { available: true, reason: sandbox.bwrap ? null : `${sandbox.reason}: programs run without a sandbox` };
  }

  /** Whether bubblewrap is there and works (probed once). */
  sandbox(): Promise<SandboxStatus> {
    this.sandboxProbe ??= probeBwrap(this.options.bwrapPath, this.baseEnv());
    return this.sandboxProbe;
  }

  /** Which cgroups limits use (detected once); null when cgroups are turned off. */
  cgroups(): Promise<CgroupDetection | null> {
    this.cgroupProbe ??= this.options.cgroups === false ? Promise.resolve(null) : detectCgroups();
    return this.cgroupProbe;
  }

  async run(spec: RunSpec): Promise<RunOutcome> {
    let cancel = (): void => undefined;
    const entry: ActiveRun = { cancel: () => cancel(), done: Promise.resolve() };
    const done = this.runTracked(spec, (stop) => (cancel = stop));
    entry.done = done;
    this.active.add(entry);
    try {
      return await done;
    } finally {
      this.active.delete(entry);
    }
  }

  /** Cancels what runs (SIGTERM, SIGKILL after the grace) and waits for it to end. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.active];
    running.forEach((run) => run.cancel());
    await Promise.allSettled(running.map((run) => run.done));
  }

  private baseEnv(): NodeJS.ProcessEnv {
    return this.options.baseEnv ?? process.env;
  }

  /** PATH and locale basics, then the program's own variables; never hookflow's environment (secret key, database URLs). */
  environment(spec: Pick<RunSpec, 'env' | 'dependency_dir' | 'installing'>, sandboxed: boolean): Record<string, string> {
    const base = this.baseEnv();
    const env: Record<string, string> = { PATH: base.PATH || DEFAULT_PATH, HOME: sandboxed ? '/tmp' : base.HOME || '/tmp' };
    for (const name of PASSED_ENV) {
      const value = base[name];
      if (value !== undefined) env[name] = value;
    }
    const all = { ...env, ...spec.env, ...dependencyEnv(spec, sandboxed ? 'sandbox' : 'host') };
    return Object.fromEntries(Object.entries(all).filter(([name]) => name !== '' && !name.includes('=') && !name.includes('\0')));
  }

  private async runTracked(spec: RunSpec, onCancel: (stop: () => void) => void): Promise<RunOutcome> {
    const wantsSandbox = spec.sandbox;
    const sandbox: SandboxStatus = wantsSandbox ? await this.sandbox() : { bwrap: null, reason: 'sandbox: false' };
    const sandboxed = sandbox.bwrap !== null;
    const details: JsonObject = {
      sandbox: sandboxed ? 'bwrap' : 'none',
      sandbox_reason: sandbox.reason,
      network: sandboxed ? (sharesNetwork(spec.network) ? 'host' : 'none') : 'host',
      memory: null,
      cpu: null,
      limits_reason: null,
      pid: null,
    };
    if (this.closed || spec.signal.aborted) return notStarted('canceled', CANCELED_MESSAGE, details);
    if (Date.now() >= spec.deadline) return notStarted('timeout', TIMEOUT_MESSAGE, details);

    const env = this.environment(spec, sandboxed);
    let argv: string[];
    try {
      const hostScript = scriptPath(spec, 'host');
      const problem = await startProblem(spec, hostScript, env.PATH ?? DEFAULT_PATH);
      if (problem !== null) return notStarted('start_failed', `cannot start: ${problem}`, details);
      const script = sandboxed ? scriptPath(spec, 'sandbox') : hostScript;
      const command = [...spec.interpreter, ...(script === null ? [] : [script]), ...spec.args];
      argv = sandboxed ? [sandbox.bwrap as string, ...bwrapArgs(await this.plan(spec, command))] : command;
    } catch (error) {
      return notStarted('start_failed', `cannot start: ${errorMessage(error)}`, details);
    }

    const limits = await prepareLimits(`${spec.execution_id}-${spec.phase}`, spec.limits, { cgroups: await this.cgroups() });
    details.memory = limits.applied.memory;
    details.cpu = limits.applied.cpu;
    details.limits_reason = limits.applied.reason ?? null;
    if (limits.groups.length > 0) details.cgroups = limits.groups;
    try {
      return await this.execute(spec, [...limits.prefix, ...argv], env, limits, sandboxed, details, onCancel);
    } finally {
      await limits.release();
    }
  }

  private async plan(spec: RunSpec, command: string[]) {
    // Containment (is the home inside the program folder?) compares paths: compare real ones.
    const real = async (path: string) => realpath(path).catch(() => path);
    const home = await realpath(this.options.home).catch(() => null);
    return sandboxPlan(
      {
        workspace_dir: await real(spec.workspace_dir),
        writable: spec.writable,
        actions_dir: spec.actions_dir === null ? null : await real(spec.actions_dir),
        extra_mounts: await Promise.all(spec.extra_mounts.map(async (mount) => ({ host: await real(mount.host), target: mount.target }))),
        dependency_dir: spec.dependency_dir ? await real(spec.dependency_dir) : null,
        installing: spec.installing ?? false,
        network: spec.network,
      },
      { home, root_entries: await listRoot() },
      command,
    );
  }

  private async execute(
    spec: RunSpec,
    argv: string[],
    env: Record<string, string>,
    limits: PreparedLimits,
    sandboxed: boolean,
    details: JsonObject,
    onCancel: (stop: () => void) => void,
  ): Promise<RunOutcome> {
    let child: ChildProcess;
    try {
      child = spawn(argv[0] as string, argv.slice(1), { cwd: spec.workspace_dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (error) {
      return notStarted('start_failed', `cannot start ${argv[0]}: ${errorMessage(error)}`, details);
    }
    let exitedAlready = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        exitedAlready = true;
        resolve({ code, signal });
      }),
    );
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const startError = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      // Kept for the child's life: a later 'error' without a listener would throw.
      child.on('error', (error) => resolve(error));
    });
    if (startError !== null || child.pid === undefined) {
      child.stdout?.destroy();
      child.stderr?.destroy();
      return notStarted('start_failed', `cannot start ${argv[0]}: ${startError ? errorMessage(startError) : 'no process id'}`, details);
    }
    const pid = child.pid;
    details.pid = pid;

    let stderrTail = Buffer.alloc(0);
    let wroteStdout = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      wroteStdout = true;
      deliver(() => spec.output.stdout(chunk));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = Buffer.concat([stderrTail, chunk]).subarray(-STDERR_TAIL_BYTES);
      deliver(() => spec.output.stderr(chunk));
    });

    const ending: { by: 'timeout' | 'canceled' | null; terminating: Promise<void> } = { by: null, terminating: Promise.resolve() };
    const stop = (reason: 'timeout' | 'canceled') => {
      if (ending.by !== null || exitedAlready) return;
      ending.by = reason;
      ending.terminating = this.terminate(pid, exited, limits, sandboxed);
    };
    const timer = new Deadline(spec.deadline, () => stop('timeout'));
    const onAbort = () => stop('canceled');
    spec.signal.addEventListener('abort', onAbort, { once: true });
    onCancel(() => stop('canceled'));
    if (spec.signal.aborted || this.closed) stop('canceled');

    const exit = await exited;
    timer.clear();
    spec.signal.removeEventListener('abort', onAbort);
    // The run is over when its main process is: what it left behind goes, as with a container.
    // Its pid is reaped by now (and may be reused): the group and the cgroups only, not the tree.
    await killEverything(pid, limits, 'SIGKILL', { tree: false, spareBwrap: false });
    const drained = await Promise.race([closed.then(() => true), sleep(DRAIN_WAIT_MS).then(() => false)]);
    if (!drained) {
      // Something outside the group and the cgroups still holds the pipes: stop waiting for it.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    await ending.terminating;
    await groupGone(pid, GONE_WAIT_MS);

    const evidence = { exit_code: exit.code, signal: exit.signal, stderr_tail: stderrTail.toString('utf8') };
    // bwrap exits 1 with `bwrap: …` when it cannot build the sandbox (a mount point it cannot make…).
    if (sandboxed && ending.by === null && exit.code === 1 && !wroteStdout && evidence.stderr_tail.startsWith('bwrap: ')) {
      return { reason: 'start_failed', exit_code: null, signal: null, message: `cannot start: the sandbox could not be set up (${evidence.stderr_tail.trim()})`, details };
    }
    const outOfMemory = ending.by === null && (await limits.oomKilled(evidence));
    const reason: RunEndReason = ending.by ?? (outOfMemory ? 'out_of_memory' : 'exited');
    const message =
      reason === 'timeout'
        ? TIMEOUT_MESSAGE
        : reason === 'canceled'
          ? CANCELED_MESSAGE
          : reason === 'out_of_memory'
            ? limits.applied.memory === 'rlimit'
              ? `stopped: exceeded its memory limit of ${formatBytes(spec.limits.memory_bytes ?? 0)} (an allocation was refused)`
              : `killed: exceeded its memory limit of ${formatBytes(spec.limits.memory_bytes ?? 0)}`
            : null;
    return { reason, exit_code: exit.code, signal: exit.signal, message, details };
  }

  /**
   * SIGTERM first, so the program can clean up; SIGKILL to everything after the grace. In the
   * sandbox, bwrap itself is spared the SIGTERM: its death would SIGKILL the program at once.
   */
  private async terminate(pid: number, exited: Promise<unknown>, limits: PreparedLimits, sandboxed: boolean): Promise<void> {
    await killEverything(pid, limits, 'SIGTERM', { tree: true, spareBwrap: sandboxed });
    const ended = await Promise.race([exited.then(() => true), sleep(this.killGraceMs).then(() => false)]);
    if (!ended) await killEverything(pid, limits, 'SIGKILL', { tree: true, spareBwrap: false });
  }
}

/** A spec that never started. */
function notStarted(reason: RunEndReason, message: string, details: JsonObject): RunOutcome {
  return { reason, exit_code: null, signal: null, message, details };
}

function deliver(write: () => void): void {
  try {
    write();
  } catch {
    // A failing sink must not take the run down with it.
  }
}

/** Calls back at an epoch-ms time (setTimeout alone overflows beyond ~24.8 days). */
class Deadline {
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly at: number,
    private readonly onDue: () => void,
  ) {
    this.arm();
  }
  private arm(): void {
    const left = this.at - Date.now();
    if (left <= 0) {
      this.timer = null;
      this.onDue();
      return;
    }
    this.timer = setTimeout(() => this.arm(), Math.min(left, MAX_TIMER_MS));
  }
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

// ── processes ───────────────────────────────────────────────────────────────────────────────

/**
 * The process group, every descendant (one that started its own session is still one) and every
 * member of the run's cgroups (one that also left the tree is still there).
 */
async function killEverything(pid: number, limits: PreparedLimits, signal: NodeJS.Signals, how: { tree: boolean; spareBwrap: boolean }): Promise<void> {
  const targets = new Set([...(how.tree ? await descendants(pid) : []), ...(await limits.members())]);
  if (!how.spareBwrap) signalQuietly(-pid, signal);
  for (const target of targets) {
    if (how.spareBwrap && (await commandName(target)) === 'bwrap') continue;
    signalQuietly(target, signal);
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits (up to `ms`) until no process of the group is left. Zombies do not count: killed orphans
 * go to PID 1, and a PID 1 that does not reap (many containers) would keep them forever.
 */
async function groupGone(pgid: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  // Kept alive, unlike the races' sleeps: nothing else may hold the event loop open here (a
  // one-shot process running one program), and a loop that empties mid-wait drops the outcome.
  while (signalQuietly(-pgid, 0) && (await liveGroupMembers(pgid)) > 0 && Date.now() < until) await pause(10);
}

async function liveGroupMembers(pgid: number): Promise<number> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  const stats = await Promise.all(names.filter((name) => /^\d+$/.test(name)).map((name) => readFile(`/proc/${name}/stat`, 'utf8').catch(() => '')));
  return stats.map(parseStat).filter((stat) => stat !== null && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X').length;
}

/** The pid and its descendants, from /proc. */
export async function descendants(root: number): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return [root];
  }
  const children = new Map<number, number[]>();
  await Promise.all(
    names
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const ppid = parseStat(await readFile(`/proc/${name}/stat`, 'utf8').catch(() => ''))?.ppid ?? null;
        if (ppid === null) return;
        const list = children.get(ppid) ?? [];
        list.push(Number(name));
        children.set(ppid, list);
      }),
  );
  const found: number[] = [root];
  for (let index = 0; index < found.length; index += 1) found.push(...(children.get(found[index] as number) ?? []));
  return found;
}

/** /proc/PID/stat: `pid (comm) state ppid pgrp …`, comm possibly holding spaces and parentheses. */
export function parseStat(stat: string): { state: string; ppid: number; pgrp: number } | null {
  const end = stat.lastIndexOf(')');
  if (end < 0) return null;
  const [state, ppid, pgrp] = stat.slice(end + 2).split(' ');
  const parsed = { state: state ?? '', ppid: Number(ppid), pgrp: Number(pgrp) };
  return Number.isInteger(parsed.ppid) && Number.isInteger(parsed.pgrp) ? parsed : null;
}

async function commandName(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
}

// ── before starting ─────────────────────────────────────────────────────────────────────────

/** What would stop the program from starting, said plainly (null: nothing). */
async function startProblem(spec: RunSpec, hostScript: string | null, path: string): Promise<string | null> {
  if (!(await isDirectory(spec.workspace_dir))) return `program folder ${spec.workspace_dir} does not exist`;
  if (hostScript === null) {
    if (spec.interpreter.length === 0) return 'nothing to run: no interpreter and no script';
    return (await findExecutable(spec.interpreter[0] as string, path)) !== null ? null : missingInterpreter(spec.interpreter[0] as string, path);
  }
  const script = await stat(hostScript).catch(() => null);
  if (script === null || !script.isFile()) return `script ${hostScript} does not exist`;
  if (spec.interpreter.length === 0) {
    return (await isExecutable(hostScript)) ? null : `${hostScript} is not executable and no interpreter is known for it`;
  }
  const interpreter = spec.interpreter[0] as string;
  if ((await findExecutable(interpreter, path)) !== null) return null;
  return missingInterpreter(interpreter, path);
}

function missingInterpreter(interpreter: string, path: string): string {
  return interpreter.includes('/') ? `interpreter ${interpreter} does not exist or is not executable` : `interpreter ${interpreter} not found on PATH (${path})`;
}

/** A name looked up in PATH the way execvp does; a path as it is. */
export async function findExecutable(name: string, path: string): Promise<string | null> {
  if (name.includes('/')) return (await isExecutable(name)) ? name : null;
  for (const folder of path.split(delimiter)) {
    if (folder === '' || !isAbsolute(folder)) continue;
    const candidate = join(folder, name);
    if ((await isExecutable(candidate)) && !(await isDirectory(candidate))) return candidate;
  }
  return null;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

/** The host's top-level entries, for the sandbox's root. */
async function listRoot(): Promise<RootEntry[]> {
  const entries = await readdir('/', { withFileTypes: true });
  const listed: RootEntry[] = [];
  for (const entry of entries) {
    if (entry.isSymbolicLink()) listed.push({ name: entry.name, type: 'symlink', target: await readlink(`/${entry.name}`) });
    else if (entry.isDirectory()) listed.push({ name: entry.name, type: 'directory' });
    else if (entry.isFile()) listed.push({ name: entry.name, type: 'file' });
  }
  return listed;
}

/** bwrap on PATH (or as given), and whether it can make its namespaces here. */
async function probeBwrap(configured: string | null | undefined, env: NodeJS.ProcessEnv): Promise<SandboxStatus> {
  if (configured === null) return { bwrap: null, reason: 'the sandbox is turned off (no bwrap configured)' };
  const bwrap = await findExecutable(configured ?? 'bwrap', env.PATH || DEFAULT_PATH);
  if (bwrap === null) return { bwrap: null, reason: configured ? `bwrap not found at ${configured}` : 'bwrap (bubblewrap) not found on PATH' };
  const root = await listRoot().catch(() => []);
  const probe = bwrapArgs(
    sandboxPlan({ workspace_dir: '/', writable: false, actions_dir: null, extra_mounts: [], network: 'none' }, { home: null, root_entries: root }, ['/bin/sh', '-c', ':']),
  );
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(bwrap, probe, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: env.PATH || DEFAULT_PATH }, timeout: 10_000, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => resolve({ code: null, stderr: error.message }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  if (result.code === 0) return { bwrap, reason: null };
  return { bwrap: null, reason: `bwrap cannot make its sandbox here (${result.stderr.trim() || `exit ${result.code}`})` };
}

/** A wait that never keeps the process alive: the races it is used in end sooner when all goes well. */
function sleep(ms: number): Promise<void> {
  return pause(ms, undefined, { keepAlive: false });
}
