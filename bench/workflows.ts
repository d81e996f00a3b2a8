/**
 * `npm run bench:workflows`: workflows on the embedded SQLite store.
 *
 * a. validate + expand + store a parameterized Torc workflow of --jobs jobs (default 100 000):
 *    jobs per second for the compile alone and for the whole submit (compile, store, events).
 * b. --commands `true` jobs (default 10 000) run by 2 worker processes (`hookflow worker`, one job
 *    at a time each), and `seq N | xargs -P 2 -n 1 sh -c true` (the process spawn floor), taken
 *    in turns for --rounds rounds (default 3): xargs, hookflow, xargs, hookflow, …, xargs. Each
 *    hookflow run is compared with the two xargs runs around it; the ratio is the median of those
 *    (aim ≥ 0.7), since this host's speed drifts by tens of percent from one run to the next.
 *    Timed from the workers' spawn to the workflow's end, so their start-up counts.
 * c. a DAG of --steps `set_output` steps (default 10 000; 100 per level, each reading an output of
 *    the step above it), one in-process worker: steps per second.
 * d. a chain of --chain `true` jobs (default 200): the time from a job's end to its dependent's
 *    start, p50/p99, from the jobs' own timestamps.
 *
 * Prints a table, or with --json one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compiledEntry } from '../bin/compiled.js';
import { Engine } from '../src/engine.js';
import { compileWorkflow } from '../src/workflows/spec/compile.js';
import { lowerMedian, summarize, type LatencySummary } from './lib/stats.js';
import { readOptions, wholeNumber } from './lib/cli.js';
import { stealMeter } from './lib/cpu.js';

interface Options {
  jobs: number;
  commands: number;
  rounds: number;
  steps: number;
  chain: number;
  json: boolean;
  only: Set<string>;
}

const USAGE = `npm run bench:workflows -- [options]

  --jobs N       jobs of the parameterized workflow stored in (a) (default 100000)
  --commands N   \`true\` jobs run by 2 workers in (b) (default 10000)
  --rounds N     hookflow runs in (b), each between two xargs runs (default 3)
  --steps N      set_output steps of the DAG in (c) (default 10000)
  --chain N      jobs of the chain in (d) (default 200)
  --only LIST    run only these parts, e.g. --only a,b
  --json         print the figures as one JSON object on stdout
  --help`;

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      jobs: { type: 'string' },
      commands: { type: 'string' },
      rounds: { type: 'string' },
      steps: { type: 'string' },
      chain: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return null;
  const count = (name: string, raw: string | undefined, fallback: number) => wholeNumber(name, raw, fallback, 2);
  const only = new Set((values.only ?? 'a,b,c,d').split(',').map((part) => part.trim()).filter(Boolean));
  for (const part of only) if (!['a', 'b', 'c', 'd'].includes(part)) throw new Error(`--only takes a, b, c and d, not "${part}"`);
  return {
    jobs: count('jobs', values.jobs, 100_000),
    commands: count('commands', values.commands, 10_000),
    rounds: wholeNumber('rounds', values.rounds, 3, 1),
    steps: count('steps', values.steps, 10_000),
    chain: count('chain', values.chain, 200),
    json: values.json === true,
    only,
  };
}

const BIN = resolve(import.meta.dirname, '..', 'bin', 'hookflow.js');

/**
 * Why (b)'s `hookflow worker` processes would not run the compiled CLI, or null. They would then
 * compile the TypeScript sources through tsx at every start, and (b) would measure that: a lib/
 * left behind by an edit to src/ once read 0.54 where the compiled CLI read 0.65.
 */
function compiledCliProblem(): string | null {
  const { reason } = compiledEntry(resolve(import.meta.dirname, '..'));
  return reason === null ? null : `(b) runs \`hookflow worker\` processes, and they would not run the compiled CLI: ${reason}. Run \`npm run build\` first.`;
}

interface Home {
  dir: string;
  storeUrl: string;
  engine: Engine;
}

async function openHome(): Promise<Home> {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-bench-workflows-'));
  const storeUrl = `sqlite:${join(dir, 'hookflow.db')}`;
  const engine = await Engine.open({ home: dir, storeUrl });
  await engine.store.migrate();
  return { dir, storeUrl, engine };
}

