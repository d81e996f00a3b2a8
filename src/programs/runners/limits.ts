import { access, constants, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { errorMessage } from '../../errors.js';
import type { ResourceLimits } from '../model.js';
import { pause as sleep } from '../../util/pause.js';

/**
 * Memory and CPU limits of a local process. With a writable cgroup (v2, or v1 memory/cpu
 * hierarchies) a group per run gets the limits, and the process enters it before it runs: a tiny
 * `/bin/sh -c 'echo $$ > …/cgroup.procs && exec "$@"'` prefix, so nothing of the program ever runs
 * outside it. Without cgroups, memory is an rlimit set by the same shell (`ulimit -d`), and a CPU
 * fraction cannot be applied at all (reported, not silently ignored).
 *
 * RLIMIT_DATA rather than RLIMIT_AS: runtimes that reserve address space up front (Node's V8,
 * the JVM, Go) cannot even start under an address-space limit of a few hundred MiB, while
 * RLIMIT_DATA counts only what is really made writable (brk and private writable mappings).
 */

export type CgroupSupport =
  /** `parent`: the folder under which per-run groups are made (…/hookflow), controllers enabled there. */
  | { version: 2; parent: string; cpu: boolean }
  /** Per hierarchy, the folder under which per-run groups are made, or null when not writable. */
  | { version: 1; memory: string | null; cpu: string | null };

export interface CgroupDetection {
  support: CgroupSupport | null;
  /** Why cgroups (or part of them) cannot be used, for people. */
  reason: string | null;
}

export interface AppliedLimits {
  memory: 'cgroup' | 'rlimit' | null;
  cpu: 'cgroup' | null;
  /** Why a requested limit is not applied, or applied the weaker way. */
  reason?: string;
}

/** How a run ended, as far as telling an out-of-memory kill apart needs. */
export interface ExitEvidence {
  exit_code: number | null;
  signal: string | null;
  /** The end of the program's stderr (an rlimit shows as MemoryError / ENOMEM there). */
  stderr_tail: string;
}

export interface PreparedLimits {
  /** argv to put before the command (empty when nothing needs applying). */
  prefix: string[];
  applied: AppliedLimits;
  /** The run's cgroup folders (to read back limits, or kill stragglers). */
  groups: string[];
  /** Call before release(): the counters are read from the group. */
  oomKilled(evidence: ExitEvidence): Promise<boolean>;
  /** Processes in the run's groups now (processes that left the process group are still here). */
  members(): Promise<number[]>;
  /** Kills what is left in the groups and removes them. Idempotent. */
  release(): Promise<void>;
}

export const CGROUP_PERIOD_US = 100_000;
const GROUP_FOLDER = 'hookflow';

// ── pure: reading /proc ─────────────────────────────────────────────────────────────────────

export interface CgroupMount {
  mountpoint: string;
  /** The part of the hierarchy mounted there ("/" unless a container sees only its own subtree). */
  root: string;
  fstype: 'cgroup' | 'cgroup2';
  /** v1: the controllers of the hierarchy (super options minus rw/ro and the like). */
  controllers: string[];
}

/** The cgroup mounts in /proc/self/mountinfo. */
export function parseMountInfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    const fstype = after[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const options = (after[2] ?? '').split(',');
    mounts.push({
      mountpoint: unescapeMountPath(before[4] ?? ''),
      root: unescapeMountPath(before[3] ?? '/'),
      fstype,
      controllers: fstype === 'cgroup' ? options.filter((option) => !NON_CONTROLLER_OPTIONS.has(option) && !option.includes('=')) : [],
    });
  }
  return mounts;
}

const NON_CONTROLLER_OPTIONS = new Set(['rw', 'ro', 'nosuid', 'nodev', 'noexec', 'relatime', 'clone_children', 'xattr', 'nsdelegate', 'memory_recursiveprot', 'noprefix', 'cpuset_v2_mode', 'favordynmods', 'memory_localevents', 'memory_hugetlb_accounting']);

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export interface ProcCgroup {
  /** "0" for v2. */
  hierarchy: string;
  controllers: string[];
  path: string;
}

/** /proc/self/cgroup: `4:memory:/user.slice`, `0::/init.scope`. */
export function parseProcCgroup(text: string): ProcCgroup[] {
  const entries: ProcCgroup[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    entries.push({ hierarchy: line.slice(0, first), controllers: controllers === '' ? [] : controllers.split(','), path: line.slice(second + 1) });
  }
  return entries;
}

