import { InvalidArgumentError, type Command } from 'commander';
import type { WorkerCapacity } from '../store/workflows.js';
import { parseMemory } from '../workflows/spec/units.js';
import type { CliSession } from './context.js';
import { duration, nonNegativeInt, positiveInt } from './parse.js';
import type { WorkerFlags } from './worker-run.js';

const run = () => import('./worker-run.js');

/**
 * `hookflow worker`: a process that claims ready workflow jobs and pending workflow actions from
 * the store and runs them, until it has been idle for a while, its workflow ends, or a signal
 * stops it. `hookflow worker list` shows the live ones.
 */

export const DEFAULT_IDLE_TIMEOUT_MS = 90_000;

/** `4g`, `512m`, `1.5g` or bytes, for --memory. */
export function memorySize(value: string): number {
  const parsed = parseMemory(value);
  if (!parsed.ok) throw new InvalidArgumentError(`${parsed.message}.`);
  return parsed.value;
}

/** The resources a worker offers: only those given limit what it claims; none given = by count. */
export function workerCapacity(flags: Pick<WorkerFlags, 'cpus' | 'memory' | 'gpus'>): WorkerCapacity | null {
  if (flags.cpus === undefined && flags.memory === undefined && flags.gpus === undefined) return null;
  return { cpus: flags.cpus ?? null, memory_bytes: flags.memory ?? null, gpus: flags.gpus ?? null };
}

export function registerWorkerCommands(program: Command, session: CliSession): void {
  const worker = program
    .command('worker')
    .description('run workflow jobs and actions: claim them from the store, run them, exit when idle (see also `worker list`)')
    .option('--workflow <id>', "only this workflow's jobs and actions (and exit when it ends)")
    .option('--max-parallel-jobs <n>', 'jobs run at once (default: the number of CPUs; 0 runs workflow actions only, e.g. a login node that schedules Slurm allocations)', nonNegativeInt)
    .option('--cpus <n>', 'CPUs offered: claim jobs while their num_cpus fit', positiveInt)
    .option('--memory <size>', 'memory offered (4g, 512m): claim jobs while their memory fits', memorySize)
    .option('--gpus <n>', 'GPUs offered: claim jobs while their num_gpus fit', nonNegativeInt)
    .option('--idle-timeout <duration>', 'exit after this long with nothing to do (0 = never)', duration, DEFAULT_IDLE_TIMEOUT_MS)
    .option('--output-dir <dir>', "run jobs and write their logs under DIR/<workflow id>/run-N (default: the workflow's own directory)")
    .action(async (flags: WorkerFlags, command: Command) => (await run()).runWorker(session, flags, command));

  worker
    .command('list')
    .description('live workers: host, workflow, running jobs, last heartbeat')
    .action(async (_flags: unknown, command: Command) => (await run()).list(session, command));
}
