import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { errorMessage, HookflowError } from '../errors.js';
import type { WorkerCapacity } from '../store/workflows.js';
import { workerJson } from '../workflows/views.js';
import type { CliSession } from './context.js';
import { formatDuration, formatTime } from './output.js';
import { workerCapacity } from './worker.js';

/** What `hookflow worker` and `hookflow worker list` do (declared in worker.ts). */

export interface WorkerFlags {
  workflow?: string;
  maxParallelJobs?: number;
  cpus?: number;
  memory?: number;
  gpus?: number;
  idleTimeout: number;
  outputDir?: string;
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

export async function runWorker(session: CliSession, flags: WorkerFlags, command: Command): Promise<void> {
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
}

export async function list(session: CliSession, command: Command): Promise<void> {
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
