import type { EventRecord } from '../../events/model.js';
import type { Store } from '../../store/store.js';
import { idFloor, idTime } from './event-ids.js';
import { walkDown } from './walk.js';

export interface TailOptions {
  /** How often the log is read while the tail runs. */
  pollMs: number;
  /**
   * How old an event must be before it is passed on in id order. An id is made before its event
   * is committed (group commit, other processes), so the newest ids may still have older
   * neighbours on their way; waiting this long puts almost every event in order.
   */
  settleMs: number;
  /**
   * How far behind the cursor the tail still looks for events committed later than `settleMs`
   * after their id was made. These are passed on out of order, without an SSE id.
   */
  lateMs: number;
  /** Rows read per poll at most; a burst above it is read in smaller time slices. */
  maxRowsPerPoll: number;
  pageSize: number;
}

export const DEFAULT_TAIL_OPTIONS: TailOptions = { pollMs: 250, settleMs: 250, lateMs: 3_000, maxRowsPerPoll: 5_000, pageSize: 500 };

export interface TailSink {
  /** `inOrder`: above every id passed on before (false: a late commit below the cursor). */
  published(event: EventRecord, inOrder: boolean): void;
  /** After every poll, passed or failed. */
  polled?(): void;
  error(error: unknown): void;
}

export interface TailPlan {
  /** Above the cursor, ascending. */
  inOrder: EventRecord[];
  /** At or below the cursor, above the late floor, not passed on before; ascending. */
  late: EventRecord[];
}

/** Sorts one read of the log into what is new in order and what arrived late. Pure. */
export function planTail(rows: readonly EventRecord[], cursor: string, seen: { has(id: string): boolean }, lateFloor: string): TailPlan {
  const inOrder: EventRecord[] = [];
  const late: EventRecord[] = [];
  for (const row of rows) {
    if (row.id > cursor) inOrder.push(row);
    else if (row.id > lateFloor && !seen.has(row.id)) late.push(row);
  }
  const ascending = (a: EventRecord, b: EventRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { inOrder: inOrder.sort(ascending), late: late.sort(ascending) };
}

/** Halvings of a burst's time slice before the tail reads the slice whole, whatever its size. */
const MAX_SLICE_HALVINGS = 10;

/**
 * One reader of the event log per server, shared by every stream client: it sees events from
 * every process on the store, this one included. The cursor is an id bound: every id at or
 * below it has been passed on. After each poll it is the floor of (now - settleMs).
 */
export class StoreTail {
  private readonly options: TailOptions;
  private cursorId = idFloor(0);
  /** The cursor when the tail started: nothing below it is ever reported late. */
  private startFloorMs = 0;
  /** Ids passed on within the late window, with their times, so a late sweep skips them. */
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  /** Bumped by start/stop so a poll that outlives a stop passes nothing on. */
  private generation = 0;
  private runningValue = false;

  constructor(
    private readonly store: Pick<Store, 'listEvents'>,
    private readonly sink: TailSink,
    options: Partial<TailOptions> = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_TAIL_OPTIONS, ...options };
  }

  get running(): boolean {
    return this.runningValue;
  }

  /** Every id at or below this has been passed on (or was history when the tail started). */
  get cursor(): string {
    return this.cursorId;
  }

  start(): void {
    if (this.runningValue) return;
    this.runningValue = true;
    this.generation += 1;
    this.startFloorMs = this.clock() - this.options.settleMs;
    this.cursorId = idFloor(this.startFloorMs);
    this.seen.clear();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.runningValue = false;
    this.generation += 1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.seen.clear();
    await this.inFlight;
  }

  /** Polls now (tests; the timer calls it too). Concurrent calls share one poll. */
  poll(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.readOnce()
        .catch((error: unknown) => this.sink.error(error))
        .finally(() => {
          this.inFlight = null;
          this.sink.polled?.();
        });
    }
    return this.inFlight;
  }

  private schedule(): void {
    if (!this.runningValue) return;
    const generation = this.generation;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll().finally(() => {
        if (generation === this.generation) this.schedule();
      });
    }, this.options.pollMs);
    this.timer.unref();
  }

  private async readOnce(): Promise<void> {
    if (!this.runningValue) return;
    const generation = this.generation;
    const { settleMs, lateMs, maxRowsPerPoll, pageSize } = this.options;
    const cursor = this.cursorId;
    const cursorMs = idTime(cursor);
    const lateFloorMs = Math.max(this.startFloorMs, cursorMs - lateMs);
    const lateFloor = idFloor(lateFloorMs);
    let upperMs = Math.max(cursorMs, this.clock() - settleMs);
    let rows: EventRecord[] = [];
    for (let halvings = 0; ; halvings += 1) {
      const whole = halvings >= MAX_SLICE_HALVINGS || upperMs - cursorMs <= 1;
      const walk = await walkDown(this.store, idFloor(upperMs), lateFloor, whole ? Number.POSITIVE_INFINITY : maxRowsPerPoll, pageSize);
      if (generation !== this.generation) return;
      rows = walk.rows;
      // The rows above the cursor come first: once the walk got below it, nothing new was missed.
      if (walk.complete || (rows.length > 0 && rows[rows.length - 1].id <= cursor)) break;
      upperMs = cursorMs + Math.floor((upperMs - cursorMs) / 2);
    }
    const plan = planTail(rows, cursor, this.seen, lateFloor);
    for (const event of plan.late) {
      this.seen.set(event.id, idTime(event.id));
      this.sink.published(event, false);
    }
    for (const event of plan.inOrder) {
      this.seen.set(event.id, idTime(event.id));
      this.sink.published(event, true);
    }
    this.cursorId = idFloor(upperMs);
    const keepFromMs = Math.max(this.startFloorMs, upperMs - lateMs);
    // Insertion order is nearly time order: stop at the first young id (a late old one behind it
    // goes once the ids before it have aged out).
    for (const [id, ms] of this.seen) {
      if (ms >= keepFromMs) break;
      this.seen.delete(id);
    }
  }
}
