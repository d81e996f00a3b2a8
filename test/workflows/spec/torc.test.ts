import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { HookflowError } from '../../../src/errors.js';
import { formatPath } from '../../../src/workflows/spec/document.js';
import { checkTorcSpec, parseTorcSpec, type TorcWorkflow } from '../../../src/workflows/spec/torc.js';

const COMPAT = fileURLToPath(new URL('../../fixtures/compat/torc/', import.meta.url));

function loadCompat(file: string): TorcWorkflow {
  return parseTorcSpec(parseYaml(readFileSync(`${COMPAT}${file}`, 'utf8')));
}

function levelNames(workflow: TorcWorkflow): string[][] {
  return workflow.levels.map((level) => level.map((index) => workflow.jobs[index].name));
}

function assertInvalid(spec: unknown, message: RegExp, where?: string): void {
  assert.throws(() => parseTorcSpec(spec), (error: unknown) => {
    assert.ok(error instanceof HookflowError);
    assert.equal(error.code, 'HF_ERR_INVALID_WORKFLOW');
    assert.match(error.message, message);
    if (where !== undefined) assert.equal(error.details.where, where);
    return true;
  });
}

/** The table of compat/torc/expected.md (copied into the fixtures with the files). */
function expectedTable(): Array<{ file: string; jobs: number; files: number; actions: number }> {
  const text = readFileSync(`${COMPAT}expected.md`, 'utf8');
  return text
    .split('\n')
    .filter((line) => /^\| \S+\.yaml \|/.test(line))
    .map((line) => {
      const [file, jobs, files, actions] = line.split('|').slice(1).map((cell) => cell.trim());
      return { file, jobs: Number(jobs), files: Number(files), actions: Number(actions) };
    });
}

