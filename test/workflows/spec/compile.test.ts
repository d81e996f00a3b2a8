import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import JSON5 from 'json5';
import { parse as parseYaml, stringify } from 'yaml';
import { compileWorkflow, detectWorkflowFormat, submitParameters } from '../../../src/workflows/spec/compile.js';
import type { WorkflowModel } from '../../../src/workflows/model.js';

const TORC = new URL('../../fixtures/compat/torc/', import.meta.url);
const DAGS = new URL('../../fixtures/compat/budpipeline/', import.meta.url);
const read = (base: URL, file: string): string => readFileSync(new URL(file, base), 'utf8');

function compiled(text: string, options: Parameters<typeof compileWorkflow>[1] = {}): WorkflowModel {
  const result = compileWorkflow(text, options);
  assert.deepEqual(result.errors, []);
  assert.ok(result.model);
  return result.model;
}

/** [message, line, column, path] of each expected problem, in document order. */
type Expected = [string, number, number, string];

const problems: Array<{ name: string; text: string; errors: Expected[] }> = [
  { name: 'unknown top-level field', text: 'name: w\ndescripton: x\njobs:\n  - {name: a, command: x}\n', errors: [['unknown field "descripton" in the workflow: did you mean description?', 2, 1, 'descripton']] },
  { name: 'unknown job field', text: 'name: w\njobs:\n  - name: a\n    command: x\n    depend_on: [b]\n', errors: [['unknown field "depend_on" in job "a": did you mean depends_on?', 5, 5, 'jobs[0].depend_on']] },
  { name: 'duplicate names across entries', text: 'name: w\njobs:\n  - {name: a, command: x}\n  - {name: a, command: y}\n', errors: [['duplicate job name "a" (also jobs[0])', 4, 12, 'jobs[1].name']] },
  {
    name: 'unknown dependency, with the nearest job',
    text: 'name: w\njobs:\n  - name: prepare\n    command: x\n  - name: train\n    command: y\n    depends_on: [prepar]\n',
    errors: [['job "train" depends on "prepar", which is not a job: did you mean prepare?', 7, 18, 'jobs[1].depends_on[0]']],
  },
  { name: 'self dependency', text: 'name: w\njobs:\n  - name: a\n    command: x\n    depends_on:\n      - a\n', errors: [['job "a" depends on itself', 6, 9, 'jobs[0].depends_on[0]']] },
  {
    name: 'cycle, printed',
    text: 'name: w\njobs:\n  - {name: a, command: x, depends_on: [c]}\n  - {name: b, command: x, depends_on: [a]}\n  - {name: c, command: x, depends_on: [b]}\n',
    errors: [['dependency cycle: a → c → b → a (each job depends on the next)', 3, 40, 'jobs[0].depends_on[0]']],
  },
  {
    name: 'regex that does not compile',
    text: 'name: w\njobs:\n  - {name: a, command: x}\n  - {name: b, command: x, depends_on_regexes: ["a(["]}\n',
    errors: [['the regex "a([" does not compile: /a([/: Unterminated character class', 4, 48, 'jobs[1].depends_on_regexes[0]']],
  },
  {
    name: 'job regex matching nothing',
    text: 'name: w\njobs:\n  - {name: a, command: x}\n  - {name: b, command: x, depends_on_regexes: ["^z"]}\n',
    errors: [['the regex "^z" of job "b" matches no other job', 4, 48, 'jobs[1].depends_on_regexes[0]']],
  },
  {
    name: 'action selecting no jobs',
    text: 'name: w\njobs:\n  - {name: a, command: x}\nactions:\n  - trigger_type: on_jobs_complete\n    action_type: run_commands\n    job_name_regexes: ["^train_"]\n    commands: [echo]\n',
    errors: [['Action did not match any jobs: give on_jobs_complete action jobs or job_name_regexes that name existing jobs', 7, 23, 'actions[0].job_name_regexes']],
  },
  {
    name: 'zip length mismatch',
    text: 'name: w\njobs:\n  - name: t_{d}_{m}\n    command: x\n    parameter_mode: zip\n    parameters:\n      d: "[a, b, c]"\n      m: "[x, y]"\n',
    errors: [['parameter_mode zip needs lists of one length (d: 3, m: 2)', 7, 7, 'jobs[0].parameters']],
  },
  { name: 'range step 0', text: 'name: w\njobs:\n  - name: j{i}\n    command: x\n    parameters:\n      i: "1:10:0"\n', errors: [['the range "1:10:0" has step 0 (use a non-zero step)', 6, 10, 'jobs[0].parameters.i']] },
  {
    name: 'unknown use_parameters',
    text: 'name: w\nparameters:\n  lr: "[1, 2]"\njobs:\n  - name: j{lr}\n    command: x\n    use_parameters: [rl]\n',
    errors: [['use_parameters names "rl", which is not a workflow parameter: did you mean lr?', 7, 22, 'jobs[0].use_parameters[0]']],
  },
  {
    name: 'missing resource requirement',
    text: 'name: w\nresource_requirements:\n  - {name: small, num_cpus: 1}\njobs:\n  - {name: a, command: x, resource_requirements: smal}\n',
    errors: [['resource requirement "smal" is not defined under resource_requirements: did you mean small?', 5, 50, 'jobs[0].resource_requirements']],
  },
  {
    name: 'missing scheduler, under its old name',
    text: 'name: w\njobs:\n  - {name: a, command: x, scheduler_name: gpu}\n',
    errors: [['scheduler "gpu" is not defined under slurm_schedulers (the workflow has no slurm_schedulers)', 3, 43, 'jobs[0].scheduler_name']],
  },
  {
    name: 'missing files, in a command and in output_files',
    text: 'name: w\nfiles:\n  - {name: f1, path: /d/f1}\njobs:\n  - {name: a, command: "cat ${files.input.f2}"}\n  - {name: b, command: x, output_files: [f3]}\n',
    errors: [
      ['the command refers to file "f2", which is not in files: did you mean f1?', 5, 24, 'jobs[0].command'],
      ['file "f3" is not defined under files: did you mean f1?', 6, 42, 'jobs[1].output_files[0]'],
    ],
  },
  {
    name: 'missing failure handler',
    text: 'name: w\njobs:\n  - {name: a, command: x, failure_handler: retry}\n',
    errors: [['failure handler "retry" is not defined under failure_handlers (the workflow has no failure_handlers)', 3, 44, 'jobs[0].failure_handler']],
  },
  {
    name: 'unknown action_type',
    text: 'name: w\njobs:\n  - {name: a, command: x}\nactions:\n  - {trigger_type: on_workflow_start, action_type: run_comands, commands: [x]}\n',
    errors: [['unknown action_type "run_comands": did you mean run_commands?', 5, 52, 'actions[0].action_type']],
  },
  { name: 'unknown job action', text: 'name: w\njobs:\n  - {name: a, action: http_requst}\n', errors: [['job "a": unknown action type "http_requst": did you mean http_request?', 3, 23, 'jobs[0].action']] },
  {
    name: 'invalid job params, from the action’s schema',
    text: 'name: w\njobs:\n  - name: a\n    action: http_request\n    params:\n      url: http://x\n      method: FETCH\n',
    errors: [['job "a": method must be one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"', 7, 15, 'jobs[0].params.method']],
  },
  {
    name: 'invalid workflow action params',
    text: 'name: w\njobs:\n  - {name: a, command: x}\nactions:\n  - trigger_type: on_workflow_complete\n    action_type: http_request\n    params: {method: GET}\n',
    errors: [['actions[0] (http_request): url is required', 7, 13, 'actions[0].params']],
  },
  {
    name: 'schedule_nodes without a scheduler, with 0 allocations',
    text: 'name: w\njobs:\n  - {name: a, command: x}\nactions:\n  - {trigger_type: on_workflow_start, action_type: schedule_nodes, num_allocations: 0}\n',
    errors: [
      ['a schedule_nodes action needs scheduler: the name of a slurm_schedulers entry', 5, 5, 'actions[0]'],
      ['actions[0].num_allocations must be an integer ≥ 1, not 0', 5, 85, 'actions[0].num_allocations'],
    ],
  },
  {
    name: 'schedule_nodes naming an unknown scheduler',
    text: 'name: w\nslurm_schedulers:\n  - {name: gpu_cluster, account: a}\njobs:\n  - {name: a, command: x}\nactions:\n  - {trigger_type: on_workflow_start, action_type: schedule_nodes, scheduler: gpu_clustr}\n',
    errors: [['scheduler "gpu_clustr" is not defined under slurm_schedulers: did you mean gpu_cluster?', 7, 79, 'actions[0].scheduler']],
  },
  {
    name: 'run_commands with a command that is not a string',
    text: 'name: w\njobs:\n  - {name: a, command: x}\nactions:\n  - {trigger_type: on_workflow_start, action_type: run_commands, commands: [echo, 3]}\n',
    errors: [['actions[0].commands[1] must be a command (a non-empty string), not 3', 5, 83, 'actions[0].commands[1]']],
  },
  {
    name: 'unknown trigger_type',
    text: 'name: w\njobs:\n  - {name: a, command: x}\nactions:\n  - {trigger_type: on_worker_stop, action_type: run_commands, commands: [x]}\n',
    errors: [['unknown trigger_type "on_worker_stop": did you mean on_worker_start?', 5, 20, 'actions[0].trigger_type']],
  },
  {
    name: 'bad memory and runtime, with what would be right',
    text: 'name: w\nresource_requirements:\n  - name: r\n    memory: 4 GB of RAM\n    runtime: 2h\njobs:\n  - {name: a, command: x, resource_requirements: r}\n',
    errors: [
      ['memory "4 GB of RAM" is not a size: write a number of bytes, or a number with k, m, g or t (512m, 4g, 1.5g)', 4, 13, 'resource_requirements[0].memory'],
      ['runtime "2h" is not an ISO-8601 duration: write PT2H', 5, 14, 'resource_requirements[0].runtime'],
    ],
  },
  {
    name: 'old and new names together',
    text: 'name: w\njobs:\n  - {name: a, command: x}\n  - {name: b, command: x, depends_on: [a], blocked_by_job_names: [a]}\n',
    errors: [['both depends_on and blocked_by_job_names are given: keep depends_on (blocked_by_job_names is its old name)', 4, 44, 'jobs[1].blocked_by_job_names']],
  },
  { name: 'neither command nor action', text: 'name: w\njobs:\n  - name: a\n', errors: [['job "a" needs a command (or an action with params)', 3, 5, 'jobs[0]']] },
  { name: 'no jobs', text: 'name: w\njobs: []\n', errors: [['the workflow has no jobs: jobs must be a non-empty list', 2, 7, 'jobs']] },
  { name: 'neither jobs nor steps', text: 'name: w\ndescription: x\n', errors: [['neither jobs (a Torc workflow spec) nor a steps list (a BudPipeline DAG): add one of them', 1, 1, '']] },
  { name: 'YAML syntax error', text: 'name: w\njobs: [\n', errors: [['Flow sequence in block collection', 3, 1, '']] },
  {
    name: 'DAG: unknown dependency',
    text: 'name: d\nsteps:\n  - {id: fetch, action: log, params: {message: hi}}\n  - {id: use, action: log, params: {message: hi}, depends_on: [fetsh]}\n',
    errors: [['step "use" depends on unknown step "fetsh": did you mean fetch?', 4, 64, 'steps[1].depends_on[0]']],
  },
  {
    name: 'DAG: a template reading a step that is not upstream',
    text: 'name: d\nsteps:\n  - {id: a, action: set_output, params: {outputs: {x: 1}}}\n  - {id: b, action: log, params: {message: "{{ steps.a.outputs.x }}"}}\n',
    errors: [['step "b" reads steps.a, which is not upstream of it: add "a" to its depends_on', 4, 44, 'steps[1].params.message']],
  },
  {
    name: 'JSON: unknown job field',
    text: '{\n  "name": "w",\n  "jobs": [\n    {"name": "a", "command": "x", "depend_on": ["b"]}\n  ]\n}\n',
    errors: [['unknown field "depend_on" in job "a": did you mean depends_on?', 4, 35, 'jobs[0].depend_on']],
  },
  {
    name: 'JSON: unknown dependency',
    text: '{\n  "name": "w",\n  "jobs": [\n    {"name": "prepare", "command": "x"},\n    {"name": "train", "command": "y", "depends_on": ["prepar"]}\n  ]\n}\n',
    errors: [['job "train" depends on "prepar", which is not a job: did you mean prepare?', 5, 54, 'jobs[1].depends_on[0]']],
  },
  {
    name: 'JSON: cycle',
    text: '{"name": "w", "jobs": [\n  {"name": "a", "command": "x", "depends_on": ["b"]},\n  {"name": "b", "command": "x", "depends_on": ["a"]}\n]}\n',
    errors: [['dependency cycle: a → b → a (each job depends on the next)', 2, 48, 'jobs[0].depends_on[0]']],
  },
  { name: 'JSON: syntax error', text: '{"name": "w",\n "jobs": [}', errors: [['invalid JSON', 2, 11, '']] },
  {
    name: 'JSON5: unknown field',
    text: "// w\n{\n  name: 'w',\n  jobs: [\n    {name: 'a', command: 'x', comand: 'y'},\n  ],\n}\n",
    errors: [['unknown field "comand" in job "a": did you mean command?', 5, 31, 'jobs[0].comand']],
  },
  {
    name: 'JSON5: regex matching nothing',
    text: "{\n  name: 'w',\n  jobs: [\n    {name: 'a', command: 'x'},\n    /* waits for b_* */\n    {name: 'c', command: 'x', depends_on_regexes: ['^b_']},\n  ],\n}\n",
    errors: [['the regex "^b_" of job "c" matches no other job', 6, 52, 'jobs[1].depends_on_regexes[0]']],
  },
  {
    name: 'JSON5: missing resource requirement',
    text: "{\n  name: 'w',\n  resource_requirements: [{name: 'small', memory: '1g'}],\n  jobs: [{name: 'a', command: 'x', resource_requirements: 'smal'}],\n}\n",
    errors: [['resource requirement "smal" is not defined under resource_requirements: did you mean small?', 4, 59, 'jobs[0].resource_requirements']],
  },
  { name: 'JSON5: syntax error', text: "{name: 'w', jobs: [}", errors: [["invalid JSON5: invalid character '}'", 1, 20, '']] },
];

