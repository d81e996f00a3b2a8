import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileWorkflow } from '../../../src/workflows/spec/compile.js';

/** 100 000 parameterised jobs behind a regex barrier, 1000 after it, and an action over those. */
const BIG = `name: big
resource_requirements:
  - {name: small, num_cpus: 1, memory: 1g, runtime: PT1M}
jobs:
  - name: job_{i:06d}
    command: echo {i}
    resource_requirements: small
    parameters: {i: "1:100000"}
  - name: barrier
    command: "true"
    depends_on_regexes: ["^job_"]
  - name: post_{i}
    command: echo {i}
    depends_on: [barrier]
    parameters: {i: "1:1000"}
actions:
  - {trigger_type: on_jobs_complete, action_type: run_commands, job_name_regexes: ["^post_"], commands: ["echo done"]}
`;

/**
 * CPU seconds of this process (user + system) while fn runs: unlike the wall clock, it does not grow
 * when other test files or other work share the machine's cores.
 */
function cpuSeconds<T>(fn: () => T): { result: T; seconds: number } {
  const before = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(before);
  return { result, seconds: (used.user + used.system) / 1e6 };
}

describe('scale', () => {
  it('a 100 000-job parameterised workflow validates, expands and compiles in under 5 s (of CPU)', () => {
    const { result, seconds } = cpuSeconds(() => compileWorkflow(BIG));
    assert.deepEqual(result.errors, []);
    assert.ok(result.model);
    assert.equal(result.model.jobs.length, 101_001);
    assert.equal(result.model.jobs[100_000].depends_on.length, 100_000);
    assert.deepEqual(result.model.levels.map((level) => level.length), [100_000, 1, 1000]);
    assert.equal(result.model.actions[0].selected_jobs.length, 1000);
    assert.ok(seconds < 5, `took ${seconds.toFixed(2)} s of CPU`);
  });

  it('an invalid 100 000-job workflow reports a few placed problems and a count, quickly', () => {
    const { result, seconds } = cpuSeconds(() => compileWorkflow(BIG.replace('depends_on: [barrier]', 'depends_on: ["barier_{i}"]')));
    assert.equal(result.model, null);
    assert.equal(result.errors.length, 6);
    assert.equal(result.errors[5].message, '… and 995 more problems at this place');
    assert.ok(result.errors.every((problem) => problem.path === 'jobs[2].depends_on[0]' && problem.line === 14 && problem.column === 18));
    assert.ok(seconds < 5, `took ${seconds.toFixed(2)} s of CPU`);
  });
});
