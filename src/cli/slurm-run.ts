import type { Command } from 'commander';
import type { AllocationRecord } from '../store/workflows.js';
import { allocationJson } from '../workflows/views.js';
import type { CliSession } from './context.js';
import { formatTime, type Output } from './output.js';
import { UsageError } from './parse.js';

/** What the `hookflow slurm …` commands do (declared in slurm.ts). */

function printAllocations(out: Output, allocations: AllocationRecord[], empty: string): void {
  if (out.json) return out.data(allocations.map(allocationJson));
  if (allocations.length === 0) return out.line(empty);
  out.table(
    ['Allocation', 'Workflow', 'Action', 'Scheduler', 'State', 'Nodes', 'Submitted', 'Updated'],
    allocations.map((allocation) => [
      allocation.id,
      allocation.workflow_id,
      allocation.action_index ?? '-',
      allocation.scheduler,
      allocation.native_state && allocation.native_state.toLowerCase() !== allocation.state ? `${allocation.state} (${allocation.native_state})` : allocation.state,
      allocation.nodes,
      formatTime(allocation.submitted_at),
      formatTime(allocation.updated_at),
    ]),
  );
}

export async function list(session: CliSession, flags: { workflow?: string; limit?: number }, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    printAllocations(out, await services.workflows.allocations({ workflowId: flags.workflow, limit: flags.limit }), 'no allocations');
  });
}

export async function cancel(session: CliSession, ids: string[], flags: { workflow?: string }, command: Command): Promise<void> {
  if (ids.length === 0 && !flags.workflow) throw new UsageError('name the allocations to cancel', 'hookflow slurm cancel 12345, or hookflow slurm cancel --workflow ID');
  if (ids.length > 0 && flags.workflow) throw new UsageError('give allocation ids or --workflow, not both');
  await session.withServices(command, async (services, out) => {
    const canceled = await services.workflows.cancelAllocations(ids.length > 0 ? { ids } : { workflowId: flags.workflow });
    printAllocations(out, canceled, 'no allocation to cancel');
  });
}
