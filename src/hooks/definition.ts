import { basename, extname } from 'node:path';
import { HookflowError } from '../errors.js';
import type { JsonObject } from '../events/model.js';
import { isCatalogued } from '../events/catalogue.js';
import { isValidPattern, isWildcard } from '../events/patterns.js';
import { suggestEventType } from '../events/suggest.js';
import { validateStack } from '../events/validate.js';
import { compileFilter } from './filter.js';
import {
  DEFAULT_HOOK_MEMORY_MB,
  DEFAULT_HOOK_TIMEOUT_MS,
  NO_RETRY,
  type HookRecord,
  type HookRuntimeName,
  type RetryPolicy,
} from './model.js';

/** Everything a hook can be given, from a script's own metadata, a YAML file, or flags. */
export interface HookInput {
  name?: string;
  description?: string;
  events?: string[];
  stack?: string | null;
  filter?: string | null;
  runtime: HookRuntimeName;
  source?: string | null;
  commands?: string[] | null;
  cwd?: string | null;
  timeout_ms?: number;
  memory_mb?: number;
  enabled?: boolean;
  retry?: Partial<RetryPolicy>;
  /** The action type of an `action` hook. */
  action?: string | null;
  /** The params of an `action` hook (templates allowed). */
  params?: JsonObject | null;
}

export interface BuiltHook {
  hook: HookRecord;
  warnings: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ACTION_TYPE = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;

/** The runtime a hook file runs in, from its extension. */
export function runtimeForFile(path: string): HookRuntimeName | null {
  const extension = extname(path).toLowerCase();
  if (extension === '.lua') return 'lua';
  if (['.js', '.mjs', '.ts', '.mts', '.cjs'].includes(extension)) return 'js';
  if (extension === '.yaml' || extension === '.yml') return 'commands';
  return null;
}

/** A name from a file when none is given: `notify_failures.lua` → `notify_failures`. */
export function nameFromFile(path: string): string {
  return basename(path).replace(/\.[^.]+$/, '');
}

/**
 * Validates a hook definition and fills in defaults. Rejections list every problem at once;
 * event types outside the catalogue are allowed but warned about with the nearest known name.
 */
export function buildHook(input: HookInput, now: number = Date.now()): BuiltHook {
  const problems: string[] = [];
  const warnings: string[] = [];
  const name = input.name ?? '';
  if (!NAME.test(name)) {
    problems.push(`name "${name}" is not valid: use 1-128 letters, digits, "_", "-" or "."`);
  }
  const events = [...new Set(input.events ?? [])];
  if (events.length === 0) problems.push('no event type given: name at least one (e.g. --event task.failed, or task.* or *)');
  for (const pattern of events) {
    if (!isValidPattern(pattern)) {
      problems.push(`event pattern "${pattern}" is not valid: use lowercase dotted names, with * for a segment (task.failed, task.*, *)`);
    } else if (!isWildcard(pattern) && !isCatalogued(pattern)) {
      const suggestion = suggestEventType(pattern);
      warnings.push(
        `event type "${pattern}" is not in the catalogue${suggestion ? `: did you mean ${suggestion}?` : ' (custom types are allowed)'}`,
      );
    }
  }
  let stack: string | null = null;
  try {
    stack = validateStack(input.stack ?? null);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const filter = input.filter?.trim() ? input.filter.trim() : null;
  if (filter) {
    try {
      compileFilter(filter);
    } catch (error) {
      problems.push(error instanceof HookflowError ? error.describe() : (error as Error).message);
    }
  }
  const timeout_ms = input.timeout_ms ?? DEFAULT_HOOK_TIMEOUT_MS;
  if (!Number.isFinite(timeout_ms) || timeout_ms < 10 || timeout_ms > 24 * 3_600_000) {
    problems.push(`timeout ${timeout_ms} ms is out of range: give between 10 ms and 24 h`);
  }
  const memory_mb = input.memory_mb ?? DEFAULT_HOOK_MEMORY_MB;
  if (!Number.isInteger(memory_mb) || memory_mb < 8 || memory_mb > 16_384) {
    problems.push(`memory limit ${memory_mb} MiB is out of range: give a whole number between 8 and 16384`);
  }
  const retry: RetryPolicy = { ...NO_RETRY, ...(input.retry ?? {}) };
  if (!Number.isInteger(retry.max_attempts) || retry.max_attempts < 1 || retry.max_attempts > 100) {
    problems.push(`retry max_attempts ${retry.max_attempts} is out of range: give 1 (no retry) to 100`);
  }
  if (!(retry.backoff_ms >= 0) || !(retry.backoff_multiplier >= 1)) {
    problems.push('retry backoff must be >= 0 ms with a multiplier >= 1');
  }
  if (input.runtime === 'action') {
    if (!input.action || !ACTION_TYPE.test(input.action)) {
      problems.push(input.action ? `action type "${input.action}" is not valid: use letters, digits and _ (http_request)` : 'an action hook needs its action type (e.g. --action notification)');
    }
    if (input.params !== undefined && input.params !== null && (typeof input.params !== 'object' || Array.isArray(input.params))) {
      problems.push('the params of an action hook must be an object of param names to values');
    }
  } else if (input.runtime === 'commands') {
    if (!input.commands || input.commands.length === 0 || input.commands.some((c) => typeof c !== 'string' || !c.trim())) {
      problems.push('a commands hook needs at least one non-empty command');
    }
  } else if (!input.source) {
    problems.push(`a ${input.runtime} hook needs its script file`);
  }
  if (problems.length > 0) {
    throw new HookflowError('HF_ERR_INVALID_HOOK', `hook "${name}" is not valid:\n  - ${problems.join('\n  - ')}`, { problems });
  }
  return {
    hook: {
      name,
      description: input.description ?? '',
      events,
      stack,
      filter,
      runtime: input.runtime,
      source: input.source ?? null,
      commands: input.runtime === 'commands' ? (input.commands ?? null) : null,
      cwd: input.cwd ?? null,
      action: input.runtime === 'action' ? (input.action ?? null) : null,
      params: input.runtime === 'action' ? (input.params ?? {}) : null,
      timeout_ms,
      memory_mb,
      enabled: input.enabled ?? true,
      retry,
      created_at: now,
      updated_at: now,
      last_run: null,
      run_count: 0,
    },
    warnings,
  };
}
