/**
 * Checks on what a publisher sends: the event type, the data and the stack. Every rejection says
 * what was wrong, where (line:column in JSON text, the field path in a value) and what would be right.
 */
import { HookflowError } from '../errors.js';
import type { JsonObject, JsonValue } from './model.js';
import { suggestEventType } from './suggest.js';

export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
export const MAX_EVENT_TYPE_LENGTH = 128;
export const MAX_DATA_DEPTH = 64;
export const MAX_STACK_LENGTH = 128;

/** `custom`, `task.failed`, `agent.heartbeat_failed`: lowercase segments joined by dots. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const STACK_PATTERN = /^[A-Za-z0-9_.-]+$/;

export function isValidEventType(type: unknown): type is string {
  return typeof type === 'string' && type.length <= MAX_EVENT_TYPE_LENGTH && EVENT_TYPE_PATTERN.test(type);
}

export function validateEventType(type: unknown, where = 'type'): string {
  if (typeof type !== 'string') {
    throw new HookflowError('HF_ERR_INVALID_EVENT_TYPE', `event type must be a string, not ${describeKind(type)}`, {
      where,
      hint: 'use a dotted name like "task.failed"',
    });
  }
  if (type.length === 0) {
    throw new HookflowError('HF_ERR_INVALID_EVENT_TYPE', 'event type is empty: use a dotted name like "task.failed"', { where });
  }
  if (type.length > MAX_EVENT_TYPE_LENGTH) {
    throw new HookflowError(
      'HF_ERR_INVALID_EVENT_TYPE',
      `event type is ${type.length} characters long: at most ${MAX_EVENT_TYPE_LENGTH} are allowed`,
      { where },
    );
  }
  if (EVENT_TYPE_PATTERN.test(type)) return type;

  const shown = JSON.stringify(type.length > 60 ? `${type.slice(0, 57)}...` : type);
  const suggestion = suggestEventType(type) ?? normalisedType(type);
  throw new HookflowError('HF_ERR_INVALID_EVENT_TYPE', `event type ${shown} is not valid: ${typeProblem(type)}`, {
    where,
    hint: suggestion ? `did you mean "${suggestion}"?` : undefined,
  });
}

function typeProblem(type: string): string {
  if (type.includes('*')) return 'an event has one exact type; wildcards like "task.*" belong in hook patterns';
  if (type !== type.trim()) return 'remove the surrounding spaces';
  if (/[A-Z]/.test(type)) return 'use lowercase dotted names like "task.failed"';
  if (type.startsWith('.') || type.endsWith('.') || type.includes('..')) return 'every segment between dots needs a name, like "task.failed"';
  if (/(^|\.)[0-9_]/.test(type)) return 'each segment must start with a letter, like "task.failed"';
  return 'use lowercase letters, digits and _ in segments joined by dots, like "task.failed"';
}

/** The type most likely meant, when a mechanical fix gives a valid one (`Deploy-Staging.OK` → `deploy_staging.ok`). */
function normalisedType(type: string): string | null {
  const candidate = type
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^\.|\.$/g, '');
  return candidate !== type && candidate.length <= MAX_EVENT_TYPE_LENGTH && EVENT_TYPE_PATTERN.test(candidate) ? candidate : null;
}

export function validateStack(stack: unknown, where = 'stack'): string | null {
  if (stack === null || stack === undefined) return null;
  if (typeof stack !== 'string') {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `stack must be a string, not ${describeKind(stack)}`, { where });
  }
  if (stack.length === 0) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', 'stack is empty', { where, hint: 'leave the stack out, or name it (e.g. "production")' });
  }
  if (stack.length > MAX_STACK_LENGTH) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `stack is ${stack.length} characters long: at most ${MAX_STACK_LENGTH} are allowed`, { where });
  }
  if (!STACK_PATTERN.test(stack)) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `stack ${JSON.stringify(stack)} is not valid: use letters, digits, "_", "." and "-"`, {
      where,
      hint: stack.trim() !== stack ? 'remove the surrounding spaces' : undefined,
    });
  }
  return stack;
}

export interface EventDataOptions {
  /** The largest UTF-8 size of the data's JSON text, in bytes. */
  maxBytes: number;
  /** Names the data in errors (default `data`): a field path root or a file name. */
  where?: string;
}