describe('compileWorkflow: every problem, placed', () => {
  for (const { name, text, errors } of problems) {
    it(name, () => {
      const result = compileWorkflow(text);
      assert.equal(result.model, null);
      assert.deepEqual(
        result.errors.map((problem) => [problem.line, problem.column, problem.path]),
        errors.map(([, line, column, path]) => [line, column, path]),
        JSON.stringify(result.errors),
      );
      errors.forEach(([fragment], index) => assert.ok(result.errors[index].message.startsWith(fragment), result.errors[index].message));
    });
  }

  it('lists every problem of a document at once, in document order', () => {
    const text = [
      'name: w',
      'resource_requirements:',
      '  - {name: r, memory: 4x}',
      'jobs:',
      '  - {name: a, command: x, depends_on: [zz], resource_requirements: rr}',
      '  - {name: a, command: x, comand: y}',
      'actions:',
      '  - {trigger_type: on_jobs_ready, action_type: schedule_nodes, jobs: [nope]}',
    ].join('\n');
    const result = compileWorkflow(text);
    assert.deepEqual(
      result.errors.map((problem) => `${problem.line}:${problem.column} ${problem.path}`),
      ['3:23 resource_requirements[0].memory', '5:40 jobs[0].depends_on[0]', '5:68 jobs[0].resource_requirements', '6:12 jobs[1].name', '6:27 jobs[1].comand', '8:5 actions[0]', '8:71 actions[0].jobs[0]'],
    );
  });
});

