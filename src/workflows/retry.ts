/**
 * When a failed job runs again. Torc jobs retry by their failure handler's rules, at once; DAG
 * steps with `on_failure: retry` retry with exponential backoff (BudPipeline). The worker passes
 * the result to finishJobs as `retry_at`; null means the failure ends the job.
 */
import type { FailureRule, JobModel } from './model.js';

/** The first rule of the job's failure handler that matches the exit code; null exit codes match only match_all rules. */
export function matchingRule(job: JobModel, exitCode: number | null): FailureRule | null {
  for (const rule of job.failure_rules) {
    if (rule.match_all_exit_codes) return rule;
    if (exitCode !== null && rule.exit_codes.includes(exitCode)) return rule;
  }
  return null;
}

/**
 * When the job should run again after its `attempts`-th start failed with `exitCode`, in epoch ms,
 * or null when it should not. Torc: the first matching rule decides, retrying while attempts ≤
 * max_retries, at once (`now`). DAG step with on_failure retry: while attempts < max_attempts,
 * after min(backoff_seconds × multiplier^(attempts-1), max_backoff_seconds) seconds.
 */
export function retryAt(job: JobModel, attempts: number, exitCode: number | null, now: number): number | null {
  if (job.step) {
    if (job.step.on_failure !== 'retry') return null;
    const { max_attempts, backoff_seconds, backoff_multiplier, max_backoff_seconds } = job.step.retry;
    if (attempts >= max_attempts) return null;
    const delaySeconds = Math.min(backoff_seconds * backoff_multiplier ** Math.max(0, attempts - 1), max_backoff_seconds);
    return now + Math.round(Math.max(0, delaySeconds) * 1000);
  }
  const rule = matchingRule(job, exitCode);
  if (!rule) return null;
  return attempts <= rule.max_retries ? now : null;
}

/** The recovery script of the rule that matches the exit code (run before the retry), or null. */
export function recoveryScript(job: JobModel, exitCode: number | null): string | null {
  return matchingRule(job, exitCode)?.recovery_script ?? null;
}
