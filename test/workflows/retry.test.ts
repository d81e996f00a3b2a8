import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailureRule, JobModel, StepPart } from '../../src/workflows/model.js';
import { recoveryScript, retryAt } from '../../src/workflows/retry.js';

const NOW = 1_700_000_000_000;

function job(extra: Partial<JobModel>): JobModel {
  return {
    index: 0,
    name: 'job',
    command: 'true',
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
    ...extra,
  };
}

function rule(exitCodes: number[], maxRetries = 3, recovery: string | null = null): FailureRule {
  return { exit_codes: exitCodes, match_all_exit_codes: false, max_retries: maxRetries, recovery_script: recovery };
}

const anyCode = (maxRetries: number, recovery: string | null = null): FailureRule => ({
  exit_codes: [],
  match_all_exit_codes: true,
  max_retries: maxRetries,
  recovery_script: recovery,
});

function step(onFailure: StepPart['on_failure'], retry: Partial<StepPart['retry']> = {}): StepPart {
  return {
    id: 'train',
    condition: null,
    on_failure: onFailure,
    retry: { max_attempts: 3, backoff_seconds: 60, backoff_multiplier: 2, max_backoff_seconds: 3600, ...retry },
  };
}

describe('retryAt: Torc failure handlers', () => {
  const rules = [rule([137], 2, 'bash fix-oom.sh'), rule([1, 2]), anyCode(1, 'bash any.sh')];
  const cases: Array<[string, FailureRule[], number, number | null, number | null]> = [
    ['no handler: no retry', [], 1, 1, null],
    ['a matching code retries at once', rules, 1, 137, NOW],
    ['while attempts ≤ max_retries', rules, 2, 137, NOW],
    ['not beyond', rules, 3, 137, null],
    ['the first matching rule decides, later ones are not tried', [rule([5], 0), anyCode(9)], 1, 5, null],
    ['default max_retries 3: the fourth failure ends it', [rule([1])], 4, 1, null],
    ['default max_retries 3: the third retries', [rule([1])], 3, 1, NOW],
    ['match_all_exit_codes matches any code', rules, 1, 99, NOW],
    ['match_all_exit_codes matches a missing code (killed)', rules, 1, null, NOW],
    ['match_all_exit_codes keeps its own limit', rules, 2, 99, null],
    ['a code no rule lists', [rule([1, 2])], 1, 3, null],
    ['a missing code matches only match_all', [rule([1, 2])], 1, null, null],
  ];
  for (const [name, failureRules, attempts, exitCode, expected] of cases) {
    it(name, () => assert.equal(retryAt(job({ failure_rules: failureRules }), attempts, exitCode, NOW), expected));
  }

  it('gives the matching rule its recovery script', () => {
    const handled = job({ failure_rules: rules });
    assert.equal(recoveryScript(handled, 137), 'bash fix-oom.sh');
    assert.equal(recoveryScript(handled, 1), null);
    assert.equal(recoveryScript(handled, 42), 'bash any.sh');
    assert.equal(recoveryScript(job({ failure_rules: [rule([1])] }), 2), null);
  });
});

describe('retryAt: DAG steps', () => {
  const s = 1000;
  const cases: Array<[string, StepPart, number, number | null]> = [
    ['on_failure fail never retries', step('fail'), 1, null],
    ['on_failure continue never retries', step('continue'), 1, null],
    ['first retry after backoff_seconds', step('retry'), 1, NOW + 60 * s],
    ['second after backoff × multiplier', step('retry'), 2, NOW + 120 * s],
    ['attempts reaching max_attempts end it', step('retry'), 3, null],
    ['capped at max_backoff_seconds', step('retry', { max_attempts: 10, backoff_seconds: 100, backoff_multiplier: 3, max_backoff_seconds: 500 }), 4, NOW + 500 * s],
    ['multiplier 1 keeps the delay', step('retry', { max_attempts: 5, backoff_seconds: 5, backoff_multiplier: 1 }), 4, NOW + 5 * s],
    ['zero backoff retries at once', step('retry', { backoff_seconds: 0 }), 1, NOW],
    ['max_attempts 1 means no retry', step('retry', { max_attempts: 1 }), 1, null],
  ];
  for (const [name, part, attempts, expected] of cases) {
    it(name, () => assert.equal(retryAt(job({ step: part }), attempts, 1, NOW), expected));
  }

  it('a step ignores failure rules', () => {
    assert.equal(retryAt(job({ step: step('fail'), failure_rules: [anyCode(5)] }), 1, 1, NOW), null);
  });
});