async function closeHome(home: Home): Promise<void> {
  await home.engine.close();
  rmSync(home.dir, { recursive: true, force: true });
}

function parameterizedSpec(name: string, jobs: number, command: string): string {
  const width = String(jobs).length;
  return JSON.stringify({ name, jobs: [{ name: `job_{i:0${width}d}`, command, parameters: { i: `1:${jobs}` } }] });
}

function chainSpec(length: number): string {
  const jobs = Array.from({ length }, (_, i) => ({ name: `link_${i}`, command: 'true', ...(i > 0 ? { depends_on: [`link_${i - 1}`] } : {}) }));
  return JSON.stringify({ name: 'chain', jobs });
}

function dagSpec(steps: number): string {
  const width = 100;
  const list = Array.from({ length: steps }, (_, i) => {
    const above = i >= width ? `s${i - width}` : null;
    return {
      id: `s${i}`,
      action: 'set_output',
      params: { outputs: { value: above ? `{{ steps.${above}.outputs.value }}` : String(i), level: Math.floor(i / width) } },
      ...(above ? { depends_on: [above] } : {}),
    };
  });
  return JSON.stringify({ name: 'set-output-dag', version: '1.0', settings: { max_parallel_steps: 64 }, steps: list });
}

interface StoreFigures {
  jobs: number;
  compile_seconds: number;
  compile_jobs_per_second: number;
  submit_seconds: number;
  submit_jobs_per_second: number;
}

async function benchStore(options: Options): Promise<StoreFigures> {
  const text = parameterizedSpec('parameterized', options.jobs, 'true');
  const home = await openHome();
  try {
    const registry = (await home.engine.loadActions()).registry;
    const compileStart = performance.now();
    const compiled = compileWorkflow(text, { format: 'auto', actions: registry });
    const compileSeconds = (performance.now() - compileStart) / 1000;
    if (!compiled.model || compiled.model.jobs.length !== options.jobs) throw new Error(`compile gave ${compiled.model?.jobs.length ?? 0} jobs: ${JSON.stringify(compiled.errors.slice(0, 3))}`);
    const service = await home.engine.workflows();
    const start = performance.now();
    await service.submit({ text });
    const submitSeconds = (performance.now() - start) / 1000;
    return {
      jobs: options.jobs,
      compile_seconds: round(compileSeconds),
      compile_jobs_per_second: Math.round(options.jobs / compileSeconds),
      submit_seconds: round(submitSeconds),
      submit_jobs_per_second: Math.round(options.jobs / submitSeconds),
    };
  } finally {
    await closeHome(home);
  }
}

interface CommandFigures {
  jobs: number;
  rounds: number;
  /** Two Worker instances in this process, one job at a time each (one run, after the rounds). */
  in_process_seconds: number;
  in_process_jobs_per_second: number;
  /** Against the fastest xargs run. */
  in_process_ratio: number;
  /** The median hookflow run (two `hookflow worker` processes; the lower one of an even count, as for every median here). */
  hookflow_seconds: number;
  hookflow_jobs_per_second: number;
  hookflow_runs_jobs_per_second: number[];
  /** The median xargs run. */
  xargs_seconds: number;
  xargs_jobs_per_second: number;
  /** In the order they ran: one before each hookflow run, and one after the last. */
  xargs_runs_jobs_per_second: number[];
  /** Each hookflow run against the mean of the two xargs runs around it. */
  pair_ratios: number[];
  /** The median of pair_ratios: the figure the aim (≥ 0.7) is about. */
  ratio: number;
  /** The median hookflow run against the fastest xargs run: the least favourable reading. */
  ratio_vs_fastest_xargs: number;
  /** The host's share of this machine's CPU time while each ran (%, the mean over runs; see bench/lib/cpu.ts stealMeter). */
  steal_percent: { xargs: number | null; hookflow: number | null; in_process: number | null };
}

