import type { ExecutionStatus, FinishedExecutionStatus } from '../store/programs.js';
import { FINISHED_EXECUTION_STATUSES } from '../store/programs.js';
import type { RunOutcome } from './model.js';

/**
 * The execution state machine, in one place:
 *
 *   queued ──claim──► running ──exit 0──► completed
 *     │                  ├──exit ≠ 0, out of memory, could not start──► failed
 *     │                  ├──deadline──► timeout
 *     │                  ├──cancel──► canceled
 *     │                  └──its process died (lease expired)──► failed
 *     └──cancel──► canceled
 *
 * The store applies these transitions atomically (src/store/programs.ts); this module decides
 * which one an outcome means and what it says to people.
 */

export const EXECUTION_TRANSITIONS: Readonly<Record<ExecutionStatus, readonly ExecutionStatus[]>> = {
  queued: ['running', 'canceled'],
  running: ['completed', 'failed', 'timeout', 'canceled'],
  completed: [],
  failed: [],
  timeout: [],
  canceled: [],
};

const FINISHED: ReadonlySet<ExecutionStatus> = new Set(FINISHED_EXECUTION_STATUSES);

export function isFinished(status: ExecutionStatus): status is FinishedExecutionStatus {
  return FINISHED.has(status);
}

export function canTransition(from: ExecutionStatus, to: ExecutionStatus): boolean {
  return EXECUTION_TRANSITIONS[from].includes(to);
}

/** PyExecutorHub's words for a timeout, kept so clients matching on them keep working. */
export const TIMEOUT_MESSAGE = 'Execution exceeded time limit';
export const LOST_MESSAGE = 'the hookflow process running this execution stopped before it finished (its lease expired)';

export interface ExecutionVerdict {
  status: Exclude<FinishedExecutionStatus, never>;
  /** The exit code to record and to give act_after as EXIT_CODE. */
  exit_code: number | null;
  error: string | null;
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

/** A shell's view of how a process ended: its code, or 128 + the signal's number. */
export function shellExitCode(outcome: Pick<RunOutcome, 'exit_code' | 'signal'>): number | null {
  if (outcome.exit_code !== null) return outcome.exit_code;
  if (outcome.signal) return 128 + (SIGNAL_NUMBERS[outcome.signal] ?? 0);
  return null;
}

/** What the program's run means for the execution. */
export function verdictOf(outcome: RunOutcome): ExecutionVerdict {
  const exitCode = shellExitCode(outcome);
  switch (outcome.reason) {
    case 'timeout':
      return { status: 'timeout', exit_code: exitCode, error: outcome.message ?? TIMEOUT_MESSAGE };
    case 'canceled':
      return { status: 'canceled', exit_code: exitCode, error: outcome.message ?? 'canceled' };
    case 'out_of_memory':
      return { status: 'failed', exit_code: exitCode, error: outcome.message ?? 'killed: it exceeded its memory limit' };
    case 'start_failed':
      return { status: 'failed', exit_code: exitCode, error: outcome.message ?? 'the program could not be started' };
    case 'exited':
      if (exitCode === 0) return { status: 'completed', exit_code: 0, error: null };
      return {
        status: 'failed',
        exit_code: exitCode,
        error: outcome.message ?? (outcome.signal ? `killed by ${outcome.signal}` : `exited with code ${exitCode ?? 'unknown'}`),
      };
  }
}

/** The event type an execution's status publishes (running publishes execution.started). */
export function executionEventType(status: ExecutionStatus): string {
  return status === 'running' ? 'execution.started' : `execution.${status}`;
}
