import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HookflowError } from '../../errors.js';
import type { AllocationRecord, AllocationState, WorkflowStore } from '../../store/workflows.js';
import type { SlurmSchedulerModel } from '../model.js';
import { allocationStateOf, type SlurmClient } from './client.js';
import { renderSbatchScript, STORE_URL_ENV } from './script.js';

/**
 * The schedule_nodes action: submit Slurm allocations whose workers join a workflow, follow their
 * states in the store, cancel them. The store is the record of every allocation (id = Slurm's job
 * id); Slurm is only asked.
 */

export type AllocationStore = Pick<WorkflowStore, 'createAllocation' | 'updateAllocation' | 'listAllocations'>;

export interface AllocationDeps {
  store: AllocationStore;
  client: SlurmClient;
  now: () => number;
}

export interface ScheduleDeps extends AllocationDeps {
  /** The store the workers open (HOOKFLOW_STORE); may hold a password, so it goes only into sbatch's environment. */
  storeUrl: string;
  /** How to start hookflow on a node, e.g. ['node', '/abs/bin/hookflow.js']. */
  workerCommand: readonly string[];
}

export interface ScheduleNodesRequest {
  workflowId: string;
  actionIndex: number | null;
  scheduler: SlurmSchedulerModel;
  numAllocations: number;
  startOneWorkerPerNode: boolean;
  maxParallelJobs: number | null;
  /** The workflow's output directory: scripts and Slurm's logs go to `<outputDir>/slurm/`. */
  outputDir: string;
}

/** Allocations that have not ended. */
export const UNFINISHED_ALLOCATION_STATES: readonly AllocationState[] = ['queued', 'running'];
const TERMINAL: readonly AllocationState[] = ['completed', 'failed', 'canceled'];
/** More than any workflow has; listAllocations needs a limit. */
const LIST_LIMIT = 100_000;
export const MAX_ALLOCATIONS_PER_ACTION = 1000;

/**
 * Renders one script (mode 0600) and submits it numAllocations times, recording each allocation
 * queued as soon as Slurm gave its id. When a submission fails, the ones before it stay recorded
 * (and running) and the error says how many were submitted.
 */
export async function scheduleNodes(deps: ScheduleDeps, request: ScheduleNodesRequest): Promise<AllocationRecord[]> {
  const count = request.numAllocations;
  if (!Number.isInteger(count) || count < 1 || count > MAX_ALLOCATIONS_PER_ACTION) {
    throw new HookflowError('HF_ERR_INVALID_WORKFLOW', `num_allocations must be an integer from 1 to ${MAX_ALLOCATIONS_PER_ACTION}, not ${String(count)}`, {
      where: 'num_allocations',
    });
  }
  if (deps.storeUrl.trim() === '') {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', 'schedule_nodes needs the store URL the workers should open', { where: STORE_URL_ENV });
  }
  const dir = join(request.outputDir, 'slurm');
  const script = renderSbatchScript({
    workflowId: request.workflowId,
    scheduler: request.scheduler,
    startOneWorkerPerNode: request.startOneWorkerPerNode,
    maxParallelJobs: request.maxParallelJobs,
    workerCommand: deps.workerCommand,
    outputDir: dir,
    jobName: `hookflow-${request.workflowId}`,
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const submittedAt = deps.now();
  const action = request.actionIndex === null ? 'manual' : `action-${request.actionIndex}`;
  const scriptPath = join(dir, `${fileSafe(request.workflowId)}-${action}-${submittedAt}.sbatch`);
  await writeFile(scriptPath, script, { mode: 0o600 });
  // writeFile's mode applies only to a new file.
  await chmod(scriptPath, 0o600);

  const records: AllocationRecord[] = [];
  for (let i = 0; i < count; i += 1) {
    let id: string;
    try {
      id = await deps.client.submit(scriptPath, { [STORE_URL_ENV]: deps.storeUrl });
    } catch (error) {
      if (records.length === 0) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new HookflowError('HF_ERR_SLURM', `submitted ${records.length} of ${count} allocations, then: ${reason}`, {
        where: scriptPath,
        submitted: records.map((record) => record.id),
      });
    }
    const now = deps.now();
    const record: AllocationRecord = {
      id,
      workflow_id: request.workflowId,
      action_index: request.actionIndex,
      scheduler: request.scheduler.name,
      state: 'queued',
      native_state: null,
      nodes: request.scheduler.nodes,
      script_path: scriptPath,
      submitted_at: now,
      updated_at: now,
    };
    await deps.store.createAllocation(record);
    records.push(record);
  }
  return records;
}

/**
 * Asks Slurm for the states of the unfinished allocations (of one workflow, or all) and stores
 * them. Returns the allocations whose state changed, as stored now.
 */
export async function refreshAllocations(deps: AllocationDeps, workflowId?: string): Promise<AllocationRecord[]> {
  const unfinished = await deps.store.listAllocations({ workflow_id: workflowId, states: UNFINISHED_ALLOCATION_STATES, limit: LIST_LIMIT });
  return applyStates(deps, unfinished, null);
}

export interface CancelAllocationsRequest {
  workflowId?: string;
  /** Only these allocations (Slurm job ids); others of the workflow are left alone. */
  ids?: readonly string[];
  /** Only allocations still waiting in the queue (a workflow that completed); else running ones too. */
  onlyQueued: boolean;
}

/**
 * Cancels the matching unfinished allocations with scancel, then records what Slurm says of them:
 * an allocation that ended before the cancel keeps its own end; one still pending or running is
 * recorded canceled (Slurm ends it). Returns the allocations whose state changed.
 */
export async function cancelAllocations(deps: AllocationDeps, request: CancelAllocationsRequest): Promise<AllocationRecord[]> {
  const states: readonly AllocationState[] = request.onlyQueued ? ['queued'] : UNFINISHED_ALLOCATION_STATES;
  const wanted = request.ids ? new Set(request.ids) : null;
  const targets = (await deps.store.listAllocations({ workflow_id: request.workflowId, states, limit: LIST_LIMIT })).filter(
    (allocation) => wanted === null || wanted.has(allocation.id),
  );
  if (targets.length === 0) return [];
  await deps.client.cancel(targets.map((allocation) => allocation.id));
  return applyStates(deps, targets, 'canceled');
}

/**
 * Stores Slurm's answer for each allocation. `unfinishedBecomes` replaces a state that is not an
 * end (the cancel path: scancel was sent, Slurm only has not finished it yet).
 */
async function applyStates(deps: AllocationDeps, allocations: readonly AllocationRecord[], unfinishedBecomes: AllocationState | null): Promise<AllocationRecord[]> {
  if (allocations.length === 0) return [];
  const natives = await deps.client.states(allocations.map((allocation) => allocation.id));
  const changed: AllocationRecord[] = [];
  for (const allocation of allocations) {
    const native = natives.get(allocation.id) ?? null;
    let state = (native === null ? null : allocationStateOf(native)) ?? allocation.state;
    if (unfinishedBecomes !== null && !TERMINAL.includes(state)) state = unfinishedBecomes;
    if (state === allocation.state && native === allocation.native_state) continue;
    const updated = await deps.store.updateAllocation(allocation.id, state, native ?? allocation.native_state, deps.now());
    if (updated && state !== allocation.state) changed.push(updated);
  }
  return changed;
}

function fileSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80) || 'workflow';
}
