import { readFileSync } from 'node:fs';
import type { JobModel, StepPart } from '../../../src/workflows/model.js';

/** A job with every field at its plain default; tests set what they need. */
export function makeJob(fields: Partial<JobModel> = {}): JobModel {
  return {
    index: 0,
    name: 'job',
    command: null,
    invocation_script: null,
    action: null,
    params: null,
    depends_on: [],
    env: {},
    resources: { num_cpus: 1, num_gpus: 0, num_nodes: 1, memory_bytes: 0, runtime_seconds: null },
    scheduler: null,
    cancel_on_blocking_job_failure: false,
    failure_rules: [],
    timeout_seconds: null,
    input_files: [],
    output_files: [],
    step: null,
    ...fields,
  };
}

export function makeStep(id: string, fields: Partial<StepPart> = {}): StepPart {
  return { id, condition: null, on_failure: 'fail', retry: { max_attempts: 3, backoff_seconds: 60, backoff_multiplier: 2, max_backoff_seconds: 3600 }, ...fields };
}

/** Whether a process runs (a zombie waiting for its reaper does not). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls until the condition holds or the time is up; returns whether it held. */
export async function eventually(condition: () => boolean, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}
