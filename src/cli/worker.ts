import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { errorMessage, HookflowError } from '../errors.js';
import type { WorkerCapacity } from '../store/workflows.js';
import { parseMemory } from '../workflows/spec/units.js';
import { workerJson } from '../workflows/views.js';
import type { CliSession } from './context.js';
import { formatDuration, formatTime } from './output.js';
import { duration, nonNegativeInt, positiveInt } from './parse.js';

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

interface WorkerFlags {
  workflow?: string;
  maxParallelJobs?: number;
  cpus?: number;
  memory?: number;
  gpus?: number;
  idleTimeout: number;
  outputDir?: string;
}

/** The resources a worker offers: only those given limit what it claims; none given = by count. */
export function workerCapacity(flags: Pick<WorkerFlags, 'cpus' | 'memory' | 'gpus'>): WorkerCapacity | null {
  if (flags.cpus === undefined && flags.memory === undefined && flags.gpus === undefined) return null;
  return { cpus: flags.cpus ?? null, memory_bytes: flags.memory ?? null, gpus: flags.gpus ?? null };
}

function capacityText(capacity: WorkerCapacity | null): string {
  if (!capacity) return 'jobs claimed by count';
  const parts = [
    capacity.cpus === null ? null : `${capacity.cpus} cpus`,
    capacity.memory_bytes === null ? null : `${(capacity.memory_bytes / 1024 ** 3).toFixed(1).replace(/\.0$/, '')} GiB`,
    capacity.gpus === null ? null : `${capacity.gpus} gpus`,
  ].filter(Boolean);
  return `jobs claimed by resources: ${parts.join(', ')}`;
}

const REASONS: Record<string, string> = { idle: 'idle for the idle timeout', workflow_ended: 'its workflow ended', stopped: 'stopped' };

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
    .action(async (flags: WorkerFlags, command: Command) => {
      if (session.remoteUrl(command)) {
        throw new HookflowError('HF_ERR_INVALID_ARGUMENT', 'a worker works on the store itself, not through a server', {
          hint: 'give the store with --store (postgres://… shared with the server, or the same sqlite: file on this machine)',
        });
      }
      await session.withEngine(command, async (engine, out) => {
        const maxParallelJobs = flags.maxParallelJobs ?? availableParallelism();
        const capacity = workerCapacity(flags);
        const idleTimeoutMs = flags.idleTimeout > 0 ? flags.idleTimeout : null;
        const running = await engine.createWorker({
          workflowId: flags.workflow ?? null,
          maxParallelJobs,
          capacity,
          idleTimeoutMs,
          outputDir: flags.outputDir ? resolve(flags.outputDir) : null,
          onError: (error, where) => out.warn(`${where}: ${errorMessage(error)}`),
        });
        const facts = { id: running.id, host: hostname(), pid: process.pid, workflow_id: flags.workflow ?? null, max_parallel_jobs: maxParallelJobs, capacity, idle_timeout_ms: idleTimeoutMs };
        if (out.json) out.line(JSON.stringify({ event: 'worker.started', ...facts }));
        else {
          out.line(
            `worker ${running.id} started on ${facts.host}: ${flags.workflow ? `workflow ${flags.workflow}` : 'any workflow'}, up to ${maxParallelJobs} job${maxParallelJobs === 1 ? '' : 's'} at once, ${capacityText(capacity)}, ${idleTimeoutMs === null ? 'never idles out' : `exits after ${formatDuration(idleTimeoutMs)} idle`}`,
          );
        }
        const signals = new StopSignals(session.io.shutdown, (signal) => {
          if (!out.json) out.line(`${signal}: stopping (running jobs get 10s to finish, then go back to ready)`);
          void running.stop();
        });
        try {
          const { reason } = await running.run();
          const why = signals.received ? `${signals.received}` : (REASONS[reason] ?? reason);
          if (out.json) out.line(JSON.stringify({ event: 'worker.stopped', id: running.id, reason, signal: signals.received }));
          else out.line(`worker ${running.id} stopped: ${why}`);
        } finally {
          signals.dispose();
        }
      });
    });

  worker
    .command('list')
    .description('live workers: host, workflow, running jobs, last heartbeat')
    .action(async (_flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const workers = await services.workflows.workers();
        if (out.json) return out.data(workers.map(workerJson));
        if (workers.length === 0) return out.line('no live workers');
        out.table(
          ['Worker', 'Host', 'PID', 'Workflow', 'Max jobs', 'Running jobs', 'Started', 'Heartbeat'],
          workers.map((entry) => [
            entry.id,
            entry.host,
            entry.pid,
            entry.workflow_id ?? 'any',
            entry.max_parallel_jobs ?? '-',
            entry.running_jobs.length === 0 ? '-' : entry.running_jobs.join(', '),
            formatTime(entry.started_at),
            formatTime(entry.heartbeat_at),
          ]),
          [null, null, null, null, null, 40, null, null],
        );
      });
    });
}

/** SIGINT/SIGTERM (and `io.shutdown` in tests): the first one calls `onStop`. */
class StopSignals {
  received: string | null = null;
  private readonly onSignal = (signal: NodeJS.Signals) => this.fire(signal);
  private readonly onAbort = () => this.fire('shutdown');

  constructor(
    private readonly abort: AbortSignal | undefined,
    private readonly onStop: (signal: string) => void,
  ) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    if (abort?.aborted) queueMicrotask(() => this.fire('shutdown'));
    else abort?.addEventListener('abort', this.onAbort, { once: true });
  }

  private fire(signal: string): void {
    if (this.received) return;
    this.received = signal;
    this.onStop(signal);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    this.abort?.removeEventListener('abort', this.onAbort);
  }
}
