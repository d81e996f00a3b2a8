/**
 * Keeping a workflow page current: the live stream's `job.*`, `step.*`, `workflow.*` and
 * `action.*` events (of one workflow, or of any) ask for a refresh, bursts coalesced into one;
 * without the stream (polling, or still connecting) the page asks every 2 s while `active`.
 */
import { useEventRefresh } from '../live-refresh.js';

const WORKFLOW_EVENT = /^(job|step|workflow|action)\./;

/** Whether a stream event is about `workflowId` (any workflow when null). */
export function isWorkflowEvent(event: { type: string; data: Record<string, unknown> }, workflowId: string | null): boolean {
  if (!WORKFLOW_EVENT.test(event.type)) return false;
  return workflowId === null || event.data.workflow_id === workflowId;
}

/**
 * Calls `refresh` after workflow events (at most one call per `gapMs`, the last burst never
 * dropped) and every POLL_MS while the stream is not live and `active` holds.
 */
export function useWorkflowRefresh(workflowId: string | null, refresh: () => Promise<unknown> | void, options: { active: boolean; gapMs?: number }): void {
  useEventRefresh((event) => isWorkflowEvent(event, workflowId), refresh, { active: options.active, gapMs: options.gapMs ?? 150 }, [workflowId]);
}