export interface CgroupCandidates {
  /** The cgroup2 mount's folder when it is the whole hierarchy (per-run groups go in <it>/hookflow). */
  v2: string | null;
  /** v1: this process's own group folder per controller (per-run groups nest in <it>/hookflow). */
  v1: { memory: string | null; cpu: string | null };
}

/**
 * Where per-run groups could go. v2 uses the hierarchy's root: a group with processes in it cannot
 * hand controllers to children ("no internal processes"), and this process sits in its own group.
 * v1 has no such rule, so groups nest under this process's own group, inside any limit it has.
 */
export function cgroupCandidates(mounts: CgroupMount[], self: ProcCgroup[]): CgroupCandidates {
  const unified = mounts.find((mount) => mount.fstype === 'cgroup2' && mount.root === '/');
  const ownFolder = (controller: string): string | null => {
    const mount = mounts.find((candidate) => candidate.fstype === 'cgroup' && candidate.controllers.includes(controller));
    if (!mount) return null;
    const entry = self.find((candidate) => candidate.hierarchy !== '0' && candidate.controllers.includes(controller));
    const path = entry?.path ?? '/';
    // A container may see its own subtree mounted as the root: the path is then relative to it.
    const rel = mount.root === '/' ? path : path === mount.root || path.startsWith(`${mount.root}/`) ? path.slice(mount.root.length) : '/';
    return rel === '' || rel === '/' ? mount.mountpoint : posix.join(mount.mountpoint, rel);
  };
  return { v2: unified?.mountpoint ?? null, v1: { memory: ownFolder('memory'), cpu: ownFolder('cpu') } };
}

/** The shell prefix entering the groups (and setting the data rlimit) before exec'ing the command. */
export function limitsPrefix(procsFiles: string[], dataLimitBytes: number | null): string[] {
  if (procsFiles.length === 0 && dataLimitBytes === null) return [];
  const steps: string[] = [];
  if (dataLimitBytes !== null) steps.push(`ulimit -d ${Math.max(1, Math.ceil(dataLimitBytes / 1024))}`);
  for (const file of procsFiles) steps.push(`echo $$ > ${shellQuote(file)}`);
  steps.push('exec "$@"');
  return ['/bin/sh', '-c', steps.join(' && '), 'sh'];
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A group's name: the execution id made safe for a folder name, and a suffix unique per run. */
export function groupName(executionId: string, unique: string): string {
  const safe = executionId.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_').slice(0, 80) || 'run';
  return `${safe}-${unique}`;
}

/** A `key value` counter from memory.events or memory.oom_control, or null when absent. */
export function readCounter(text: string, key: string): number | null {
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name === key && value !== undefined) return Number(value);
  }
  return null;
}

const OOM_STDERR = /MemoryError|Cannot allocate memory|out of memory|std::bad_alloc|\bENOMEM\b/i;

/** Under an rlimit an allocation fails instead of a kill: the program says so on its way out. */
export function rlimitOomEvidence(evidence: ExitEvidence): boolean {
  return evidence.exit_code !== 0 && OOM_STDERR.test(evidence.stderr_tail);
}

export function formatBytes(bytes: number): string {
  const GiB = 1024 ** 3;
  const MiB = 1024 ** 2;
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}

// ── I/O ─────────────────────────────────────────────────────────────────────────────────────

export interface DetectOptions {
  /** Default /proc (tests point it elsewhere). */
  proc?: string;
}

