import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { BUILTIN_ACTIONS } from '../../../src/actions/builtin/index.js';
import { ActionRegistry } from '../../../src/actions/registry.js';
import { HookflowError } from '../../../src/errors.js';
import { checkDag, detectDagFormat, parseDag } from '../../../src/workflows/spec/dag.js';
import { stepReferences } from '../../../src/workflows/spec/step-references.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/compat/budpipeline/${name}`, import.meta.url), 'utf8');

/** One problem expected at a place: [message fragment, line, column, path]. */
type Expected = [string, number, number, string];

const rejections: Array<{ name: string; text: string; errors: Expected[] }> = [
  { name: 'missing name', text: 'steps:\n  - {id: a, action: log, params: {message: hi}}\n', errors: [['needs a name', 1, 1, '']] },
  { name: 'empty name', text: 'name: ""\nsteps:\n  - {id: a, action: log, params: {message: hi}}\n', errors: [['needs a name', 1, 7, 'name']] },
  { name: 'missing steps', text: 'name: x\n', errors: [['needs steps', 1, 1, '']] },
  { name: 'empty steps', text: 'name: x\nsteps: []\n', errors: [['non-empty list', 2, 8, 'steps']] },
  {
    name: 'duplicate ids',
    text: 'name: x\nsteps:\n  - id: a\n    action: log\n    params: {message: hi}\n  - id: a\n    action: log\n    params: {message: hi}\n',
    errors: [['duplicate step id "a" (also steps[0])', 6, 9, 'steps[1].id']],
  },
  {
    name: 'self dependency',
    text: 'name: x\nsteps:\n  - id: alpha\n    action: log\n    params: {message: hi}\n    depends_on: [alpha]\n',
    errors: [['step "alpha" depends on itself', 6, 18, 'steps[0].depends_on[0]']],
  },
  {
    name: 'unknown dependency with the nearest id',
    text: 'name: x\nsteps:\n  - id: fetch\n    action: log\n    params: {message: hi}\n  - id: use\n    action: log\n    params: {message: hi}\n    depends_on:\n      - fetsh\n',
    errors: [['depends on unknown step "fetsh": did you mean fetch?', 10, 9, 'steps[1].depends_on[0]']],
  },
  {
    name: 'cycle with its path',
    text: 'name: x\nsteps:\n  - {id: a, action: log, params: {message: hi}, depends_on: [c]}\n  - {id: b, action: log, params: {message: hi}, depends_on: [a]}\n  - {id: c, action: log, params: {message: hi}, depends_on: [b]}\n',
    errors: [['dependency cycle: a → c → b → a', 3, 62, 'steps[0].depends_on[0]']],
  },
  {
    name: 'unknown action type with the nearest name',
    text: 'name: x\nsteps:\n  - id: a\n    action: set_ouptut\n    params: {}\n',
    errors: [['unknown action type "set_ouptut": did you mean set_output?', 4, 13, 'steps[0].action']],
  },
  {
    name: 'invalid params from the schema',
    text: 'name: x\nsteps:\n  - id: a\n    action: log\n    params:\n      message: hi\n      level: loud\n',
    errors: [['level must be one of', 7, 14, 'steps[0].params.level']],
  },
  {
    name: 'missing required param',
    text: 'name: x\nsteps:\n  - id: a\n    action: http_request\n    params: {}\n',
    errors: [['url is required', 5, 13, 'steps[0].params']],
  },
  {
    name: 'template reading a step that does not exist',
    text: 'name: x\nsteps:\n  - id: first\n    action: log\n    params: {message: hi}\n  - id: b\n    action: log\n    depends_on: [first]\n    params: {message: "{{ steps.frist.outputs.x }}"}\n',
    errors: [['reads steps.frist, which is not a step: did you mean first?', 9, 23, 'steps[1].params.message']],
  },
  {
    name: 'template reading a step that is not upstream',
    text: 'name: x\nsteps:\n  - id: a\n    action: log\n    params: {message: hi}\n  - id: b\n    action: log\n    condition: "{{ steps.a.outputs.ok }}"\n    params: {message: hi}\n',
    errors: [['reads steps.a, which is not upstream of it', 8, 16, 'steps[1].condition']],
  },
  {
    name: 'output reading an unknown step (JSON)',
    text: '{\n  "name": "x",\n  "steps": [{"id": "a", "action": "log", "params": {"message": "hi"}}],\n  "outputs": {"r": "{{ steps.b.outputs.v }}"}\n}\n',
    errors: [['output r reads steps.b', 4, 20, 'outputs.r']],
  },
  {
    name: 'bad settings and retry (JSON)',
    text: '{"name": "x",\n "settings": {"max_parallel_steps": 0},\n "steps": [{"id": "a", "action": "log", "params": {"message": "hi"},\n   "on_failure": "retyr", "retry": {"max_attempts": 11}}]}\n',
    errors: [
      ['settings.max_parallel_steps must be an integer ≥ 1', 2, 37, 'settings.max_parallel_steps'],
      ['on_failure must be fail, continue or retry (got "retyr"): did you mean retry?', 4, 18, 'steps[0].on_failure'],
      ['steps[0].retry.max_attempts must be an integer from 1 to 10', 4, 53, 'steps[0].retry.max_attempts'],
    ],
  },
  { name: 'YAML syntax error', text: 'name: x\nsteps: [\n', errors: [['', 3, 1, '']] },
  { name: 'JSON syntax error (trailing comma YAML would accept)', text: '{"name": "x", "steps": [],}', errors: [['invalid JSON', 1, 27, '']] },
];

