/** `npm run bench:api` options. Pure: argv in, options or a usage error out. */
import { parseArgs } from 'node:util';
import { UsageError } from './options.js';

export { UsageError };

/**
 * Where autocannon runs: in a child process (default), a worker thread, or the servers' own thread.
 * Inline, its work shares the event loop of the server it measures and squeezes the bare route most.
 */
export type LoadGenPlace = 'inline' | 'worker' | 'child';
export const LOADGEN_PLACES: readonly LoadGenPlace[] = ['inline', 'worker', 'child'];

export type ApiTarget = 'bare' | 'hookflow';
export const API_TARGETS: readonly ApiTarget[] = ['bare', 'hookflow'];

export interface ApiBenchOptions {
  /** Seconds of load per target (after the warm-up). */
  duration: number;
  /** Seconds of load per target before the measured run (not counted). */
  warmup: number;
  connections: number;
  /** Each round runs every target once; figures are the medians. */
  rounds: number;
  loadgen: LoadGenPlace;
  only: ApiTarget[];
  json: boolean;
  help: boolean;
}

export const API_USAGE = `npm run bench:api -- [options]

  --duration S        seconds of load on each target (default 10)
  --warmup S          seconds of load on each target before it is measured (default 2; 0 for none)
  --connections N     keep-alive connections (default 100)
  --rounds N          run every target N times, alternating, and report the medians (default 1)
  --loadgen PLACE     where autocannon runs: child (default, a process of its own), worker (a thread
                      of this process) or inline (the servers' own thread: unfair, see docs)
  --only LIST         bare,hookflow (default both)
  --json              print the figures as one JSON object on stdout
  --help`;

function number(name: string, raw: string | undefined, fallback: number, { min, integer }: { min: number; integer: boolean }): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${integer ? 'a whole number' : 'a number'} of at least ${min}, got "${raw}"`);
  }
  return value;
}

export function parseApiOptions(argv: readonly string[]): ApiBenchOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const loadgen = values.loadgen ?? 'child';
  if (!(LOADGEN_PLACES as readonly string[]).includes(loadgen)) throw new UsageError(`--loadgen must be one of ${LOADGEN_PLACES.join(', ')}, got "${loadgen}"`);
  let only = [...API_TARGETS];
  if (values.only !== undefined) {
    const items = values.only.split(',').map((item) => item.trim()).filter(Boolean);
    const unknown = items.filter((item) => !(API_TARGETS as readonly string[]).includes(item));
    if (items.length === 0 || unknown.length > 0) throw new UsageError(`--only takes a comma-separated list of ${API_TARGETS.join(', ')}; got "${values.only}"`);
    only = API_TARGETS.filter((target) => items.includes(target));
  }
  return {
    duration: number('duration', values.duration, 10, { min: 1, integer: true }),
    warmup: number('warmup', values.warmup, 2, { min: 0, integer: true }),
    connections: number('connections', values.connections, 100, { min: 1, integer: true }),
    rounds: number('rounds', values.rounds, 1, { min: 1, integer: true }),
    loadgen: loadgen as LoadGenPlace,
    only,
    json: values.json ?? false,
    help: values.help ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      loadgen: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
