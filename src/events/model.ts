/** The event: the one thing every face of hookflow produces and every trigger matches. */
export type EventStatus = 'pending' | 'processing' | 'completed' | 'failed';

export const EVENT_STATUSES: readonly EventStatus[] = ['pending', 'processing', 'completed', 'failed'];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface EventRecord {
  id: string;
  type: string;
  stack: string | null;
  source: string;
  data: JsonObject;
  status: EventStatus;
  attempts: number;
  error: string | null;
  /** epoch milliseconds */
  created_at: number;
  processed_at: number | null;
  correlation_id: string | null;
  idempotency_key: string | null;
  /** The event this one was dispatched from (by a hook's event.dispatch) or replayed from. */
  parent_id: string | null;
}

/** What a publisher supplies; the rest is filled in by the store. */
export interface NewEvent {
  type: string;
  data?: JsonObject;
  stack?: string | null;
  source?: string;
  correlation_id?: string | null;
  idempotency_key?: string | null;
  parent_id?: string | null;
}

export interface HookExecutionRecord {
  id?: number;
  event_id: string;
  hook_name: string;
  success: boolean;
  output: string;
  error: string | null;
  duration_ms: number;
  /** epoch milliseconds */
  executed_at: number;
  attempt: number;
}
