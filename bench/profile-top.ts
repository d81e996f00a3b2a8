/**
 * Top self-time functions of V8 .cpuprofile files (from `npm run bench:events -- --cpu-prof DIR`
 * or `node --cpu-prof`): `node --import tsx bench/profile-top.ts FILE... [--top 30]`.
 * Self time is each sample's leaf frame; `(idle)` and `(program)` are kept, so the share of time
 * the thread did nothing is visible too.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

/** Self time per function (name + file + line), largest first. Pure. */
export function selfTimes(profile: CpuProfile): SelfTime[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, { name: string; where: string; us: number }>();
  let all = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const file = frame.url ? frame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|src|bench)\//, '$1/') : '';
    const where = file ? `${file}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}@${where}`;
    const entry = totals.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += delta;
    totals.set(key, entry);
    all += delta;
  });
  return [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .map((entry) => ({ name: entry.name, where: entry.where, ms: entry.us / 1000, share: all > 0 ? entry.us / all : 0 }));
}

function main(): void {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 30;
  if (args.length === 0) {
    process.stderr.write('usage: node --import tsx bench/profile-top.ts FILE.cpuprofile... [--top N]\n');
    process.exit(2);
  }
  for (const file of args) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const wall = (profile.endTime - profile.startTime) / 1000;
    process.stdout.write(`\n${basename(file)}: ${(wall / 1000).toFixed(1)} s profiled\n`);
    for (const entry of selfTimes(profile).slice(0, top)) {
      process.stdout.write(`  ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}  ${entry.where}\n`);
    }
  }
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) main();
