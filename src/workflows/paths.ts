import { join } from 'node:path';

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