describe('compileWorkflow: the compat files', () => {
  /** The table of compat/torc/expected.md. */
  const table = read(TORC, 'expected.md')
    .split('\n')
    .filter((line) => /^\| \S+\.yaml \|/.test(line))
    .map((line) => {
      const [file, jobs, files, actions] = line.split('|').slice(1).map((cell) => cell.trim());
      return { file, jobs: Number(jobs), files: Number(files), actions: Number(actions) };
    });

  it('expected.md has its nine rows', () => assert.equal(table.length, 9));
  for (const row of table) {
    it(`${row.file}: ${row.jobs} jobs, ${row.files} files, ${row.actions} actions`, () => {
      const model = compiled(read(TORC, row.file), { file: row.file });
      assert.equal(model.format, 'torc');
      assert.equal(model.dependency_rule, 'torc');
      assert.equal(model.jobs.length, row.jobs);
      assert.equal(model.files.length, row.files);
      assert.equal(model.actions.length, row.actions);
      assert.equal(model.levels.flat().length, row.jobs);
      model.jobs.forEach((job, index) => {
        assert.equal(job.index, index);
        assert.ok(job.depends_on.every((parent) => parent < model.jobs.length && parent !== index));
      });
    });
  }

  it('workflow_actions_ml_training: the on_jobs_ready regex selects the 8 training jobs', () => {
    const model = compiled(read(TORC, 'workflow_actions_ml_training.yaml'));
    const ready = model.actions.find((action) => action.trigger_type === 'on_jobs_ready');
    assert.ok(ready);
    assert.equal(ready.selected_jobs.length, 8);
    assert.equal(ready.required_triggers, 8);
    assert.deepEqual(ready.selected_jobs.map((index) => model.jobs[index].name), [1, 2, 3, 4, 5, 6, 7, 8].map((id) => `train_model_${id}`));
    assert.deepEqual(ready.fields, { scheduler: 'gpu_cluster', scheduler_type: 'slurm', num_allocations: 2, start_one_worker_per_node: true, max_parallel_jobs: 4 });
    const start = model.actions[0];
    assert.deepEqual([start.selected_jobs, start.required_triggers, start.persistent], [[], 1, false]);
    assert.deepEqual(model.slurm_schedulers, [{ name: 'gpu_cluster', account: 'ml_project', partition: 'gpu', nodes: 2, walltime: '04:00:00', gres: 'gpu:1', mem: null, qos: null, extra: null }]);
    const train = model.jobs.find((job) => job.name === 'train_model_3');
    assert.deepEqual(train?.resources, { num_cpus: 8, num_gpus: 1, num_nodes: 1, memory_bytes: 32 * 1024 ** 3, runtime_seconds: 4 * 3600 });
  });

  it('the other compat files are valid too', () => {
    for (const file of ['sample_workflow.yaml', 'workflow_actions_simple.yaml', 'workflow_actions_simple_slurm.yaml']) {
      const model = compiled(read(TORC, file));
      assert.ok(model.jobs.length > 0, file);
    }
  });

  it('diamond_workflow: file references are dependencies, by index', () => {
    const model = compiled(read(TORC, 'diamond_workflow.yaml'));
    assert.deepEqual(model.jobs.map((job) => job.depends_on), [[], [0], [0], [1, 2]]);
    assert.deepEqual(model.levels, [[0], [1, 2], [3]]);
    assert.deepEqual(model.jobs[3].input_files, ['f4', 'f5']);
  });

  const dags: Array<{ file: string; jobs: string[]; depends: number[][]; levels: number[][] }> = [
    { file: 'sample_dag.json', jobs: ['log_start', 'transform', 'set_result'], depends: [[], [0], [1]], levels: [[0], [1], [2]] },
    { file: 'parallel_dag.json', jobs: ['a', 'b', 'c', 'join'], depends: [[], [], [], [0, 1, 2]], levels: [[0, 1, 2], [3]] },
    { file: 'failure_dag.json', jobs: ['fail_step', 'after_fail'], depends: [[], [0]], levels: [[0], [1]] },
  ];
  for (const { file, jobs, depends, levels } of dags) {
    it(`${file} compiles to a DAG model`, () => {
      const model = compiled(read(DAGS, file));
      assert.equal(model.format, 'dag');
      assert.equal(model.dependency_rule, 'dag');
      assert.deepEqual(model.jobs.map((job) => job.name), jobs);
      assert.deepEqual(model.jobs.map((job) => job.depends_on), depends);
      assert.deepEqual(model.levels, levels);
      assert.ok(model.jobs.every((job) => job.command === null && job.action !== null && job.step !== null));
      assert.equal(model.max_parallel_jobs, 10);
      assert.equal(model.timeout_seconds, 7200);
    });
  }

  it('sample_dag.json keeps its parameters, conditions and outputs', () => {
    const model = compiled(read(DAGS, 'sample_dag.json'));
    assert.deepEqual(model.parameters, [
      { name: 'message', type: 'string', description: '', required: false, default: 'Hello World' },
      { name: 'run_transform', type: 'boolean', description: '', required: false, default: true },
    ]);
    assert.deepEqual(model.jobs[1].step, {
      id: 'transform', condition: '{{ params.run_transform }}', on_failure: 'fail',
      retry: { max_attempts: 3, backoff_seconds: 60, backoff_multiplier: 2, max_backoff_seconds: 3600 },
    });
    assert.deepEqual(model.jobs[1].params, { operation: 'uppercase', input: '{{ params.message }}' });
    assert.deepEqual(Object.keys(model.outputs), ['final_result', 'was_transformed']);
  });

  it('failure_dag.json keeps on_failure; settings become the model’s limits', () => {
    assert.deepEqual(compiled(read(DAGS, 'failure_dag.json')).jobs.map((job) => job.step?.on_failure), ['continue', 'fail']);
    const model = compiled('name: d\nsettings: {max_parallel_steps: 3, timeout_seconds: 60}\nsteps:\n  - {id: a, action: log, params: {message: hi}, timeout_seconds: 5}\n');
    assert.deepEqual([model.max_parallel_jobs, model.timeout_seconds, model.jobs[0].timeout_seconds], [3, 60, 5]);
  });
});

