import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, statSync, unlinkSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage, HookflowError } from '../../errors.js';
import { resolvedPath } from '../paths.js';

/**
 * Starting job processes. A workflow of many short commands is bound by process starts, and
 * Node's child_process.spawn is slow at them (it forks the whole Node process and sets up pipes per
 * child), so each worker keeps a long-lived Python launcher (launcher.py: os.posix_spawn in a small
 * loop; a second process when starts overlap) and sends it spawn requests as JSON lines. When the
 * launcher cannot run (no /usr/bin/python3) or dies, starts fall back to Node's spawn; processes
 * a dead launcher was watching fail with a clear error (their outcome is unknown) and are killed
 * so they do not run on unobserved.
 *
 * Every process gets /dev/null as stdin, appends its stdout and stderr to files (the files are the
 * logs; relative paths are relative to its cwd), and leads a session and process group of its own
 * so a kill reaches everything it started.
 */

export interface SpawnSpec {
  /** argv[0] is the program: a path, or a name looked up in env.PATH. */
  argv: string[];
  cwd: string;
  /** The environment of the process (over baseEnv, when given). */
  env: Record<string, string>;
  /**
   * What env goes over: the variables every start of a worker shares. The python launcher is sent
   * each base once (by identity) instead of ~3 KB of JSON with every start, so a base must not be
   * changed once used.
   */
  baseEnv?: Readonly<Record<string, string>>;
  stdout_path: string;
  /** May equal stdout_path (one file for both). */
  stderr_path: string;
}

export interface ProcessExit {
  /** null when a signal ended it. */
  exit_code: number | null;
  /** `SIGTERM`…, or null. */
  signal: string | null;
  /** Sizes of the output files when it exited, when the launcher knows them (to skip reading unchanged files). */
  output_sizes?: { stdout: number | null; stderr: number | null };
}

export interface RunningProcess {
  pid: number;
  /** Sizes of the output files when the process started: where this run's output begins. */
  output_offsets: { stdout: number; stderr: number };
  /** When it started (epoch ms). */
  started_at: number;
  /** Rejects (HF_ERR_LAUNCHER_DIED) only when the launcher watching it died: its outcome is unknown. */
  exited: Promise<ProcessExit>;
  /** Signals the process group (default SIGTERM); still reaches the group's other members after the leader exits. */
  kill(signal?: NodeJS.Signals): void;
}

export type LauncherKind = 'python' | 'node';

/** A start asked for: `started` settles as start() does. */
export interface StartTicket {
  readonly started: Promise<RunningProcess>;
}

export interface Launcher {
  /** The implementation starting processes now (a python launcher that fell back reports node). */
  readonly kind: LauncherKind;
  /** Rejects with HF_ERR_PROCESS_START when the process could not be started (no such program or cwd…). */
  start(spec: SpawnSpec): Promise<RunningProcess>;
  /**
   * start(), as a ticket a later request can name as its `after`: that one starts when this one's
   * process has exited (at once when it is not running). The python launcher does that itself,
   * without a round trip to the worker, so a worker's next short job starts the moment the
   * previous one ends.
   */
  request(spec: SpawnSpec, after?: StartTicket | null): StartTicket;
  /** Stops the launcher; processes still running are terminated. */
  close(): Promise<void>;
}

export const DEFAULT_PYTHON = '/usr/bin/python3';
/** At most this many launcher processes per launcher (fewer on fewer CPUs). */
export const DEFAULT_MAX_PROCESSES = 4;
const LAUNCHER_SCRIPT = fileURLToPath(new URL('./launcher.py', import.meta.url));
const STDERR_KEPT = 4096;
/** Environment bases a launcher process keeps (a worker uses one; each distinct base in use costs one). */
const MAX_ENV_BASES = 8;