describe('BudPipeline DAG validation', () => {
  for (const { name, text, errors } of rejections) {
    it(`rejects: ${name}`, () => {
      const checked = checkDag(text);
      assert.equal(checked.dag, null);
      assert.deepEqual(
        checked.errors.map((problem) => [problem.line, problem.column, problem.path]),
        errors.map(([, line, column, path]) => [line, column, path]),
        JSON.stringify(checked.errors),
      );
      errors.forEach(([fragment], index) => assert.ok(checked.errors[index].message.includes(fragment), checked.errors[index].message));
    });
  }

  it('reports every problem at once', () => {
    const text = 'name: x\nsteps:\n  - {id: a, action: lgo, depends_on: [zz]}\n  - {id: a, action: log, params: {message: hi}, depends_on: [a]}\n';
    const messages = checkDag(text).errors.map((problem) => problem.message);
    assert.equal(messages.length, 4, messages.join('\n'));
  });

  it('throws HF_ERR_INVALID_WORKFLOW listing file:line:column', () => {
    assert.throws(
      () => parseDag('name: x\nsteps:\n  - {id: a, action: log, params: {message: hi}, depends_on: [build]}\n', { file: 'p.yaml' }),
      (error: unknown) => {
        assert.ok(error instanceof HookflowError);
        assert.equal(error.code, 'HF_ERR_INVALID_WORKFLOW');
        assert.match(error.message, /p\.yaml:3:62: step "a" depends on unknown step "build"/);
        assert.deepEqual(error.details.problems, [{ message: 'step "a" depends on unknown step "build"', line: 3, column: 62, path: 'steps[0].depends_on[0]' }]);
        return true;
      },
    );
  });

  it('warns about unknown fields with the nearest name, without rejecting', () => {
    const text = 'name: x\ndescripton: d\nsteps:\n  - id: a\n    action: log\n    param: {}\n    params: {message: hi}\n';
    const { dag, warnings } = parseDag(text);
    assert.equal(dag.steps.length, 1);
    assert.deepEqual(
      warnings.map((problem) => [problem.message, problem.line, problem.column]),
      [
        ['unknown field "descripton" in the pipeline (ignored): did you mean description?', 2, 1],
        ['unknown field "param" in step "a" (ignored): did you mean params?', 6, 5],
      ],
    );
  });

  it('checks actions against the given registry', () => {
    const registry = new ActionRegistry();
    for (const definition of BUILTIN_ACTIONS.filter((definition) => definition.meta.type === 'log')) registry.register(definition, 'builtin');
    const checked = checkDag('name: x\nsteps:\n  - {id: a, action: fail, params: {message: m}}\n', { actions: registry });
    assert.deepEqual(
      checked.errors.map((problem) => problem.message),
      ['step "a": unknown action type "fail"'],
    );
  });
});

