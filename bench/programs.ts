/**
 * `npm run bench:programs`: program executions through hookflow's API, beside running the same
 * thing directly, in the same run.
 *
 * For a trivial Python script (`print("hi")`), the wall time of one execution from the API
 * request to its completion (POST /execute, then the execution's live stream until its final
 * status), one at a time:
 *   - process runner, sandboxed (bubblewrap) and not, against `python3 script.py` started
 *     directly (the ratio: aim ≤ 1.3);
 *   - docker runner, against `docker run --rm IMAGE python3 script.py` of the same image (aim
 *     ≤ 1.15), when a Docker engine and the image answer;
 * the cases of a comparison taking turns run by run, so a drifting machine weighs on each alike;
 * and executions per second with 5 at once (process runner, sandboxed), settings'
 * max_concurrent_executions 5.
 *
 * The interpreter is the same for hookflow and the direct run (`--python`, default `python3` from
 * PATH, as a user types it). The programs run with no memory or CPU limit (limits are a choice,
 * and a CPU quota slows the interpreter's own start); `--limits` applies PyExecutorHub's defaults
 * (1g, 0.5 CPU) to measure them too.
 *
 * Prints a table, or with --json one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../src/engine.js';
import { serverOptionsFromEnv, startServer } from '../src/server/serve.js';
import { summarize, type LatencySummary } from './lib/stats.js';
import { readOptions, wholeNumber } from './lib/cli.js';

interface Options {
  runs: number;
  concurrentRuns: number;
  python: string;
  image: string;
  limits: boolean;
  json: boolean;
  only: Set<string>;
}

const USAGE = `npm run bench:programs -- [options]

  --runs N         sequential executions per case (default 30, after 3 warm-up runs)
  --concurrent N   executions for the 5-at-once throughput (default 50)
  --python CMD     the interpreter, for hookflow and the direct run alike (default python3)
  --image NAME     the docker image with python3 (default hookflow-test-python:latest)
  --limits         apply PyExecutorHub's default limits (memory 1g, cpu 0.5) to hookflow's runs
  --only LIST      process,docker,concurrent (default all)
  --json           print the figures as one JSON object
  --help`;

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      concurrent: { type: 'string' },
      python: { type: 'string' },
      image: { type: 'string' },
      limits: { type: 'boolean' },
      only: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return null;
  const count = (name: string, raw: string | undefined, fallback: number) => wholeNumber(name, raw, fallback);
  return {
    runs: count('runs', values.runs, 30),
    concurrentRuns: count('concurrent', values.concurrent, 50),
    python: values.python ?? 'python3',
    image: values.image ?? 'hookflow-test-python:latest',
    limits: values.limits ?? false,
    json: values.json ?? false,
    only: new Set((values.only ?? 'process,docker,concurrent').split(',').map((part) => part.trim())),
  };
}

const SCRIPT = 'print("hi")\n';

function configYaml(options: Options): string {
  const limits = options.limits ? '' : '\n    memory_limit: null\n    cpu_limit: null';
  const program = (id: string, extra: string) => `  ${id}:\n    path: programs/trivial\n    main_file: main.py${limits}\n${extra}`;
  return [
    'scripts:',
    program('sandboxed', '    runner: process\n    sandbox: true'),
    program('unsandboxed', '    runner: process\n    sandbox: false'),
    program('in_docker', `    runner: docker\n    docker_image: "${options.image}"`),
    'settings:',
    '  max_concurrent_executions: 5',
    '  timeout_seconds: 60',
    `  interpreters:\n    python: "${options.python}"`,
    '',
  ].join('\n');
}

function timeCommand(argv: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr.trim()}`))));
  });
}

interface Api {
  url: string;
  token: string;
}

/** POST /execute, then the execution's stream until its final status: the wall time, ms. */
async function timeExecution(api: Api, programId: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${api.url}/execute`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ program_id: programId }),
  });
  const execution = (await response.json()) as { execution_id?: string; error?: { message: string } };
  if (!execution.execution_id) throw new Error(`POST /execute: ${execution.error?.message ?? response.status}`);
  const status = await finalStatus(api, execution.execution_id);
  if (status.status !== 'completed') throw new Error(`${programId} ended ${status.status}: ${status.error}`);
  return performance.now() - started;
}

async function finalStatus(api: Api, id: string): Promise<{ status: string; error: string }> {
  const response = await fetch(`${api.url}/executions/${id}/stream`, { headers: { authorization: `Bearer ${api.token}` } });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let last: { status: string; error: string } | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!frame.startsWith('event: status')) continue;
      const data = frame.split('\n').find((line) => line.startsWith('data: '));
      if (data) last = JSON.parse(data.slice(6)) as { status: string; error: string };
    }
  }
  if (!last) throw new Error(`the stream of ${id} ended without a status`);
  return last;
}

/**
 * Runs the cases in turn, one run of each per round (after 3 warm-up rounds), so a drift of the
 * machine (Docker's vfs storage, other load) weighs on every case alike.
 */
async function interleaved(runs: number, cases: Array<() => Promise<number>>): Promise<LatencySummary[]> {
  const times = cases.map((): number[] => []);
  for (let round = 0; round < runs + 3; round++) {
    for (const [index, once] of cases.entries()) {
      const took = await once();
      if (round >= 3) times[index]!.push(took);
    }
  }
  return times.map((values) => summarize(values));
}

async function dockerAnswers(image: string): Promise<string | null> {
  try {
    await timeCommand(['docker', 'image', 'inspect', image], tmpdir());
    return null;
  } catch (error) {
    return `docker or the image ${image} is not available (${(error as Error).message.split('\n')[0]}): run scripts/docker-setup.sh`;
  }
}

interface Report {
  python: string;
  limits: boolean;
  process?: { direct: LatencySummary; unsandboxed: LatencySummary; sandboxed: LatencySummary; ratio_unsandboxed: number; ratio_sandboxed: number };
  docker?: { direct: LatencySummary; hookflow: LatencySummary; ratio: number } | { skipped: string };
  concurrent?: { executions: number; seconds: number; per_second: number };
}

async function main(): Promise<void> {
  const options = readOptions(parseOptions, USAGE);
  if (!options) return;
  const home = mkdtempSync(join(tmpdir(), 'hookflow-bench-programs-'));
  const programDir = join(home, 'programs', 'trivial');
  mkdirSync(programDir, { recursive: true });
  writeFileSync(join(programDir, 'main.py'), SCRIPT);
  writeFileSync(join(home, 'config.yaml'), configYaml(options));
  const env = { ...process.env, HOOKFLOW_SECRET_KEY: 'bench-secret-key', HOOKFLOW_MONITOR: '0', HOOKFLOW_ADMIN_PASSWORD: 'bench-admin-password' };
  const engine = await Engine.open({ home, storeUrl: `sqlite:${join(home, 'hookflow.db')}`, env });
  const report: Report = { python: options.python, limits: options.limits };
  const log = (line: string) => (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  try {
    await engine.dispatcher.start();
    const server = await startServer(engine, serverOptionsFromEnv({}, { port: 0, logLevel: false }), env);
    const programs = await engine.programs();
    await programs.start({ schedules: false });
    const token = (await server.ctx.auth.createToken('bench', 'operator', 'bench:programs')).token;
    const api: Api = { url: server.url, token };
    try {
      if (options.only.has('process')) {
        log(`process runner: ${options.runs} runs each of ${options.python} main.py`);
        const [direct, unsandboxed, sandboxed] = (await interleaved(options.runs, [
          () => timeCommand([options.python, 'main.py'], programDir),
          () => timeExecution(api, 'unsandboxed'),
          () => timeExecution(api, 'sandboxed'),
        ])) as [LatencySummary, LatencySummary, LatencySummary];
        report.process = {
          direct,
          unsandboxed,
          sandboxed,
          ratio_unsandboxed: Math.round((unsandboxed.p50_ms / direct.p50_ms) * 100) / 100,
          ratio_sandboxed: Math.round((sandboxed.p50_ms / direct.p50_ms) * 100) / 100,
        };
      }
      if (options.only.has('docker')) {
        const missing = await dockerAnswers(options.image);
        if (missing) report.docker = { skipped: missing };
        else {
          log(`docker runner: ${options.runs} runs each of docker run --rm ${options.image} python3 main.py`);
          const [direct, hookflow] = (await interleaved(options.runs, [
            () => timeCommand(['docker', 'run', '--rm', '-v', `${programDir}:/workspace:ro`, '-w', '/workspace', options.image, 'python3', 'main.py'], programDir),
            () => timeExecution(api, 'in_docker'),
          ])) as [LatencySummary, LatencySummary];
          report.docker = { direct, hookflow, ratio: Math.round((hookflow.p50_ms / direct.p50_ms) * 100) / 100 };
        }
      }
      if (options.only.has('concurrent')) {
        log(`5 at once: ${options.concurrentRuns} sandboxed executions`);
        const started = performance.now();
        let next = 0;
        const lane = async () => {
          while (next < options.concurrentRuns) {
            next += 1;
            await timeExecution(api, 'sandboxed');
          }
        };
        await Promise.all(Array.from({ length: 5 }, lane));
        const seconds = (performance.now() - started) / 1000;
        report.concurrent = { executions: options.concurrentRuns, seconds: Math.round(seconds * 100) / 100, per_second: Math.round((options.concurrentRuns / seconds) * 10) / 10 };
      }
    } finally {
      await server.close();
    }
  } finally {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const row = (name: string, summary: LatencySummary, ratio = '') => `  ${name.padEnd(34)} ${String(summary.p50_ms).padStart(8)} ${String(summary.p95_ms).padStart(8)} ${ratio}`;
  log(`\n  ${'wall time per execution (ms)'.padEnd(34)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ratio (p50)`);
  if (report.process) {
    log(row(`${options.python} main.py, directly`, report.process.direct));
    log(row('hookflow, process runner', report.process.unsandboxed, `${report.process.ratio_unsandboxed} (aim ≤ 1.3)`));
    log(row('hookflow, process runner + bwrap', report.process.sandboxed, `${report.process.ratio_sandboxed} (aim ≤ 1.3)`));
  }
  if (report.docker && 'skipped' in report.docker) log(`  docker: skipped: ${report.docker.skipped}`);
  else if (report.docker) {
    log(row('docker run --rm, directly', report.docker.direct));
    log(row('hookflow, docker runner', report.docker.hookflow, `${report.docker.ratio} (aim ≤ 1.15)`));
  }
  if (report.concurrent) log(`\n  5 at once: ${report.concurrent.executions} executions in ${report.concurrent.seconds} s: ${report.concurrent.per_second} executions/s`);
}

await main();