export interface LauncherOptions {
  /** python (falls back to node when it cannot run), node; default from HOOKFLOW_LAUNCHER, else python. */
  kind?: LauncherKind;
  /** Fall back to Node's spawn when the python launcher is missing or dies (default true unless HOOKFLOW_LAUNCHER=python). */
  fallback?: boolean;
  /** The interpreter (default /usr/bin/python3: `python3` on PATH may be a slow shim). */
  python?: string;
  /** At most this many launcher processes, started as overlapping starts need them (default: CPUs, at most 4). */
  processes?: number;
  /** Told when the python launcher is unavailable or died, and starts fall back to node. */
  onWarning?: (message: string) => void;
}

/**
 * The launcher for a worker: HOOKFLOW_LAUNCHER=node|python forces one (python then never falls
 * back); by default the python launcher, falling back to node transparently.
 */
export function createLauncher(options: LauncherOptions = {}, env: NodeJS.ProcessEnv = process.env): Launcher {
  const forced = env.HOOKFLOW_LAUNCHER === 'node' || env.HOOKFLOW_LAUNCHER === 'python' ? env.HOOKFLOW_LAUNCHER : undefined;
  const kind = options.kind ?? forced ?? 'python';
  if (kind === 'node') return new NodeLauncher();
  return new PythonLauncher({ ...options, fallback: options.fallback ?? forced !== 'python' });
}

/** What any launcher can do for request(): wait for the exit, then start. */
function startWhenExited(launcher: Launcher, spec: SpawnSpec, after: StartTicket | null | undefined): StartTicket {
  if (!after) return { started: launcher.start(spec) };
  const exited = after.started.then((process) => process.exited).then(
    () => undefined,
    () => undefined,
  );
  const started = exited.then(() => launcher.start(spec));
  started.catch(() => undefined);
  return { started };
}

// ── node ────────────────────────────────────────────────────────────────────────────────────

function openOutputs(spec: SpawnSpec): { out: number; err: number; offsets: RunningProcess['output_offsets']; created: string[] } {
  const stdoutPath = resolve(spec.cwd, spec.stdout_path);
  const stderrPath = resolve(spec.cwd, spec.stderr_path);
  const created = [...new Set([stdoutPath, stderrPath])].filter((path) => !existsSync(path));
  const out = openSync(stdoutPath, 'a', 0o644);
  let err = out;
  try {
    if (stderrPath !== stdoutPath) err = openSync(stderrPath, 'a', 0o644);
    return { out, err, offsets: { stdout: fstatSync(out).size, stderr: fstatSync(err).size }, created };
  } catch (error) {
    closeSync(out);
    if (err !== out) closeSync(err);
    throw error;
  }
}