describe('compileWorkflow: formats and syntaxes', () => {
  const modern = [
    'name: w',
    'resource_requirements: [{name: small, num_cpus: 2, memory: 4g}]',
    'slurm_schedulers: [{name: s, account: acct}]',
    'jobs:',
    '  - {name: a_1, command: "true"}',
    '  - {name: b, command: "true", depends_on: [a_1], depends_on_regexes: ["^a_"], resource_requirements: small, scheduler: s}',
    'actions:',
    '  - {trigger_type: on_jobs_ready, action_type: schedule_nodes, jobs: [b], scheduler: s}',
  ].join('\n');
  const old = modern
    .replace('depends_on: [a_1]', 'blocked_by_job_names: [a_1]')
    .replace('depends_on_regexes:', 'blocked_by_job_name_regexes:')
    .replace('resource_requirements: small', 'resource_requirements_name: small')
    .replace('scheduler: s}', 'scheduler_name: s}')
    .replace('jobs: [b], scheduler: s}', 'job_names: [b], scheduler_name: s}');

  it('old and new field names give the same model', () => {
    assert.notEqual(old, modern);
    assert.match(old, /blocked_by_job_names.*blocked_by_job_name_regexes.*resource_requirements_name.*scheduler_name/s);
    assert.match(old, /job_names: \[b\], scheduler_name: s/);
    const a = compiled(modern);
    assert.deepEqual(compiled(old), a);
    assert.deepEqual(a.jobs[1].depends_on, [0]);
    assert.equal(a.jobs[1].scheduler, 's');
    assert.equal(a.jobs[1].resources.num_cpus, 2);
    assert.deepEqual(a.actions[0].fields, { scheduler: 's', num_allocations: 1 });
  });

  it('the same spec in YAML, JSON and JSON5 gives the same model', () => {
    const yamlModel = compiled(read(TORC, 'workflow_actions_data_pipeline.yaml'));
    const value = parseYaml(read(TORC, 'workflow_actions_data_pipeline.yaml')) as unknown;
    const json = JSON.stringify(value, null, 2);
    const json5 = `// the data pipeline\n${JSON5.stringify(value, null, 2)}`;
    assert.equal(compileWorkflow(json).syntax, 'json');
    assert.equal(compileWorkflow(json5).syntax, 'json5');
    assert.deepEqual(compiled(json), yamlModel);
    assert.deepEqual(compiled(json5), yamlModel);
  });

  it('a DAG in YAML is the same as in JSON', () => {
    const json = read(DAGS, 'parallel_dag.json');
    assert.deepEqual(compiled(stringify(JSON.parse(json))), compiled(json));
  });

  it('the format is detected from content, or given', () => {
    assert.equal(detectWorkflowFormat({ jobs: [] }), 'torc');
    assert.equal(detectWorkflowFormat({ steps: [] }), 'dag');
    assert.equal(detectWorkflowFormat({ steps: [], jobs: [] }), 'torc');
    assert.equal(detectWorkflowFormat({ steps: {} }), null);
    assert.equal(detectWorkflowFormat([]), null);
    const dag = compileWorkflow('name: d\nsteps:\n  - {id: a, action: log, params: {message: hi}}\n', { format: 'torc' });
    assert.equal(dag.format, 'torc');
    assert.deepEqual(dag.errors.map((problem) => problem.path), ['', 'steps']);
  });

  it('the file extension tells JSON5 apart when the text does not', () => {
    assert.equal(compileWorkflow('{"name": "w", "jobs": [}', { file: 'w.json5' }).errors[0].message.startsWith('invalid JSON5'), true);
    assert.equal(compileWorkflow('{"name": "w", "jobs": [}').errors[0].message.startsWith('invalid JSON'), true);
  });

  it('a Torc job may run a typed action; a DAG step may run run_commands', () => {
    const torc = compiled('name: w\njobs:\n  - {name: call, action: http_request, params: {url: "http://x"}}\n  - {name: after, command: "true", depends_on: [call]}\n');
    assert.deepEqual([torc.jobs[0].command, torc.jobs[0].action, torc.jobs[0].params?.url], [null, 'http_request', 'http://x']);
    const dag = compiled('name: d\nsteps:\n  - {id: sh, action: run_commands, params: {commands: ["echo hi"]}}\n');
    assert.deepEqual([dag.jobs[0].action, dag.jobs[0].params?.commands], ['run_commands', ['echo hi']]);
  });

  it('warnings do not stop compilation', () => {
    const result = compileWorkflow('name: w\njobs:\n  - {name: a, command: x, supports_termination: true}\n');
    assert.ok(result.model);
    assert.deepEqual(result.warnings.map((problem) => [problem.line, problem.column, problem.path]), [[3, 27, 'jobs[0].supports_termination']]);
  });
});

