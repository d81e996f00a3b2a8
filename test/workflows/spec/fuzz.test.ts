import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import JSON5 from 'json5';
import { stringify } from 'yaml';
import { compileWorkflow, type CompileResult } from '../../../src/workflows/spec/compile.js';
import { validateWorkflowText } from '../../../src/workflows/spec/validate.js';

const fixture = (path: string): string => readFileSync(new URL(`../../fixtures/compat/${path}`, import.meta.url), 'utf8');
const SEEDS = [
  'torc/diamond_workflow.yaml',
  'torc/hyperparameter_sweep_shared_params.yaml',
  'torc/zip_parameter_mode.yaml',
  'torc/workflow_actions_ml_training.yaml',
  'torc/sample_workflow.yaml',
  'torc/simple_retry.yaml',
  'budpipeline/sample_dag.json',
  'budpipeline/parallel_dag.json',
].map(fixture);

/** Keeps fuzzed expansions small: a mutated range may ask for millions of jobs. */
const OPTIONS = { maxJobs: 5000 };

/** What every result must be: a model xor errors, each error placed at a real line and column. */
function assertWellFormed(result: CompileResult): void {
  assert.equal(result.model === null, result.errors.length > 0, JSON.stringify(result.errors.slice(0, 3)));
  for (const problem of [...result.errors, ...result.warnings]) {
    assert.equal(typeof problem.message, 'string');
    assert.ok(problem.message.length > 0);
    assert.ok(Number.isInteger(problem.line) && problem.line >= 1, JSON.stringify(problem));
    assert.ok(Number.isInteger(problem.column) && problem.column >= 1, JSON.stringify(problem));
    assert.equal(typeof problem.path, 'string');
  }
}

type Mutation = { kind: 'delete'; at: number; length: number } | { kind: 'insert'; at: number; text: string } | { kind: 'swap-lines'; a: number; b: number } | { kind: 'duplicate-line'; at: number };

const TOKENS = ['{', '}', '[', ']', ':', ',', '"', "'", '-', ' ', '\n', '  ', '{i}', '{i:03d}', '${files.input.f1}', '1:0:0', 'depends_on', 'jobs', 'steps', '&a', '*a', '//', '#', 'null', '0', 'on_jobs_ready', '.*', '(', '\t'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })) }),
  fc.record({ kind: fc.constant('swap-lines' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let result = text;
  for (const change of mutations) {
    if (change.kind === 'delete' || change.kind === 'insert') {
      const at = change.at % (result.length + 1);
      result = change.kind === 'delete' ? result.slice(0, at) + result.slice(at + change.length) : result.slice(0, at) + change.text + result.slice(at);
    } else {
      const lines = result.split('\n');
      if (change.kind === 'swap-lines') {
        const a = change.a % lines.length;
        const b = change.b % lines.length;
        [lines[a], lines[b]] = [lines[b], lines[a]];
      } else lines.splice(change.at % lines.length, 0, lines[change.at % lines.length]);
      result = lines.join('\n');
    }
  }
  return result;
}

const KEYS = [
  'name', 'user', 'description', 'jobs', 'steps', 'files', 'actions', 'parameters', 'resource_requirements', 'slurm_schedulers', 'failure_handlers',
  'command', 'action', 'params', 'depends_on', 'depends_on_regexes', 'blocked_by_job_names', 'parameter_mode', 'use_parameters', 'scheduler',
  'trigger_type', 'action_type', 'job_name_regexes', 'commands', 'id', 'condition', 'on_failure', 'retry', 'settings', 'outputs', 'memory', 'runtime', 'rules', 'path',
];
const SCALARS = ['a', 'b', 'x_{i}', '1:3', '[1, 2]', '^a', 'zip', 'product', 'on_jobs_ready', 'run_commands', 'schedule_nodes', 'log', '4g', 'PT1H', '{{ steps.a.outputs.x }}'];

/** Documents shaped like workflows: known keys with plausible or arbitrary values, nested. */
const documentLike: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<unknown>(...SCALARS),
    fc.integer({ min: -3, max: 5 }),
    fc.boolean(),
    fc.constant(null),
    fc.string({ maxLength: 6 }),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 5 })), tie('value'), { maxKeys: 6 }),
})).value;

describe('fuzz: compileWorkflow never throws, every problem is placed', () => {
  it('mutated compat files', () => {
    fc.assert(
      fc.property(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, mutations) => {
        assertWellFormed(compileWorkflow(mutate(SEEDS[seed], mutations), OPTIONS));
      }),
      { numRuns: 200 },
    );
  });

  it('random workflow-shaped documents in YAML, JSON and JSON5', () => {
    fc.assert(
      fc.property(documentLike, fc.constantFrom('yaml', 'json', 'json5'), (value, syntax) => {
        const text = syntax === 'yaml' ? stringify(value) : syntax === 'json' ? JSON.stringify(value, null, 1) ?? 'null' : JSON5.stringify(value, null, 1) ?? 'null';
        const result = compileWorkflow(text, OPTIONS);
        assertWellFormed(result);
        const report = validateWorkflowText(text, OPTIONS);
        assert.equal('errors' in report, result.model === null);
      }),
      { numRuns: 200 },
    );
  });

  it('random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => assertWellFormed(compileWorkflow(text, OPTIONS))),
      { numRuns: 200 },
    );
  });
});
