import type { JsonObject, JsonValue } from '../../events/model.js';
import { pyStr } from '../template-values.js';

/**
 * Small pure helpers the built-in actions share: JSON kinds, Python-like ordering and equality
 * (BudPipeline's actions are Python), and reading an HTTP answer's body and error detail.
 */

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON kind of a value: string, number, boolean, null, array or object. */
export function jsonKind(value: JsonValue | undefined): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** One canonical text per value (object keys sorted), so equal values compare equal. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Python's ordering where it has one (numbers, strings, lists of those), else null. */
function naturalCompare(a: JsonValue, b: JsonValue): number | null {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let index = 0; index < Math.min(a.length, b.length); index++) {
      const order = naturalCompare(a[index], b[index]);
      if (order === null) return null;
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  return null;
}

/**
 * Sorts like Python's `sorted(values)`, falling back to `sorted(values, key=str)` when the values
 * are not mutually comparable (BudPipeline's transform does exactly that).
 */
export function pySorted(values: readonly JsonValue[]): JsonValue[] {
  const comparable = values.every((a) => values.every((b) => naturalCompare(a, b) !== null));
  if (comparable) return [...values].sort((a, b) => naturalCompare(a, b) ?? 0);
  const keyed = values.map((value) => ({ value, key: pyStr(value) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((entry) => entry.value);
}

/** One level of nesting removed: lists are spliced in, anything else kept as an item. */
export function flattenOnce(values: readonly JsonValue[]): JsonValue[] {
  const result: JsonValue[] = [];
  for (const item of values) {
    if (Array.isArray(item)) result.push(...item);
    else result.push(item);
  }
  return result;
}

/** A body parsed as JSON when its content type says JSON (and it parses), else the text; empty is null. */
export function parseBody(text: string, contentType: string | undefined): JsonValue {
  if (text.length === 0) return null;
  if (contentType && /[/+]json\b/i.test(contentType)) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      return text;
    }
  }
  return text;
}

/** What an error answer says about itself: its detail, message or error field, else the start of its text. */
export function errorDetail(body: JsonValue, limit = 300): string {
  if (isJsonObject(body)) {
    for (const field of ['detail', 'message', 'error']) {
      const value = body[field];
      if (value === undefined || value === null || value === '') continue;
      return clip(typeof value === 'string' ? value : JSON.stringify(value), limit);
    }
    return clip(JSON.stringify(body), limit);
  }
  if (body === null) return '';
  return clip(typeof body === 'string' ? body.trim() : JSON.stringify(body), limit);
}

export function clip(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** A JSON object of header values as strings (numbers and booleans written out). */
export function headerProblems(value: JsonValue | undefined, field: string): Array<{ field: string; message: string }> {
  if (value === undefined || value === null) return [];
  if (!isJsonObject(value)) return [{ field, message: `must be an object of header names to values, not ${jsonKind(value)}` }];
  const problems: Array<{ field: string; message: string }> = [];
  for (const [name, item] of Object.entries(value)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) problems.push({ field: `${field}.${name}`, message: 'is not a valid header name' });
    else if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
      problems.push({ field: `${field}.${name}`, message: `must be a string, number or boolean, not ${jsonKind(item)}` });
    }
  }
  return problems;
}

export function headerRecord(value: JsonValue | undefined): Record<string, string> {
  if (!isJsonObject(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, String(item)]));
}