describe('Torc compat files (expected.md)', () => {
  const table = expectedTable();
  it('expected.md lists the nine files', () => assert.equal(table.length, 9));
  for (const row of table) {
    it(`${row.file}: ${row.jobs} jobs, ${row.files} files, ${row.actions} actions`, () => {
      const workflow = loadCompat(row.file);
      assert.equal(workflow.jobs.length, row.jobs);
      assert.equal(workflow.files.length, row.files);
      assert.equal(workflow.actions.length, row.actions);
      assert.equal(workflow.levels.flat().length, row.jobs);
    });
  }

  it('hundred_jobs_parameterized: job_001 … job_100 with their commands', () => {
    const workflow = loadCompat('hundred_jobs_parameterized.yaml');
    assert.equal(workflow.jobs[0].name, 'job_001');
    assert.equal(workflow.jobs[99].name, 'job_100');
    assert.equal(workflow.jobs[41].command, 'echo hello 42');
    assert.equal(workflow.jobs[0].resource_requirements, 'minimal');
    assert.equal(workflow.levels.length, 1);
  });

  it('hyperparameter_sweep: cartesian product in written order, formats applied', () => {
    const workflow = loadCompat('hyperparameter_sweep.yaml');
    const train = workflow.jobs.filter((job) => job.name.startsWith('train_'));
    assert.equal(train.length, 18);
    assert.deepEqual(train.slice(0, 3).map((job) => job.name), [
      'train_lr0.0001_bs16_optadam', 'train_lr0.0001_bs16_optsgd', 'train_lr0.0001_bs32_optadam',
    ]);
    assert.match(train[0].command ?? '', /--learning-rate=0\.0001 \\\n/);
    assert.deepEqual(train[0].output_files, ['model_lr0.0001_bs16_optadam', 'metrics_lr0.0001_bs16_optadam']);
    assert.deepEqual(train[0].depends_on, ['prepare_train_data', 'prepare_val_data']);
    const aggregates = workflow.jobs.filter((job) => job.name === 'aggregate_results');
    assert.equal(aggregates.length, 18);
    assert.deepEqual(aggregates[5].depends_on, [train[5].name]);
    assert.deepEqual(levelNames(workflow).map((level) => level.length), [2, 18, 18]);
  });

  it('hyperparameter_sweep_shared_params expands exactly as hyperparameter_sweep', () => {
    const own = loadCompat('hyperparameter_sweep.yaml');
    const shared = loadCompat('hyperparameter_sweep_shared_params.yaml');
    assert.deepEqual(shared.jobs, own.jobs);
    assert.deepEqual(shared.files, own.files);
  });

  it('zip_parameter_mode pairs the lists', () => {
    const workflow = loadCompat('zip_parameter_mode.yaml');
    assert.deepEqual(workflow.jobs.filter((job) => job.name.startsWith('train_')).map((job) => job.name), [
      'train_cifar10_resnet', 'train_mnist_cnn', 'train_imagenet_transformer',
    ]);
    const aggregate = workflow.jobs.find((job) => job.name === 'aggregate_results');
    assert.deepEqual(aggregate?.depends_on, ['evaluate_cifar10_resnet', 'evaluate_mnist_cnn', 'evaluate_imagenet_transformer']);
    assert.deepEqual(levelNames(workflow).map((level) => level.length), [1, 3, 3, 1]);
  });

  it('workflow_actions_ml_training: the on_jobs_ready regex selects the 8 training jobs', () => {
    const workflow = loadCompat('workflow_actions_ml_training.yaml');
    const ready = workflow.actions.find((action) => action.trigger_type === 'on_jobs_ready');
    assert.equal(ready?.selected_jobs.length, 8);
    assert.equal(ready?.action_type, 'schedule_nodes');
    assert.equal(ready?.fields.num_allocations, 2);
    assert.equal(workflow.jobs.find((job) => job.name === 'evaluate')?.depends_on.length, 8);
  });

  it('workflow_actions_data_pipeline: chains per dataset and the regex barrier', () => {
    const workflow = loadCompat('workflow_actions_data_pipeline.yaml');
    assert.deepEqual(workflow.jobs.find((job) => job.name === 'transform_users')?.depends_on, ['validate_users']);
    assert.equal(workflow.jobs.find((job) => job.name === 'aggregate_data')?.depends_on.length, 4);
    assert.deepEqual(workflow.actions.map((action) => action.selected_jobs.length), [0, 4, 4, 4, 0]);
    assert.deepEqual(levelNames(workflow).map((level) => level.length), [4, 4, 4, 1, 1]);
  });

  it('multi_stage_barrier_pattern: both {i} and {i:03d} substituted, five barriers deep', () => {
    const workflow = loadCompat('multi_stage_barrier_pattern.yaml');
    const job = workflow.jobs.find((candidate) => candidate.name === 'stage1_process_007');
    assert.equal(job?.command, 'python process_input.py --id 7 --output output/stage1_007.dat');
    assert.equal(workflow.jobs.find((candidate) => candidate.name === 'barrier_stage1_complete')?.depends_on.length, 1000);
    assert.equal(workflow.jobs.find((candidate) => candidate.name === 'stage3_aggregate_05')?.command, 'python aggregate.py --shard 5 --output output/stage3_05.csv');
    assert.deepEqual(levelNames(workflow).map((level) => level.length), [1000, 1, 1000, 1, 100, 1, 1]);
  });

  it('diamond_workflow: file references become paths and dependencies', () => {
    const workflow = loadCompat('diamond_workflow.yaml');
    const preprocess = workflow.jobs[0];
    assert.equal(preprocess.command, 'bash tests/scripts/preprocess.sh -i f1.json -o f2.json -o f3.json');
    assert.deepEqual(preprocess.input_files, ['f1']);
    assert.deepEqual(preprocess.output_files, ['f2', 'f3']);
    assert.deepEqual(workflow.jobs[3].depends_on, ['work1', 'work2']);
    assert.deepEqual(levelNames(workflow), [['preprocess'], ['work1', 'work2'], ['postprocess']]);
  });

  it('simple_retry: the failure handler is kept and resolved', () => {
    const workflow = loadCompat('simple_retry.yaml');
    assert.equal(workflow.jobs[0].failure_handler, 'simple_retry');
    assert.deepEqual(workflow.failure_handlers[0].rules, [{ match_all_exit_codes: true, max_retries: 3 }]);
    assert.deepEqual(workflow.jobs[1].depends_on, ['flaky_job']);
  });

  it('sample_workflow: files, user data and schedulers resolve', () => {
    const workflow = loadCompat('sample_workflow.yaml');
    assert.deepEqual(levelNames(workflow), [['data_download'], ['data_validation'], ['data_analysis']]);
    assert.equal(workflow.jobs[2].scheduler, 'gpu_scheduler');
    assert.equal(workflow.jobs[1].cancel_on_blocking_job_failure, true);
  });

  it('workflow_actions_simple_slurm: action jobs select by name', () => {
    const workflow = loadCompat('workflow_actions_simple_slurm.yaml');
    assert.deepEqual(workflow.actions.map((action) => action.selected_jobs), [[], ['process1', 'process2', 'process3'], ['finalize']]);
  });
});

