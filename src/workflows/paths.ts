import { join, resolve } from 'node:path';

/**
 * Where a workflow's files are: `<output_dir>/run-<run>/` is where its commands and actions run,
 * `<output_dir>/run-<run>/jobs/<index>-<name>.{o,e,log}` hold a job's stdout, stderr and action log.
 * The worker writes there and the service reads there, so both take the names from here.
 */

/** A file-name-safe form of a job name (names may hold `/`, spaces…). */
export function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').slice(0, 80);
}

export function runDirectory(outputDir: string, run: number): string {
  return join(outputDir, `run-${run}`);
}

export function jobLogDirectory(outputDir: string, run: number): string {
  return join(runDirectory(outputDir, run), 'jobs');
}

/** The common stem of a job's log files: add `.o`, `.e` or `.log`. */
export function jobLogStem(outputDir: string, run: number, index: number, name: string): string {
  return join(jobLogDirectory(outputDir, run), `${index}-${safeName(name)}`);
}

// An absolute path without `.` or `..` segments, doubled slashes or a trailing slash: what
// resolve() would return unchanged.
const RESOLVED_ALREADY = /^(?!.*\/\/)(?!.*\/\.\.?(?:\/|$))(?!.+\/$)\//;

/**
 * resolve(base, path), without its work when the path is already absolute and normal: a worker
 * resolves the same few directories for every short job it starts.
 */
export function resolvedPath(path: string, base?: string): string {
  if (RESOLVED_ALREADY.test(path)) return path;
  return base === undefined ? resolve(path) : resolve(base, path);
}
