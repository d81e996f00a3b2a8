import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobFromSpec, jobSpecJson } from '../../src/store/workflow-rows.js';
import type { JobModel } from '../../src/workflows/model.js';
import { makeJob } from '../workflows/execute/helpers.js';

const resources = { num_cpus: 1, num_gpus: 0, num_nodes: 1, memory_bytes: 0, runtime_seconds: null };

const plain = makeJob({ index: 3, name: 'job_3', command: 'true' });

const everything: JobModel = {
  index: 7,
  name: 'fetch',
  command: null,
  invocation_script: 'srun',
  action: 'http_request',
  params: { url: 'https://example.test/{{ params.x }}' },
  depends_on: [1, 2],
  env: { A: '1' },
  resources: { num_cpus: 4, num_gpus: 1, num_nodes: 2, memory_bytes: 4 * 2 ** 30, runtime_seconds: 3600 },
  scheduler: 'short',
  cancel_on_blocking_job_failure: true,
  failure_rules: [{ exit_codes: [137], match_all_exit_codes: false, max_retries: 2, recovery_script: 'cleanup.sh' }],
  timeout_seconds: 30,
  input_files: ['in.txt'],
  output_files: ['out.txt'],
  step: { id: 'fetch', condition: '{{ params.go }}', on_failure: 'retry', retry: { max_attempts: 3, backoff_seconds: 1, backoff_multiplier: 2, max_backoff_seconds: 60 } },
};

describe('job specs as stored', () => {
  // [case, model, the stored text]
  const cases: ReadonlyArray<[string, JobModel, string]> = [
    ['defaults are left out', plain, `{"command":"true","resources":${JSON.stringify(resources)}}`],
    ['every field set', everything, jobSpecJson(everything)],
    ['a false-y value that is not the default is kept', { ...plain, timeout_seconds: 0, env: { EMPTY: '' } }, `{"command":"true","env":{"EMPTY":""},"resources":${JSON.stringify(resources)},"timeout_seconds":0}`],
  ];
  for (const [name, model, stored] of cases) {
    it(`${name}: the spec reads back as the model`, () => {
      assert.equal(jobSpecJson(model), stored);
      assert.deepEqual(jobFromSpec(stored, model.index, model.name), model);
    });
  }

  it('a stored null stays null (it is not replaced by the default)', () => {
    const job = jobFromSpec(`{"command":"true","env":null,"resources":${JSON.stringify(resources)}}`, 0, 'x');
    assert.equal(job.env, null);
    assert.deepEqual(job.depends_on, []);
  });
});
