/**
 * `npm run bench:actions`: typed actions through their full path, on SQLite.
 *
 * 1. `set_output` run by runAction (params validated with templates unresolved, rendered over
 *    params and an event, validated again, executed, outputs checked) and recorded as a hook
 *    execution (one claimed event completed with its execution record, as the dispatcher does),
 *    `--in-flight` runs at a time so records share commits as the dispatcher's do.
 * 2. A hook with the `action` runtime, end to end: events published to an engine whose
 *    dispatcher runs the hook (template rendering over the event, the action, the execution
 *    record), measured from the first publish to the last event processed.
 *
 * Prints a table, or with --json one JSON object: { set_output: {...}, hook: {...}, machine }.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinActions } from '../src/actions/builtin/index.js';
import { runAction, type ActionServices } from '../src/actions/executor.js';
import type { ActionOutcome } from '../src/actions/model.js';
import { renderParams } from '../src/actions/templates.js';
import { Engine } from '../src/engine.js';
import { newId } from '../src/events/ids.js';
import type { JsonObject } from '../src/events/model.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import { readOptions, wholeNumber } from './lib/cli.js';

interface Options {
  runs: number;
  events: number;
  inFlight: number;
  json: boolean;
}

const USAGE = `npm run bench:actions -- [options]

  --runs N        set_output executions (default 20000)
  --events N      events for the action hook (default 5000)
  --in-flight N   set_output executions in flight at once (default 64)
  --json          print the figures as one JSON object on stdout
  --help`;

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: { runs: { type: 'string' }, events: { type: 'string' }, 'in-flight': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) return null;
  const count = (name: string, raw: string | undefined, fallback: number) => wholeNumber(name, raw, fallback);
  return { runs: count('runs', values.runs, 20_000), events: count('events', values.events, 5_000), inFlight: count('in-flight', values['in-flight'], 64), json: values.json === true };
}

const PARAMS: JsonObject = {
  outputs: {
    task: '{{ event.data.task.task_name }}',
    exit_code: '{{ event.data.task.exit_code }}',
    summary: '{{ event.data.task.task_name }} failed on {{ event.data.task.agent_name }}',
    attempt: '{{ params.attempt | default(1) }}',
  },
};
const TASK = { task_name: 'deploy_app', agent_name: 'web-01', status: 'failed', exit_code: 1, duration: '2s' };

type StageName = 'validate' | 'render' | 'execute' | 'outputs' | 'record';

interface Figures {
  count: number;
  seconds: number;
  perSecond: number;
  /** Mean ms per execution spent in each stage. */
  stagesMs: Partial<Record<StageName, number>>;
}

