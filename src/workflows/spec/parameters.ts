/**
 * Torc parameter values and their expansion (REFERENCE.md, "Torc: workflow actions"). A parameter's
 * value is a string describing a list, an inclusive range or one value; several parameters combine as
 * a cartesian product or element-wise (zip). Placeholders `{name}`, `{name:03d}`, `{name:.4f}` in
 * strings are replaced by a combination's values. Unlike Torc, the order of the result is fixed:
 * parameters in the order they are written, the last one varying fastest.
 */
import { HookflowError } from '../../errors.js';

export type ParameterValue =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'string'; readonly value: string };

export type ParameterMode = 'product' | 'zip';

/** One combination: parameter name → value, in the order the parameters were written. */
export type ParameterCombination = ReadonlyMap<string, ParameterValue>;

/** Tolerance on a float range's end, so `0.0:1.0:0.1` reaches 1.0 despite rounding. */
const FLOAT_RANGE_EPSILON = 1e-10;
/** A range longer than this is surely a mistake (and would exhaust memory). */
const MAX_RANGE_LENGTH = 10_000_000;

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function invalid(message: string, where: string | undefined, hint?: string): HookflowError {
  return new HookflowError('HF_ERR_INVALID_WORKFLOW', message, { ...(where ? { where } : {}), ...(hint ? { hint } : {}) });
}

function stripQuotes(text: string): string {
  if (text.length >= 2 && (text[0] === "'" || text[0] === '"') && text[text.length - 1] === text[0]) {
    return text.slice(1, -1);
  }
  return text;
}

/** One scalar: int, else float, else string with surrounding quotes removed. */
export function parseScalar(text: string): ParameterValue {
  const trimmed = text.trim();
  if (INT.test(trimmed)) return { type: 'int', value: Number.parseInt(trimmed, 10) };
  if (FLOAT.test(trimmed)) return { type: 'float', value: Number.parseFloat(trimmed) };
  return { type: 'string', value: stripQuotes(trimmed) };
}

