import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { HookflowError } from '../../errors.js';
import type { AllocationState } from '../../store/workflows.js';

/** What hookflow asks of a Slurm cluster: submit, look up, cancel. Faked in tests. */
export interface SlurmClient {
  /** Submits the batch script; `env` is added to the job's environment (never its command line). Returns the job id. */
  submit(scriptPath: string, env: Readonly<Record<string, string>>): Promise<string>;
  /** The native state (PENDING, RUNNING, COMPLETED…) of each id; every id asked for is answered. */
  states(ids: readonly string[]): Promise<Map<string, string>>;
  /** Cancels the jobs; ids that already ended are not an error. */
  cancel(ids: readonly string[]): Promise<void>;
  /** Whether the commands are installed and the controller answers. */
  available(): Promise<boolean>;
}

/**
 * The native state of a job that Slurm no longer knows (ended longer than MinJobAge ago) when no
 * accounting is there to ask: it ended, with an outcome nobody can tell any more.
 */
export const ENDED_UNKNOWN = 'ENDED';

/** Slurm's job states (squeue %T, scontrol JobState, sacct State) → the allocation's state. */
export const NATIVE_ALLOCATION_STATES: Readonly<Record<string, AllocationState>> = {
  PENDING: 'queued',
  CONFIGURING: 'queued',
  REQUEUED: 'queued',
  REQUEUE_HOLD: 'queued',
  REQUEUE_FED: 'queued',
  RESV_DEL_HOLD: 'queued',
  RUNNING: 'running',
  COMPLETING: 'running',
  SUSPENDED: 'running',
  STOPPED: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  RESIZING: 'running',
  COMPLETED: 'completed',
  [ENDED_UNKNOWN]: 'completed',
  CANCELLED: 'canceled',
  REVOKED: 'canceled',
  FAILED: 'failed',
  TIMEOUT: 'failed',
  NODE_FAIL: 'failed',
  OUT_OF_MEMORY: 'failed',
  BOOT_FAIL: 'failed',
  PREEMPTED: 'failed',
  DEADLINE: 'failed',
  SPECIAL_EXIT: 'failed',
};

/**
 * The allocation state of a native state, or null for one this table does not know (the caller
 * keeps the state it had). sacct writes `CANCELLED by 0` and abbreviations end in `+`: only the
 * first word counts.
 */
export function allocationStateOf(native: string): AllocationState | null {
  const word = native.trim().split(/\s+/)[0]?.replace(/\+$/, '').toUpperCase() ?? '';
  return NATIVE_ALLOCATION_STATES[word] ?? null;
}

export interface SlurmCommandOptions {
  /** Directory of sbatch, squeue, sacct, scancel, sinfo; default: found on PATH. */
  binDir?: string;
  /** Per command; default 30 s. */
  timeoutMs?: number;
}

interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

const JOB_ID = /^\d+(?:_\d+)?$/;

