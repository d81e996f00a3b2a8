import type { EventRecord, HookExecutionRecord } from '../../events/model.js';
import { eventJson, executionJson, iso } from '../../records-json.js';

/**
 * Server-Sent Events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 * Every frame is built once and written to every client that wants it. JSON.stringify never
 * emits a raw newline, so one `data:` line always carries the whole payload.
 */

export type LiveMessageName = 'event.published' | 'event.processed' | 'hook.started' | 'replay.truncated';

/** A frame with what the clients need to decide about it without parsing it again. */
export interface Frame {
  text: string;
  name: LiveMessageName;
  /** The event the frame is about (null for stream notices). */
  eventId: string | null;
  /**
   * True when the frame carries `id:` (an event.published in id order). Only these move a
   * client's Last-Event-ID, so a resume starts after the last of them.
   */
  withId: boolean;
}

export function sseText(name: string, data: unknown, id?: string): string {
  return `event: ${name}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** How long an EventSource waits before reconnecting. */
export function sseRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

export function publishedFrame(event: EventRecord, withId: boolean): Frame {
  return { text: sseText('event.published', eventJson(event), withId ? event.id : undefined), name: 'event.published', eventId: event.id, withId };
}

export function processedFrame(event: EventRecord, executions: readonly HookExecutionRecord[]): Frame {
  const data = { ...eventJson(event), executions: executions.map((execution) => executionJson(execution)) };
  return { text: sseText('event.processed', data), name: 'event.processed', eventId: event.id, withId: false };
}

export interface HookStart {
  eventId: string;
  hookName: string;
  /** epoch ms */
  startedAt: number;
}

export function hookStartedFrame(start: HookStart, event: { type: string; stack: string | null }): Frame {
  const data = { event_id: start.eventId, hook_name: start.hookName, started_at: iso(start.startedAt), event_type: event.type, stack: event.stack };
  return { text: sseText('hook.started', data), name: 'hook.started', eventId: start.eventId, withId: false };
}

/** Sent first on a resume that could not replay everything missed. */
export function truncatedFrame(lastEventId: string, replayed: number, limit: number): Frame {
  const data = { last_event_id: lastEventId, replayed, limit, hint: 'older events were skipped: list them with GET /events' };
  return { text: sseText('replay.truncated', data), name: 'replay.truncated', eventId: null, withId: false };
}
