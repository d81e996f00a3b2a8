import type { JsonObject, JsonValue } from '../events/model.js';
import type { WaitRecord } from '../store/waits.js';
import type { EventResult } from './model.js';

/**
 * The pure rules of parked steps: what an onEvent answer means, when a timer is due, what the
 * step.* events say. The router (waits.ts) applies them to the store.
 */

/** What the router does with one onEvent answer. */
export type EventDecision =
  | { kind: 'complete'; status: 'completed' | 'failed'; outputs: JsonObject; error: string | null }
  | { kind: 'progress'; progress: number | null; etaMinutes: number | null }
  | { kind: 'ignore' }
  | { kind: 'invalid'; problem: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an onEvent answer (REFERENCE.md's EventResult rules): `complete` with status completed
 * (default) or failed, its outputs merged over the parked ones; `update_progress` with progress
 * (0–100) or etaMinutes (≥ 0), at least one; `ignore`. Anything else is invalid, with the reason.
 */
export function decideEventResult(result: unknown, actionType: string, parkedOutputs: JsonObject): EventDecision {
  const subject = `${actionType}.onEvent`;
  if (!isObject(result)) return { kind: 'invalid', problem: `${subject} returned ${JSON.stringify(result) ?? 'nothing'}, not {action: complete | update_progress | ignore}` };
  const answer = result as Partial<EventResult>;
  switch (answer.action) {
    case 'ignore':
      return { kind: 'ignore' };
    case 'complete': {
      const status = answer.status ?? 'completed';
      if (status !== 'completed' && status !== 'failed') {
        return { kind: 'invalid', problem: `${subject} completed with status ${JSON.stringify(status)}: use completed or failed` };
      }
      if (answer.outputs !== undefined && !isObject(answer.outputs)) return { kind: 'invalid', problem: `${subject} gave outputs that are not an object` };
      const outputs: JsonObject = { ...parkedOutputs, ...(answer.outputs ?? {}) };
      const error = status === 'failed' ? (typeof answer.error === 'string' && answer.error !== '' ? answer.error : `${actionType} failed`) : null;
      return { kind: 'complete', status, outputs, error };
    }
    case 'update_progress': {
      const progress = answer.progress ?? null;
      const eta = answer.etaMinutes ?? null;
      if (progress === null && eta === null) return { kind: 'invalid', problem: `${subject} asked update_progress without progress or etaMinutes: give one of them` };
      if (progress !== null && (typeof progress !== 'number' || !Number.isFinite(progress) || progress < 0 || progress > 100)) {
        return { kind: 'invalid', problem: `${subject} gave progress ${JSON.stringify(progress)}: use a number from 0 to 100` };
      }
      if (eta !== null && (typeof eta !== 'number' || !Number.isFinite(eta) || eta < 0)) {
        return { kind: 'invalid', problem: `${subject} gave etaMinutes ${JSON.stringify(eta)}: use a number of minutes, 0 or more` };
      }
      return { kind: 'progress', progress, etaMinutes: eta };
    }
    default:
      return { kind: 'invalid', problem: `${subject} returned action ${JSON.stringify(answer.action) ?? 'undefined'}: use complete, update_progress or ignore` };
  }
}

/**
 * When a parked step wants a timer event (wait_until): its outputs name the timer by its
 * external workflow id (`timer_id`) and say when it is due (`scheduled_wake_time`, ISO 8601 or
 * epoch ms). Null for any other step.
 */
export function timerWakeAt(outputs: JsonObject, externalWorkflowId: string): number | null {
  if (outputs.timer_id !== externalWorkflowId) return null;
  const scheduled: JsonValue | undefined = outputs.scheduled_wake_time;
  const at = typeof scheduled === 'number' ? scheduled : typeof scheduled === 'string' ? Date.parse(scheduled) : Number.NaN;
  return Number.isFinite(at) ? at : null;
}

/** The event published when a timer is due: the type and data wait_until's onEvent expects. */
export const TIMER_EVENT_TYPE = 'timer.fired';

export function timerEventData(wait: WaitRecord): JsonObject {
  return { workflow_id: wait.correlation_id, wait_id: wait.id, action_type: wait.action_type };
}

export type StepEventType = 'step.completed' | 'step.failed' | 'step.timeout' | 'step.progress';

/** The step.* event for a wait that finished or progressed. */
export function stepEventType(wait: WaitRecord): StepEventType {
  if (wait.status === 'completed') return 'step.completed';
  if (wait.status === 'failed') return 'step.failed';
  if (wait.status === 'timeout') return 'step.timeout';
  return 'step.progress';
}

/**
 * The data of a step.* event, in the catalogue's shape (`{workflow_id, run_id, step_id, status,
 * outputs, progress, eta_minutes}`) plus what a hook needs to tell waits apart. `workflow_id` is
 * hookflow's own workflow (for a workflow-owned wait), never the external id: that one is
 * `external_workflow_id`, so a step event is never mistaken for the external service's answer.
 */
export function stepEventData(wait: WaitRecord): JsonObject {
  const metadata = wait.metadata;
  const text = (value: JsonValue | undefined): string | null => (typeof value === 'string' ? value : null);
  return {
    workflow_id: wait.owner_kind === 'workflow' ? wait.owner_id : text(metadata.workflow_id),
    run_id: text(metadata.run_id),
    step_id: text(metadata.step_id) ?? wait.id,
    wait_id: wait.id,
    action_type: wait.action_type,
    external_workflow_id: wait.correlation_id,
    owner_kind: wait.owner_kind,
    owner_id: wait.owner_id,
    status: wait.status,
    outputs: wait.outputs,
    progress: wait.progress,
    eta_minutes: wait.eta_minutes,
    error: wait.error,
  };
}