function round(value: number, digits = 4): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** set_output through runAction, each outcome recorded as the hook execution of a claimed event. */
async function benchSetOutput(options: Options): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-bench-actions-'));
  const store = await SqliteStore.open(join(dir, 'hookflow.db'));
  try {
    const definition = builtinActions().find((action) => action.meta.type === 'set_output');
    if (!definition) throw new Error('set_output is not a built-in');
    const services: ActionServices = { publish: async () => 'unused', invokeService: async () => null };
    const owner = 'bench';
    const leaseMs = 600_000;
    // The events the executions belong to, claimed as the dispatcher claims them; not timed.
    const ids: string[] = [];
    for (let start = 0; start < options.runs; start += 5_000) {
      const rows = Array.from({ length: Math.min(5_000, options.runs - start) }, () => {
        const now = Date.now();
        const id = newId(now);
        ids.push(id);
        return { event: { id, type: 'task.failed', data: { task: TASK }, created_at: now }, claim: { owner, lease_expires_at: now + leaseMs }, completed: false };
      });
      await store.insertEvents(rows);
    }
    const totals: Record<StageName, number> = { validate: 0, render: 0, execute: 0, outputs: 0, record: 0 };
    let timing = true;
    const runOne = async (eventId: string): Promise<void> => {
      const event = { id: eventId, type: 'task.failed', data: { task: TASK } };
      const context = { params: PARAMS, event };
      const outcome: ActionOutcome = await runAction({ definition, params: PARAMS, render: (raw) => renderParams(raw, context), services, executionId: eventId });
      if (!outcome.success) throw new Error(`set_output failed: ${outcome.error}`);
      const mark = performance.now();
      await store.completeEvents([
        {
          id: eventId,
          owner,
          status: 'completed',
          error: null,
          processed_at: Date.now(),
          executions: [{ event_id: eventId, hook_name: 'bench', success: true, output: JSON.stringify(outcome.outputs), error: null, duration_ms: outcome.durationMs, executed_at: Date.now(), attempt: 1 }],
        },
      ]);
      if (!timing) return;
      totals.record += performance.now() - mark;
      for (const stage of ['validate', 'render', 'execute', 'outputs'] as const) totals[stage] += outcome.stages[stage];
    };
    // Stages one execution at a time: with many in flight each stage's clock would also count
    // the other executions' turns of the event loop.
    const timed = Math.max(1, Math.min(1_000, Math.floor(ids.length / 5)));
    for (const id of ids.slice(0, timed)) await runOne(id);
    timing = false;
    const rest = ids.slice(timed);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.inFlight, rest.length) }, async () => {
        while (next < rest.length) await runOne(rest[next++]);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      count: rest.length,
      seconds: round(seconds, 3),
      perSecond: Math.round(rest.length / seconds),
      stagesMs: Object.fromEntries(Object.entries(totals).map(([stage, total]) => [stage, round(total / timed)])),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Events through the dispatcher to a hook with the action runtime. */
async function benchActionHook(options: Options): Promise<Figures & { executionMs: number }> {
  const home = mkdtempSync(join(tmpdir(), 'hookflow-bench-action-hook-'));
  const engine = await Engine.open({ home, storeUrl: `sqlite:${join(home, 'hookflow.db')}`, env: { HOOKFLOW_SECRET_KEY: 'bench', HOOKFLOW_MONITOR: '0' }, projectRoot: home });
  try {
    await engine.hooks.addAction({ name: 'summarise', events: ['task.failed'], action: 'set_output', params: PARAMS });
    await engine.loadActions();
    // Warm the runtime and the templates' cache, outside the clock.
    await engine.events.dispatchAndWait({ type: 'task.failed', data: { task: TASK } });
    let processed = 0;
    let executionMs = 0;
    const allDone = new Promise<void>((resolve) => {
      engine.dispatcher.on('processed', (done: { executions: Array<{ duration_ms: number; success: boolean }> }) => {
        for (const execution of done.executions) {
          if (!execution.success) throw new Error('the action hook failed');
          executionMs += execution.duration_ms;
        }
        processed += 1;
        if (processed === options.events) resolve();
      });
    });
    await engine.dispatcher.start();
    const started = performance.now();
    for (let start = 0; start < options.events; start += 500) {
      await Promise.all(Array.from({ length: Math.min(500, options.events - start) }, () => engine.events.dispatch({ type: 'task.failed', data: { task: TASK } })));
    }
    await allDone;
    const seconds = (performance.now() - started) / 1000;
    return { count: options.events, seconds: round(seconds, 3), perSecond: Math.round(options.events / seconds), stagesMs: {}, executionMs: round(executionMs / options.events) };
  } finally {
    await engine.close(5_000);
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = readOptions(parseOptions, USAGE);
  if (!options) return;
  const setOutput = await benchSetOutput(options);
  const hook = await benchActionHook(options);
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ set_output: setOutput, hook, machine })}\n`);
    return;
  }
  const lines = [
    `typed actions on SQLite (${machine.cpus} × ${machine.cpu}, Node ${machine.node})`,
    '',
    `set_output, full path + record: ${setOutput.perSecond.toLocaleString('en')} executions/s (${setOutput.count} in ${setOutput.seconds} s, ${options.inFlight} in flight)`,
    '  mean per execution, one at a time (record = one commit, durable), ms:',
    ...Object.entries(setOutput.stagesMs).map(([stage, ms]) => `    ${stage.padEnd(9)} ${ms.toFixed(4)}`),
    '',
    `action hook (set_output) through the dispatcher: ${hook.perSecond.toLocaleString('en')} events/s (${hook.count} in ${hook.seconds} s)`,
    `  mean hook execution (render + action, among the dispatcher's concurrent runs), ms: ${hook.executionMs.toFixed(4)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
