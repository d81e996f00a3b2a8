import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { NewEvent } from '../events/model.js';
import type { SourceRecord, SourceStore } from '../store/sources.js';
import { cronFor, validateScheduleConfig, type ScheduleConfig } from './config.js';
import { cronTicks, planTicks, type MissedTicks, type TickSource } from './schedule-plan.js';

export interface ScheduleRunnerOptions {
  sources: SourceStore;
  publish(event: NewEvent): Promise<unknown>;
  /** This server in the tick claims; unique per process by default. */
  owner?: string;
  /** A tick fired this late is still a firing; older unfired ticks are reported missed (default 5 s). */
  graceMs?: number;
  /** Claimed ticks older than this are pruned (default 1 h); a schedule's latest is always kept. */
  keepTicksMs?: number;
  /** How often ticks are pruned (default 10 min). */
  pruneEveryMs?: number;
  now?: () => number;
  onError?(error: unknown, schedule: string): void;
}

/** Longer waits are cut to this (setTimeout cannot wait past ~24.8 days); the schedule then plans again. */
const MAX_TIMER_MS = 3_600_000;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Runs every enabled schedule of the store. Each tick is claimed in the store before it is
 * published, so however many servers share the store each tick fires once. On start and for
 * every changed schedule, the ticks nobody fired while all servers were down are reported as one
 * schedule.missed (claimed too), and with catch_up run once.
 */
export class ScheduleRunner {
  readonly owner: string;
  readonly graceMs: number;
  private readonly slots = new Map<string, ScheduleSlot>();
  private pruneTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private reloading: Promise<void> = Promise.resolve();

  constructor(private readonly options: ScheduleRunnerOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.graceMs = options.graceMs ?? 5_000;
  }

  now(): number {
    return (this.options.now ?? Date.now)();
  }

  async start(): Promise<void> {
    await this.reload();
    const every = this.options.pruneEveryMs ?? 600_000;
    this.pruneTimer = setInterval(() => void this.prune(), every);
    this.pruneTimer.unref();
    await this.prune();
  }

  /**
   * Starts new and changed schedules (resolving once they have dealt with their missed ticks),
   * stops removed and disabled ones; unchanged ones keep running.
   */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.reconcile()).catch((error: unknown) => this.report(error, '*'));
    return this.reloading;
  }

  /** Names of the schedules running here. */
  running(): string[] {
    return [...this.slots.keys()].sort();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.reloading;
    await Promise.all([...this.slots.values()].map((slot) => slot.stop()));
    this.slots.clear();
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const records = (await this.options.sources.listSources('schedule')).filter((record) => record.enabled);
    const wanted = new Map(records.map((record) => [record.name, record]));
    for (const [name, slot] of this.slots) {
      const record = wanted.get(name);
      if (!record || slotKey(record) !== slot.key) {
        this.slots.delete(name);
        await slot.stop();
      }
    }
    const begun: Array<Promise<void>> = [];
    for (const record of records) {
      if (this.slots.has(record.name) || this.stopped) continue;
      let config: ScheduleConfig;
      let ticks: TickSource;
      try {
        config = validateScheduleConfig(record.config);
        ticks = cronTicks(cronFor(config.cron, config.timezone));
      } catch (error) {
        this.report(error, record.name);
        continue;
      }
      const slot = new ScheduleSlot(this, record, config, ticks);
      this.slots.set(record.name, slot);
      begun.push(slot.begin());
    }
    // Resolved once each new schedule has dealt with its missed and due ticks.
    await Promise.all(begun);
  }

  private async prune(): Promise<void> {
    const before = this.now() - (this.options.keepTicksMs ?? 3_600_000);
    for (const name of this.slots.keys()) {
      await this.options.sources.pruneScheduleTicks(name, before).catch((error: unknown) => this.report(error, name));
    }
  }

  /** @internal for ScheduleSlot */
  claim(name: string, tick: number): Promise<boolean> {
    return this.options.sources.claimScheduleTick(name, tick, this.owner);
  }

  /** @internal for ScheduleSlot */
  lastTick(name: string): Promise<number | null> {
    return this.options.sources.lastScheduleTick(name);
  }

  /** @internal for ScheduleSlot */
  publish(event: NewEvent): Promise<unknown> {
    return this.options.publish(event);
  }

  /** @internal for ScheduleSlot */
  report(error: unknown, schedule: string): void {
    if (this.options.onError) this.options.onError(error, schedule);
  }
}

