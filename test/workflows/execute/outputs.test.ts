import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registerBuiltinActions } from '../../../src/actions/builtin/index.js';
import { ActionRegistry } from '../../../src/actions/registry.js';
import type { JsonObject } from '../../../src/events/model.js';
import { recordingServices } from '../../../src/testing.js';
import { resolveWorkflowOutputs } from '../../../src/workflows/execute/outputs.js';
import { runActionJob } from '../../../src/workflows/execute/step-job.js';
import type { JobModel } from '../../../src/workflows/model.js';
import { parseDag, type BudPipelineDag } from '../../../src/workflows/spec/dag.js';
import { makeJob, makeStep } from './helpers.js';

const registry = new ActionRegistry();
registerBuiltinActions(registry);
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookflow-outputs-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/compat/budpipeline/${name}`, import.meta.url), 'utf8');

function jobsOf(dag: BudPipelineDag): JobModel[] {
  const index = new Map(dag.steps.map((step, i) => [step.id, i]));
  return dag.steps.map((step, i) =>
    makeJob({
      index: i,
      name: step.name,
      action: step.action,
      params: step.params,
      depends_on: step.depends_on.map((id) => index.get(id) as number).sort((a, b) => a - b),
      timeout_seconds: step.timeout_seconds,
      step: makeStep(step.id, { condition: step.condition, on_failure: step.on_failure, retry: step.retry }),
    }),
  );
}

/** Runs a DAG's steps level by level through runActionJob; the state rules themselves belong to the store. */
async function runDag(dag: BudPipelineDag, given: JsonObject): Promise<{ params: JsonObject; statuses: Record<string, string>; stepOutputs: Record<string, JsonObject> }> {
  const params: JsonObject = {};
  for (const parameter of dag.parameters) if (parameter.default !== undefined) params[parameter.name] = parameter.default;
  Object.assign(params, given);
  const jobs = new Map(jobsOf(dag).map((job) => [job.step?.id as string, job]));
  const statuses: Record<string, string> = {};
  const stepOutputs: Record<string, JsonObject> = {};
  for (const level of dag.levels) {
    const results = await Promise.all(
      level.map((id) =>
        runActionJob(jobs.get(id) as JobModel, {
          registry,
          services: recordingServices(),
          workflowParams: params,
          stepOutputs: { ...stepOutputs },
          stepStatuses: { ...statuses },
          signal: new AbortController().signal,
          timeoutSeconds: dag.settings.timeout_seconds,
          logPath: join(dir, `${id}.log`),
          attempt: 1,
          executionId: `sample:${id}`,
        }),
      ),
    );
    results.forEach((result, i) => {
      statuses[level[i]] = result.outcome;
      if (result.outcome === 'completed' && result.outputs) stepOutputs[level[i]] = result.outputs;
    });
  }
  return { params, statuses, stepOutputs };
}

describe('resolveWorkflowOutputs with the compat DAGs (expected.md)', () => {
  const table: Array<[string, string, JsonObject, JsonObject, Record<string, string>]> = [
    ['sample_dag, defaults', 'sample_dag.json', {}, { final_result: 'HELLO WORLD', was_transformed: 'True' }, { log_start: 'completed', transform: 'completed', set_result: 'completed' }],
    [
      'sample_dag, run_transform false',
      'sample_dag.json',
      { run_transform: false },
      { final_result: 'Hello World', was_transformed: 'False' },
      { log_start: 'completed', transform: 'skipped', set_result: 'completed' },
    ],
    ['parallel_dag', 'parallel_dag.json', {}, { result: 'A-B-C' }, { a: 'completed', b: 'completed', c: 'completed', join: 'completed' }],
  ];
  for (const [name, file, given, outputs, states] of table) {
    it(name, async () => {
      const { dag } = parseDag(fixture(file), { file });
      const run = await runDag(dag, given);
      assert.deepEqual(run.statuses, states);
      const resolved = resolveWorkflowOutputs({ outputs: dag.outputs }, run.params, run.stepOutputs, run.statuses);
      assert.deepEqual(resolved, { outputs, error: null });
    });
  }
});

describe('resolveWorkflowOutputs', () => {
  it('keeps types of bare paths, renders expressions as text, and undefined as ""', () => {
    const outputs = { n: '{{ steps.a.outputs.n }}', list: '{{ steps.a.outputs.list }}', sum: '{{ steps.a.outputs.n + 1 }}', missing: '{{ steps.gone.outputs.x }}', fixed: 7, p: '{{ params.p }}' };
    const resolved = resolveWorkflowOutputs({ outputs }, { p: true }, { a: { n: 2, list: ['x'] } }, { a: 'completed' });
    assert.deepEqual(resolved, { outputs: { n: 2, list: ['x'], sum: '3', missing: '', fixed: 7, p: true }, error: null });
  });

  it('reports a broken template and keeps the other outputs', () => {
    const resolved = resolveWorkflowOutputs({ outputs: { good: '{{ params.a }}', bad: '{{ params.a + }}' } }, { a: 1 }, {});
    assert.deepEqual(resolved.outputs, { good: 1 });
    assert.match(resolved.error ?? '', /outputs\.bad/);
  });
});
