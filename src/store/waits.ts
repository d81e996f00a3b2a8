import type { JsonObject } from '../events/model.js';

/**
 * Parked steps: an event-driven action that answered `awaitingEvent` waits here, in the store, for
 * an event carrying its correlation id (the external workflow id), until its deadline. Waits
 * survive restarts and are shared by every process on the store; src/actions/waits.ts routes
 * events to them. Every transition is one atomic statement guarded by `status = 'waiting'`, so two
 * processes can never both finish one wait.
 */

export const WAIT_STATUSES = ['waiting', 'completed', 'failed', 'timeout'] as const;
export type WaitStatus = (typeof WAIT_STATUSES)[number];

/** Who parked a wait: a hook execution, the CLI, the API, a workflow step… Kept open on purpose. */
export type WaitOwnerKind = 'hook' | 'cli' | 'api' | 'workflow' | (string & {});

export interface WaitRecord {
  id: string;
  action_type: string;
  /** The external workflow id events must carry. */
  correlation_id: string;
  owner_kind: WaitOwnerKind;
  /** The owner's own id (hook name + event id, a run id…), or null. */
  owner_id: string | null;
  /** The params the action ran with (resolved). */
  params: JsonObject;
  /** The outputs it had when it parked; replaced by the final ones when it completes. */
  outputs: JsonObject;
  /** Free-form data of the owner (step id, run id…), handed back untouched. */
  metadata: JsonObject;
  status: WaitStatus;
  /** epoch ms: the wait times out after this. */
  deadline: number;
  /** epoch ms: when a timer event is due (wait_until), or null. */
  wake_at: number | null;
  /** 0–100, from the last update_progress. */
  progress: number | null;
  eta_minutes: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

/** How an event delivered to a wait was handled, recorded with its (wait, event) pair. */
export type WaitEventOutcome = 'complete' | 'update_progress' | 'ignore' | 'invalid' | 'error';

/** The (wait, event) pair a transition comes from: marked handled in the same statement. */
export interface HandledPair {
  event_id: string;
  outcome: WaitEventOutcome;
}

export interface WaitEnd {
  status: 'completed' | 'failed';
  outputs: JsonObject;
  error: string | null;
}

export interface WaitProgress {
  /** null keeps the previous value. */
  progress: number | null;
  eta_minutes: number | null;
}

export interface WaitQuery {
  status?: WaitStatus;
  owner_kind?: string;
  owner_id?: string;
  correlation_id?: string;
  limit: number;
}

export interface PendingPairQuery {
  /** Events created this long before a wait was parked still reach it (no lost races). */
  lookbackMs: number;
  /**
   * Events created before this (epoch ms) were already considered for waits parked before it:
   * only later ones are looked at for those. 0 looks at everything in the lookback window.
   */
  since: number;
  /** A claim whose lease ran out before this is free again. */
  now: number;
  limit: number;
}

export interface WaitStore {
  /**
   * Parks a wait (status waiting). `ignoreEvents` are marked handled at once, in the same
   * transaction: the event that made a hook run carries the id too, but is not its answer.
   */
  createWait(wait: WaitRecord, options?: { ignoreEvents?: readonly string[] }): Promise<void>;
  getWait(id: string): Promise<WaitRecord | null>;
  /** Newest first. */
  listWaits(query: WaitQuery): Promise<WaitRecord[]>;
  /** Whether any wait is waiting: the router polls only while one is. */
  hasWaiting(): Promise<boolean>;
  /**
   * (wait, event) pairs to deliver, oldest event first: waiting waits and the events carrying
   * their correlation id, created at most lookbackMs before the wait was parked, that no one has
   * handled and no one holds a live claim on.
   */
  pendingPairs(query: PendingPairQuery): Promise<Array<{ wait_id: string; event_id: string }>>;
  /**
   * Claims one pair for `owner` until now+leaseMs: true for exactly one caller, unless its claim
   * expires unhandled (the owner died), when another may claim it. False once the wait stopped
   * waiting.
   */
  claimPair(waitId: string, eventId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Marks a pair handled without changing the wait (ignore, an invalid answer), claimed or not. */
  markHandled(waitId: string, pair: HandledPair): Promise<void>;
  /** Ends a waiting wait; null when it was not waiting (someone else ended it). */
  finishWait(id: string, end: WaitEnd, pair?: HandledPair): Promise<WaitRecord | null>;
  /** Records progress on a waiting wait; null when it was not waiting. */
  updateProgress(id: string, progress: WaitProgress, pair?: HandledPair): Promise<WaitRecord | null>;
  /** Marks waiting waits past their deadline TIMEOUT; returns those this call timed out. */
  expireWaits(now: number, limit: number): Promise<WaitRecord[]>;
  /**
   * Takes waits whose timer is due: returns them and moves their wake_at to now+retryMs, so a
   * timer whose event was never published (the process died) fires again.
   */
  takeDueTimers(now: number, retryMs: number, limit: number): Promise<WaitRecord[]>;
  /** Deletes finished waits last updated before `before` (epoch ms); returns how many. */
  deleteWaitsBefore(before: number): Promise<number>;
}
