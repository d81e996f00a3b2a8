import { statfs } from 'node:fs/promises';
import { cpus, freemem, hostname, loadavg, totalmem } from 'node:os';
import { parseDuration } from '../config.js';
import { HookflowError } from '../errors.js';
import type { JsonObject, NewEvent } from '../events/model.js';

/**
 * The system monitor: samples CPU, memory, disk and load, and publishes one event each time a
 * resource crosses its threshold going up (system.cpu_high, system.memory_low, system.disk_full,
 * system.resource_high for load). It fires again only after the value has gone back below
 * threshold - margin: one event per crossing, not one per sample.
 */

export interface Threshold {
  threshold: number;
  /** Re-armed once the value is below threshold - margin. */
  margin: number;
}

/** One resource's crossing detector. Pure. */
export class ThresholdAlarm {
  private armed = true;

  constructor(readonly spec: Threshold) {}

  /** True when this sample crosses the threshold while armed: publish then. */
  update(value: number): boolean {
    if (this.armed && value >= this.spec.threshold) {
      this.armed = false;
      return true;
    }
    if (!this.armed && value < this.spec.threshold - this.spec.margin) this.armed = true;
    return false;
  }

  get firing(): boolean {
    return !this.armed;
  }
}

export interface MonitorOptions {
  enabled: boolean;
  intervalMs: number;
  /** Busy CPU over the last interval, percent of all cores. */
  cpu: Threshold;
  /** Memory in use (100 - available), percent. */
  memory: Threshold;
  /** Disk space in use, percent, per path. */
  disk: Threshold;
  /** 1-minute load average per CPU core. */
  load: Threshold;
  /** Paths whose filesystems are watched (default: the hookflow home). */
  diskPaths: string[];
}

export interface ResourceSample {
  /** null on the first sample: CPU use is a difference between two. */
  cpu: number | null;
  memory: number;
  load: number;
  disks: Array<{ path: string; percent: number }>;
}

type Resource = 'cpu' | 'memory' | 'disk' | 'load';

const EVENT_TYPES: Record<Resource, string> = {
  cpu: 'system.cpu_high',
  memory: 'system.memory_low',
  disk: 'system.disk_full',
  load: 'system.resource_high',
};

export interface Crossing {
  type: string;
  resource: Resource;
  current: number;
  threshold: number;
  path?: string;
}

/** The crossings of one sample, with the alarms' state carried from sample to sample. Pure. */
export class ResourceAlarms {
  private readonly alarms = new Map<string, ThresholdAlarm>();

  constructor(private readonly options: Pick<MonitorOptions, 'cpu' | 'memory' | 'disk' | 'load'>) {}

  private alarm(resource: Resource, key: string): ThresholdAlarm {
    let alarm = this.alarms.get(key);
    if (!alarm) {
      alarm = new ThresholdAlarm(this.options[resource]);
      this.alarms.set(key, alarm);
    }
    return alarm;
  }

  evaluate(sample: ResourceSample): Crossing[] {
    const crossings: Crossing[] = [];
    const check = (resource: Resource, key: string, value: number, path?: string) => {
      if (this.alarm(resource, key).update(value)) {
        crossings.push({ type: EVENT_TYPES[resource], resource, current: round(value), threshold: this.options[resource].threshold, ...(path ? { path } : {}) });
      }
    };
    if (sample.cpu !== null) check('cpu', 'cpu', sample.cpu);
    check('memory', 'memory', sample.memory);
    check('load', 'load', sample.load);
    for (const disk of sample.disks) check('disk', `disk:${disk.path}`, disk.percent, disk.path);
    return crossings;
  }
}

const round = (value: number) => Math.round(value * 100) / 100;

// ── sampling (I/O) ────────────────────────────────────────────────────────────────────────────

interface CpuTimes {
  busy: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const { user, nice, sys, idle, irq } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + irq + idle;
  }
  return { busy, total };
}

/** Samples this machine; CPU use is measured between one call and the next. */
export class SystemSampler {
  private previous: CpuTimes | null = cpuTimes();

  constructor(private readonly diskPaths: string[]) {}

  async sample(): Promise<ResourceSample> {
    const times = cpuTimes();
    const previous = this.previous;
    this.previous = times;
    const spent = previous ? times.total - previous.total : 0;
    const cpu = previous && spent > 0 ? (100 * (times.busy - previous.busy)) / spent : null;
    const memory = 100 * (1 - freemem() / totalmem());
    const load = loadavg()[0] / Math.max(1, cpus().length);
    const disks: ResourceSample['disks'] = [];
    for (const path of this.diskPaths) {
      try {
        const stats = await statfs(path);
        const used = stats.blocks - stats.bfree;
        const usable = used + stats.bavail;
        if (usable > 0) disks.push({ path, percent: (100 * used) / usable });
      } catch {
        // A path that is gone (an unmounted disk) is not sampled until it is back.
      }
    }
    return { cpu, memory, load, disks };
  }
}