describe('parseTorcSpec field names and rules', () => {
  const resources = [{ name: 'small', num_cpus: 1 }];
  const schedulers = [{ name: 'slurm1', account: 'a' }];

  it('old field names mean the same as the new ones', () => {
    const modern = parseTorcSpec({
      name: 'w', resource_requirements: resources, slurm_schedulers: schedulers,
      jobs: [
        { name: 'a_1', command: 'true' },
        { name: 'b', command: 'true', depends_on: ['a_1'], depends_on_regexes: ['^a_'], resource_requirements: 'small', scheduler: 'slurm1' },
      ],
      actions: [{ trigger_type: 'on_jobs_ready', action_type: 'schedule_nodes', jobs: ['b'], scheduler: 'slurm1' }],
    });
    const old = parseTorcSpec({
      name: 'w', resource_requirements: resources, slurm_schedulers: schedulers,
      jobs: [
        { name: 'a_1', command: 'true' },
        { name: 'b', command: 'true', blocked_by_job_names: ['a_1'], blocked_by_job_name_regexes: ['^a_'], resource_requirements_name: 'small', scheduler_name: 'slurm1' },
      ],
      actions: [{ trigger_type: 'on_jobs_ready', action_type: 'schedule_nodes', job_names: ['b'], scheduler_name: 'slurm1' }],
    });
    assert.deepEqual(old, modern);
    assert.equal(modern.jobs[1].resource_requirements, 'small');
    assert.deepEqual(modern.actions[0].selected_jobs, ['b']);
    assert.equal(old.actions[0].fields.scheduler, 'slurm1');
  });

  it('workflow parameters apply only through use_parameters; own parameters replace them', () => {
    const workflow = parseTorcSpec({
      name: 'w',
      parameters: { i: '1:3', j: '[x]' },
      jobs: [
        { name: 'plain_{i}', command: 'echo {i}' },
        { name: 'used_{i}', command: 'echo {i}{j}', use_parameters: ['i'] },
        { name: 'own_{i}', command: 'echo {i}{j}', use_parameters: ['i', 'j'], parameters: { i: '[9]' } },
      ],
    });
    assert.deepEqual(workflow.jobs.map((job) => `${job.name}:${job.command}`), [
      'plain_{i}:echo {i}', 'used_1:echo 1{j}', 'used_2:echo 2{j}', 'used_3:echo 3{j}', 'own_9:echo 9{j}',
    ]);
  });

  it('substitutes in every listed field', () => {
    const workflow = parseTorcSpec({
      name: 'w',
      resource_requirements: [{ name: 'r2' }],
      slurm_schedulers: [{ name: 's2' }],
      files: [{ name: 'in_{k}', path: '/d/{k}.in', parameters: { k: '[2]' } }, { name: 'out_{k}', path: '/d/{k}.out', parameters: { k: '[2]' } }],
      user_data: [{ name: 'u2' }],
      jobs: [
        { name: 'p_2', command: 'true' },
        {
          name: 'j{k}', command: 'run {k}', invocation_script: 'setup {k}', parameters: { k: '[2]' },
          resource_requirements: 'r{k}', scheduler: 's{k}', depends_on: ['p_{k}'], depends_on_regexes: ['^p_{k}$'],
          input_files: ['in_{k}'], output_files: ['out_{k}'], input_user_data: ['u{k}'], env: { K: '{k}' },
        },
      ],
    });
    const job = workflow.jobs[1];
    assert.deepEqual(
      [job.name, job.command, job.invocation_script, job.resource_requirements, job.scheduler, job.depends_on, job.depends_on_regexes, job.input_files, job.output_files, job.input_user_data],
      ['j2', 'run 2', 'setup 2', 'r2', 's2', ['p_2'], ['^p_2$'], ['in_2'], ['out_2'], ['u2']],
    );
    assert.deepEqual(workflow.files, [{ name: 'in_2', path: '/d/2.in' }, { name: 'out_2', path: '/d/2.out' }]);
  });

  it('a job that outputs a file comes before the jobs that input it', () => {
    const workflow = parseTorcSpec({
      name: 'w',
      files: [{ name: 'f', path: '/tmp/f' }],
      jobs: [
        { name: 'reader', command: 'cat ${files.input.f}' },
        { name: 'writer', command: 'true', output_files: ['f'] },
      ],
    });
    assert.deepEqual(workflow.jobs[0].depends_on, ['writer']);
    assert.equal(workflow.jobs[0].command, 'cat /tmp/f');
    assert.deepEqual(levelNames(workflow), [['writer'], ['reader']]);
  });

  it('regexes are unanchored and do not match the job itself', () => {
    const workflow = parseTorcSpec({
      name: 'w',
      jobs: [{ name: 'pre_train', command: 'true' }, { name: 'x_train_y', command: 'true' }, { name: 'train_all', command: 'true', depends_on_regexes: ['train'] }],
    });
    assert.deepEqual(workflow.jobs[2].depends_on, ['pre_train', 'x_train_y']);
  });

  it('a job may run a typed action instead of a command (params get the action’s defaults)', () => {
    const workflow = parseTorcSpec({ name: 'w', jobs: [{ name: 'call', action: 'http_request', params: { url: 'http://x' } }] });
    assert.equal(workflow.jobs[0].action, 'http_request');
    assert.equal(workflow.jobs[0].params?.url, 'http://x');
    assert.equal(workflow.jobs[0].params?.method, 'GET');
    assert.equal(workflow.jobs[0].command, null);
  });

  it('a parameterised typed-action job gets its values in its params', () => {
    const workflow = parseTorcSpec({ name: 'w', jobs: [{ name: 'call_{i}', action: 'http_request', params: { url: 'http://x/{i:02d}', headers: { n: '{i}' } }, parameters: { i: '1:2' } }] });
    assert.deepEqual(workflow.jobs.map((job) => [job.name, job.params?.url, (job.params?.headers as Record<string, string>).n]), [['call_1', 'http://x/01', '1'], ['call_2', 'http://x/02', '2']]);
  });

  const job = (extra: Record<string, unknown>): Record<string, unknown> => ({ name: 'j', command: 'true', ...extra });
  const errors: Array<[string, Record<string, unknown>, RegExp, string?]> = [
    ['unknown dependency', { jobs: [job({ depends_on: ['nope'] })] }, /"nope", which is not a job/, 'jobs[0].depends_on[0]'],
    ['self dependency', { jobs: [job({ depends_on: ['j'] })] }, /depends on itself/],
    ['regex matching nothing', { jobs: [job({ depends_on_regexes: ['^zzz'] })] }, /matches no other job/, 'jobs[0].depends_on_regexes[0]'],
    ['regex that does not compile', { jobs: [job({ depends_on_regexes: ['(['] })] }, /does not compile/],
    ['cycle', { jobs: [{ name: 'a', command: 'x', depends_on: ['c'] }, { name: 'b', command: 'x', depends_on: ['a'] }, { name: 'c', command: 'x', depends_on: ['b'] }] }, /dependency cycle: (a → c → b → a|c → b → a → c|b → a → c → b) \(each job depends on the next\)/],
    ['missing resource requirement', { jobs: [job({ resource_requirements: 'big' })] }, /resource requirement "big" is not defined/],
    ['missing scheduler', { jobs: [job({ scheduler_name: 's' })] }, /scheduler "s" is not defined/],
    ['missing failure handler', { jobs: [job({ failure_handler: 'h' })] }, /failure handler "h" is not defined/],
    ['missing file', { jobs: [job({ input_files: ['f'] })] }, /file "f" is not defined/],
    ['file reference to an unknown file', { jobs: [job({ command: 'cat ${files.input.f}' })] }, /refers to file "f"/],
    ['zip length mismatch', { jobs: [job({ parameters: { a: '[1,2]', b: '[1]' }, parameter_mode: 'zip' })] }, /one length/],
    ['range step 0', { jobs: [job({ parameters: { a: '1:5:0' } })] }, /step 0/, 'jobs[0].parameters.a'],
    ['unknown use_parameters', { jobs: [job({ use_parameters: ['q'] })] }, /not a workflow parameter/],
    ['old and new names together', { jobs: [job({ depends_on: [], blocked_by_job_names: [] })] }, /both depends_on and blocked_by_job_names/],
    ['neither command nor action', { jobs: [{ name: 'j' }] }, /needs a command \(or an action with params\)/],
    ['action selecting no jobs', { jobs: [job({})], actions: [{ trigger_type: 'on_jobs_complete', action_type: 'run_commands', job_name_regexes: ['^x'] }] }, /Action did not match any jobs/],
    ['schedule_nodes with an unknown scheduler', { jobs: [job({})], actions: [{ trigger_type: 'on_workflow_start', action_type: 'schedule_nodes', scheduler: 'gpu' }] }, /scheduler "gpu" is not defined/, 'actions[0].scheduler'],
    ['no jobs', { jobs: [] }, /no jobs/],
    ['jobs that expand to none', { jobs: [job({ parameters: { i: '[]' } })] }, /expand to no jobs at all/, 'jobs'],
  ];
  for (const [label, spec, message, where] of errors) {
    it(`rejects ${label}`, () => assertInvalid({ name: 'w', ...spec }, message, where));
  }
});