/** JSON text → the event's data object. */
export function parseEventData(input: string, options: EventDataOptions): JsonObject {
  const where = options.where ?? 'data';
  checkSize(Buffer.byteLength(input, 'utf8'), options.maxBytes, where);
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch (error) {
    throw jsonSyntaxError(input, error, where);
  }
  requireObject(value, where);
  const deepest = depthExceeding(value, MAX_DATA_DEPTH, where);
  if (deepest) throw tooDeep(deepest);
  return value;
}

/**
 * The same checks on a value already in memory (from the API, a hook's event.dispatch): only
 * JSON values (no functions, undefined in arrays, NaN, Infinity, class instances or cycles), at
 * most 64 levels deep, and at most maxBytes once serialised. Object properties that are
 * undefined are dropped, as JSON does.
 */
export function checkEventData(value: unknown, options: EventDataOptions): JsonObject {
  return checkedEventData(value, options).data;
}

/** checkEventData, with the JSON text it measured (what the store writes: one serialization, not two). */
export function checkedEventData(value: unknown, options: EventDataOptions): { data: JsonObject; text: string } {
  const where = options.where ?? 'data';
  let dropsUndefined: boolean;
  let text: string;
  try {
    requireObject(value, where);
    dropsUndefined = checkJsonValue(value, where, 0, new Set());
    text = JSON.stringify(value);
  } catch (error) {
    if (error instanceof HookflowError) throw error;
    // A getter or proxy that throws: the value cannot be read as data.
    throw new HookflowError('HF_ERR_INVALID_JSON', `${where} could not be read: ${error instanceof Error ? error.message : String(error)}`, { where });
  }
  checkSize(Buffer.byteLength(text, 'utf8'), options.maxBytes, where);
  return { data: dropsUndefined ? (JSON.parse(text) as JsonObject) : (value as JsonObject), text };
}

function requireObject(value: unknown, where: string): asserts value is JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HookflowError('HF_ERR_INVALID_JSON', `${where} must be a JSON object, not ${describeKind(value)}`, {
      where,
      hint: 'wrap it in an object, e.g. {"value": …}',
    });
  }
}

function checkSize(bytes: number, maxBytes: number, where: string): void {
  if (bytes > maxBytes) {
    throw new HookflowError('HF_ERR_PAYLOAD_TOO_LARGE', `${where} is ${formatBytes(bytes)}: the limit is ${formatBytes(maxBytes)}`, {
      where,
      bytes,
      limit: maxBytes,
      hint: 'store large content elsewhere (a file, an object store) and send its reference',
    });
  }
}

export function formatBytes(bytes: number): string {
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  if (bytes < 1024) return exact;
  const [size, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / (1024 * 1024), 'MiB'];
  return `${Number(size.toFixed(2))} ${unit} (${exact})`;
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Returns whether some object property is undefined (dropped by serialisation). */
function checkJsonValue(value: unknown, path: string, depth: number, ancestors: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return false;
    case 'number':
      if (!Number.isFinite(value)) throw notJson(path, `is ${String(value)}`, 'JSON numbers are finite: send null or a string instead');
      return false;
    case 'object':
      break;
    default:
      throw notJson(path, `is ${describeKind(value)}`, 'only strings, finite numbers, booleans, null, arrays and plain objects are data');
  }
  if (value === null) return false;
  if (depth >= MAX_DATA_DEPTH) throw tooDeep(path);
  if (ancestors.has(value)) throw notJson(path, 'refers back to itself (a cycle)', 'data must be a tree');
  ancestors.add(value);
  let dropsUndefined = false;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const itemPath = `${path}[${index}]`;
      if (item === undefined) throw notJson(itemPath, 'is undefined', 'use null for a missing array element');
      if (checkJsonValue(item, itemPath, depth + 1, ancestors)) dropsUndefined = true;
    }
  } else {
    if (!isPlainObject(value)) {
      const name = value.constructor?.name ?? 'object';
      throw notJson(path, `is a ${name}`, value instanceof Date ? 'send dates as ISO strings (date.toISOString())' : 'send plain objects only');
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (item === undefined) {
        dropsUndefined = true;
        continue;
      }
      if (checkJsonValue(item, childPath(path, key), depth + 1, ancestors)) dropsUndefined = true;
    }
  }
  ancestors.delete(value);
  return dropsUndefined;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function childPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function notJson(path: string, problem: string, hint: string): HookflowError {
  return new HookflowError('HF_ERR_INVALID_JSON', `${path} ${problem}: not a JSON value`, { where: path, hint });
}

