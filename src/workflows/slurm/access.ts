import { fileURLToPath } from 'node:url';
import { access, constants } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import type { Store } from '../../store/store.js';
import type { AllocationRecord } from '../../store/workflows.js';
import type { ScheduleNodesRequest as ActionScheduleRequest } from '../actions.js';
import { cancelAllocations, refreshAllocations, scheduleNodes, type AllocationDeps } from './allocations.js';
import { SlurmCommandClient, type SlurmClient } from './client.js';

/**
 * Slurm for one engine: submits allocations whose workers open this engine's store, tracks and
 * cancels them. Null when sbatch is not on PATH, so a machine without Slurm still runs every
 * other kind of workflow (a schedule_nodes action then fails with a clear message).
 */
export interface SlurmAccess {
  schedule(request: ActionScheduleRequest): Promise<AllocationRecord[]>;
  cancel(query: { workflowId?: string; ids?: string[]; onlyQueued: boolean }): Promise<AllocationRecord[]>;
  refresh(workflowId?: string): Promise<AllocationRecord[]>;
}

export interface OpenSlurmOptions {
  store: Store;
  /** The store URL the allocations' workers open (`sqlite:/abs/path` or `postgres://…`). */
  storeUrl: string;
  client?: SlurmClient;
}

/** `node /abs/bin/hookflow.js`: how a node starts hookflow (same install, shared filesystem). */
export function hookflowCommand(): string[] {
  const bin = resolve(fileURLToPath(new URL('../../../bin/hookflow.js', import.meta.url)));
  return [process.execPath, bin];
}

async function onPath(program: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

export async function openSlurm(options: OpenSlurmOptions): Promise<SlurmAccess | null> {
  // A PATH lookup, not `sinfo`: every CLI command opens workflows, and a controller that is down
  // should fail the Slurm command that needs it, not slow everything else.
  if (!options.client && !(await onPath('sbatch'))) return null;
  const client = options.client ?? new SlurmCommandClient();
  // A relative SQLite path means nothing on a node: the workers need the absolute one.
  const storeUrl = options.storeUrl.startsWith('sqlite:') ? `sqlite:${resolve(options.storeUrl.slice('sqlite:'.length))}` : options.storeUrl;
  const deps: AllocationDeps = { store: options.store.workflows, client, now: () => Date.now() };
  const workerCommand = hookflowCommand();
  return {
    schedule: (request) => scheduleNodes({ ...deps, storeUrl, workerCommand }, request),
    cancel: (query) => cancelAllocations(deps, query),
    refresh: (workflowId) => refreshAllocations(deps, workflowId),
  };
}