describe('the seed document’s old-style spec', () => {
  it('parses blocked_by_job_names and action job_names', () => {
    const workflow = parseTorcSpec(parseYaml(`
name: "Data Processing Workflow"
jobs:
  - name: "download_data"
    command: "wget https://example.com/data.tar.gz"
  - name: "process_data"
    command: "python process.py"
    blocked_by_job_names: ["download_data"]
  - name: "analyze_results"
    command: "python analyze.py"
    blocked_by_job_names: ["process_data"]
actions:
  - trigger_type: "on_jobs_complete"
    action_type: "run_commands"
    job_names: ["process_data", "analyze_results"]
    commands: ["echo done"]
`));
    assert.deepEqual(levelNames(workflow), [['download_data'], ['process_data'], ['analyze_results']]);
    assert.deepEqual(workflow.actions[0].selected_jobs, ['process_data', 'analyze_results']);
  });
});

describe('checkTorcSpec collects every problem', () => {
  it('reports all problems at once, each at its document path', () => {
    const checked = checkTorcSpec({
      name: 'w',
      jobs: [
        { name: 'a', command: 'x', depends_on: ['nope'], resource_requirements: 'big' },
        { name: 'b', command: 'x', depend_on: ['a'] },
        { name: 'a', command: 'y' },
      ],
      actions: [{ trigger_type: 'on_job_ready', action_type: 'run_commands', commands: ['true'] }],
    });
    assert.equal(checked.workflow, null);
    assert.deepEqual(
      checked.errors.map((problem) => [formatPath(problem.path), problem.message]),
      [
        ['jobs[1].depend_on', 'unknown field "depend_on" in job "b": did you mean depends_on?'],
        ['jobs[2].name', 'duplicate job name "a" (also jobs[0])'],
        ['jobs[0].depends_on[0]', 'job "a" depends on "nope", which is not a job'],
        ['jobs[0].resource_requirements', 'resource requirement "big" is not defined under resource_requirements (the workflow has no resource_requirements)'],
        ['actions[0].trigger_type', 'unknown trigger_type "on_job_ready": did you mean on_jobs_ready?'],
      ],
    );
  });

  it('a problem repeated by expansion is shown five times, then counted', () => {
    const checked = checkTorcSpec({ name: 'w', jobs: [{ name: 'j{i}', command: 'x', depends_on: ['p{i}'], parameters: { i: '1:50' } }] });
    assert.equal(checked.errors.length, 6);
    assert.equal(checked.errors[5].message, '… and 45 more problems at this place');
    assert.deepEqual(checked.errors[5].path, ['jobs', 0, 'depends_on', 0]);
  });

  it('Torc settings hookflow does not use are warnings, not errors', () => {
    const checked = checkTorcSpec({ name: 'w', jobs_sort_method: 'gpus', jobs: [{ name: 'a', command: 'x', supports_termination: true, priority: 3 }] });
    assert.ok(checked.workflow);
    assert.deepEqual(checked.warnings.map((problem) => formatPath(problem.path)), ['jobs_sort_method', 'jobs[0].supports_termination', 'jobs[0].priority']);
  });

  it('the expansion limit stops a runaway product', () => {
    const checked = checkTorcSpec({ name: 'w', jobs: [{ name: 'j{a}{b}', command: 'x', parameters: { a: '1:1000', b: '1:1000' } }] }, { maxJobs: 10_000 });
    assert.equal(checked.errors.length, 1);
    assert.match(checked.errors[0].message, /expand to 1000000 jobs, more than the 10000 still allowed/);
  });
});

