import type { JsonObject } from '../events/model.js';

/**
 * Where an incoming event carries the external workflow id that finds its parked step, in the
 * order BudPipeline looks (REFERENCE.md): the first path holding a usable id wins.
 */
export const WORKFLOW_ID_PATHS: ReadonlyArray<readonly string[]> = [
  ['workflow_id'],
  ['payload', 'workflow_id'],
  ['notification_metadata', 'workflow_id'],
  ['payload', 'content', 'result', 'workflow_id'],
];

/** Longest id taken as a correlation id; anything longer is not an id. */
const MAX_ID_LENGTH = 512;

function at(data: JsonObject, path: readonly string[]): unknown {
  let node: unknown = data;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * The workflow id of an event's data, or null. A non-empty string counts, and so does a finite
 * number (as text: `{"workflow_id": 42}` matches a step waiting on "42"); anything else (empty,
 * null, an object) is skipped and the next path is tried, as BudPipeline's `or` chain does.
 */
export function workflowIdOf(data: JsonObject | null | undefined): string | null {
  if (!data) return null;
  for (const path of WORKFLOW_ID_PATHS) {
    const value = at(data, path);
    if (typeof value === 'string' && value.trim() !== '' && value.length <= MAX_ID_LENGTH) return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return null;
}

/**
 * The event with its correlation id set from its workflow id when the publisher gave none, so
 * parked steps find their events through the events table's correlation index.
 */
export function withWorkflowCorrelation<T extends { data?: JsonObject; correlation_id?: string | null }>(event: T): T & { correlation_id?: string | null } {
  if (event.correlation_id) return event;
  const id = workflowIdOf(event.data);
  return id === null ? event : { ...event, correlation_id: id };
}
