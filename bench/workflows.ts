/**
 * `npm run bench:workflows`: workflows on the embedded SQLite store.
 *
 * a. validate + expand + store a parameterized Torc workflow of --jobs jobs (default 100 000):
 *    jobs per second for the compile alone and for the whole submit (compile, store, events).
 * b. --commands `true` jobs (default 10 000) run by 2 worker processes (`hookflow worker`, one job
 *    at a time each), beside `seq N | xargs -P 2 -n 1 sh -c true` run before and after them (the
 *    process spawn floor; the faster run counts): jobs per second and the ratio (aim ≥ 0.7).
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
import { Engine } from '../src/engine.js';
import { compileWorkflow } from '../src/workflows/spec/compile.js';
import { summarize, type LatencySummary } from './lib/stats.js';
import { readOptions, wholeNumber } from './lib/cli.js';
import { stealMeter } from './lib/cpu.js';

interface Options {
  jobs: number;
  commands: number;
  steps: number;
  chain: number;
  json: boolean;
  only: Set<string>;
}

const USAGE = `npm run bench:workflows -- [options]

  --jobs N       jobs of the parameterized workflow stored in (a) (default 100000)
  --commands N   \`true\` jobs run by 2 workers in (b) (default 10000)
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
    steps: count('steps', values.steps, 10_000),
    chain: count('chain', values.chain, 200),
    json: values.json === true,
    only,
  };
}

const BIN = resolve(import.meta.dirname, '..', 'bin', 'hookflow.js');

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
  /** Two Worker instances in this process, one job at a time each. */
  in_process_seconds: number;
  in_process_jobs_per_second: number;
  in_process_ratio: number;
  hookflow_seconds: number;
  hookflow_jobs_per_second: number;
  xargs_seconds: number;
  xargs_jobs_per_second: number;
  /** xargs ran before and after hookflow; xargs_jobs_per_second is the faster. */
  xargs_runs_jobs_per_second: number[];
  ratio: number;
  /** The host's share of this machine's CPU time while each ran (%; see bench/lib/cpu.ts stealMeter). */
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

/** How long `run` took, and the host's CPU steal meanwhile. */
async function timed(run: () => Promise<unknown>): Promise<{ seconds: number; steal: number | null }> {
  const start = performance.now();
  const steal = stealMeter();
  await run();
  return { seconds: (performance.now() - start) / 1000, steal: steal() };
}

function timeXargs(jobs: number): Promise<{ seconds: number; steal: number | null }> {
  return timed(() => runProcess('sh', ['-c', 'xargs -P 2 -n 1 sh -c true'], process.env, `${Array.from({ length: jobs }, (_, i) => i + 1).join('\n')}\n`));
}

async function benchCommands(options: Options): Promise<CommandFigures> {
  const before = await timeXargs(options.commands);
  const home = await openHome();
  try {
    const service = await home.engine.workflows();
    const { id } = await service.submit({ text: parameterizedSpec('true-commands', options.commands, 'true') });
    const env = { ...process.env, HOOKFLOW_HOME: home.dir, HOOKFLOW_STORE: home.storeUrl };
    const args = [BIN, 'worker', '--workflow', id, '--max-parallel-jobs', '1', '--idle-timeout', '30s'];
    const hookflow = await timed(() => Promise.all([runProcess(process.execPath, args, env), runProcess(process.execPath, args, env)]));
    const seconds = hookflow.seconds;
    const status = await service.status(id);
    if (status.status !== 'completed' || status.counts.completed !== options.commands) throw new Error(`the workflow ended ${status.status}: ${JSON.stringify(status.counts)}`);
    const hookflowRate = options.commands / seconds;
    // Once more after hookflow's runs: the machine's speed drifts, and the faster of the two is
    // the floor the ratio is taken against (the lower ratio).
    const after = await timeXargs(options.commands);
    const xargs = after.seconds < before.seconds ? after : before;
    const xargsSeconds = xargs.seconds;
    const xargsRate = options.commands / xargsSeconds;
    const second = await service.submit({ text: parameterizedSpec('true-commands-in-process', options.commands, 'true') });
    const workers = await Promise.all([0, 1].map(() => home.engine.createWorker({ workflowId: second.id, maxParallelJobs: 1, capacity: null, idleTimeoutMs: 30_000 })));
    const inProcessRun = await timed(() => Promise.all(workers.map((worker) => worker.run())));
    const inProcessSeconds = inProcessRun.seconds;
    const inProcess = await service.status(second.id);
    if (inProcess.status !== 'completed') throw new Error(`the in-process run ended ${inProcess.status}: ${JSON.stringify(inProcess.counts)}`);
    const inProcessRate = options.commands / inProcessSeconds;
    return {
      jobs: options.commands,
      in_process_seconds: round(inProcessSeconds),
      in_process_jobs_per_second: Math.round(inProcessRate),
      in_process_ratio: round(inProcessRate / xargsRate, 3),
      hookflow_seconds: round(seconds),
      hookflow_jobs_per_second: Math.round(hookflowRate),
      xargs_seconds: round(xargsSeconds),
      xargs_jobs_per_second: Math.round(xargsRate),
      xargs_runs_jobs_per_second: [before, after].map((run) => Math.round(options.commands / run.seconds)),
      ratio: round(hookflowRate / xargsRate, 3),
      steal_percent: { xargs: xargs.steal, hookflow: hookflow.steal, in_process: inProcessRun.steal },
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
    log(`b. ${b.jobs} \`true\` jobs: xargs -P 2: ${b.xargs_jobs_per_second} jobs/s (${b.xargs_seconds} s${steal(b.steal_percent.xargs)}; the faster of ${b.xargs_runs_jobs_per_second.join(' and ')} jobs/s, before and after hookflow)`);
    log(`   2 worker processes (hookflow worker): ${b.hookflow_jobs_per_second} jobs/s (${b.hookflow_seconds} s${steal(b.steal_percent.hookflow)}), ratio ${b.ratio} (aim ≥ 0.7)`);
    log(`   2 workers in one process: ${b.in_process_jobs_per_second} jobs/s (${b.in_process_seconds} s${steal(b.steal_percent.in_process)}), ratio ${b.in_process_ratio}`);
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