describe('BudPipeline DAG model', () => {
  it('fills in the defaults', () => {
    const { dag, format } = parseDag('name: x\nsettings: {retry_policy: {backoff_seconds: 5}}\nsteps:\n  - {id: a, action: log, params: {message: hi}, on_failure: retry}\n');
    assert.equal(format, 'yaml');
    assert.deepEqual(dag.settings, { timeout_seconds: 7200, fail_fast: true, max_parallel_steps: 10, retry_policy: { max_attempts: 3, backoff_seconds: 5, backoff_multiplier: 2, max_backoff_seconds: 3600 } });
    assert.deepEqual(dag.steps[0], {
      id: 'a',
      name: 'a',
      action: 'log',
      params: { message: 'hi', level: 'info' },
      depends_on: [],
      condition: null,
      on_failure: 'retry',
      timeout_seconds: null,
      retry: { max_attempts: 3, backoff_seconds: 5, backoff_multiplier: 2, max_backoff_seconds: 3600 },
    });
    assert.deepEqual([dag.version, dag.description, dag.parameters, dag.outputs], ['1.0.0', '', [], {}]);
  });

  it('detects the format from content', () => {
    assert.equal(detectDagFormat('  \n{"name": 1}'), 'json');
    assert.equal(detectDagFormat('name: x'), 'yaml');
  });

  it('finds step references in templates and bare conditions', () => {
    assert.deepEqual(stepReferences('{{ steps.a.outputs.x }} and {{ steps["b-c"].outputs.y | default(params.steps) }}'), ['a', 'b-c']);
    assert.deepEqual(stepReferences('steps.a.outputs.ok and steps.b.outputs.ok', true), ['a', 'b']);
    assert.deepEqual(stepReferences('steps.a.outputs.ok'), []);
  });
});

describe('BudPipeline compat DAGs', () => {
  const cases: Array<{ file: string; steps: number; levels: string[][]; parameters: number }> = [
    { file: 'sample_dag.json', steps: 3, levels: [['log_start'], ['transform'], ['set_result']], parameters: 2 },
    { file: 'parallel_dag.json', steps: 4, levels: [['a', 'b', 'c'], ['join']], parameters: 0 },
    { file: 'failure_dag.json', steps: 2, levels: [['fail_step'], ['after_fail']], parameters: 0 },
  ];
  for (const { file, steps, levels, parameters } of cases) {
    it(`${file} is valid`, () => {
      const { dag, format, warnings } = parseDag(fixture(file), { file });
      assert.equal(format, 'json');
      assert.deepEqual(warnings, []);
      assert.equal(dag.steps.length, steps);
      assert.deepEqual(dag.levels, levels);
      assert.equal(dag.parameters.length, parameters);
    });
  }

  it('keeps the details of sample_dag.json', () => {
    const { dag } = parseDag(fixture('sample_dag.json'));
    assert.deepEqual(dag.parameters[1], { name: 'run_transform', type: 'boolean', description: '', required: false, default: true });
    assert.equal(dag.steps[1].condition, '{{ params.run_transform }}');
    assert.equal(dag.steps[1].name, 'Transform Message');
    assert.deepEqual(Object.keys(dag.outputs), ['final_result', 'was_transformed']);
  });

  it('the same DAG in YAML gives the same model', () => {
    const json = parseDag(fixture('parallel_dag.json'));
    const yaml = parseDag(stringify(JSON.parse(fixture('parallel_dag.json'))));
    assert.equal(yaml.format, 'yaml');
    assert.deepEqual(yaml.dag, json.dag);
  });

  it('failure_dag.json keeps on_failure', () => {
    const { dag } = parseDag(fixture('failure_dag.json'));
    assert.deepEqual(dag.steps.map((step) => step.on_failure), ['continue', 'fail']);
  });
});