function tooDeep(path: string): HookflowError {
  return new HookflowError('HF_ERR_INVALID_JSON', `data is nested deeper than ${MAX_DATA_DEPTH} levels (at ${path})`, {
    where: path,
    hint: 'flatten the structure',
  });
}

/** The path of the first value nested deeper than `limit`, or null. Bounded recursion: it stops at the limit. */
function depthExceeding(value: JsonValue, limit: number, path: string, depth = 0): string | null {
  if (value === null || typeof value !== 'object') return null;
  if (depth >= limit) return path;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = depthExceeding(value[index], limit, `${path}[${index}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const found = depthExceeding(value[key], limit, childPath(path, key), depth + 1);
    if (found) return found;
  }
  return null;
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    case 'bigint':
      return 'a bigint';
    case 'symbol':
      return 'a symbol';
    default:
      return 'an object';
  }
}

// ── where JSON text went wrong ──────────────────────────────────────────────────────────────

interface JsonSyntaxProblem {
  offset: number;
  problem: string;
}

function jsonSyntaxError(text: string, error: unknown, where: string): HookflowError {
  const found = scanJson(text) ?? fromEngineMessage(text, error);
  const { line, column } = lineColumn(text, found.offset);
  return new HookflowError('HF_ERR_INVALID_JSON', `${where} is not valid JSON at line ${line}, column ${column}: ${found.problem}`, {
    where: `${where}:${line}:${column}`,
    line,
    column,
    hint: hintFor(found.problem),
  });
}

function hintFor(problem: string): string | undefined {
  if (problem.includes('trailing comma')) return 'remove the comma';
  if (problem.includes('property name')) return 'property names are strings in double quotes: {"name": "value"}';
  if (problem.includes('control character')) return 'write line breaks and tabs inside strings as \\n and \\t';
  return undefined;
}

/** When the scanner and the engine disagree, trust the engine's position if it gives one. */
function fromEngineMessage(text: string, error: unknown): JsonSyntaxProblem {
  const message = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(message);
  const offset = position ? Math.min(Number(position[1]), text.length) : text.length;
  return { offset, problem: message.replace(/\s*in JSON at position \d+.*$/, '').toLowerCase() };
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

type ScanState = 'value' | 'value-or-close' | 'value-after-comma' | 'key' | 'key-or-close' | 'colon' | 'after-value';

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

function shownChar(text: string, offset: number): string {
  const char = String.fromCodePoint(text.codePointAt(offset) ?? 0);
  return JSON.stringify(char);
}

/**
 * Finds the first syntax error of JSON text with an explicit stack (no recursion, so any depth is
 * safe), or null when the text is valid. Only run after JSON.parse has failed.
 */
function scanJson(text: string): JsonSyntaxProblem | null {
  const stack: Array<'object' | 'array'> = [];
  let state: ScanState = 'value';
  let at = 0;
  const n = text.length;
  for (;;) {
    while (at < n && (text[at] === ' ' || text[at] === '\t' || text[at] === '\n' || text[at] === '\r')) at++;
    if (at >= n) {
      if (state === 'after-value' && stack.length === 0) return null;
      if (stack.length === 0 && state === 'value' && n === 0) return { offset: 0, problem: 'the text is empty: expected a JSON object' };
      const closer = stack.length > 0 ? (stack[stack.length - 1] === 'object' ? '}' : ']') : null;
      return { offset: n, problem: `unexpected end of input${closer ? `: "${closer}" is missing` : ''}` };
    }
    const char = text[at];
    if ((state === 'value-or-close' && char === ']') || (state === 'key-or-close' && char === '}')) {
      stack.pop();
      at++;
      state = 'after-value';
      continue;
    }
    switch (state) {
      case 'value-or-close':
      case 'value':
      case 'value-after-comma': {
        if (state === 'value-after-comma' && char === ']') return { offset: at, problem: 'trailing comma before "]"' };
        if (char === '{') {
          stack.push('object');
          at++;
          state = 'key-or-close';
        } else if (char === '[') {
          stack.push('array');
          at++;
          state = 'value-or-close';
        } else if (char === '"') {
          const problem = scanString(text, at);
          if (typeof problem !== 'number') return problem;
          at = problem;
          state = 'after-value';
        } else if (char === '-' || (char >= '0' && char <= '9')) {
          NUMBER.lastIndex = at;
          const match = NUMBER.exec(text);
          if (!match) return { offset: at, problem: char === '-' ? 'expected digits after "-"' : 'invalid number' };
          const end = at + match[0].length;
          const digits = match[0].replace('-', '');
          if (digits.startsWith('0') && text[end] >= '0' && text[end] <= '9') {
            return { offset: at, problem: 'numbers cannot start with 0 (leading zeros are not JSON)' };
          }
          if (text[end] === '.' && !/[.eE]/.test(digits)) return { offset: end, problem: 'expected digits after "."' };
          if ((text[end] === 'e' || text[end] === 'E') && !/[eE]/.test(digits)) return { offset: end, problem: 'expected digits in the exponent' };
          at = end;
          state = 'after-value';
        } else {
          const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(at, at + 32));
          if (word && (word[0] === 'true' || word[0] === 'false' || word[0] === 'null')) {
            at += word[0].length;
            state = 'after-value';
          } else if (word) {
            const lower = word[0].toLowerCase();
            const meant = ['true', 'false', 'null'].find((literal) => literal.startsWith(lower) || lower === literal);
            return {
              offset: at,
              problem: `unexpected word "${word[0]}": expected a value${meant ? ` (did you mean ${meant}?)` : ' (strings need double quotes)'}`,
            };
          } else if (char === '}' && state === 'value-after-comma') {
            return { offset: at, problem: 'trailing comma before "}"' };
          } else {
            return { offset: at, problem: `unexpected ${shownChar(text, at)}: expected a value` };
          }
        }
        break;
      }
      case 'key-or-close':
      case 'key':
        if (char === '"') {
          const problem = scanString(text, at);
          if (typeof problem !== 'number') return problem;
          at = problem;
          state = 'colon';
        } else if (char === '}' && state === 'key') {
          return { offset: at, problem: 'trailing comma before "}"' };
        } else {
          return { offset: at, problem: `expected a property name in double quotes, found ${shownChar(text, at)}` };
        }
        break;
      case 'colon':
        if (char !== ':') return { offset: at, problem: `expected ":" after the property name, found ${shownChar(text, at)}` };
        at++;
        state = 'value';
        break;
      case 'after-value': {
        if (stack.length === 0) return { offset: at, problem: `unexpected ${shownChar(text, at)} after the end of the JSON value` };
        const inside = stack[stack.length - 1];
        const closer = inside === 'object' ? '}' : ']';
        if (char === ',') {
          at++;
          state = inside === 'object' ? 'key' : 'value-after-comma';
        } else if (char === closer) {
          stack.pop();
          at++;
        } else {
          const after = inside === 'object' ? 'a property value' : 'an array element';
          return { offset: at, problem: `expected "," or "${closer}" after ${after}, found ${shownChar(text, at)}` };
        }
        break;
      }
    }
  }
}

/** The offset just after the string starting at `start`, or the problem found in it. */
function scanString(text: string, start: number): number | JsonSyntaxProblem {
  let at = start + 1;
  for (;;) {
    if (at >= text.length) return { offset: start, problem: 'unterminated string: the closing " is missing' };
    const code = text.charCodeAt(at);
    if (code === 0x22) return at + 1;
    if (code < 0x20) return { offset: at, problem: 'control character (such as a line break) inside a string' };
    if (code === 0x5c) {
      const escaped = text[at + 1];
      if (escaped === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) return { offset: at, problem: 'bad unicode escape: \\u needs four hex digits' };
        at += 6;
        continue;
      }
      if (escaped === undefined || !'"\\/bfnrt'.includes(escaped)) {
        return { offset: at, problem: `bad escape "\\${escaped ?? ''}": use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX` };
      }
      at += 2;
      continue;
    }
    at++;
  }
}
