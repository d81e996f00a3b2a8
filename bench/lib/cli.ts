/** What every benchmark's command line shares: whole-number options, and --help or a usage error. */

export class UsageError extends Error {}

/** `--name N`: a whole number of at least `min` (underscores allowed: 100_000), or the fallback when absent. */
export function wholeNumber(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${raw}"`);
  return value;
}

/**
 * The options `parse` reads from the command line (null from it means --help), or null after
 * printing the usage: on stdout for --help, on stderr with the error and exit code 2 for bad input.
 */
export function readOptions<T>(parse: (argv: string[]) => T | null, usage: string, argv: string[] = process.argv.slice(2)): T | null {
  let options: T | null;
  try {
    options = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exitCode = 2;
    return null;
  }
  if (!options) process.stdout.write(`${usage}\n`);
  return options;
}
