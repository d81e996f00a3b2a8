import { HookflowError } from '../../errors.js';
import type { SlurmSchedulerModel } from '../model.js';

/**
 * The sbatch script of one schedule_nodes allocation: `#SBATCH` directives from the workflow's
 * slurm_schedulers entry, then the launch of `hookflow worker --workflow ID` (one per node through
 * srun, or one for the allocation). The store URL is never written here: it may hold a password,
 * so it reaches the job through sbatch's environment (SlurmClient.submit) and the script only
 * checks that it arrived.
 */

export interface SbatchScriptRequest {
  workflowId: string;
  scheduler: SlurmSchedulerModel;
  startOneWorkerPerNode: boolean;
  /** `--max-parallel-jobs` of each worker; null = the worker's default. */
  maxParallelJobs: number | null;
  /** The program that runs hookflow, e.g. ['node', '/abs/bin/hookflow.js']; `worker …` is appended. */
  workerCommand: readonly string[];
  /** Where Slurm writes the allocation's stdout and stderr (`slurm-<jobid>.out` / `.err`). */
  outputDir: string;
  jobName: string;
}

export const STORE_URL_ENV = 'HOOKFLOW_STORE';

export function renderSbatchScript(request: SbatchScriptRequest): string {
  const { scheduler } = request;
  const where = `slurm_schedulers.${scheduler.name}`;
  if (request.workerCommand.length === 0) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', 'the worker command is empty', { where: 'workerCommand' });
  }
  if (!Number.isInteger(scheduler.nodes) || scheduler.nodes < 1) {
    throw new HookflowError('HF_ERR_INVALID_WORKFLOW', `nodes must be a positive integer, not ${String(scheduler.nodes)}`, { where: `${where}.nodes` });
  }
  if (request.maxParallelJobs !== null && (!Number.isInteger(request.maxParallelJobs) || request.maxParallelJobs < 1)) {
    throw new HookflowError('HF_ERR_INVALID_WORKFLOW', `max_parallel_jobs must be a positive integer, not ${String(request.maxParallelJobs)}`, {
      where: 'max_parallel_jobs',
    });
  }

  const directives: string[] = [];
  const option = (name: string, value: string | null, field: string): void => {
    if (value === null) return;
    directives.push(`#SBATCH --${name}=${directiveQuote(value, `${where}.${field}`)}`);
  };
  option('job-name', request.jobName, 'job_name');
  option('account', scheduler.account, 'account');
  option('partition', scheduler.partition, 'partition');
  option('nodes', String(scheduler.nodes), 'nodes');
  option('time', scheduler.walltime, 'walltime');
  option('gres', scheduler.gres, 'gres');
  option('mem', scheduler.mem, 'mem');
  option('qos', scheduler.qos, 'qos');
  const logBase = `${escapeFilenamePattern(request.outputDir.replace(/\/+$/, '') || '/')}/slurm-%j`;
  option('output', `${logBase}.out`, 'output');
  option('error', `${logBase}.err`, 'error');
  if (scheduler.extra !== null) {
    const words = splitShellWords(scheduler.extra, `${where}.extra`);
    if (words.length > 0) directives.push(`#SBATCH ${words.map((word) => directiveQuote(word, `${where}.extra`)).join(' ')}`);
  }

  const worker = [...request.workerCommand, 'worker', '--workflow', request.workflowId];
  if (request.maxParallelJobs !== null) worker.push('--max-parallel-jobs', String(request.maxParallelJobs));
  for (const word of worker) rejectNul(word, 'workerCommand');
  const launch = request.startOneWorkerPerNode
    ? `exec srun --ntasks-per-node=1 --nodes="$SLURM_JOB_NUM_NODES" ${worker.map(shellQuote).join(' ')}`
    : `exec ${worker.map(shellQuote).join(' ')}`;

  return [
    '#!/bin/sh',
    ...directives,
    '# hookflow schedule_nodes allocation: workers of one workflow, reading its store from the environment.',
    'set -eu',
    `: "\${${STORE_URL_ENV}:?is not set: hookflow passes it in the environment of sbatch}"`,
    `export ${STORE_URL_ENV}`,
    launch,
    '',
  ].join('\n');
}

/** POSIX single quoting: the value reaches the program exactly, whatever it holds. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Quoting for one argument of an `#SBATCH` line, which sbatch parses itself (not the shell): double
 * quotes group, a backslash escapes the next character, an unquoted `#` starts a comment and a line
 * break ends the directive — so line breaks and other control characters are refused.
 */
export function directiveQuote(value: string, where: string): string {
  const control = /[\u0000-\u001f\u007f]/.exec(value);
  if (control) {
    throw new HookflowError('HF_ERR_INVALID_WORKFLOW', `a Slurm option may not hold control characters (found U+${control[0].charCodeAt(0).toString(16).padStart(4, '0')})`, {
      where,
    });
  }
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `"${value.replace(/[\\"#]/g, '\\$&')}"`;
}

/** In sbatch file names `%` starts a pattern (%j, %x…); a directory name keeps its `%` as `%%`. */
function escapeFilenamePattern(path: string): string {
  return path.replace(/%/g, '%%');
}

function rejectNul(value: string, where: string): void {
  if (value.includes('\u0000')) throw new HookflowError('HF_ERR_INVALID_ARGUMENT', 'an argument may not hold a NUL character', { where });
}

/**
 * Splits `extra` as a POSIX shell splits words, without any expansion: whitespace separates,
 * single quotes keep everything, double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``,
 * a backslash outside quotes keeps the next character. An unclosed quote is an error.
 */
export function splitShellWords(text: string, where = 'extra'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new HookflowError('HF_ERR_INVALID_WORKFLOW', `unclosed ' in ${JSON.stringify(text)}`, { where });
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      let closed = false;
      while (i < text.length) {
        const d = text[i] as string;
        if (d === '"') {
          closed = true;
          i += 1;
          break;
        }
        if (d === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) {
          word += text[i + 1];
          i += 2;
        } else {
          word += d;
          i += 1;
        }
      }
      if (!closed) throw new HookflowError('HF_ERR_INVALID_WORKFLOW', `unclosed " in ${JSON.stringify(text)}`, { where });
      inWord = true;
    } else if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new HookflowError('HF_ERR_INVALID_WORKFLOW', `a trailing \\ in ${JSON.stringify(text)}`, { where });
      word += text[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}
