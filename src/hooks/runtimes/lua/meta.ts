import type { JsonValue } from '../../../events/model.js';
import { HookflowError } from '../../../errors.js';
import type { HookScriptMeta } from '../../model.js';

/**
 * The metadata a table-style script declares (`name`, `description`, `event_type` or
 * `event_types`, `stack`, `filter`, `timeout` in seconds or as `"30s"`/`"500ms"`/`"2m"`), checked
 * field by field so a mistake names the field. A script that returns no table (global style)
 * declares nothing.
 */
export function metaFromScript(path: string, value: JsonValue): HookScriptMeta {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(path, 'hook', 'the script must return a table (table style) or nothing (global style)');
  }
  if (value.has_execute !== true) {
    throw invalid(path, 'hook.execute', 'the returned table has no execute function', 'define function hook.execute(event) ... end');
  }
  const meta: HookScriptMeta = {};
  const name = optionalString(path, value, 'name');
  if (name !== undefined) meta.name = name;
  const description = optionalString(path, value, 'description');
  if (description !== undefined) meta.description = description;
  const events = [...eventList(path, value, 'event_type'), ...eventList(path, value, 'event_types')];
  if (events.length > 0) meta.events = [...new Set(events)];
  const stack = optionalString(path, value, 'stack');
  if (stack !== undefined) meta.stack = stack === '' ? null : stack;
  const filter = optionalString(path, value, 'filter');
  if (filter !== undefined) meta.filter = filter === '' ? null : filter;
  if (value.timeout !== undefined && value.timeout !== null) meta.timeout_ms = timeoutMs(path, value.timeout);
  return meta;
}

function optionalString(path: string, table: { [key: string]: JsonValue }, field: string): string | undefined {
  const value = table[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(path, `hook.${field}`, `must be a string, not ${describeType(value)}`);
  return value;
}

function eventList(path: string, table: { [key: string]: JsonValue }, field: string): string[] {
  const value = table[field];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      if (typeof item !== 'string' || item === '') {
        throw invalid(path, `hook.${field}[${index + 1}]`, `must be a non-empty string, not ${describeType(item)}`);
      }
      return item;
    });
  }
  throw invalid(path, `hook.${field}`, `must be a string or a list of strings, not ${describeType(value)}`);
}

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function timeoutMs(path: string, value: JsonValue): number {
  let ms: number | null = null;
  if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string') {
    const match = DURATION.exec(value);
    if (match) ms = Number(match[1]) * UNIT_MS[match[2] ?? 's'];
  }
  if (ms === null || !Number.isFinite(ms) || ms <= 0) {
    throw invalid(path, 'hook.timeout', `must be a positive number of seconds or a duration like "30s", not ${JSON.stringify(value)}`);
  }
  return Math.round(ms);
}

function describeType(value: JsonValue): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a table';
  return `a ${typeof value}`;
}

function invalid(path: string, field: string, message: string, hint?: string): HookflowError {
  return new HookflowError('HF_ERR_INVALID_HOOK', `invalid Lua hook ${path}: ${field} ${message}`, { where: `${path}: ${field}`, ...(hint ? { hint } : {}) });
}

/** `hook.lua:12: boom` → the line, to point at in error details. */
export function luaErrorLine(message: string): number | null {
  const match = /^[^\n]*?:(\d+):/.exec(message);
  return match ? Number(match[1]) : null;
}