function startError(spec: SpawnSpec, error: unknown): HookflowError {
  const code = (error as NodeJS.ErrnoException).code;
  // Node reports a missing cwd as the program's ENOENT: say which one it really is.
  const reason = code === 'ENOENT' && !isDirectory(spec.cwd) ? `no such directory: ${spec.cwd}` : errorMessage(error);
  return new HookflowError('HF_ERR_PROCESS_START', `could not start ${spec.argv[0] ?? '(empty command)'}: ${reason}`, { where: spec.cwd });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Output files of a process that ran this long are kept even when empty (launcher.py's NAME_AFTER). */
const KEEP_EMPTY_OUTPUTS_AFTER_MS = 100;

/**
 * As the python launcher keeps no empty output files of a short process that ended (its group
 * gone): removes the files this start created that stayed empty.
 */
function dropEmptyOutputs(created: readonly string[], pid: number): void {
  if (created.length === 0) return;
  try {
    process.kill(-pid, 0);
    return;
  } catch {
    // The group is gone: nothing can write to them any more.
  }
  for (const path of created) {
    try {
      if (statSync(path).size === 0) unlinkSync(path);
    } catch {
      // Already gone.
    }
  }
}

/** A start's whole environment: env over baseEnv. */
export function fullEnv(spec: Pick<SpawnSpec, 'env' | 'baseEnv'>): Record<string, string> {
  return spec.baseEnv ? { ...spec.baseEnv, ...spec.env } : spec.env;
}

function killGroup(pid: number, signal: NodeJS.Signals | number): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Node's child_process.spawn: the fallback, and the reference the python launcher is measured against. */
export class NodeLauncher implements Launcher {
  readonly kind = 'node' as const;
  private readonly children = new Set<ChildProcess>();

  async start(spec: SpawnSpec): Promise<RunningProcess> {
    if (spec.argv.length === 0) throw new HookflowError('HF_ERR_PROCESS_START', 'could not start an empty command');
    let files: ReturnType<typeof openOutputs>;
    try {
      files = openOutputs(spec);
    } catch (error) {
      throw new HookflowError('HF_ERR_PROCESS_START', `could not open the output files of ${spec.argv[0]}: ${errorMessage(error)}`);
    }
    let child: ChildProcess;
    try {
      child = spawn(spec.argv[0], spec.argv.slice(1), { cwd: spec.cwd, env: fullEnv(spec), stdio: ['ignore', files.out, files.err], detached: true });
    } catch (error) {
      throw startError(spec, error);
    } finally {
      closeSync(files.out);
      if (files.err !== files.out) closeSync(files.err);
    }
    const startedAt = Date.now();
    const exited = new Promise<ProcessExit>((resolveExit) =>
      child.once('exit', (code, signal) => {
        if (child.pid && Date.now() - startedAt < KEEP_EMPTY_OUTPUTS_AFTER_MS) dropEmptyOutputs(files.created, child.pid);
        resolveExit({ exit_code: code, signal });
      }),
    );
    await new Promise<void>((resolveSpawn, rejectSpawn) => {
      child.once('spawn', resolveSpawn);
      // Kept for the child's life: a later 'error' without a listener would throw.
      child.on('error', (error) => rejectSpawn(startError(spec, error)));
    });
    const pid = child.pid as number;
    this.children.add(child);
    void exited.then(() => this.children.delete(child));
    return { pid, output_offsets: files.offsets, started_at: startedAt, exited, kill: (signal = 'SIGTERM') => killGroup(pid, signal) };
  }

  request(spec: SpawnSpec, after?: StartTicket | null): StartTicket {
    return startWhenExited(this, spec, after);
  }

  /** Terminates what still runs (SIGTERM to each group, SIGKILL after 2 s), as the python launcher does. */
  async close(): Promise<void> {
    const running = [...this.children];
    for (const child of running) if (child.pid) killGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => running.forEach((child) => child.pid && killGroup(child.pid, 'SIGKILL')), 2000);
    await Promise.all(running.map((child) => (child.exitCode !== null || child.signalCode !== null ? null : new Promise((done) => child.once('exit', done)))));
    clearTimeout(timer);
  }
}

// ── python ──────────────────────────────────────────────────────────────────────────────────

interface PendingStart {
  spec: SpawnSpec;
  /** Waits for another process's exit in the launcher (it does not make the launcher busy starting). */
  chained: boolean;
  resolve: (process: RunningProcess) => void;
  reject: (error: unknown) => void;
}

interface Watched {
  pid: number;
  resolve: (exit: ProcessExit) => void;
  reject: (error: unknown) => void;
}

interface LauncherReply {
  id?: number;
  pid?: number;
  ready?: number;
  error?: string;
  exit_code?: number | null;
  signal?: string | null;
  stdout_offset?: number;
  stderr_offset?: number;
  at?: number;
  stdout_size?: number | null;
  stderr_size?: number | null;
}

/** What a launcher process had in hand when it died. */
interface Death {
  /** Whether it said ready: before that it read no request, so none of its starts happened. */
  everReady: boolean;
  closing: boolean;
  reason: string;
  /** Starts it had not confirmed. */
  unconfirmed: PendingStart[];
}

/** A start given to one launcher process: a later start may wait in that process for its exit. */
class PythonTicket implements StartTicket {
  constructor(
    readonly started: Promise<RunningProcess>,
    readonly member: LauncherProcess,
    readonly id: number,
  ) {}
}

/**
 * One launcher.py process: requests go down its stdin, replies come up its stdout. When it dies,
 * the processes it watched are killed and their `exited` rejects; what happens to the starts it
 * had not confirmed is its pool's decision (onDeath).
 */
class LauncherProcess {
  state: 'starting' | 'ready' | 'dead' | 'closed' = 'starting';
  private saidReady = false;
  readonly pending = new Map<number, PendingStart>();
  private readonly watched = new Map<number, Watched>();
  private readonly child: ChildProcess;
  private nextId = 1;
  private buffered = '';
  /** The environment bases this launcher process holds, by identity, oldest first, and their keys. */
  private readonly bases = new Map<Readonly<Record<string, string>>, number>();
  private stderrTail = '';
  private closing: Promise<void> | null = null;

  constructor(
    private readonly python: string,
    private readonly onDeath: (death: Death) => void,
    private readonly onWarning: (message: string) => void,
  ) {
    const child = spawn(python, ['-I', '-S', LAUNCHER_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.receive(chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEPT);
    });
    // A write to a launcher that just died fails here; its close handler reports it.
    child.stdin?.on('error', () => undefined);
    child.on('error', (error) => this.died(`could not run ${python}: ${error.message}`));
    child.on('close', (code, signal) => this.died(signal ? `killed by ${signal}` : `exited with code ${code ?? '?'}`));
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  get alive(): boolean {
    return this.state === 'starting' || this.state === 'ready';
  }

  /** Starts waiting for now, chained ones excluded (those wait for an exit, not for a spawn). */
  unchainedPending = 0;

  start(spec: SpawnSpec, after: number | null = null): PythonTicket {
    const id = this.nextId++;
    const request = {
      op: 'spawn',
      id,
      argv: spec.argv,
      cwd: resolvedPath(spec.cwd),
      env: spec.env,
      ...(spec.baseEnv ? { env_base: this.baseKey(spec.baseEnv) } : {}),
      stdout_path: resolvedPath(spec.stdout_path, spec.cwd),
      stderr_path: resolvedPath(spec.stderr_path, spec.cwd),
      new_session: true,
      ...(after === null ? {} : { after }),
    };
    const chained = after !== null;
    const started = new Promise<RunningProcess>((resolveStart, rejectStart) => {
      this.pending.set(id, { spec, chained, resolve: resolveStart, reject: rejectStart });
      if (!chained) this.unchainedPending += 1;
      this.updateRef();
      this.child.stdin?.write(`${JSON.stringify(request)}\n`);
    });
    return new PythonTicket(started, this, id);
  }

  /** The key of an environment base, sending it first when this launcher process does not hold it yet. */
  private baseKey(base: Readonly<Record<string, string>>): number {
    const known = this.bases.get(base);
    if (known !== undefined) return known;
    const key = this.nextId++;
    if (this.bases.size >= MAX_ENV_BASES) {
      const [oldest, oldestKey] = this.bases.entries().next().value as [Readonly<Record<string, string>>, number];
      this.bases.delete(oldest);
      this.child.stdin?.write(`${JSON.stringify({ op: 'env_drop', key: oldestKey })}\n`);
    }
    this.bases.set(base, key);
    this.child.stdin?.write(`${JSON.stringify({ op: 'env', key, env: base })}\n`);
    return key;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const wasAlive = this.alive;
      this.state = 'closed';
      if (!wasAlive) return;
      const child = this.child;
      child.ref();
      // Closing stdin tells it to terminate what still runs and exit.
      const gone = new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('close', () => done())));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    })();
    return this.closing;
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline = this.buffered.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      if (line.trim() !== '') this.handle(line);
      newline = this.buffered.indexOf('\n');
    }
  }

  private handle(line: string): void {
    let reply: LauncherReply;
    try {
      reply = JSON.parse(line) as LauncherReply;
    } catch {
      this.stderrTail = `${this.stderrTail}\nunreadable reply: ${line}`.slice(-STDERR_KEPT);
      return;
    }
    if (reply.ready) {
      this.saidReady = true;
      if (this.state === 'starting') this.state = 'ready';
      return;
    }
    if (reply.id === undefined) {
      if (reply.error) this.onWarning(`process launcher: ${reply.error}`);
      return;
    }
    const start = this.pending.get(reply.id);
    if (start) {
      this.pending.delete(reply.id);
      if (!start.chained) this.unchainedPending -= 1;
      if (reply.error !== undefined || typeof reply.pid !== 'number') {
        start.reject(new HookflowError('HF_ERR_PROCESS_START', `could not start ${start.spec.argv[0]}: ${reply.error ?? 'no pid'}`, { where: start.spec.cwd }));
      } else {
        start.resolve(this.running(reply.id, reply.pid, { stdout: reply.stdout_offset ?? 0, stderr: reply.stderr_offset ?? 0 }, reply.at ?? Date.now()));
      }
    }
    const watched = this.watched.get(reply.id);
    if (watched && reply.exit_code !== undefined) {
      this.watched.delete(reply.id);
      watched.resolve({
        exit_code: reply.exit_code,
        signal: reply.signal ?? null,
        ...(reply.stdout_size === undefined ? {} : { output_sizes: { stdout: reply.stdout_size, stderr: reply.stderr_size ?? null } }),
      });
    }
    this.updateRef();
  }

  private running(id: number, pid: number, offsets: RunningProcess['output_offsets'], startedAt: number): RunningProcess {
    const exited = new Promise<ProcessExit>((resolveExit, rejectExit) => this.watched.set(id, { pid, resolve: resolveExit, reject: rejectExit }));
    // A caller that never awaits it must not crash the process with an unhandled rejection.
    exited.catch(() => undefined);
    return {
      pid,
      output_offsets: offsets,
      started_at: startedAt,
      exited,
      kill: (signal = 'SIGTERM') => {
        if (this.state === 'ready' && this.child.stdin?.writable) this.child.stdin.write(`${JSON.stringify({ op: 'kill', pid, signal: constants.signals[signal] })}\n`);
        else killGroup(pid, signal);
      },
    };
  }

  /** Gone: the processes it watched are killed and fail; the pool decides about the rest. Once. */
  private died(how: string): void {
    if (this.state === 'dead') return;
    const everReady = this.saidReady;
    const closing = this.state === 'closed';
    if (!closing) this.state = 'dead';
    const detail = this.stderrTail.trim() ? `: ${this.stderrTail.trim().split('\n').slice(-5).join(' | ')}` : '';
    const reason = `${how}${detail}`;
    for (const [id, watched] of this.watched) {
      this.watched.delete(id);
      // Nobody can reap it now: kill it rather than leave a job running that its worker calls failed.
      killGroup(watched.pid, 'SIGKILL');
      watched.reject(
        new HookflowError('HF_ERR_LAUNCHER_DIED', `the process launcher ${closing ? 'was closed' : `died (${reason})`} while process ${watched.pid} ran; its outcome is unknown and it was killed`),
      );
    }
    const unconfirmed = [...this.pending.values()];
    this.pending.clear();
    this.unchainedPending = 0;
    this.child.stdout?.removeAllListeners('data');
    this.onDeath({ everReady, closing, reason, unconfirmed });
  }

  /** Keeps the event loop alive only while it has work in hand. */
  private updateRef(): void {
    if (!this.alive) return;
    const busy = this.pending.size > 0 || this.watched.size > 0;
    const child = this.child;
    for (const handle of [child, child.stdout, child.stderr, child.stdin] as Array<{ ref?: () => void; unref?: () => void } | null>) {
      if (busy) handle?.ref?.();
      else handle?.unref?.();
    }
  }
}

