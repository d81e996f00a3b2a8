import { resolve } from 'node:path';

/** Where hookflow keeps its files and which store it uses, from flags, then environment, then defaults. */
export interface HookflowPaths {
  home: string;
  storeUrl: string;
}

export const DEFAULT_HOME = './.hookflow';

export function resolvePaths(flags: { home?: string; store?: string }, env: NodeJS.ProcessEnv = process.env): HookflowPaths {
  const home = resolve(flags.home ?? env.HOOKFLOW_HOME ?? DEFAULT_HOME);
  const storeUrl = flags.store ?? env.HOOKFLOW_STORE ?? `sqlite:${resolve(home, 'hookflow.db')}`;
  return { home, storeUrl };
}

/** Parses durations like `30s`, `720h`, `5m`, `1500ms`, `2d`, or a bare number of seconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) {
    throw new Error(`${what} "${text}" is not a duration: use a number with a unit, like 500ms, 30s, 5m, 720h or 7d`);
  }
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit] ?? 1000;
  return Math.round(value * factor);
}
