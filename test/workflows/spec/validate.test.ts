import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compileWorkflow } from '../../../src/workflows/spec/compile.js';
import { isInvalid, renderValidation, summarize, validateWorkflowText } from '../../../src/workflows/spec/validate.js';

const TORC = new URL('../../fixtures/compat/torc/', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, TORC), 'utf8');

describe('validateWorkflowText: the JSON report', () => {
  it('a valid file: counts, levels and each action’s selection', () => {
    assert.deepEqual(validateWorkflowText(read('workflow_actions_ml_training.yaml')), {
      name: 'ML Training with Auto-Scaling',
      format: 'torc',
      jobs: 10,
      files: 0,
      levels: 3,
      actions: [
        { trigger_type: 'on_workflow_start', action_type: 'run_commands', selected_jobs: 0 },
        { trigger_type: 'on_jobs_ready', action_type: 'schedule_nodes', selected_jobs: 8 },
        { trigger_type: 'on_jobs_complete', action_type: 'run_commands', selected_jobs: 8 },
        { trigger_type: 'on_workflow_complete', action_type: 'run_commands', selected_jobs: 0 },
      ],
    });
  });

  it('job_names only with showJobs, in job order (repeats kept)', () => {
    const report = validateWorkflowText(read('hyperparameter_sweep.yaml'), { showJobs: true });
    assert.ok(!isInvalid(report));
    assert.equal(report.job_names?.length, 38);
    assert.deepEqual(report.job_names?.slice(0, 3), ['prepare_train_data', 'prepare_val_data', 'train_lr0.0001_bs16_optadam']);
    assert.equal(report.job_names?.filter((name) => name === 'aggregate_results').length, 18);
    assert.equal('job_names' in validateWorkflowText(read('hyperparameter_sweep.yaml')), false);
  });

  it('a DAG: its steps are the jobs', () => {
    const report = validateWorkflowText('name: d\nsteps:\n  - {id: a, action: log, params: {message: hi}}\n  - {id: b, action: log, params: {message: hi}, depends_on: [a]}\n');
    assert.deepEqual(report, { name: 'd', format: 'dag', jobs: 2, files: 0, levels: 2, actions: [] });
  });

  it('an invalid file: exactly {errors: [{message, line, column, path}]}', () => {
    const report = validateWorkflowText('name: w\njobs:\n  - {name: a, command: x, depends_on: [zz]}\n  - {name: b, command: x, foo: 1}\n');
    assert.deepEqual(report, {
      errors: [
        { message: 'job "a" depends on "zz", which is not a job', line: 3, column: 40, path: 'jobs[0].depends_on[0]' },
        { message: 'unknown field "foo" in job "b"', line: 4, column: 27, path: 'jobs[1].foo' },
      ],
    });
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(report)) as object), ['errors']);
  });
});

describe('renderValidation: for people', () => {
  it('a valid file: a summary with each action', () => {
    const report = validateWorkflowText(read('workflow_actions_simple_slurm.yaml'), { showJobs: true });
    assert.equal(
      renderValidation(report, 'slurm.yaml'),
      [
        'slurm.yaml: valid Torc workflow "Simple Workflow with Actions"',
        '  jobs:    5',
        '  files:   0',
        '  levels:  3',
        '  actions: 3',
        '    1. on_workflow_start → schedule_nodes',
        '    2. on_jobs_ready → schedule_nodes (selects 3 jobs)',
        '    3. on_jobs_ready → schedule_nodes (selects 1 job)',
        '  job names:',
        '    setup',
        '    process1',
        '    process2',
        '    process3',
        '    finalize',
        '',
      ].join('\n'),
    );
  });

  it('an invalid file: file:line:column: message per problem, warnings after', () => {
    const compiled = compileWorkflow('name: w\njobs:\n  - {name: a, command: x, depends_on: [b], supports_termination: true}\n');
    assert.equal(
      renderValidation(summarize(compiled), 'bad.yaml', compiled.warnings),
      [
        'bad.yaml:3:40: job "a" depends on "b", which is not a job',
        'bad.yaml:3:44: warning: supports_termination is a Torc setting hookflow does not use (ignored)',
        'bad.yaml: invalid (1 problem)',
        '',
      ].join('\n'),
    );
  });
});