function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`))));
    if (input !== undefined) child.stdin?.end(input);
  });
}

interface TimedRun {
  seconds: number;
  steal: number | null;
}

/** How long `run` took, and the host's CPU steal meanwhile. */
async function timed(run: () => Promise<unknown>): Promise<TimedRun> {
  const start = performance.now();
  const steal = stealMeter();
  await run();
  return { seconds: (performance.now() - start) / 1000, steal: steal() };
}

function timeXargs(jobs: number): Promise<TimedRun> {
  return timed(() => runProcess('sh', ['-c', 'xargs -P 2 -n 1 sh -c true'], process.env, `${Array.from({ length: jobs }, (_, i) => i + 1).join('\n')}\n`));
}

function median(values: readonly number[]): number {
  return lowerMedian(values, (value) => value) ?? Number.NaN;
}

function meanSteal(runs: readonly TimedRun[]): number | null {
  const known = runs.map((run) => run.steal).filter((steal) => steal !== null);
  return known.length === 0 ? null : round(known.reduce((sum, steal) => sum + steal, 0) / known.length, 1);
}

async function benchCommands(options: Options): Promise<CommandFigures> {
  const jobs = options.commands;
  const home = await openHome();
  try {
    const service = await home.engine.workflows();
    const env = { ...process.env, HOOKFLOW_HOME: home.dir, HOOKFLOW_STORE: home.storeUrl };
    // Taken in turns, so that each hookflow run has an xargs run just before and just after it.
    const xargsRuns = [await timeXargs(jobs)];
    const hookflowRuns: TimedRun[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const { id } = await service.submit({ text: parameterizedSpec(`true-commands-${round + 1}`, jobs, 'true') });
      const args = [BIN, 'worker', '--workflow', id, '--max-parallel-jobs', '1', '--idle-timeout', '30s'];
      hookflowRuns.push(await timed(() => Promise.all([runProcess(process.execPath, args, env), runProcess(process.execPath, args, env)])));
      const status = await service.status(id);
      if (status.status !== 'completed' || status.counts.completed !== jobs) throw new Error(`the workflow ended ${status.status}: ${JSON.stringify(status.counts)}`);
      xargsRuns.push(await timeXargs(jobs));
    }
    const rate = (run: TimedRun) => jobs / run.seconds;
    const pairRatios = hookflowRuns.map((run, index) => rate(run) / ((rate(xargsRuns[index]) + rate(xargsRuns[index + 1])) / 2));
    const hookflowRate = median(hookflowRuns.map(rate));
    const xargsRate = median(xargsRuns.map(rate));

    const second = await service.submit({ text: parameterizedSpec('true-commands-in-process', jobs, 'true') });
    const workers = await Promise.all([0, 1].map(() => home.engine.createWorker({ workflowId: second.id, maxParallelJobs: 1, capacity: null, idleTimeoutMs: 30_000 })));
    const inProcessRun = await timed(() => Promise.all(workers.map((worker) => worker.run())));
    const inProcess = await service.status(second.id);
    if (inProcess.status !== 'completed') throw new Error(`the in-process run ended ${inProcess.status}: ${JSON.stringify(inProcess.counts)}`);
    const inProcessRate = rate(inProcessRun);
    return {
      jobs,
      rounds: options.rounds,
      in_process_seconds: round(inProcessRun.seconds),
      in_process_jobs_per_second: Math.round(inProcessRate),
      in_process_ratio: round(inProcessRate / Math.max(...xargsRuns.map(rate)), 3),
      hookflow_seconds: round(jobs / hookflowRate),
      hookflow_jobs_per_second: Math.round(hookflowRate),
      hookflow_runs_jobs_per_second: hookflowRuns.map((run) => Math.round(rate(run))),
      xargs_seconds: round(jobs / xargsRate),
      xargs_jobs_per_second: Math.round(xargsRate),
      xargs_runs_jobs_per_second: xargsRuns.map((run) => Math.round(rate(run))),
      pair_ratios: pairRatios.map((ratio) => round(ratio, 3)),
      ratio: round(median(pairRatios), 3),
      ratio_vs_fastest_xargs: round(hookflowRate / Math.max(...xargsRuns.map(rate)), 3),
      steal_percent: { xargs: meanSteal(xargsRuns), hookflow: meanSteal(hookflowRuns), in_process: inProcessRun.steal },
    };
  } finally {
    await closeHome(home);
  }
}

interface DagFigures {
  steps: number;
  seconds: number;
  steps_per_second: number;
}

async function benchDag(options: Options): Promise<DagFigures> {
  const home = await openHome();
  try {
    const service = await home.engine.workflows();
    const { id } = await service.submit({ text: dagSpec(options.steps) });
    const worker = await home.engine.createWorker({ workflowId: id, maxParallelJobs: 64, capacity: null, idleTimeoutMs: 30_000, pollMs: 50 });
    const start = performance.now();
    await worker.run();
    const seconds = (performance.now() - start) / 1000;
    const status = await service.status(id);
    if (status.status !== 'completed' || status.counts.completed !== options.steps) throw new Error(`the DAG ended ${status.status}: ${JSON.stringify(status.counts)}`);
    return { steps: options.steps, seconds: round(seconds), steps_per_second: Math.round(options.steps / seconds) };
  } finally {
    await closeHome(home);
  }
}

async function benchLatency(options: Options): Promise<LatencySummary> {
  const home = await openHome();
  try {
    const service = await home.engine.workflows();
    const { id } = await service.submit({ text: chainSpec(options.chain) });
    const worker = await home.engine.createWorker({ workflowId: id, maxParallelJobs: 1, capacity: null, idleTimeoutMs: 30_000 });
    await worker.run();
    const jobs = await service.jobs(id);
    if (jobs.some((job) => job.status !== 'completed')) throw new Error('the chain did not complete');
    const gaps: number[] = [];
    for (let i = 1; i < jobs.length; i++) {
      const ended = jobs[i - 1].ended_at;
      const started = jobs[i].started_at;
      if (ended !== null && started !== null) gaps.push(started - ended);
    }
    return summarize(gaps);
  } finally {
    await closeHome(home);
  }
}

function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

async function main(): Promise<void> {
  const options = readOptions(parseOptions, USAGE);
  if (!options) return;
  const stale = options.only.has('b') ? compiledCliProblem() : null;
  if (stale) {
    process.stderr.write(`${stale}\n`);
    process.exitCode = 1;
    return;
  }
  const results: Record<string, unknown> = { machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version } };
  const log = (line: string) => {
    if (!options.json) process.stdout.write(`${line}\n`);
  };
  if (options.only.has('a')) {
    const a = await benchStore(options);
    results.store = a;
    log(`a. ${a.jobs} parameterized jobs: compile (validate + expand) ${a.compile_seconds} s = ${a.compile_jobs_per_second} jobs/s; submit (compile + store + job.ready events) ${a.submit_seconds} s = ${a.submit_jobs_per_second} jobs/s`);
  }
  if (options.only.has('b')) {
    const b = await benchCommands(options);
    results.commands = b;
    const steal = (percent: number | null) => (percent === null ? '' : `, host steal ${percent}%`);
    log(`b. ${b.jobs} \`true\` jobs, ${b.rounds} rounds (xargs, hookflow, …, xargs):`);
    log(`   xargs -P 2: median ${b.xargs_jobs_per_second} jobs/s (runs ${b.xargs_runs_jobs_per_second.join(', ')}${steal(b.steal_percent.xargs)})`);
    log(`   2 worker processes (hookflow worker): median ${b.hookflow_jobs_per_second} jobs/s (runs ${b.hookflow_runs_jobs_per_second.join(', ')}${steal(b.steal_percent.hookflow)})`);
    log(`   ratio ${b.ratio} (aim ≥ 0.7: the median of ${b.pair_ratios.join(', ')}, each run against the xargs runs around it); against the fastest xargs run ${b.ratio_vs_fastest_xargs}`);
    log(`   2 workers in one process: ${b.in_process_jobs_per_second} jobs/s (${b.in_process_seconds} s${steal(b.steal_percent.in_process)}), ratio ${b.in_process_ratio} against the fastest xargs run`);
  }
  if (options.only.has('c')) {
    const c = await benchDag(options);
    results.dag = c;
    log(`c. ${c.steps}-step set_output DAG, one worker: ${c.steps_per_second} steps/s (${c.seconds} s)`);
  }
  if (options.only.has('d')) {
    const d = await benchLatency(options);
    results.latency = d;
    log(`d. job end → dependent start over a ${options.chain}-job chain: p50 ${d.p50_ms} ms, p99 ${d.p99_ms} ms, max ${d.max_ms} ms`);
  }
  if (options.json) process.stdout.write(`${JSON.stringify(results)}\n`);
}

await main();
