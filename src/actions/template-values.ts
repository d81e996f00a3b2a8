import nunjucks from 'nunjucks';
import type { JsonObject, JsonValue } from '../events/model.js';

/**
 * Values as Jinja2 (Python) sees them: how a value prints (`True`, `None`, `['a', 1]`), whether it
 * is truthy, and how rendered text is typed back into a value (int, float, bool, a literal).
 * Pure functions shared by the template engine and its filters.
 */

const SafeString = nunjucks.runtime.SafeString;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Python's `str()` of a value: what `{{ value }}` prints. */
export function pyStr(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'undefined':
      return '';
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return pyNumber(value);
    case 'function':
    case 'symbol':
      return '';
    case 'bigint':
      return value.toString();
    default:
      if (value === null) return 'None';
      if (value instanceof SafeString) return value.toString();
      return pyRepr(value);
  }
}

/** Python's `repr()`: how a value prints inside a list or a dict. */
export function pyRepr(value: unknown, seen: Set<object> = new Set()): string {
  if (typeof value === 'string') return pyQuote(value);
  if (value instanceof SafeString) return pyQuote(value.toString());
  if (typeof value !== 'object' || value === null) return value === undefined ? 'None' : pyStr(value);
  if (seen.has(value)) return Array.isArray(value) ? '[...]' : '{...}';
  seen.add(value);
  try {
    if (Array.isArray(value)) return `[${value.map((item) => pyRepr(item, seen)).join(', ')}]`;
    const entries = Object.keys(value).map((key) => `${pyQuote(key)}: ${pyRepr((value as Record<string, unknown>)[key], seen)}`);
    return `{${entries.join(', ')}}`;
  } finally {
    seen.delete(value);
  }
}

function pyNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

/** Python quotes a string with `'` unless it holds a `'` and no `"`. */
function pyQuote(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python truthiness of a value inside a template (`{% if %}`, `and`, `or`, `not`). */
export function pyTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return value.length > 0;
  if (value instanceof SafeString) return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

const INT_TEXT = /^[+-]?\d+(?:_\d+)*$/;
const FLOAT_TEXT = /^[+-]?(?:\d+(?:_\d+)*\.(?:\d+(?:_\d+)*)?|\.\d+(?:_\d+)*|\d+(?:_\d+)*)(?:[eE][+-]?\d+)?$/;

/** A number written as Python's int() / float() would read it, or undefined. */
export function parsePyNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!FLOAT_TEXT.test(trimmed)) return undefined;
  const value = Number(trimmed.replace(/_/g, ''));
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Types rendered text back into a value (BudPipeline's rule for a path with filters): an integer,
 * a float, true/false (any case, so Jinja's `True` counts), `None` → null, a list or dict literal
 * (JSON, or Python's repr of one), else the text unchanged. An integer too large to be exact in
 * JSON stays text rather than lose digits.
 */
export function retypeRendered(text: string): JsonValue {
  const trimmed = text.trim();
  if (INT_TEXT.test(trimmed)) {
    const value = Number(trimmed.replace(/_/g, ''));
    return Number.isSafeInteger(value) ? value : text;
  }
  const float = parsePyNumber(trimmed);
  if (float !== undefined) return float;
  const lower = trimmed.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (trimmed === 'None') return null;
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    const literal = parseLiteral(trimmed);
    if (literal !== undefined) return literal;
  }
  return text;
}

/** A JSON or Python list/dict literal, or undefined when the text is neither. */
export function parseLiteral(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return new PyLiteralParser(text).parseAll();
  }
}

/** Python literals as `ast.literal_eval` reads what Jinja prints: str, numbers, True/False/None, list, tuple, dict. */
class PyLiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): JsonValue | undefined {
    try {
      const value = this.value(0);
      this.space();
      return this.pos === this.text.length ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private fail(): never {
    throw new Error('not a literal');
  }

  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private value(depth: number): JsonValue {
    if (depth > 200) this.fail();
    this.space();
    const ch = this.text[this.pos];
    if (ch === '[') return this.sequence(']', depth);
    if (ch === '(') return this.sequence(')', depth);
    if (ch === '{') return this.dict(depth);
    if (ch === "'" || ch === '"') return this.string(ch);
    const word = /^(?:True|False|None|[+-]?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.pos));
    if (!word) this.fail();
    this.pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    const number = parsePyNumber(word[0]);
    if (number === undefined) this.fail();
    return number;
  }

  private sequence(close: string, depth: number): JsonValue[] {
    this.pos++;
    const items: JsonValue[] = [];
    for (;;) {
      this.space();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value(depth + 1));
      this.space();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail();
    }
  }

  private dict(depth: number): JsonObject {
    this.pos++;
    const result: JsonObject = {};
    for (;;) {
      this.space();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return result;
      }
      const key = this.value(depth + 1);
      if (typeof key === 'object' && key !== null) this.fail();
      this.space();
      if (this.text[this.pos] !== ':') this.fail();
      this.pos++;
      Object.defineProperty(result, pyStr(key), { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.space();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail();
    }
  }

  private string(quote: string): string {
    this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos++];
      if (ch === quote) return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const next = this.text[this.pos++];
      const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };
      if (next in simple) out += simple[next];
      else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + length);
        if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) this.fail();
        out += String.fromCodePoint(parseInt(hex, 16));
        this.pos += length;
      } else if (next === '\n') continue;
      else out += `\\${next ?? ''}`;
    }
    return this.fail();
  }
}

/**
 * A template value as JSON: undefined → undefined (the caller decides), non-finite numbers → null,
 * functions → "", lists and objects copied (so a resolved param never aliases workflow data, and a
 * lazy object such as `secret` shows none of its names).
 */
export function toJsonValue(value: unknown, depth = 0): JsonValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'undefined':
      return undefined;
    case 'object':
      break;
    default:
      return '';
  }
  if (value === null) return null;
  if (value instanceof SafeString) return value.toString();
  if (depth > 200) return null;
  if (Array.isArray(value)) return value.map((item) => toJsonValue(item, depth + 1) ?? null);
  const result: JsonObject = {};
  for (const key of Object.keys(value)) {
    const item = toJsonValue((value as Record<string, unknown>)[key], depth + 1);
    if (item !== undefined) Object.defineProperty(result, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/**
 * Truth of a resolved value for a condition (REFERENCE.md: false for false, empty, none, 0 and empty
 * collections). Conditions are often rendered text, so text counts by what it says: "", "false"/"False",
 * "none"/"None", a zero ("0", "0.0") and an empty collection ("[]", "{}", "()", "set()") are false, as in
 * BudPipeline; any other text is true ("no", "off" and "null" included). Numbers: 0 and NaN are false.
 */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string' || value instanceof SafeString) return isTruthyText(value.toString());
  return pyTruthy(value);
}

const FALSE_TEXTS = new Set(['', 'false', 'none', '[]', '{}', '()', 'set()']);

function isTruthyText(text: string): boolean {
  const trimmed = text.trim();
  if (FALSE_TEXTS.has(trimmed.toLowerCase())) return false;
  const number = parsePyNumber(trimmed);
  return number === undefined || number !== 0;
}