export interface ResourceMonitorDeps {
  publish(event: NewEvent): Promise<unknown>;
  sample?: () => Promise<ResourceSample>;
  onError?(error: unknown): void;
}

/** Samples every interval and publishes the crossings. */
export class ResourceMonitor {
  private readonly alarms: ResourceAlarms;
  private readonly sample: () => Promise<ResourceSample>;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> = Promise.resolve();
  private readonly host = hostname();

  constructor(
    private readonly options: MonitorOptions,
    private readonly deps: ResourceMonitorDeps,
  ) {
    this.alarms = new ResourceAlarms(options);
    if (deps.sample) {
      this.sample = deps.sample;
    } else {
      const sampler = new SystemSampler(options.diskPaths);
      this.sample = () => sampler.sample();
    }
  }

  start(): void {
    if (!this.options.enabled || this.timer) return;
    this.timer = setInterval(() => {
      this.current = this.check().then(
        () => undefined,
        (error: unknown) => this.deps.onError?.(error),
      );
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** One sample, its crossings published; what the timer runs. */
  async check(): Promise<Crossing[]> {
    const crossings = this.alarms.evaluate(await this.sample());
    for (const crossing of crossings) {
      const resource: JsonObject = {
        name: crossing.resource,
        current: crossing.current,
        threshold: crossing.threshold,
        unit: crossing.resource === 'load' ? 'load per cpu' : 'percent',
      };
      if (crossing.path) resource.path = crossing.path;
      await this.deps.publish({ type: crossing.type, data: { resource, host: this.host }, source: 'monitor' });
    }
    return crossings;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.current;
  }
}

/**
 * The monitor's settings from the environment: HOOKFLOW_MONITOR=0 turns it off;
 * HOOKFLOW_MONITOR_INTERVAL (10s), HOOKFLOW_MONITOR_CPU (90), HOOKFLOW_MONITOR_MEMORY (90),
 * HOOKFLOW_MONITOR_DISK (90) in percent, HOOKFLOW_MONITOR_MARGIN (5 points),
 * HOOKFLOW_MONITOR_LOAD (2 per core), HOOKFLOW_MONITOR_LOAD_MARGIN (0.25),
 * HOOKFLOW_MONITOR_DISK_PATHS (paths joined by ":", default the home).
 */
export function monitorOptionsFromEnv(env: NodeJS.ProcessEnv, home: string): MonitorOptions {
  const number = (name: string, fallback: number, max: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0 || value > max) {
      throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `${name}="${text}" is not a number from 0 to ${max}`, { where: name });
    }
    return value;
  };
  let intervalMs = 10_000;
  if (env.HOOKFLOW_MONITOR_INTERVAL) {
    try {
      intervalMs = parseDuration(env.HOOKFLOW_MONITOR_INTERVAL, 'HOOKFLOW_MONITOR_INTERVAL');
    } catch (error) {
      throw new HookflowError('HF_ERR_INVALID_ARGUMENT', (error as Error).message, { where: 'HOOKFLOW_MONITOR_INTERVAL' });
    }
    if (intervalMs < 100) throw new HookflowError('HF_ERR_INVALID_ARGUMENT', 'HOOKFLOW_MONITOR_INTERVAL is under 100ms', { hint: 'sample every few seconds, like 10s' });
  }
  const margin = number('HOOKFLOW_MONITOR_MARGIN', 5, 100);
  const paths = (env.HOOKFLOW_MONITOR_DISK_PATHS ?? '').split(':').filter((path) => path.length > 0);
  return {
    enabled: env.HOOKFLOW_MONITOR !== '0',
    intervalMs,
    cpu: { threshold: number('HOOKFLOW_MONITOR_CPU', 90, 100), margin },
    memory: { threshold: number('HOOKFLOW_MONITOR_MEMORY', 90, 100), margin },
    disk: { threshold: number('HOOKFLOW_MONITOR_DISK', 90, 100), margin },
    load: { threshold: number('HOOKFLOW_MONITOR_LOAD', 2, 1000), margin: number('HOOKFLOW_MONITOR_LOAD_MARGIN', 0.25, 1000) },
    diskPaths: paths.length > 0 ? paths : [home],
  };
}
