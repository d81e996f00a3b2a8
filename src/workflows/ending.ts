import type { JsonObject } from '../events/model.js';
import type { Store } from '../store/store.js';
import type { WorkflowChange } from '../store/workflows.js';

/**
 * What happens once when a workflow ends, done by whoever made the change that ended it: a DAG's
 * `outputs` resolved from its steps' outputs, and its Slurm allocations still queued cancelled.
 */

export interface WorkflowEnding {
  /** Why the outputs could not be resolved, or null. */
  error: string | null;
}

export interface EndingHooks {
  cancelQueuedAllocations?: (workflowId: string) => Promise<unknown>;
}

export async function finishWorkflowExtras(store: Store, change: WorkflowChange, hooks: EndingHooks = {}): Promise<WorkflowEnding> {
  let error: string | null = null;
  // The record first: only a DAG has outputs, and a big Torc workflow's model is not worth loading.
  const workflow = await store.workflows.getWorkflow(change.workflow_id);
  const model = workflow?.format === 'dag' ? await store.workflows.getWorkflowModel(change.workflow_id) : null;
  if (model && workflow && Object.keys(model.outputs).length > 0) {
    const jobs = await store.workflows.listJobs(change.workflow_id, { offset: 0, limit: model.jobs.length });
    const stepOutputs: Record<string, JsonObject> = {};
    const statuses: Record<string, string> = {};
    for (const job of jobs) {
      const id = job.spec.step?.id ?? job.name;
      statuses[id] = job.status;
      if (job.outputs && job.status === 'completed') stepOutputs[id] = job.outputs;
    }
    const { resolveWorkflowOutputs } = await import('./execute/outputs.js');
    const resolved = resolveWorkflowOutputs(model, workflow.params, stepOutputs, statuses);
    error = resolved.error;
    await store.workflows.setWorkflowOutputs(change.workflow_id, resolved.outputs, resolved.error);
  }
  if (hooks.cancelQueuedAllocations) await hooks.cancelQueuedAllocations(change.workflow_id);
  return { error };
}