/** Splits list items on commas outside quotes, so `['a,b', 'c']` has two items. */
function splitListItems(body: string): string[] {
  const items: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const char of body) {
    if (quote) {
      if (char === quote) quote = null;
      current += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      current += char;
    } else if (char === ',') {
      items.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  items.push(current);
  return items;
}

function parseList(body: string, where: string | undefined): ParameterValue[] {
  if (body.trim() === '') return [];
  return splitListItems(body).map((item, index) => {
    if (item.trim() === '') throw invalid(`empty item ${index + 1} in the parameter list [${body}]`, where, 'remove the extra comma');
    return parseScalar(item);
  });
}

function parseRange(text: string, where: string | undefined): ParameterValue[] {
  const parts = text.split(':').map((part) => part.trim());
  if (parts.length > 3) {
    throw invalid(`the range "${text}" has ${parts.length} parts`, where, 'write start:end or start:end:step');
  }
  const [startText, endText, stepText] = parts;
  if (!parts.every((part) => FLOAT.test(part))) {
    throw invalid(`the range "${text}" is not numeric`, where, `write start:end[:step] with numbers, or a list ['${text}'] for a string holding ':'`);
  }
  const integral = INT.test(startText) && INT.test(endText);
  if (integral && stepText !== undefined && !INT.test(stepText)) {
    throw invalid(`the range "${text}" has integer ends but a fractional step`, where, 'use an integer step, or write the ends as floats (1.0:2.0:0.5)');
  }
  const start = Number(startText);
  const end = Number(endText);
  const step = stepText === undefined ? 1 : Number(stepText);
  if (step === 0) throw invalid(`the range "${text}" has step 0`, where, 'use a non-zero step');
  const values: ParameterValue[] = [];
  const type = integral ? 'int' : 'float';
  const tolerance = integral ? 0 : FLOAT_RANGE_EPSILON;
  // Each value is start + i·step rather than a running sum, so float ranges do not drift.
  for (let index = 0; ; index++) {
    const value = start + index * step;
    if (step > 0 ? value > end + tolerance : value < end - tolerance) break;
    if (values.length >= MAX_RANGE_LENGTH) {
      throw invalid(`the range "${text}" has more than ${MAX_RANGE_LENGTH} values`, where, 'use a larger step or a smaller range');
    }
    values.push({ type, value });
  }
  return values;
}

/**
 * The values one parameter takes. `where` names the parameter in error messages (`jobs[2].parameters.i`).
 * Non-string scalars (YAML `i: 5`) read as their text; a YAML list reads as a list of scalars.
 */
export function parseParameterValue(raw: unknown, where?: string): ParameterValue[] {
  if (Array.isArray(raw)) {
    return raw.map((item, index) => {
      if (typeof item === 'string') return { type: 'string', value: item };
      if (typeof item === 'number' || typeof item === 'boolean') return parseScalar(String(item));
      throw invalid(`parameter list item ${index + 1} is not a scalar`, where, 'use strings or numbers');
    });
  }
  if (typeof raw === 'number' || typeof raw === 'boolean') return [parseScalar(String(raw))];
  if (typeof raw !== 'string') {
    throw invalid('a parameter value must be a string such as "1:10", "[a, b]" or "5"', where);
  }
  let text = raw.trim();
  if (text.startsWith('{') && text.endsWith('}') && !text.includes(',')) text = text.slice(1, -1).trim();
  if (text.startsWith('[') && text.endsWith(']')) return parseList(text.slice(1, -1), where);
  if (text.includes(':')) return parseRange(text, where);
  return [parseScalar(text)];
}

/**
 * Every combination of the parameters. `product`: cartesian, the last parameter varying fastest;
 * `zip`: element-wise, all lists of one length. No parameters give one empty combination; an empty
 * list gives none.
 */
export function expandParameters(
  parameters: Readonly<Record<string, unknown>>,
  mode: ParameterMode = 'product',
  where?: string,
): ParameterCombination[] {
  const names = Object.keys(parameters);
  const lists = names.map((name) => parseParameterValue(parameters[name], where ? `${where}.${name}` : name));
  if (mode === 'zip') {
    if (names.length === 0) return [new Map()];
    const length = lists[0].length;
    const mismatch = lists.findIndex((list) => list.length !== length);
    if (mismatch >= 0) {
      const sizes = names.map((name, index) => `${name}: ${lists[index].length}`).join(', ');
      throw invalid(`parameter_mode zip needs lists of one length (${sizes})`, where, 'give every parameter the same number of values, or use parameter_mode: product');
    }
    return Array.from({ length }, (_, row) => new Map(names.map((name, index) => [name, lists[index][row]])));
  }
  if (mode !== 'product') throw invalid(`unknown parameter_mode "${String(mode)}"`, where, 'use product or zip');
  let combinations: Array<Array<[string, ParameterValue]>> = [[]];
  names.forEach((name, index) => {
    const next: Array<Array<[string, ParameterValue]>> = [];
    for (const prefix of combinations) for (const value of lists[index]) next.push([...prefix, [name, value]]);
    combinations = next;
  });
  return combinations.map((entries) => new Map(entries));
}

/** The value as Torc prints it with no format: integers without a point, strings as they are. */
function plainText(value: ParameterValue): string {
  return String(value.value);
}

const FORMAT_SPEC = /^(0)?(\d+)?(?:\.(\d+))?([df])?$/;

/** Python-style format: `03d` zero-pads, `.4f` fixes the precision, a bare width pads with spaces. */
export function formatParameterValue(value: ParameterValue, spec: string | undefined, where?: string): string {
  if (spec === undefined || spec === '') return plainText(value);
  const match = FORMAT_SPEC.exec(spec);
  if (!match) throw invalid(`unknown placeholder format ":${spec}"`, where, 'use :03d (zero pad) or :.4f (precision)');
  const [, zero, widthText, precisionText, kind] = match;
  const width = widthText ? Number(widthText) : 0;
  if (value.type === 'string') {
    if (kind || precisionText !== undefined || zero) {
      throw invalid(`the format ":${spec}" needs a number but the value is "${value.value}"`, where);
    }
    return value.value.padEnd(width, ' ');
  }
  let text: string;
  if (kind === 'd') {
    if (!Number.isInteger(value.value)) throw invalid(`the format ":${spec}" needs an integer but the value is ${value.value}`, where, 'use :.Nf for floats');
    if (precisionText !== undefined) throw invalid(`the format ":${spec}" has a precision, which integers do not take`, where);
    text = Math.abs(value.value).toFixed(0);
  } else if (precisionText !== undefined) {
    text = Math.abs(value.value).toFixed(Number(precisionText));
  } else if (kind === 'f') {
    text = Math.abs(value.value).toFixed(6);
  } else {
    text = String(Math.abs(value.value));
  }
  const sign = value.value < 0 || Object.is(value.value, -0) ? '-' : '';
  if (zero) return sign + text.padStart(Math.max(0, width - sign.length), '0');
  return (sign + text).padStart(width, ' ');
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}/g;

/**
 * Replaces every `{name}` / `{name:spec}` whose name is a parameter of the combination; other braces
 * (shell `${HOME}`, JSON, `${files.input.x}`) stay as they are.
 */
export function substituteParameters(text: string, combination: ParameterCombination, where?: string): string {
  if (combination.size === 0 || !text.includes('{')) return text;
  return text.replace(PLACEHOLDER, (whole, name: string, spec: string | undefined) => {
    const value = combination.get(name);
    return value === undefined ? whole : formatParameterValue(value, spec, where);
  });
}