describe('checkTorcSpec: what the model needs', () => {
  it('resources come from the named entry, with defaults', () => {
    const workflow = parseTorcSpec({
      name: 'w',
      resource_requirements: [{ name: 'gpu', num_cpus: 8, num_gpus: 1, memory: '32g', runtime: 'PT4H' }],
      jobs: [{ name: 'a', command: 'x', resource_requirements: 'gpu' }, { name: 'b', command: 'x' }],
    });
    assert.deepEqual(workflow.jobs[0].resources, { num_cpus: 8, num_gpus: 1, num_nodes: 1, memory_bytes: 32 * 1024 ** 3, runtime_seconds: 4 * 3600 });
    assert.deepEqual(workflow.jobs[1].resources, { num_cpus: 1, num_gpus: 0, num_nodes: 1, memory_bytes: 0, runtime_seconds: null });
  });

  it('failure rules come from the named handler', () => {
    const workflow = loadCompat('simple_retry.yaml');
    assert.deepEqual(workflow.jobs[0].failure_rules, [{ exit_codes: [], match_all_exit_codes: true, max_retries: 3, recovery_script: null }]);
    assert.deepEqual(workflow.jobs[1].failure_rules, []);
  });

  it('schedulers keep ntasks_per_node and tmp as sbatch options in extra', () => {
    const workflow = loadCompat('sample_workflow.yaml');
    assert.deepEqual(workflow.schedulers[0], {
      name: 'default_scheduler', account: 'project_account', partition: 'general', nodes: 1, walltime: '01:00:00',
      gres: null, mem: '8G', qos: 'normal', extra: '--ntasks-per-node=1 --tmp=10G --constraint=haswell',
    });
  });

  it('repeated names are distinct jobs: dependencies and selections count each', () => {
    const workflow = loadCompat('hyperparameter_sweep.yaml');
    const aggregates = workflow.jobs.flatMap((job, index) => (job.name === 'aggregate_results' ? [index] : []));
    assert.equal(aggregates.length, 18);
    const train = workflow.jobs.findIndex((job) => job.name.startsWith('train_'));
    assert.deepEqual(workflow.jobs[aggregates[0]].depends_on_indexes, [train]);
    const selected = parseTorcSpec({ name: 'w', jobs: [{ name: 'x', command: 'c', parameters: { i: '1:3' } }, { name: 'y', command: 'c' }], actions: [{ trigger_type: 'on_jobs_complete', action_type: 'run_commands', jobs: ['x'], commands: ['true'] }] }).actions[0];
    assert.deepEqual(selected.selected_indexes, [0, 1, 2]);
    assert.deepEqual(selected.selected_jobs, ['x']);
  });

  it('worker triggers are persistent by default, the others are not; persistent: false wins', () => {
    const workflow = parseTorcSpec({
      name: 'w',
      jobs: [{ name: 'a', command: 'x' }],
      actions: [
        { trigger_type: 'on_worker_start', action_type: 'run_commands', commands: ['true'] },
        { trigger_type: 'on_worker_complete', action_type: 'run_commands', commands: ['true'], persistent: false },
        { trigger_type: 'on_workflow_start', action_type: 'run_commands', commands: ['true'] },
      ],
    });
    assert.deepEqual(workflow.actions.map((action) => action.persistent), [true, false, false]);
  });

  it('a typed workflow action keeps its params with defaults; schedule_nodes gets num_allocations 1', () => {
    const workflow = parseTorcSpec({
      name: 'w',
      slurm_schedulers: [{ name: 's', account: 'a' }],
      jobs: [{ name: 'a', command: 'x' }],
      actions: [
        { trigger_type: 'on_workflow_complete', action_type: 'http_request', params: { url: 'http://hook' } },
        { trigger_type: 'on_workflow_start', action_type: 'schedule_nodes', scheduler_name: 's' },
      ],
    });
    assert.equal((workflow.actions[0].fields.params as Record<string, unknown>).method, 'GET');
    assert.deepEqual(workflow.actions[1].fields, { scheduler: 's', num_allocations: 1 });
  });

  it('repeated entries are kept once, and problems keep the written position', () => {
    const files = [{ name: 'f1', path: '/f1' }];
    const workflow = parseTorcSpec({ name: 'w', files, jobs: [{ name: 'a', command: 'cat ${files.input.f1}', input_files: ['f1', 'f1'] }] });
    assert.deepEqual(workflow.jobs[0].input_files, ['f1']);
    const checked = checkTorcSpec({ name: 'w', files, jobs: [{ name: 'a{i}', command: 'x', input_files: ['f{i}', 'f{i}', 'g{i}'], parameters: { i: '[1]' } }] });
    assert.deepEqual(checked.errors.map((problem) => formatPath(problem.path)), ['jobs[0].input_files[2]']);
  });

  it('lists shared between the jobs of an entry are frozen', () => {
    const workflow = parseTorcSpec({ name: 'w', jobs: [{ name: 'j{i}', command: 'x', input_user_data: [], parameters: { i: '1:2' } }] });
    assert.equal(workflow.jobs[0].input_user_data, workflow.jobs[1].input_user_data);
    assert.throws(() => workflow.jobs[0].input_user_data.push('x'), TypeError);
  });
});