/**
 * The python launcher: launcher.py processes started as needed and kept for the launcher's life.
 * One serves a worker whose starts do not overlap; posix_spawn waits while its child execs, so
 * when every process is busy starting one, another is started (up to `processes`).
 *
 * When one cannot start (no interpreter, it exits before saying ready), the starts given to it go
 * to node (it read none of them), and so do all later starts. When one dies after that, the
 * processes it watched fail (HF_ERR_LAUNCHER_DIED) and are killed, starts it had not confirmed
 * fail (they may or may not have happened), and later starts go to node. Without fallback, starts
 * are refused instead.
 */
export class PythonLauncher implements Launcher {
  private readonly members: LauncherProcess[] = [];
  private node: NodeLauncher | null = null;
  private broken: string | null = null;
  private closed = false;
  private readonly python: string;
  private readonly fallback: boolean;
  private readonly maxProcesses: number;

  constructor(private readonly options: LauncherOptions = {}) {
    this.python = options.python ?? DEFAULT_PYTHON;
    this.fallback = options.fallback ?? true;
    this.maxProcesses = Math.max(1, options.processes ?? Math.min(DEFAULT_MAX_PROCESSES, availableParallelism()));
  }

  get kind(): LauncherKind {
    return this.node ? 'node' : 'python';
  }