/** What cgroups this process can use for its children; never throws. */
export async function detectCgroups(options: DetectOptions = {}): Promise<CgroupDetection> {
  const proc = options.proc ?? '/proc';
  let candidates: CgroupCandidates;
  try {
    const [mountinfo, own] = await Promise.all([readFile(join(proc, 'self/mountinfo'), 'utf8'), readFile(join(proc, 'self/cgroup'), 'utf8')]);
    candidates = cgroupCandidates(parseMountInfo(mountinfo), parseProcCgroup(own));
  } catch (error) {
    return { support: null, reason: `cannot read this process's cgroups: ${errorMessage(error)}` };
  }
  const problems: string[] = [];
  if (candidates.v2 !== null) {
    const controllers = (await readText(join(candidates.v2, 'cgroup.controllers'))).split(/\s+/);
    if (!controllers.includes('memory')) problems.push(`cgroup v2 at ${candidates.v2} has no memory controller`);
    else if (!(await writable(candidates.v2))) problems.push(`cgroup v2 at ${candidates.v2} is not writable`);
    else return { support: { version: 2, parent: join(candidates.v2, GROUP_FOLDER), cpu: controllers.includes('cpu') }, reason: controllers.includes('cpu') ? null : `cgroup v2 at ${candidates.v2} has no cpu controller` };
  }
  const memory = candidates.v1.memory !== null && (await writable(candidates.v1.memory)) ? candidates.v1.memory : null;
  const cpu = candidates.v1.cpu !== null && (await writable(candidates.v1.cpu)) ? candidates.v1.cpu : null;
  if (candidates.v1.memory !== null && memory === null) problems.push(`cgroup v1 memory group ${candidates.v1.memory} is not writable`);
  if (candidates.v1.cpu !== null && cpu === null) problems.push(`cgroup v1 cpu group ${candidates.v1.cpu} is not writable`);
  if (memory === null && cpu === null) {
    return { support: null, reason: problems.length > 0 ? problems.join('; ') : 'no cgroup hierarchy with the memory or cpu controller is mounted' };
  }
  return {
    support: { version: 1, memory: memory && join(memory, GROUP_FOLDER), cpu: cpu && join(cpu, GROUP_FOLDER) },
    reason: problems.length > 0 ? problems.join('; ') : null,
  };
}

export interface PrepareOptions {
  /** From detectCgroups (detect once, reuse); null: rlimits only. */
  cgroups: CgroupDetection | null;
  /** Makes the group name unique per run (default: random). */
  unique?: string;
}

/** Applies `limits` for one run: the group(s) made and limited, the prefix that enters them. */
export async function prepareLimits(executionId: string, limits: ResourceLimits, options: PrepareOptions): Promise<PreparedLimits> {
  const wantMemory = limits.memory_bytes !== null;
  const wantCpu = limits.cpus !== null;
  const reasons: string[] = [];
  const support = options.cgroups?.support ?? null;
  if ((wantMemory || wantCpu) && support === null) reasons.push(options.cgroups?.reason ?? 'cgroups not used');
  const name = groupName(executionId, options.unique ?? Math.random().toString(16).slice(2, 10));
  const groups = new CgroupSet();
  let memoryGroup: { folder: string; version: 1 | 2 } | null = null;
  let cpuApplied = false;

  if (support !== null && (wantMemory || wantCpu)) {
    try {
      if (support.version === 2) {
        const folder = await groups.makeV2(support.parent, name);
        if (wantMemory) {
          await writeFile(join(folder, 'memory.max'), String(limits.memory_bytes));
          await writeOptional(join(folder, 'memory.swap.max'), '0');
          memoryGroup = { folder, version: 2 };
        }
        if (wantCpu) {
          // The cpu controller may be missing or refused (a realtime process elsewhere): memory still holds.
          cpuApplied = support.cpu && (await writeOptional(join(folder, 'cpu.max'), `${cpuQuota(limits.cpus as number)} ${CGROUP_PERIOD_US}`));
          if (!cpuApplied) reasons.push(options.cgroups?.reason ?? `cannot set cpu.max in ${folder}`);
        }
      } else {
        if (wantMemory && support.memory !== null) {
          const folder = await groups.makeV1(support.memory, name);
          await writeFile(join(folder, 'memory.limit_in_bytes'), String(limits.memory_bytes));
          // Without swap accounting the file is absent: the memory limit alone still holds.
          await writeOptional(join(folder, 'memory.memsw.limit_in_bytes'), String(limits.memory_bytes));
          memoryGroup = { folder, version: 1 };
        }
        if (wantCpu && support.cpu !== null) {
          const folder = await groups.makeV1(support.cpu, name);
          await writeFile(join(folder, 'cpu.cfs_period_us'), String(CGROUP_PERIOD_US));
          await writeFile(join(folder, 'cpu.cfs_quota_us'), String(cpuQuota(limits.cpus as number)));
          cpuApplied = true;
        }
        if ((wantMemory && support.memory === null) || (wantCpu && support.cpu === null)) reasons.push(options.cgroups?.reason ?? 'cgroup v1 hierarchy missing');
      }
    } catch (error) {
      reasons.push(`cgroup setup failed: ${errorMessage(error)}`);
      await groups.release();
      memoryGroup = null;
      cpuApplied = false;
    }
  }

  const rlimit = wantMemory && memoryGroup === null;
  if (wantCpu && !cpuApplied) reasons.push(`CPU limit of ${limits.cpus} not applied: it needs a writable cgroup`);
  const applied: AppliedLimits = { memory: memoryGroup ? 'cgroup' : rlimit ? 'rlimit' : null, cpu: cpuApplied ? 'cgroup' : null };
  if (reasons.length > 0) applied.reason = reasons.join('; ');

  return {
    prefix: limitsPrefix(groups.procsFiles(), rlimit ? limits.memory_bytes : null),
    applied,
    groups: groups.folders(),
    oomKilled: async (evidence) => {
      if (rlimit) return rlimitOomEvidence(evidence);
      if (memoryGroup === null) return false;
      if (memoryGroup.version === 2) return ((readCounter(await readText(join(memoryGroup.folder, 'memory.events')), 'oom_kill') ?? 0) > 0);
      const kills = readCounter(await readText(join(memoryGroup.folder, 'memory.oom_control')), 'oom_kill');
      if (kills !== null) return kills > 0;
      // Kernels before 4.13 have no oom_kill count: the limit was hit and the program was SIGKILLed.
      const failures = Number((await readText(join(memoryGroup.folder, 'memory.failcnt'))).trim() || '0');
      return failures > 0 && (evidence.signal === 'SIGKILL' || evidence.exit_code === 137);
    },
    members: () => groups.members(),
    release: () => groups.release(),
  };
}

