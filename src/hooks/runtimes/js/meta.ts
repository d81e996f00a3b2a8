/**
 * Reading a hook module's default export: a plain function, or a `defineHook({...})` object whose
 * fields become HookScriptMeta. Pure: the worker calls it on whatever the module exported.
 */
import { HookflowError } from '../../../errors.js';
import type { HookScriptMeta } from '../../model.js';
import type { HookFunction } from '../../define.js';

export interface LoadedHook {
  execute: HookFunction;
  meta: HookScriptMeta;
}

/** Turns a module namespace into a runnable hook, or throws HF_ERR_INVALID_HOOK naming the file. */
export function hookFromModule(namespace: Record<string, unknown>, path: string): LoadedHook {
  let exported = namespace.default;
  // A module compiled to CommonJS (`exports.default = …`) arrives wrapped once more.
  if (isRecord(exported) && !('execute' in exported) && 'default' in exported) exported = exported.default;
  if (typeof exported === 'function') return { execute: exported as HookFunction, meta: {} };
  if (isRecord(exported) && typeof exported.execute === 'function') {
    const execute = exported.execute as HookFunction;
    const definition = exported;
    return { execute: (event, ctx) => execute.call(definition, event, ctx), meta: metaFromDefinition(definition, path) };
  }
  throw new HookflowError('HF_ERR_INVALID_HOOK', `${path}: the default export must be defineHook({...}) or a function (event, ctx) => …`, {
    where: path,
    hint: exported === undefined ? 'add `export default defineHook({ execute(event, ctx) { … } })`' : `it is ${describeType(exported)}`,
  });
}

export function metaFromDefinition(definition: Record<string, unknown>, path: string): HookScriptMeta {
  const meta: HookScriptMeta = {};
  const fail = (field: string, expected: string): never => {
    throw new HookflowError('HF_ERR_INVALID_HOOK', `${path}: defineHook field \`${field}\` must be ${expected}, not ${describeType(definition[field])}`, {
      where: `${path}#${field}`,
    });
  };
  const { name, description, events, stack, filter, timeout } = definition;
  if (name !== undefined) {
    if (typeof name !== 'string' || name.trim() === '') fail('name', 'a non-empty string');
    else meta.name = name;
  }
  if (description !== undefined) {
    if (typeof description !== 'string') fail('description', 'a string');
    else meta.description = description;
  }
  if (events !== undefined) {
    const list = typeof events === 'string' ? [events] : events;
    if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item !== '')) {
      fail('events', 'an event type pattern or a non-empty list of them');
    } else meta.events = [...(list as string[])];
  }
  if (stack !== undefined) {
    if (stack !== null && typeof stack !== 'string') fail('stack', 'a string or null');
    else meta.stack = stack;
  }
  if (filter !== undefined) {
    if (filter !== null && typeof filter !== 'string') fail('filter', 'an expression string or null');
    else meta.filter = filter;
  }
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) fail('timeout', 'a positive number of seconds');
    else meta.timeout_ms = Math.round(timeout * 1000);
  }
  return meta;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}${typeof value === 'string' || typeof value === 'number' ? ` (${JSON.stringify(value)})` : ''}`;
}
