import { mkdir } from 'node:fs/promises';
import { runDirectory } from './paths.js';
import type { JsonObject, JsonValue, NewEvent } from '../events/model.js';
import type { ActionServices } from '../actions/executor.js';
import type { ActionRegistry } from '../actions/registry.js';
import type { Store } from '../store/store.js';
import type { ClaimedAction } from '../store/workflows.js';
import type { SlurmSchedulerModel } from './model.js';

/**
 * Runs claimed workflow actions (the claim itself is the store's, atomic): `run_commands` in the
 * workflow's output directory with Torc's semantics, `schedule_nodes` through Slurm, or any typed
 * action with params templated over the workflow's context. A failure is recorded on the
 * execution and published as `action.failed`, and never changes the workflow.
 */

export interface ScheduleNodesRequest {
  workflowId: string;
  actionIndex: number;
  scheduler: SlurmSchedulerModel;
  numAllocations: number;
  startOneWorkerPerNode: boolean;
  maxParallelJobs: number | null;
  outputDir: string;
}

export interface WorkflowActionRunnerOptions {
  store: Store;
  publish: (event: NewEvent) => Promise<unknown>;
  actions: () => Promise<{ registry: ActionRegistry; services: ActionServices }>;
  /** Submits Slurm allocations (src/workflows/slurm/allocations.ts); null where Slurm is not set up. */
  scheduleNodes: ((request: ScheduleNodesRequest) => Promise<Array<{ id: string }>>) | null;
  /** Default time limit of an action. */
  timeoutSeconds?: number;
}

function asNumber(value: JsonValue | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export class WorkflowActionRunner {
  constructor(private readonly options: WorkflowActionRunnerOptions) {}

  async run(claimed: ClaimedAction, workerId: string): Promise<void> {
    const { store, publish } = this.options;
    const { action, workflow, execution } = claimed;
    const base: JsonObject = {
      workflow_id: workflow.id,
      run_id: execution.run,
      action_index: action.index,
      action_type: action.action_type,
      trigger_type: action.trigger_type,
      worker_id: workerId,
    };
    await publish({ type: 'action.started', data: base, source: 'workflow', correlation_id: workflow.id });
    let result: JsonObject | null = null;
    let error: string | null = null;
    try {
      result = await this.execute(claimed);
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    await store.workflows.finishActionExecution(execution.id, { success: error === null, result, error, now: Date.now() });
    await publish({
      type: error === null ? 'action.completed' : 'action.failed',
      data: error === null ? { ...base, result: result ?? {} } : { ...base, error },
      source: 'workflow',
      correlation_id: workflow.id,
    });
  }

  private async execute({ action, workflow, execution }: ClaimedAction): Promise<JsonObject> {
    const runDir = runDirectory(workflow.output_dir, execution.run);
    await mkdir(runDir, { recursive: true });
    const fields = action.fields;
    if (action.action_type === 'schedule_nodes') {
      if (!this.options.scheduleNodes) throw new Error('schedule_nodes needs Slurm, and this process has no Slurm client (is sbatch installed?)');
      const model = await this.options.store.workflows.getWorkflowModel(workflow.id);
      const name = typeof fields.scheduler === 'string' ? fields.scheduler : typeof fields.scheduler_name === 'string' ? fields.scheduler_name : '';
      const scheduler = model?.slurm_schedulers.find((entry) => entry.name === name);
      if (!scheduler) throw new Error(`schedule_nodes names scheduler "${name}", which the workflow's slurm_schedulers do not define`);
      const allocations = await this.options.scheduleNodes({
        workflowId: workflow.id,
        actionIndex: action.index,
        scheduler,
        numAllocations: Math.max(1, Math.floor(asNumber(fields.num_allocations, 1))),
        startOneWorkerPerNode: fields.start_one_worker_per_node === true,
        maxParallelJobs: typeof fields.max_parallel_jobs === 'number' ? fields.max_parallel_jobs : null,
        outputDir: runDir,
      });
      return { allocations: allocations.map((allocation) => allocation.id) };
    }
    const { registry, services } = await this.options.actions();
    // get() throws HF_ERR_UNKNOWN_ACTION, with the nearest known type, for a type no one registered.
    const definition = registry.get(action.action_type);
    const context = {
      params: workflow.params,
      vars: { workflow: { id: workflow.id, name: workflow.name, run: execution.run, output_dir: runDir, status: workflow.status } },
    };
    let params: JsonObject;
    if (action.action_type === 'run_commands') {
      const { commands, cwd, env } = fields;
      params = { commands: commands ?? [], cwd: typeof cwd === 'string' ? cwd : runDir };
      if (env !== undefined) params.env = env;
    } else {
      const given = fields.params;
      params = given && typeof given === 'object' && !Array.isArray(given) ? given : {};
    }
    // Loaded here: the executor and the template engine are only for workflows that have actions.
    const [{ runAction }, { renderParams }] = await Promise.all([import('../actions/executor.js'), import('../actions/templates.js')]);
    const outcome = await runAction({
      definition,
      params,
      render: (raw) => renderParams(raw, context, { where: `actions[${action.index}].params` }),
      services,
      executionId: execution.id,
      workflowParams: workflow.params,
      timeoutSeconds: typeof fields.timeout_seconds === 'number' ? fields.timeout_seconds : this.options.timeoutSeconds,
    });
    if (!outcome.success) throw new Error(outcome.error ?? `${action.action_type} failed`);
    return outcome.outputs;
  }
}
