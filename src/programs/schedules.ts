import { cronFor } from '../sources/config.js';
import type { SourceStore } from '../store/sources.js';
import type { ProgramDefinition } from './model.js';

/**
 * Programs' `schedule:` (cron + timezone + parameters), run by hookflow itself: no crontab, no
 * client script. Each tick is claimed in the store before the execution is submitted (the same
 * claim schedules of the sources use), so however many servers share the store, a tick runs the
 * program once. Ticks missed while every server was down are not run afterwards.
 */

export interface ProgramSchedulerOptions {
  sources: Pick<SourceStore, 'claimScheduleTick'>;
  owner: string;
  submit(program: ProgramDefinition, parameters: Record<string, string>): Promise<unknown>;
  now?: () => number;
  onError?(error: unknown, programId: string): void;
}

/** Longer waits are cut to this (setTimeout cannot wait past ~24.8 days); the program then plans again. */
const MAX_TIMER_MS = 3_600_000;

/** The name a program's ticks are claimed under, apart from the sources' schedules. */
export function tickName(program: Pick<ProgramDefinition, 'id'>): string {
  return `program:${program.id}`;
}

interface Planned {
  signature: string;
  timer: NodeJS.Timeout | null;
}

export class ProgramScheduler {
  private readonly planned = new Map<string, Planned>();
  private stopped = false;

  constructor(private readonly options: ProgramSchedulerOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Plans the enabled programs' schedules; unchanged ones keep their timers. */
  update(programs: readonly ProgramDefinition[]): void {
    if (this.stopped) return;
    const wanted = new Map<string, ProgramDefinition>();
    for (const program of programs) if (program.enabled && program.schedule) wanted.set(program.id, program);
    for (const [id, planned] of this.planned) {
      const program = wanted.get(id);
      if (!program || signatureOf(program) !== planned.signature) {
        if (planned.timer) clearTimeout(planned.timer);
        this.planned.delete(id);
      }
    }
    for (const [id, program] of wanted) {
      if (this.planned.has(id)) continue;
      const planned: Planned = { signature: signatureOf(program), timer: null };
      this.planned.set(id, planned);
      this.plan(program, planned, this.now());
    }
  }

  /** The next tick of each scheduled program (epoch ms), for views. */
  nextRuns(programs: readonly ProgramDefinition[]): Record<string, number | null> {
    const next: Record<string, number | null> = {};
    for (const program of programs) {
      if (!program.schedule) continue;
      next[program.id] = cronFor(program.schedule.cron, program.schedule.timezone).nextRun(new Date(this.now()))?.getTime() ?? null;
    }
    return next;
  }

  stop(): void {
    this.stopped = true;
    for (const planned of this.planned.values()) if (planned.timer) clearTimeout(planned.timer);
    this.planned.clear();
  }

  private plan(program: ProgramDefinition, planned: Planned, after: number): void {
    const schedule = program.schedule!;
    const next = cronFor(schedule.cron, schedule.timezone).nextRun(new Date(after))?.getTime() ?? null;
    if (next === null || this.stopped) return;
    const wait = next - this.now();
    planned.timer = setTimeout(
      () => {
        if (this.planned.get(program.id) !== planned) return;
        if (wait > MAX_TIMER_MS) {
          this.plan(program, planned, after);
          return;
        }
        void this.fire(program, next).finally(() => {
          if (this.planned.get(program.id) === planned) this.plan(program, planned, next);
        });
      },
      Math.max(0, Math.min(wait, MAX_TIMER_MS)),
    );
    planned.timer.unref();
  }

  private async fire(program: ProgramDefinition, tickAt: number): Promise<void> {
    try {
      if (!(await this.options.sources.claimScheduleTick(tickName(program), tickAt, this.options.owner))) return;
      await this.options.submit(program, program.schedule?.parameters ?? {});
    } catch (error) {
      this.options.onError?.(error, program.id);
    }
  }
}

function signatureOf(program: ProgramDefinition): string {
  return JSON.stringify(program.schedule);
}
