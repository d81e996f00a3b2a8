import type { EventRecord, HookExecutionRecord } from './events/model.js';
import type { EventWithExecutions } from './events/service.js';
import type { HookRecord } from './hooks/model.js';

/**
 * Records as JSON, the one shape the CLI's --json and the HTTP API share: the records' own field
 * names, timestamps as ISO-8601.
 */

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export interface ExecutionJson {
  event_id?: string;
  hook_name: string;
  success: boolean;
  output: string;
  error: string | null;
  duration_ms: number;
  executed_at: string | null;
  attempt: number;
}

export function executionJson(execution: HookExecutionRecord, withEventId = false): ExecutionJson {
  return {
    ...(withEventId ? { event_id: execution.event_id } : {}),
    hook_name: execution.hook_name,
    success: execution.success,
    output: execution.output,
    error: execution.error,
    duration_ms: execution.duration_ms,
    executed_at: iso(execution.executed_at),
    attempt: execution.attempt,
  };
}

export type EventJson = Omit<EventRecord, 'created_at' | 'processed_at'> & { created_at: string | null; processed_at: string | null };
export type EventWithExecutionsJson = EventJson & { executions: ExecutionJson[] };
export type HookJson = Omit<HookRecord, 'created_at' | 'updated_at' | 'last_run'> & { created_at: string | null; updated_at: string | null; last_run: string | null };

export function eventJson(event: EventRecord): EventJson {
  return {
    id: event.id,
    type: event.type,
    stack: event.stack,
    source: event.source,
    status: event.status,
    data: event.data,
    error: event.error,
    attempts: event.attempts,
    created_at: iso(event.created_at),
    processed_at: iso(event.processed_at),
    correlation_id: event.correlation_id,
    idempotency_key: event.idempotency_key,
    parent_id: event.parent_id,
  };
}

export function eventWithExecutionsJson(event: EventWithExecutions): EventWithExecutionsJson {
  return { ...eventJson(event), executions: event.executions.map((execution) => executionJson(execution)) };
}

export function hookJson(hook: HookRecord): HookJson {
  return {
    ...hook,
    created_at: iso(hook.created_at),
    updated_at: iso(hook.updated_at),
    last_run: iso(hook.last_run),
  };
}


// ── and back: what a remote CLI receives, as records again ──────────────────────────────────────

function ms(value: string | null | undefined): number | null {
  return value === null || value === undefined ? null : Date.parse(value);
}

export function eventFromJson(json: EventJson): EventRecord {
  return { ...json, created_at: ms(json.created_at) ?? 0, processed_at: ms(json.processed_at) };
}

export function executionFromJson(json: ExecutionJson, eventId = json.event_id ?? ''): HookExecutionRecord {
  return {
    event_id: eventId,
    hook_name: json.hook_name,
    success: json.success,
    output: json.output,
    error: json.error,
    duration_ms: json.duration_ms,
    executed_at: ms(json.executed_at) ?? 0,
    attempt: json.attempt,
  };
}

export function eventWithExecutionsFromJson(json: EventWithExecutionsJson): EventWithExecutions {
  return { ...eventFromJson(json), executions: json.executions.map((execution) => executionFromJson(execution, json.id)) };
}

export function hookFromJson(json: HookJson): HookRecord {
  return { ...json, created_at: ms(json.created_at) ?? 0, updated_at: ms(json.updated_at) ?? 0, last_run: ms(json.last_run) };
}
