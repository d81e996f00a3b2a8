import type { Command } from 'commander';
import type { AllocationRecord } from '../store/workflows.js';
import { allocationJson } from '../workflows/views.js';
import type { CliSession } from './context.js';
import { formatTime, type Output } from './output.js';
import { positiveInt, UsageError } from './parse.js';

/** `hookflow slurm list|cancel`: the Slurm allocations schedule_nodes actions submitted. */

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

export function registerSlurmCommands(program: Command, session: CliSession): void {
  const slurm = program.command('slurm').description('Slurm allocations submitted by schedule_nodes workflow actions');

  slurm
    .command('list')
    .description('allocations with their states (refreshed from squeue/sacct when Slurm is here)')
    .option('--workflow <id>', "only this workflow's")
    .option('--limit <n>', 'at most this many (default 200)', positiveInt)
    .action(async (flags: { workflow?: string; limit?: number }, command: Command) => {
      await session.withServices(command, async (services, out) => {
        printAllocations(out, await services.workflows.allocations({ workflowId: flags.workflow, limit: flags.limit }), 'no allocations');
      });
    });

  slurm
    .command('cancel')
    .description('cancel allocations (scancel): the ones named, or every one of a workflow')
    .argument('[allocations...]', 'allocation (Slurm job) ids')
    .option('--workflow <id>', "every allocation of this workflow")
    .action(async (ids: string[], flags: { workflow?: string }, command: Command) => {
      if (ids.length === 0 && !flags.workflow) throw new UsageError('name the allocations to cancel', 'hookflow slurm cancel 12345, or hookflow slurm cancel --workflow ID');
      if (ids.length > 0 && flags.workflow) throw new UsageError('give allocation ids or --workflow, not both');
      await session.withServices(command, async (services, out) => {
        const canceled = await services.workflows.cancelAllocations(ids.length > 0 ? { ids } : { workflowId: flags.workflow });
        printAllocations(out, canceled, 'no allocation to cancel');
      });
    });
}
