import { readFileSync } from 'node:fs';

/**
 * CPU time of this process: the main thread's own (Linux `/proc/self/task/<pid>/stat`, 10 ms
 * ticks) and all threads together (`process.cpuUsage`). Wall-clock rates on a shared 2-core
 * machine move with whatever else runs; CPU µs per event mostly do not, so they compare
 * alternatives measured at different times.
 */
export interface CpuSample {
  /** Main thread user + system, µs; null where /proc is not available. */
  mainUs: number | null;
  /** Every thread of the process, user + system, µs. */
  totalUs: number;
}

export interface CpuPerEvent {
  main_us: number | null;
  total_us: number;
}

const TICK_US = 10_000;

/** utime + stime of a `/proc/.../stat` line, in clock ticks. Pure. */
export function statTicks(stat: string): number {
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export function sampleCpu(): CpuSample {
  const usage = process.cpuUsage();
  let mainUs: number | null = null;
  try {
    mainUs = statTicks(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')) * TICK_US;
  } catch {
    mainUs = null;
  }
  return { mainUs, totalUs: usage.user + usage.system };
}

/** µs of CPU per event between two samples, one decimal. */
export function cpuPerEvent(from: CpuSample, to: CpuSample, events: number): CpuPerEvent {
  const per = (us: number) => Math.round((us / Math.max(1, events)) * 10) / 10;
  return {
    main_us: from.mainUs === null || to.mainUs === null ? null : per(to.mainUs - from.mainUs),
    total_us: per(to.totalUs - from.totalUs),
  };
}

/**
 * The machine's CPU time so far, from the `cpu` line of `/proc/stat` (ticks): all of it, and
 * `steal`, the time a virtual machine's CPUs were ready but the host ran something else. Pure.
 */
export function parseProcStat(text: string): { total: number; steal: number } | null {
  const line = text.split('\n').find((candidate) => candidate.startsWith('cpu '));
  if (!line) return null;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 8 || fields.some((value) => !Number.isFinite(value))) return null;
  // user nice system idle iowait irq softirq steal [guest guest_nice: already counted in user/nice]
  const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
  return { total, steal: fields[7] };
}

/** Measures the share of the machine's CPU time stolen by its host between start() and the call of the returned function (%; null without /proc/stat). */
export function stealMeter(): () => number | null {
  const read = () => {
    try {
      return parseProcStat(readFileSync('/proc/stat', 'utf8'));
    } catch {
      return null;
    }
  };
  const before = read();
  return () => {
    const after = read();
    if (!before || !after || after.total <= before.total) return null;
    return Math.round((1000 * (after.steal - before.steal)) / (after.total - before.total)) / 10;
  };
}