describe('submitParameters', () => {
  const dag = compiled([
    'name: d',
    'parameters:',
    '  - {name: count, type: number, required: true}',
    '  - {name: enabled, type: boolean, default: false}',
    '  - {name: label, type: string, default: none}',
    '  - {name: config, type: json}',
    'steps:',
    '  - {id: a, action: log, params: {message: "{{ params.label }}"}}',
  ].join('\n'));

  it('types the given values and fills in defaults', () => {
    assert.deepEqual(submitParameters(dag, { count: '3', enabled: 'true', config: '{"a": [1]}' }), {
      values: { count: 3, enabled: true, label: 'none', config: { a: [1] } },
      errors: [],
    });
    assert.deepEqual(submitParameters(dag, { count: 2.5, label: 'x' }).values, { count: 2.5, enabled: false, label: 'x' });
  });

  const rejections: Array<[string, Record<string, string | number>, string[]]> = [
    ['a missing required parameter', {}, ['missing required parameter: count (give --param count=VALUE)']],
    ['a value of the wrong type', { count: 'many', enabled: 'maybe', config: '{' }, ['parameter count must be a number, not "many"', 'parameter enabled must be true or false, not "maybe"', 'parameter config must be JSON']],
    ['an unknown name, with the nearest', { count: '1', cuont: '2' }, ['unknown parameter "cuont": did you mean count?']],
  ];
  for (const [label, given, messages] of rejections) {
    it(`rejects ${label}`, () => {
      const { errors } = submitParameters(dag, given);
      assert.equal(errors.length, messages.length, JSON.stringify(errors));
      messages.forEach((message, index) => assert.ok(errors[index].message.startsWith(message), errors[index].message));
    });
  }

  it('names every missing parameter in one problem', () => {
    const model = compiled('name: d\nparameters:\n  - {name: a, required: true}\n  - {name: b, required: true}\nsteps:\n  - {id: s, action: log, params: {message: hi}}\n');
    assert.deepEqual(submitParameters(model, {}).errors, [{ message: 'missing required parameters: a, b (give --param a=VALUE --param b=VALUE)', parameter: null }]);
  });

  it('a Torc workflow takes none, and says why', () => {
    const torc = compiled(read(TORC, 'hundred_jobs_parameterized.yaml'));
    assert.deepEqual(submitParameters(torc, {}), { values: {}, errors: [] });
    const { errors } = submitParameters(torc, { i: '3' });
    assert.deepEqual(errors, [{ message: 'a Torc workflow takes no parameters when it is submitted (its parameters are expanded from the spec): remove --param i', parameter: 'i' }]);
  });
});