/** The SlurmClient of a real cluster: Slurm's own commands, run without a shell. */
export class SlurmCommandClient implements SlurmClient {
  private readonly binDir: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: SlurmCommandOptions = {}) {
    this.binDir = options.binDir;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async submit(scriptPath: string, env: Readonly<Record<string, string>>): Promise<string> {
    // --export=ALL: the job gets sbatch's environment with env in it, whatever SBATCH_EXPORT or the script says.
    const args = ['--parsable', '--export=ALL', scriptPath];
    const result = await this.run('sbatch', args, { env: { ...process.env, ...env }, cwd: dirname(scriptPath) });
    if (result.code !== 0) throw commandError('sbatch', args, result);
    const id = result.stdout.trim().split('\n').pop()?.split(';')[0]?.trim() ?? '';
    if (!JOB_ID.test(id)) {
      throw new HookflowError('HF_ERR_SLURM', `sbatch --parsable printed no job id: ${JSON.stringify(result.stdout.trim())}`, { where: scriptPath });
    }
    return id;
  }

  async states(ids: readonly string[]): Promise<Map<string, string>> {
    const states = new Map<string, string>();
    if (ids.length === 0) return states;
    checkIds(ids);
    // -t all: ended jobs too, while the controller still holds them (MinJobAge).
    const args = ['-h', '-t', 'all', '-j', ids.join(','), '-o', '%i %T'];
    const result = await this.run('squeue', args);
    // squeue fails with "Invalid job id" when none of the ids is known any more: that is an answer.
    if (result.code !== 0 && !/invalid job id/i.test(result.stderr)) throw commandError('squeue', args, result);
    if (result.code === 0) parseStateLines(result.stdout, states);

    const missing = ids.filter((id) => !states.has(id));
    if (missing.length > 0) {
      for (const [id, state] of await this.accountingStates(missing)) states.set(id, state);
    }
    for (const id of ids) if (!states.has(id)) states.set(id, ENDED_UNKNOWN);
    return states;
  }

  async cancel(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    checkIds(ids);
    const args = [...ids];
    const result = await this.run('scancel', args);
    if (result.code === 0) return;
    // A job that ended in the meantime is what cancel wants anyway.
    const otherLines = result.stderr
      .split('\n')
      .filter((line) => line.trim() !== '' && !/invalid job id|already completing or completed|job has already finished/i.test(line));
    if (otherLines.length > 0) throw commandError('scancel', args, result);
  }

  async available(): Promise<boolean> {
    try {
      const result = await this.run('sinfo', ['-h', '-o', '%T']);
      return result.code === 0;
    } catch {
      return false;
    }
  }

  /** sacct for jobs the controller forgot; nothing when accounting is off or sacct missing. */
  private async accountingStates(ids: readonly string[]): Promise<Map<string, string>> {
    const states = new Map<string, string>();
    let result: CommandResult;
    try {
      result = await this.run('sacct', ['-n', '-X', '-P', '-j', ids.join(','), '-o', 'JobID,State']);
    } catch {
      return states;
    }
    if (result.code !== 0) return states;
    for (const line of result.stdout.split('\n')) {
      const [id, state] = line.split('|');
      if (id && state && ids.includes(id.trim())) states.set(id.trim(), state.trim().split(/\s+/)[0] ?? state.trim());
    }
    return states;
  }

  private run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CommandResult> {
    const file = this.binDir ? `${this.binDir.replace(/\/+$/, '')}/${command}` : command;
    return new Promise((resolve, reject) => {
      execFile(file, args, { env: options.env, cwd: options.cwd, timeout: this.timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error && typeof error.code === 'string') {
          const noDir = error.code === 'ENOENT' && options.cwd !== undefined && !existsSync(options.cwd);
          const missing = error.code === 'ENOENT' && !noDir;
          const reason = noDir ? `its directory ${options.cwd} does not exist` : missing ? 'command not found' : error.message;
          reject(
            new HookflowError('HF_ERR_SLURM', `${command} could not run: ${reason}`, {
              where: command,
              hint: missing ? 'install Slurm (scripts/slurm-setup.sh sets up a one-node cluster)' : undefined,
            }),
          );
          return;
        }
        if (error && error.killed) {
          resolve({ code: 124, stdout, stderr: `${stderr}${stderr && !stderr.endsWith('\n') ? '\n' : ''}timed out after ${this.timeoutMs} ms` });
          return;
        }
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  }
}

function checkIds(ids: readonly string[]): void {
  const bad = ids.find((id) => !JOB_ID.test(id));
  if (bad !== undefined) throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `not a Slurm job id: ${JSON.stringify(bad)}`, { where: 'ids' });
}

function parseStateLines(stdout: string, into: Map<string, string>): void {
  for (const line of stdout.split('\n')) {
    const [id, state] = line.trim().split(/\s+/);
    if (id && state) into.set(id, state);
  }
}

function commandError(command: string, args: readonly string[], result: CommandResult): HookflowError {
  const stderr = result.stderr.trim() || '(no stderr)';
  return new HookflowError('HF_ERR_SLURM', `${command} ${args.join(' ')} failed (exit ${result.code}): ${stderr}`, { where: command });
}
