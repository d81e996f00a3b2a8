/**
 * Process-start rates of the launchers against xargs (not a test: run it by hand, on a quiet machine).
 *
 *   node --import tsx test/workflows/execute/bench-launcher.ts [count=1000] [parallel=2] [rounds=5]
 *   BENCH_ONLY='runCommandJob, python' node --import tsx test/workflows/execute/bench-launcher.ts 10000 2 1
 *
 * Each of `parallel` lanes starts `sh -c true` (or, through runCommandJob, a `true` job) one after
 * the other, as a worker with that many slots would; xargs does the same with -P. The variants
 * take turns in short rounds and each reports its median round, so a shared machine's load falls
 * on all of them alike. Temporary files go to TMPDIR (file creation is slow on some disks: the
 * job variants create two log files per job, which xargs does not).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommandJob } from '../../../src/workflows/execute/command-job.js';
import { createLauncher, type Launcher, type LauncherKind } from '../../../src/workflows/execute/launcher.js';
import { makeJob } from './helpers.js';

const count = Number(process.argv[2] ?? 1000);
const parallel = Number(process.argv[3] ?? 2);
const rounds = Number(process.argv[4] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'hookflow-bench-launcher-'));
mkdirSync(join(dir, 'jobs'));
const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
const baseEnv = { ...process.env };

async function lanes(run: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await run(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** Starts through the launcher alone (no job around them). */
function rawRate(launcher: Launcher): Promise<number> {
  return lanes(async (index) => {
    const lane = index % parallel;
    const running = await launcher.start({ argv: ['/bin/sh', '-c', 'true'], cwd: dir, env, stdout_path: join(dir, `raw-${lane}.o`), stderr_path: join(dir, `raw-${lane}.e`) });
    await running.exited;
  });
}

/** Jobs through runCommandJob: one launcher shared by the lanes (a worker with `parallel` slots), or one per lane (that many workers). */
function jobRate(launchers: Launcher[], command: string): Promise<number> {
  const signal = new AbortController().signal;
  return lanes(async (index) => {
    const launcher = launchers[index % launchers.length];
    const result = await runCommandJob(makeJob({ index, name: 'bench', command }), { launcher, cwd: dir, logDir: join(dir, 'jobs'), env: {}, baseEnv, timeoutMs: null, signal });
    if (result.outcome !== 'completed') throw new Error(`job ${index}: ${result.outcome} ${result.error ?? ''}`);
  });
}

function xargsRate(command: string): number {
  const started = performance.now();
  execFileSync('/bin/sh', ['-c', `seq ${count} | xargs -P ${parallel} -n 1 ${command}`]);
  return count / ((performance.now() - started) / 1000);
}

async function withLaunchers(kind: LauncherKind, howMany: number, run: (launchers: Launcher[]) => Promise<number>): Promise<number> {
  const launchers = Array.from({ length: howMany }, () => createLauncher({ kind, fallback: false }));
  try {
    // Started before the clock runs, as a worker's launcher is.
    await Promise.all(launchers.map(async (launcher) => (await launcher.start({ argv: ['true'], cwd: dir, env, stdout_path: join(dir, 'warm.o'), stderr_path: join(dir, 'warm.e') })).exited));
    return await run(launchers);
  } finally {
    await Promise.all(launchers.map((launcher) => launcher.close()));
  }
}

const variants: Array<[string, () => Promise<number>]> = [
  ['xargs -P, sh -c true', async () => xargsRate('sh -c true')],
  ['python launcher, sh -c true', () => withLaunchers('python', 1, ([launcher]) => rawRate(launcher))],
  ['node spawn, sh -c true', () => withLaunchers('node', 1, ([launcher]) => rawRate(launcher))],
  ['runCommandJob, python launcher, `true`', () => withLaunchers('python', 1, (launchers) => jobRate(launchers, 'true'))],
  ['runCommandJob, a python launcher per lane, `true`', () => withLaunchers('python', parallel, (launchers) => jobRate(launchers, 'true'))],
  ['runCommandJob, node spawn, `true`', () => withLaunchers('node', 1, (launchers) => jobRate(launchers, 'true'))],
  ['runCommandJob, python launcher, `true;true` (bash)', () => withLaunchers('python', 1, (launchers) => jobRate(launchers, 'true;true'))],
  ['xargs -P, bash -c true', async () => xargsRate('/bin/bash -c true')],
];
// BENCH_ONLY=regex keeps the variants whose names match (xargs sh, the baseline, always runs).
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
if (only) variants.splice(1, variants.length, ...variants.slice(1).filter(([name]) => only.test(name)));
const rates = new Map<string, number[]>(variants.map(([name]) => [name, []]));
try {
  for (let round = 0; round < rounds; round++) for (const [name, measure] of variants) rates.get(name)?.push(await measure());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(rates.get(variants[0][0]) ?? [1]);
console.log(`${count} starts per round, ${parallel} in parallel, median of ${rounds} rounds`);
for (const [name] of variants) {
  const rate = median(rates.get(name) ?? [0]);
  console.log(`${name.padEnd(52)} ${rate.toFixed(0).padStart(6)}/s  ${(rate / base).toFixed(2)}× xargs`);
}
