import type { JsonObject, NewEvent } from '../events/model.js';
import type { JobStatus, JobTransition, WorkflowChange, WorkflowStatus } from '../store/workflows.js';

/**
 * One event per transition a store call made (src/store/workflows.ts WorkflowChange): `job.*` for
 * Torc jobs, `step.*` for DAG steps, `workflow.*` for the run. Pure, so the mapping is tested as a
 * table and every face (worker, service) publishes the same events for the same change.
 */

export interface WorkflowIdentity {
  id: string;
  name: string;
}

const JOB_EVENT: Partial<Record<JobStatus, string>> = {
  ready: 'ready',
  running: 'started',
  completed: 'completed',
  failed: 'failed',
  timeout: 'failed',
  terminated: 'failed',
  retrying: 'retrying',
  canceled: 'canceled',
  skipped: 'skipped',
  disabled: 'skipped',
};

const STEP_EVENT: Partial<Record<JobStatus, string>> = {
  ready: 'ready',
  running: 'started',
  completed: 'completed',
  failed: 'failed',
  terminated: 'failed',
  timeout: 'timeout',
  retrying: 'retrying',
  canceled: 'canceled',
  skipped: 'skipped',
};

const WORKFLOW_EVENT: Record<WorkflowStatus, string> = {
  running: 'workflow.started',
  completed: 'workflow.completed',
  failed: 'workflow.failed',
  canceled: 'workflow.cancelled',
};

/** The event type of a job's transition, or null for transitions nobody reacts to (blocked…). */
export function jobEventType(transition: Pick<JobTransition, 'to' | 'step_id'>): string | null {
  const suffix = (transition.step_id === null ? JOB_EVENT : STEP_EVENT)[transition.to];
  if (!suffix) return null;
  return `${transition.step_id === null ? 'job' : 'step'}.${suffix}`;
}

function jobData(workflow: WorkflowIdentity, run: number, transition: JobTransition): JsonObject {
  const data: JsonObject = {
    workflow_id: workflow.id,
    workflow_name: workflow.name,
    run_id: run,
    job_name: transition.name,
    job_id: transition.index,
    status: transition.to,
    previous_status: transition.from,
    exit_code: transition.exit_code,
    attempt: transition.attempts,
    worker_id: transition.worker_id,
  };
  if (transition.step_id !== null) data.step_id = transition.step_id;
  if (transition.error !== null) data.error = transition.error;
  return data;
}

/** The events of one change, in the order its transitions happened; the workflow's own last. */
export function changeEvents(workflow: WorkflowIdentity, change: WorkflowChange, error: string | null = null): NewEvent[] {
  const events: NewEvent[] = [];
  for (const transition of change.jobs) {
    const type = jobEventType(transition);
    if (!type) continue;
    events.push({ type, data: jobData(workflow, change.run, transition), source: 'workflow', correlation_id: workflow.id });
  }
  if (change.workflow) {
    const data: JsonObject = { workflow_id: workflow.id, run_id: change.run, name: workflow.name, status: change.workflow.to };
    if (change.workflow.from !== null) data.previous_status = change.workflow.from;
    if (error !== null) data.error = error;
    events.push({ type: WORKFLOW_EVENT[change.workflow.to], data, source: 'workflow', correlation_id: workflow.id });
  }
  return events;
}
