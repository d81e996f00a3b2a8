import nunjucks from 'nunjucks';
import { isRecord, parsePyNumber, pyStr, pyTruthy } from './template-values.js';

/**
 * What makes nunjucks behave like Jinja2 for hookflow's templates: the filters and tests Jinja users
 * rely on (with Python's printing and truthiness), Python's str/dict methods (`.split()`, `.items()`),
 * and member lookups that only reach data (own properties), never a prototype or a constructor, so
 * a template sees the params, steps, event, env and secrets it was given and nothing of the process.
 */

type Callable = (...args: unknown[]) => unknown;

/** The parts of a nunjucks Environment this module uses beyond @types/nunjucks. */
export interface JinjaEnvironment extends nunjucks.Environment {
  addTest(name: string, test: Callable): void;
  getTest(name: string): Callable;
}

const SafeString = nunjucks.runtime.SafeString;

/** Objects that resolve their properties on demand (`secret`): looked up by name, never listed. */
export const lazyObjects = new WeakSet<object>();

const FORBIDDEN_MEMBERS = new Set(['constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

/** `obj.key` / `obj[key]` in a template. */
export function memberLookup(obj: unknown, key: unknown): unknown {
  if (obj === undefined || obj === null) return undefined;
  if (typeof key !== 'string' && typeof key !== 'number') return undefined;
  const name = String(key);
  if (FORBIDDEN_MEMBERS.has(name)) return undefined;
  if (typeof obj === 'string' || obj instanceof SafeString) {
    const text = obj.toString();
    const position = listIndex(key, text.length);
    return position === undefined ? stringMethod(text, name) : text[position];
  }
  if (typeof obj !== 'object') return undefined;
  if (lazyObjects.has(obj)) return typeof key === 'string' ? (obj as Record<string, unknown>)[key] : undefined;
  if (Array.isArray(obj)) {
    const position = listIndex(key, obj.length);
    return position === undefined ? undefined : obj[position];
  }
  const record = obj as Record<string, unknown>;
  const prototype: unknown = Object.getPrototypeOf(obj);
  if (prototype === Object.prototype || prototype === null) {
    return Object.hasOwn(record, name) ? record[name] : dictMethod(record, name);
  }
  // Objects nunjucks makes itself (a cycler, a loop): their fields and methods, bound to them.
  const value = record[name];
  return typeof value === 'function' ? (...args: unknown[]) => (value as Callable).apply(obj, args) : value;
}

/** A list index as Python reads it (negative counts from the end), or undefined. */
function listIndex(key: unknown, length: number): number | undefined {
  if (typeof key !== 'number' || !Number.isInteger(key)) return undefined;
  const position = key < 0 ? key + length : key;
  return position >= 0 && position < length ? position : undefined;
}

interface FrameLike {
  lookup(name: string): unknown;
}
interface ContextLike {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}

/** A bare name: template variables, then the context's own names, then globals (never Object.prototype). */
export function contextOrFrameLookup(context: ContextLike, frame: FrameLike, name: string): unknown {
  if (!(name in Object.prototype)) {
    const inFrame = frame.lookup(name);
    if (inFrame !== undefined) return inFrame;
  }
  if (Object.hasOwn(context.ctx, name)) return context.ctx[name];
  if (Object.hasOwn(context.env.globals, name)) return context.env.globals[name];
  return undefined;
}

/** A dotted attribute (`user.name`, `items.0`) as Jinja's `attribute=` arguments take it. */
export function getAttribute(value: unknown, attribute: unknown): unknown {
  if (typeof attribute === 'number') return memberLookup(value, attribute);
  let current = value;
  for (const part of String(attribute).split('.')) {
    current = memberLookup(current, /^-?\d+$/.test(part) && !isRecord(current) ? Number(part) : part);
  }
  return current;
}

// ---------- Python methods on str and dict ----------

function stripChars(text: string, chars: unknown, start: boolean, end: boolean): string {
  if (chars === undefined || chars === null) {
    let result = text;
    if (start) result = result.replace(/^\s+/, '');
    if (end) result = result.replace(/\s+$/, '');
    return result;
  }
  const set = new Set(pyStr(chars));
  let from = 0;
  let to = text.length;
  if (start) while (from < to && set.has(text[from])) from++;
  if (end) while (to > from && set.has(text[to - 1])) to--;
  return text.slice(from, to);
}

function pySplit(text: string, separator: unknown, maxSplit: unknown): string[] {
  const limit = typeof maxSplit === 'number' && maxSplit >= 0 ? maxSplit : Infinity;
  if (separator === undefined || separator === null) {
    const parts: string[] = [];
    let rest = text.replace(/^\s+/, '');
    while (rest.length > 0) {
      if (parts.length >= limit) {
        parts.push(rest);
        break;
      }
      const match = /\s+/.exec(rest);
      if (!match) {
        parts.push(rest);
        break;
      }
      parts.push(rest.slice(0, match.index));
      rest = rest.slice(match.index + match[0].length);
    }
    return parts;
  }
  const sep = pyStr(separator);
  if (sep === '') throw new Error('split: empty separator');
  const parts = text.split(sep);
  return limit >= parts.length - 1 ? parts : [...parts.slice(0, limit), parts.slice(limit).join(sep)];
}

function pyReplace(text: string, old: unknown, replacement: unknown, count: unknown): string {
  const from = pyStr(old);
  const to = pyStr(replacement);
  const limit = typeof count === 'number' && count >= 0 ? count : Infinity;
  if (limit === Infinity) return text.split(from).join(to);
  const parts = text.split(from);
  if (parts.length - 1 <= limit) return parts.join(to);
  return parts.slice(0, limit + 1).join(to) + from + parts.slice(limit + 1).join(from);
}

function pyTitle(text: string): string {
  return text.toLowerCase().replace(/(^|[^\p{L}])(\p{L})/gu, (_m, before: string, letter: string) => before + letter.toUpperCase());
}

function pyCapitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();
}

function affixTest(text: string, affix: unknown, test: (text: string, affix: string) => boolean): boolean {
  return Array.isArray(affix) ? affix.some((item) => test(text, pyStr(item))) : test(text, pyStr(affix));
}

function stringMethod(text: string, name: string): Callable | undefined {
  switch (name) {
    case 'upper':
      return () => text.toUpperCase();
    case 'lower':
      return () => text.toLowerCase();
    case 'strip':
      return (chars) => stripChars(text, chars, true, true);
    case 'lstrip':
      return (chars) => stripChars(text, chars, true, false);
    case 'rstrip':
      return (chars) => stripChars(text, chars, false, true);
    case 'split':
      return (separator, maxSplit) => pySplit(text, separator, maxSplit);
    case 'startswith':
      return (prefix) => affixTest(text, prefix, (t, a) => t.startsWith(a));
    case 'endswith':
      return (suffix) => affixTest(text, suffix, (t, a) => t.endsWith(a));
    case 'replace':
      return (old, replacement, count) => pyReplace(text, old, replacement, count);
    case 'title':
      return () => pyTitle(text);
    case 'capitalize':
      return () => pyCapitalize(text);
    case 'join':
      return (items) => toList(items).map(pyStr).join(text);
    default:
      return undefined;
  }
}

function dictMethod(record: Record<string, unknown>, name: string): Callable | undefined {
  switch (name) {
    case 'items':
      return () => Object.keys(record).map((key) => [key, record[key]]);
    case 'keys':
      return () => Object.keys(record);
    case 'values':
      return () => Object.keys(record).map((key) => record[key]);
    case 'get':
      return (key, fallback = null) => (typeof key === 'string' && Object.hasOwn(record, key) ? record[key] : fallback);
    default:
      return undefined;
  }
}

// ---------- filters ----------

interface FilterArgs {
  positional: unknown[];
  keywords: Record<string, unknown>;
}

/** nunjucks passes `f(a, b=1)` as positional args then `{b: 1, __keywords: true}`. */
function splitArgs(args: unknown[]): FilterArgs {
  const last = args[args.length - 1];
  if (isRecord(last) && last.__keywords === true) {
    const keywords: Record<string, unknown> = { ...last };
    delete keywords.__keywords;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}

function option(args: FilterArgs, index: number, name: string, fallback?: unknown): unknown {
  if (Object.hasOwn(args.keywords, name)) return args.keywords[name];
  return index < args.positional.length ? args.positional[index] : fallback;
}

/** Iterating a value as Python would: a list, a string's characters, a dict's keys. */
function toList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' || value instanceof SafeString) return [...value.toString()];
  if (isRecord(value)) return lazyObjects.has(value) ? [] : Object.keys(value);
  return [];
}

function toInt(value: unknown, fallback: unknown, base: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : fallback;
  const text = pyStr(value).trim().replace(/_/g, '');
  const radix = typeof base === 'number' ? base : 10;
  if (radix !== 10) {
    const digits = text.replace(/^([+-]?)0[xob]/i, '$1');
    const parsed = parseInt(digits, radix);
    return Number.isNaN(parsed) || !/^[+-]?[0-9a-z]+$/i.test(digits) ? fallback : parsed;
  }
  const number = parsePyNumber(text);
  return number === undefined ? fallback : Math.trunc(number);
}

function toFloat(value: unknown, fallback: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  return parsePyNumber(pyStr(value)) ?? fallback;
}

function lengthOf(value: unknown): number {
  if (typeof value === 'string' || value instanceof SafeString) return value.toString().length;
  if (Array.isArray(value)) return value.length;
  if (isRecord(value)) return lazyObjects.has(value) ? 0 : Object.keys(value).length;
  return 0;
}

/** JSON as Jinja's `tojson` writes it (sorted keys, Python's `, ` and `: `), HTML escaping aside. */
function toJson(value: unknown, indent: unknown): string {
  const sorted = sortKeys(value, 0);
  const width = typeof indent === 'number' ? indent : undefined;
  const text = JSON.stringify(sorted === undefined ? null : sorted, null, width);
  return width === undefined ? spaceJson(text) : text;
}

function sortKeys(value: unknown, depth: number): unknown {
  if (value instanceof SafeString) return value.toString();
  if (typeof value === 'function' || depth > 200) return null;
  if (Array.isArray(value)) return value.map((item) => sortKeys(item, depth + 1) ?? null);
  if (!isRecord(value)) return value;
  const result: Record<string, unknown> = {};
  if (lazyObjects.has(value)) return result;
  for (const key of Object.keys(value).sort()) {
    Object.defineProperty(result, key, { value: sortKeys(value[key], depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/** Compact JSON → Python's default separators, leaving string contents alone. */
function spaceJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    out += ch;
    if (inString) {
      if (ch === '\\') out += text[++i];
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === ',' || ch === ':') out += ' ';
  }
  return out;
}

function caseKey(value: unknown, caseSensitive: unknown): unknown {
  return !caseSensitive && typeof value === 'string' ? value.toLowerCase() : value;
}

function pickAttribute(value: unknown, attribute: unknown): unknown {
  return attribute === undefined || attribute === null ? value : getAttribute(value, attribute);
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = typeof a === 'string' ? a : pyStr(a);
  const right = typeof b === 'string' ? b : pyStr(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

function extreme(sign: 1 | -1) {
  return (value: unknown, ...rest: unknown[]): unknown => {
    const args = splitArgs(rest);
    const caseSensitive = option(args, 0, 'case_sensitive', false);
    const attribute = option(args, 1, 'attribute');
    let best: unknown;
    let bestKey: unknown;
    for (const item of toList(value)) {
      const key = caseKey(pickAttribute(item, attribute), caseSensitive);
      if (best === undefined || sign * compareValues(key, bestKey) > 0) {
        best = item;
        bestKey = key;
      }
    }
    return best;
  };
}

export function installJinjaFilters(env: JinjaEnvironment): void {
  const builtin = (name: string): Callable => env.getFilter(name) as Callable;
  const nunjucksSort = builtin('sort');
  const nunjucksRound = builtin('round');

  const filters: Record<string, Callable> = {
    default: (value, ...rest) => {
      const args = splitArgs(rest);
      const useFallback = option(args, 1, 'boolean', false) ? !pyTruthy(value) : value === undefined;
      return useFallback ? option(args, 0, 'default_value', '') : value;
    },
    string: (value) => pyStr(value),
    upper: (value) => pyStr(value).toUpperCase(),
    lower: (value) => pyStr(value).toLowerCase(),
    capitalize: (value) => pyCapitalize(pyStr(value)),
    title: (value) => pyTitle(pyStr(value)),
    trim: (value, chars) => stripChars(pyStr(value), chars, true, true),
    replace: (value, old, replacement, count) => pyReplace(pyStr(value), old, replacement, count),
    int: (value, ...rest) => {
      const args = splitArgs(rest);
      return toInt(value, option(args, 0, 'default', 0), option(args, 1, 'base', 10));
    },
    float: (value, ...rest) => toFloat(value, option(splitArgs(rest), 0, 'default', 0)),
    round: (value, ...rest) => {
      const args = splitArgs(rest);
      const number = toFloat(value, NaN);
      return nunjucksRound(number, option(args, 0, 'precision', 0), option(args, 1, 'method', 'common'));
    },
    abs: (value) => Math.abs(Number(toFloat(value, NaN))),
    length: (value) => lengthOf(value),
    count: (value) => lengthOf(value),
    first: (value) => toList(value)[0],
    last: (value) => {
      const list = toList(value);
      return list[list.length - 1];
    },
    list: (value) => [...toList(value)],
    items: (value) => (isRecord(value) && !lazyObjects.has(value) ? Object.keys(value).map((key) => [key, value[key]]) : []),
    join: (value, ...rest) => {
      const args = splitArgs(rest);
      const attribute = option(args, 1, 'attribute');
      return toList(value)
        .map((item) => pyStr(pickAttribute(item, attribute)))
        .join(pyStr(option(args, 0, 'd', '')));
    },
    tojson: (value, ...rest) => toJson(value, option(splitArgs(rest), 0, 'indent')),
    sort: function (this: unknown, value: unknown, ...rest: unknown[]) {
      return nunjucksSort.call(this, [...toList(value)], ...rest);
    },
    unique: (value, ...rest) => {
      const args = splitArgs(rest);
      const caseSensitive = option(args, 0, 'case_sensitive', false);
      const attribute = option(args, 1, 'attribute');
      const seen: unknown[] = [];
      const result: unknown[] = [];
      for (const item of toList(value)) {
        const key = caseKey(pickAttribute(item, attribute), caseSensitive);
        if (!seen.some((other) => pyEquals(other, key))) {
          seen.push(key);
          result.push(item);
        }
      }
      return result;
    },
    sum: (value, ...rest) => {
      const args = splitArgs(rest);
      const attribute = option(args, 0, 'attribute');
      return toList(value).reduce((total: unknown, item) => {
        const amount = pickAttribute(item, attribute);
        return Number(total) + (typeof amount === 'boolean' ? Number(amount) : Number(amount ?? NaN));
      }, option(args, 1, 'start', 0));
    },
    min: extreme(-1),
    max: extreme(1),
    attr: (value, name) => memberLookup(value, name),
    map: (value, ...rest) => {
      const args = splitArgs(rest);
      const list = toList(value);
      if (Object.hasOwn(args.keywords, 'attribute')) {
        const fallback = args.keywords.default;
        return list.map((item) => getAttribute(item, args.keywords.attribute) ?? fallback);
      }
      const [name, ...filterArgs] = args.positional;
      if (typeof name !== 'string') throw new Error('map: give a filter name or attribute=');
      const filter = env.getFilter(name) as Callable;
      return list.map((item) => filter(item, ...filterArgs));
    },
    selectattr: (value, attribute, test, ...testArgs) => selectByAttribute(env, value, attribute, test, testArgs, true),
    rejectattr: (value, attribute, test, ...testArgs) => selectByAttribute(env, value, attribute, test, testArgs, false),
  };
  filters.d = filters.default;
  for (const [name, filter] of Object.entries(filters)) env.addFilter(name, filter);
}

function selectByAttribute(env: JinjaEnvironment, value: unknown, attribute: unknown, test: unknown, testArgs: unknown[], keep: boolean): unknown[] {
  const check = typeof test === 'string' ? env.getTest(test) : (item: unknown) => pyTruthy(item);
  return toList(value).filter((item) => pyTruthy(check(getAttribute(item, attribute), ...testArgs)) === keep);
}

/** Python's `==`: structural for lists and dicts, no coercion between types. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof SafeString || b instanceof SafeString) return String(a) === String(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => pyEquals(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && pyEquals(a[key], b[key]));
  }
  return false;
}

/** Python's `in`: membership in a list, a substring, a dict's key; nothing is in an undefined value. */
export function pyIn(needle: unknown, haystack: unknown): boolean {
  if (typeof haystack === 'string' || haystack instanceof SafeString) return haystack.toString().includes(pyStr(needle));
  if (Array.isArray(haystack)) return haystack.some((item) => pyEquals(item, needle));
  if (isRecord(haystack)) return typeof needle === 'string' && !lazyObjects.has(haystack) && Object.hasOwn(haystack, needle);
  return false;
}

// ---------- tests ----------

export function installJinjaTests(env: JinjaEnvironment): void {
  const tests: Record<string, Callable> = {
    none: (value) => value === null,
    None: (value) => value === null,
    null: (value) => value === null,
    true: (value) => value === true,
    True: (value) => value === true,
    false: (value) => value === false,
    False: (value) => value === false,
    boolean: (value) => typeof value === 'boolean',
    integer: (value) => typeof value === 'number' && Number.isInteger(value),
    float: (value) => typeof value === 'number' && !Number.isInteger(value),
    sequence: (value) => Array.isArray(value) || typeof value === 'string' || (isRecord(value) && !lazyObjects.has(value)),
    in: (value, container) => pyIn(value, container),
    truthy: (value) => pyTruthy(value),
    falsy: (value) => !pyTruthy(value),
    eq: (a, b) => pyEquals(a, b),
    equalto: (a, b) => pyEquals(a, b),
    ne: (a, b) => !pyEquals(a, b),
  };
  for (const [name, test] of Object.entries(tests)) env.addTest(name, test);
}