function slotKey(record: SourceRecord): string {
  return `${record.updated_at}|${JSON.stringify(record.config)}`;
}

/** One running schedule: plans, claims and publishes its ticks, one step at a time. */
class ScheduleSlot {
  readonly key: string;
  private after = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly runner: ScheduleRunner,
    private readonly record: SourceRecord,
    private readonly config: ScheduleConfig,
    private readonly ticks: TickSource,
  ) {
    this.key = slotKey(record);
  }

  begin(): Promise<void> {
    this.current = this.step().catch((error: unknown) => this.failed(error));
    return this.current;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }

  private wake(): void {
    this.timer = null;
    this.current = this.step().catch((error: unknown) => this.failed(error));
  }

  /** Nothing is lost by a failed step: the next one plans from where this one started. */
  private failed(error: unknown): void {
    this.runner.report(error, this.record.name);
    if (!this.stopped && !this.timer) this.arm(this.runner.now() + 1_000);
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    if (this.after === Number.NEGATIVE_INFINITY) {
      // Ticks before the schedule was last saved (or enabled) were never its to fire.
      const last = await this.runner.lastTick(this.record.name);
      this.after = Math.max(last ?? Number.NEGATIVE_INFINITY, this.record.updated_at);
    }
    const now = this.runner.now();
    const plan = planTicks(this.ticks, this.after, now, { graceMs: this.runner.graceMs });
    if (plan.missed) await this.missed(plan.missed);
    for (const tick of plan.due) await this.fire(tick, false);
    this.after = Math.max(this.after, now);
    if (plan.next !== null) this.arm(plan.next);
  }

  private arm(at: number): void {
    if (this.stopped) return;
    const delay = Math.min(Math.max(0, at - this.runner.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private async fire(tick: number, catchUp: boolean): Promise<void> {
    if (this.stopped || !(await this.runner.claim(this.record.name, tick))) return;
    await this.runner.publish({
      type: this.config.event_type,
      stack: this.config.stack,
      source: `schedule:${this.record.name}`,
      idempotency_key: `schedule:${this.record.name}:${tick}`,
      data: { schedule: this.record.name, payload: this.config.payload, scheduled_at: iso(tick), catch_up: catchUp },
    });
  }

  /** Claimed under the last missed tick, so one server reports it, and no one once it is claimed. */
  private async missed(missed: MissedTicks): Promise<void> {
    if (this.stopped || !(await this.runner.claim(this.record.name, missed.last))) return;
    await this.runner.publish({
      type: 'schedule.missed',
      stack: this.config.stack,
      source: `schedule:${this.record.name}`,
      idempotency_key: `schedule.missed:${this.record.name}:${missed.last}`,
      data: {
        schedule: this.record.name,
        missed: missed.count,
        more: missed.more,
        first: iso(missed.first),
        last: iso(missed.last),
        scheduled_at: iso(missed.last),
        catch_up: this.config.catch_up,
      },
    });
    if (this.config.catch_up) {
      await this.runner.publish({
        type: this.config.event_type,
        stack: this.config.stack,
        source: `schedule:${this.record.name}`,
        idempotency_key: `schedule:${this.record.name}:${missed.last}`,
        data: { schedule: this.record.name, payload: this.config.payload, scheduled_at: iso(missed.last), catch_up: true },
      });
    }
  }
}
