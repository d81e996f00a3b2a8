import type { NewEvent } from '../events/model.js';
import type { Store } from '../store/store.js';
import type { WorkflowChange } from '../store/workflows.js';
import { finishWorkflowExtras, type EndingHooks } from './ending.js';
import { changeEvents, type WorkflowIdentity } from './events.js';
import { isWorkflowEnded } from './job-states.js';

/**
 * Publishes the events of the changes store calls report, for the worker and the service alike;
 * a change that ends a workflow first gets its ending done (DAG outputs, queued allocations
 * cancelled), so `workflow.completed` is published with the outputs already stored.
 */
export class ChangePublisher {
  private readonly names = new Map<string, WorkflowIdentity>();

  constructor(
    private readonly store: Store,
    private readonly publishEvent: (event: NewEvent) => Promise<unknown>,
    private readonly ending: EndingHooks = {},
  ) {}

  async publish(change: WorkflowChange): Promise<void> {
    const identity = await this.identity(change.workflow_id);
    let error: string | null = null;
    if (change.workflow && isWorkflowEnded(change.workflow.to)) {
      error = (await finishWorkflowExtras(this.store, change, this.ending)).error;
      this.names.delete(change.workflow_id);
    }
    await Promise.all(changeEvents(identity, change, error).map((event) => this.publishEvent(event)));
  }

  private async identity(workflowId: string): Promise<WorkflowIdentity> {
    const known = this.names.get(workflowId);
    if (known) return known;
    const workflow = await this.store.workflows.getWorkflow(workflowId);
    const identity = { id: workflowId, name: workflow?.name ?? workflowId };
    if (this.names.size > 1000) this.names.clear();
    this.names.set(workflowId, identity);
    return identity;
  }
}
