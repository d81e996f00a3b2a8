import type { Command } from 'commander';
import type { CliSession } from './context.js';
import { positiveInt } from './parse.js';

const run = () => import('./slurm-run.js');

/** `hookflow slurm list|cancel`: the Slurm allocations schedule_nodes actions submitted. */
export function registerSlurmCommands(program: Command, session: CliSession): void {
  const slurm = program.command('slurm').description('Slurm allocations submitted by schedule_nodes workflow actions');

  slurm
    .command('list')
    .description('allocations with their states (refreshed from squeue/sacct when Slurm is here)')
    .option('--workflow <id>', "only this workflow's")
    .option('--limit <n>', 'at most this many (default 200)', positiveInt)
    .action(async (flags: { workflow?: string; limit?: number }, command: Command) => (await run()).list(session, flags, command));

  slurm
    .command('cancel')
    .description('cancel allocations (scancel): the ones named, or every one of a workflow')
    .argument('[allocations...]', 'allocation (Slurm job) ids')
    .option('--workflow <id>', "every allocation of this workflow")
    .action(async (ids: string[], flags: { workflow?: string }, command: Command) => (await run()).cancel(session, ids, flags, command));
}