  /** Pids of its launcher processes (tests kill them to check what a crash does). */
  get launcherPids(): number[] {
    return this.members.flatMap((member) => (member.alive && member.pid !== null ? [member.pid] : []));
  }

  start(spec: SpawnSpec): Promise<RunningProcess> {
    if (this.closed) return Promise.reject(new HookflowError('HF_ERR_PROCESS_START', 'the process launcher is closed'));
    if (this.node) return this.node.start(spec);
    if (this.broken !== null) return Promise.reject(this.deadError(this.broken));
    if (spec.argv.length === 0) return Promise.reject(new HookflowError('HF_ERR_PROCESS_START', 'could not start an empty command'));
    return this.request(spec).started;
  }

  request(spec: SpawnSpec, after?: StartTicket | null): StartTicket {
    const usable = !this.closed && this.node === null && this.broken === null && spec.argv.length > 0;
    if (usable && after instanceof PythonTicket && after.member.alive) return after.member.start(spec, after.id);
    if (usable && !after) {
      const member = this.pick();
      if (member) return member.start(spec);
    }
    return startWhenExited(this, spec, after);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.members.map((member) => member.close()), this.node?.close()]);
  }

  /** The least busy live process; a new one when all are starting something. Null when python is out. */
  private pick(): LauncherProcess | null {
    let best: LauncherProcess | null = null;
    for (const member of this.members) if (member.alive && (!best || member.unchainedPending < best.unchainedPending)) best = member;
    if (best && (best.unchainedPending === 0 || this.members.length >= this.maxProcesses)) return best;
    if (!existsSync(this.python)) {
      this.lost(`${this.python} not found`, []);
      return null;
    }
    const member: LauncherProcess = new LauncherProcess(this.python, (death) => this.died(member, death), (message) => this.options.onWarning?.(message));
    this.members.push(member);
    return member;
  }

  private died(member: LauncherProcess, death: Death): void {
    const index = this.members.indexOf(member);
    if (index >= 0) this.members.splice(index, 1);
    if (death.closing) {
      for (const start of death.unconfirmed) start.reject(new HookflowError('HF_ERR_PROCESS_START', 'the process launcher was closed'));
      return;
    }
    if (death.everReady) {
      for (const start of death.unconfirmed) start.reject(this.deadError(`${death.reason}; the start of ${start.spec.argv[0]} was not confirmed and may or may not have happened`));
      this.lost(death.reason, []);
    } else {
      // It read none of them: they never ran, so they can be started elsewhere.
      this.lost(death.reason, death.unconfirmed);
    }
  }

  /** Python cannot be relied on: later starts (and `retry`) go to node, or are refused without fallback. */
  private lost(reason: string, retry: PendingStart[]): void {
    if (!this.fallback) {
      this.broken ??= reason;
      for (const start of retry) start.reject(this.deadError(reason));
      return;
    }
    if (!this.node) {
      this.node = new NodeLauncher();
      this.options.onWarning?.(`process launcher unavailable (${reason}): starting processes with node instead`);
    }
    const node = this.node;
    for (const start of retry) node.start(start.spec).then(start.resolve, start.reject);
  }

  private deadError(reason: string): HookflowError {
    return new HookflowError('HF_ERR_LAUNCHER_DIED', `the process launcher (${this.python}) is not running: ${reason}`, {
      hint: 'HOOKFLOW_LAUNCHER=node starts processes without it',
    });
  }
}