function cpuQuota(cpus: number): number {
  // The kernel refuses quotas under 1 ms.
  return Math.max(1000, Math.round(cpus * CGROUP_PERIOD_US));
}

/** The groups of one run, made and removed together. */
class CgroupSet {
  private readonly made: string[] = [];
  private released: Promise<void> | null = null;

  async makeV2(parent: string, name: string): Promise<string> {
    const root = join(parent, '..');
    await enableControllers(root);
    await ensureFolder(parent);
    await enableControllers(parent);
    return this.make(parent, name);
  }

  async makeV1(parent: string, name: string): Promise<string> {
    await ensureFolder(parent);
    return this.make(parent, name);
  }

  private async make(parent: string, name: string): Promise<string> {
    const folder = join(parent, name);
    // Another run may remove the (empty) parent between the two mkdirs: try again.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await mkdir(folder);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw error;
        await ensureFolder(parent);
      }
    }
    this.made.push(folder);
    return folder;
  }

  folders(): string[] {
    return [...this.made];
  }

  procsFiles(): string[] {
    return this.made.map((folder) => join(folder, 'cgroup.procs'));
  }

  async members(): Promise<number[]> {
    const pids = new Set<number>();
    for (const folder of this.made) {
      for (const line of (await readText(join(folder, 'cgroup.procs'))).split('\n')) {
        const pid = Number(line);
        if (Number.isInteger(pid) && pid > 0) pids.add(pid);
      }
    }
    return [...pids];
  }

  release(): Promise<void> {
    this.released ??= this.removeAll();
    return this.released;
  }

  private async removeAll(): Promise<void> {
    for (const folder of this.made) {
      // A group can only be removed once empty: kill what is left (a daemon the program left behind).
      for (let attempt = 0; attempt < 200; attempt += 1) {
        try {
          await rmdir(folder);
          break;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'EBUSY' && code !== 'ENOTEMPTY') break;
        }
        if (!(await writeOptional(join(folder, 'cgroup.kill'), '1'))) {
          for (const pid of await this.membersOf(folder)) killQuietly(pid, 'SIGKILL');
        }
        await sleep(10);
      }
      // The shared parent goes too when this was its last group (others' rmdir fails harmlessly).
      await rmdir(join(folder, '..')).catch(() => undefined);
    }
  }

  private async membersOf(folder: string): Promise<number[]> {
    return (await readText(join(folder, 'cgroup.procs'))).split('\n').map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
  }
}

async function enableControllers(folder: string): Promise<void> {
  const enabled = (await readText(join(folder, 'cgroup.subtree_control'))).split(/\s+/);
  for (const controller of ['memory', 'cpu']) {
    if (enabled.includes(controller)) continue;
    try {
      await writeFile(join(folder, 'cgroup.subtree_control'), `+${controller}`);
    } catch (error) {
      if (controller === 'memory') throw new Error(`cannot enable the memory controller in ${folder}: ${errorMessage(error)}`);
    }
  }
}

async function ensureFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

async function writeOptional(path: string, value: string): Promise<boolean> {
  try {
    await writeFile(path, value);
    return true;
  } catch {
    return false;
  }
}

async function writable(folder: string): Promise<boolean> {
  try {
    await access(folder, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

