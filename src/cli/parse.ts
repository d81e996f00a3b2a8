import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../config.js';
import { HookflowError } from '../errors.js';
import type { JsonObject, JsonValue } from '../events/model.js';
import { DEFAULT_MAX_EVENT_BYTES, parseEventData } from '../events/validate.js';
import { parseAssignments } from '../util/assignments.js';

/**
 * A mistake in how a command was called (a missing or conflicting option, an argument that must
 * not be given): exit code 2, like the usage errors commander reports itself.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

// Option-value parsers for commander: they throw InvalidArgumentError, which commander reports
// as `error: option '--limit <n>' argument 'x' is invalid. …` with exit code 2.

export function positiveInt(value: string): number {
  const number = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError('give a whole number of at least 1.');
  }
  return number;
}

export function nonNegativeInt(value: string): number {
  const number = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(number)) throw new InvalidArgumentError('give a whole number (0 or more).');
  return number;
}

/** A duration in milliseconds: `500ms`, `30s`, `5m`, `720h`, `7d`, or a bare number of seconds. */
export function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch {
    throw new InvalidArgumentError('use a number with a unit, like 500ms, 30s, 5m, 720h or 7d (a bare number is seconds).');
  }
}

/** For repeatable options (`--event a --event b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The byte limit on event data: `--max-event-bytes`, then HOOKFLOW_MAX_EVENT_BYTES, then 1 MiB. */
export function maxEventBytes(flag: number | undefined, env: NodeJS.ProcessEnv): number {
  if (flag !== undefined) return flag;
  const fromEnv = env.HOOKFLOW_MAX_EVENT_BYTES;
  if (fromEnv === undefined || fromEnv === '') return DEFAULT_MAX_EVENT_BYTES;
  const number = Number(fromEnv);
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `HOOKFLOW_MAX_EVENT_BYTES="${fromEnv}" is not a number of bytes`, {
      hint: 'give a whole number, e.g. 1048576 for 1 MiB',
    });
  }
  return number;
}

/**
 * Event data from `--data`: inline JSON, or `@FILE` to read a file (`@-` reads standard input).
 * Errors name line:column within that text (and the file), from parseEventData.
 */
export async function readEventData(
  option: string | undefined,
  maxBytes: number,
  readStdin: () => Promise<string>,
): Promise<JsonObject | undefined> {
  if (option === undefined) return undefined;
  if (!option.startsWith('@')) return parseEventData(option, { maxBytes, where: '--data' });
  const file = option.slice(1);
  if (file === '-') return parseEventData(await readStdin(), { maxBytes, where: 'stdin' });
  if (file === '') throw new UsageError('--data @ needs a file name', 'write --data @event.json, or --data @- to read standard input');
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (error) {
    throw new HookflowError('HF_ERR_NOT_FOUND', `cannot read data file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      where: resolve(file),
    });
  }
  return parseEventData(text, { maxBytes, where: file });
}

/** `state set KEY VALUE`: VALUE is JSON when it parses as JSON (`42`, `true`, `{"a":1}`), else the string itself. */
export function parseStateValue(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** Hides the password of a store URL for banners and logs. */
export function maskStoreUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)([^@/?#]*)@/i, (_match, head: string, password: string) =>
    password ? `${head}****@` : `${head}@`,
  );
}

/** `k=v`: the value as JSON when it parses (numbers, booleans, lists), else as text. */
export function parseParamAssignments(assignments: readonly string[]): JsonObject {
  return parseAssignments(assignments, (assignment) => {
    throw new UsageError(`--param "${assignment}" is not KEY=VALUE`, 'e.g. --param seconds=2 --param message="hello world"');
  });
}
