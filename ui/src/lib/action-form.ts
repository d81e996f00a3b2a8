/**
 * The Actions page's form, as data: a field list read from an action's params JSON Schema
 * (`GET /actions/{type}`, UI hints under `x-hookflow`), showWhen, what the inputs hold turned into
 * params, the checks the server would make, and the server's per-field refusals read back. No DOM:
 * tested under Node in test/ui/action-form.test.ts.
 */

/** How a field is drawn; every `*_ref` type is a text input holding an id. */
export type FieldKind = 'string' | 'template' | 'number' | 'range' | 'boolean' | 'select' | 'multiselect' | 'json' | 'branches' | 'ref';

export interface FieldOption {
  label: string;
  value: unknown;
  /** The value as JSON text: the `<option value>` and the checkbox's identity. */
  key: string;
}

export interface ShowWhen {
  param: string;
  /** `equals` when present, else `notEquals`. */
  test: 'equals' | 'notEquals';
  value: unknown;
}

export interface FormField {
  name: string;
  label: string;
  kind: FieldKind;
  /** The param type as declared (`model_ref`, `select`, …). */
  paramType: string;
  /** Required whenever it is shown (top-level `required`, or an `allOf` if/then naming it). */
  required: boolean;
  description: string | null;
  placeholder: string | null;
  group: string | null;
  hasDefault: boolean;
  default: unknown;
  options: FieldOption[];
  showWhen: ShowWhen | null;
  minimum: number | null;
  maximum: number | null;
  minLength: number | null;
  maxLength: number | null;
  pattern: string | null;
  patternMessage: string | null;
}

export interface FieldGroup {
  /** null: the fields without a group, drawn first without a legend. */
  name: string | null;
  fields: FormField[];
}

export interface FormModel {
  fields: FormField[];
  groups: FieldGroup[];
}

/** What an input holds: text for most kinds, a flag for a checkbox, option keys for a multiselect. */
export type FieldInput = string | boolean | string[];
export type FormInputs = Record<string, FieldInput>;

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const number = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

const KINDS: readonly FieldKind[] = ['string', 'template', 'number', 'range', 'boolean', 'select', 'multiselect', 'json', 'branches'];

function kindOf(paramType: string | null, property: Json): FieldKind {
  if (paramType !== null && (KINDS as readonly string[]).includes(paramType)) return paramType as FieldKind;
  if (paramType?.endsWith('_ref')) return 'ref';
  // No hint (a schema written by hand): guess from the JSON Schema itself.
  if (Array.isArray(property.enum)) return 'select';
  if (property.type === 'boolean') return 'boolean';
  if (property.type === 'number' || property.type === 'integer') return 'number';
  if (property.type === 'string') return 'string';
  return 'json';
}

/** JSON text of a value with object keys sorted, so equal values compare equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function optionsOf(hint: Json, property: Json): FieldOption[] {
  const declared = Array.isArray(hint.options) ? hint.options.filter(isRecord) : [];
  if (declared.length > 0) {
    return declared.map((option) => ({ label: typeof option.label === 'string' ? option.label : String(option.value), value: option.value, key: canonicalJson(option.value) }));
  }
  const values = Array.isArray(property.enum) ? property.enum : isRecord(property.items) && Array.isArray(property.items.enum) ? property.items.enum : [];
  return values.map((value) => ({ label: typeof value === 'string' ? value : JSON.stringify(value), value, key: canonicalJson(value) }));
}

function showWhenOf(hint: Json): ShowWhen | null {
  const rule = hint.showWhen;
  if (!isRecord(rule) || typeof rule.param !== 'string') return null;
  if ('equals' in rule && rule.equals !== undefined) return { param: rule.param, test: 'equals', value: rule.equals };
  if ('notEquals' in rule && rule.notEquals !== undefined) return { param: rule.param, test: 'notEquals', value: rule.notEquals };
  return null;
}

/** Names made required by `allOf: [{if, then: {required: [...]}}]` (params required while shown). */
function conditionallyRequired(schema: Json): Set<string> {
  const names = new Set<string>();
  for (const entry of Array.isArray(schema.allOf) ? schema.allOf : []) {
    if (!isRecord(entry) || !isRecord(entry.then) || !Array.isArray(entry.then.required)) continue;
    for (const name of entry.then.required) if (typeof name === 'string') names.add(name);
  }
  return names;
}

/** The form for an action's params schema; anything malformed in it is skipped, never thrown. */
export function formModel(schema: unknown): FormModel {
  const root = isRecord(schema) ? schema : {};
  const properties = isRecord(root.properties) ? root.properties : {};
  const required = new Set(Array.isArray(root.required) ? root.required.filter((name): name is string => typeof name === 'string') : []);
  const whenShown = conditionallyRequired(root);
  const fields: FormField[] = [];
  for (const [name, raw] of Object.entries(properties)) {
    const property = isRecord(raw) ? raw : {};
    const hint = isRecord(property['x-hookflow']) ? property['x-hookflow'] : {};
    const declared = text(hint.type);
    const kind = kindOf(declared, property);
    const paramType = declared ?? kind;
    fields.push({
      name,
      label: text(hint.label) ?? text(property.title) ?? name,
      kind,
      paramType,
      required: required.has(name) || whenShown.has(name),
      description: text(property.description),
      placeholder: text(hint.placeholder),
      group: text(hint.group),
      hasDefault: 'default' in property,
      default: property.default,
      options: optionsOf(hint, property),
      showWhen: showWhenOf(hint),
      minimum: number(property.minimum),
      maximum: number(property.maximum),
      minLength: number(property.minLength),
      maxLength: number(property.maxLength),
      pattern: text(property.pattern),
      patternMessage: text(hint.patternMessage),
    });
  }
  const groups: FieldGroup[] = [];
  const ungrouped: FieldGroup = { name: null, fields: fields.filter((field) => field.group === null) };
  if (ungrouped.fields.length > 0) groups.push(ungrouped);
  for (const field of fields) {
    if (field.group === null) continue;
    const group = groups.find((candidate) => candidate.name === field.group);
    if (group) group.fields.push(field);
    else groups.push({ name: field.group, fields: [field] });
  }
  return { fields, groups };
}

/** The text a number or free-text input shows for a value. */
function inputText(kind: FieldKind, value: unknown): string {
  if (value === undefined || value === null) return kind === 'json' && value === null ? 'null' : '';
  if (kind === 'json' || kind === 'branches') return JSON.stringify(value, null, 2);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** What a field's input holds for a param value (a default, or an example's). */
export function inputFor(field: FormField, value: unknown): FieldInput {
  switch (field.kind) {
    case 'boolean':
      return value === true || value === 'true';
    case 'select': {
      if (value === undefined) return '';
      const key = canonicalJson(value);
      return field.options.some((option) => option.key === key) ? key : '';
    }
    case 'multiselect': {
      const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
      const keys = new Set(values.map(canonicalJson));
      return field.options.filter((option) => keys.has(option.key)).map((option) => option.key);
    }
    default:
      return inputText(field.kind, value);
  }
}

/** The inputs of a fresh form (defaults), or of an example filled in (its params, defaults for the rest). */
export function initialInputs(model: FormModel, params: Record<string, unknown> = {}): FormInputs {
  const inputs: FormInputs = {};
  for (const field of model.fields) inputs[field.name] = inputFor(field, field.name in params ? params[field.name] : field.hasDefault ? field.default : undefined);
  return inputs;
}

/** Still a template: checked by the server once rendered, so any type is accepted for it here. */
export function isTemplateText(value: unknown): boolean {
  return typeof value === 'string' && (value.includes('{{') || value.includes('{%'));
}

/** JSON typed into a textarea: the value, or the mistake with its line and column. */
export type JsonText = { ok: true; value: unknown } | { ok: false; message: string; line: number | null; column: number | null };

/** Thrown inside jsonErrorPosition's scan to end it at a mistake. */
class JsonMistake {
  constructor(readonly position: number) {}
}

/**
 * Where the first JSON syntax mistake in a text is (an index), or null when there is none: for
 * the errors whose message carries no position (`Unexpected token ']', "[1,]" is not valid JSON`).
 */
export function jsonErrorPosition(source: string): number | null {
  let at = 0;
  /** Ends the scan: the mistake is at `position`. */
  const fail = (position = at): never => {
    throw new JsonMistake(position);
  };
  const peek = () => source[at] ?? '';
  const isDigit = (character: string) => character >= '0' && character <= '9';
  const space = () => {
    while (at < source.length && ' \t\n\r'.includes(source[at])) at++;
  };
  const expect = (character: string) => {
    if (peek() !== character) fail();
    at++;
  };
  const literal = (word: string) => {
    for (const character of word) expect(character);
  };
  const string = () => {
    expect('"');
    for (;;) {
      const character = peek();
      if (character === '') fail();
      at++;
      if (character === '"') return;
      if (character < ' ') fail(at - 1);
      if (character !== '\\') continue;
      const escape = peek();
      if (escape === 'u') {
        at++;
        for (let index = 0; index < 4; index++) {
          if (!/[0-9a-fA-F]/.test(peek())) fail();
          at++;
        }
      } else if (escape !== '' && '"\\/bfnrt'.includes(escape)) at++;
      else fail();
    }
  };
  const digits = () => {
    if (!isDigit(peek())) fail();
    while (isDigit(peek())) at++;
  };
  const numberValue = () => {
    if (peek() === '-') at++;
    if (peek() === '0') at++;
    else digits();
    if (peek() === '.') {
      at++;
      digits();
    }
    if (peek() === 'e' || peek() === 'E') {
      at++;
      if (peek() === '+' || peek() === '-') at++;
      digits();
    }
  };
  const value = (): void => {
    space();
    const character = peek();
    if (character === '{' || character === '[') {
      const close = character === '{' ? '}' : ']';
      at++;
      space();
      if (peek() === close) {
        at++;
        return;
      }
      for (;;) {
        if (close === '}') {
          space();
          string();
          space();
          expect(':');
        }
        value();
        space();
        if (peek() === close) {
          at++;
          return;
        }
        expect(',');
        // A comma before the closing bracket is the mistake JSON.parse names without a position.
        space();
        if (peek() === close) fail();
      }
    }
    if (character === '"') return string();
    if (character === 't') return literal('true');
    if (character === 'f') return literal('false');
    if (character === 'n') return literal('null');
    if (character === '-' || isDigit(character)) return numberValue();
    fail();
  };
  try {
    value();
    space();
    return at < source.length ? at : null;
  } catch (error) {
    if (error instanceof JsonMistake) return error.position;
    throw error;
  }
}

export function parseJsonText(source: string): JsonText {
  try {
    return { ok: true, value: JSON.parse(source) as unknown };
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const message = raw
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .replace(/ in JSON at position \d+/, '')
      .replace(/ at position \d+/, '')
      .replace(/, (?:\.\.\.)?"[\s\S]* is not valid JSON$/, '');
    const found = /position (\d+)/.exec(raw);
    const position = found ? Number(found[1]) : jsonErrorPosition(source);
    if (position === null) return { ok: false, message, line: null, column: null };
    const before = source.slice(0, position);
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return { ok: false, message: `${message} at line ${line}, column ${column}`, line, column };
  }
}

/** A field's input as a param value: absent (not sent), a value, or why it cannot be one. */
export type Coerced = { state: 'unset' } | { state: 'value'; value: unknown } | { state: 'invalid'; message: string };

export function coerce(field: FormField, input: FieldInput | undefined): Coerced {
  switch (field.kind) {
    case 'boolean':
      return { state: 'value', value: input === true };
    case 'multiselect': {
      const keys = Array.isArray(input) ? input : [];
      if (keys.length === 0) return field.hasDefault || field.required ? { state: 'value', value: [] } : { state: 'unset' };
      // In the options' order, whatever order they were ticked in.
      return { state: 'value', value: field.options.filter((option) => keys.includes(option.key)).map((option) => option.value) };
    }
    case 'select': {
      if (typeof input !== 'string' || input === '') return { state: 'unset' };
      const option = field.options.find((candidate) => candidate.key === input);
      return option ? { state: 'value', value: option.value } : { state: 'invalid', message: 'is not one of the choices' };
    }
    default:
      break;
  }
  const raw = typeof input === 'string' ? input : '';
  if (raw.trim() === '') return { state: 'unset' };
  if (isTemplateText(raw)) return { state: 'value', value: raw };
  switch (field.kind) {
    case 'number':
    case 'range': {
      const value = Number(raw.trim());
      return Number.isFinite(value) ? { state: 'value', value } : { state: 'invalid', message: 'must be a number' };
    }
    case 'json':
    case 'branches': {
      const parsed = parseJsonText(raw);
      return parsed.ok ? { state: 'value', value: parsed.value } : { state: 'invalid', message: `is not valid JSON: ${parsed.message}` };
    }
    default:
      return { state: 'value', value: raw };
  }
}

/** The value the form would send for a field, or its default when it sends none (for showWhen). */
function effectiveValue(field: FormField, inputs: FormInputs): unknown {
  const coerced = coerce(field, inputs[field.name]);
  if (coerced.state === 'value') return coerced.value;
  return field.hasDefault ? field.default : undefined;
}

/**
 * Whether a field is shown: its showWhen holds against the other param's value (what the form
 * would send, else its default). A hidden param sends nothing, so it has no value: `equals` on it
 * fails and `notEquals` holds, as the server's schema reads a missing param.
 */
export function isShown(model: FormModel, name: string, inputs: FormInputs, seen: ReadonlySet<string> = new Set()): boolean {
  const field = model.fields.find((candidate) => candidate.name === name);
  if (!field?.showWhen) return true;
  // A cycle of showWhen (A on B, B on A): a param met again counts as hidden, which ends it.
  if (seen.has(name)) return false;
  const rule = field.showWhen;
  const other = model.fields.find((candidate) => candidate.name === rule.param);
  const value = other && isShown(model, other.name, inputs, new Set([...seen, name])) ? effectiveValue(other, inputs) : undefined;
  const same = value !== undefined && canonicalJson(value) === canonicalJson(rule.value);
  return rule.test === 'equals' ? same : !same;
}

/** The client-side checks of one shown field: the first problem, or null. */
export function checkValue(field: FormField, coerced: Coerced): string | null {
  if (coerced.state === 'invalid') return coerced.message;
  if (coerced.state === 'unset') return field.required && !field.hasDefault ? 'is required' : null;
  const { value } = coerced;
  if (isTemplateText(value)) return null;
  if (typeof value === 'number') {
    if (field.minimum !== null && value < field.minimum) return `must be at least ${field.minimum}`;
    if (field.maximum !== null && value > field.maximum) return `must be at most ${field.maximum}`;
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (field.minLength !== null && length < field.minLength) return `must be at least ${field.minLength} character${field.minLength === 1 ? '' : 's'} long`;
    if (field.maxLength !== null && length > field.maxLength) return `must be at most ${field.maxLength} characters long`;
    if (field.pattern !== null) {
      let matches = true;
      try {
        matches = new RegExp(field.pattern, 'u').test(value);
      } catch {
        // A pattern this browser cannot read: the server checks it.
      }
      if (!matches) return field.patternMessage ?? `must match ${field.pattern}`;
    }
  }
  if (field.kind === 'branches') {
    if (!Array.isArray(value)) return 'must be a list of branches ([{"condition": …, "target_step": …}])';
    const bad = value.findIndex((branch) => !isRecord(branch) || !('condition' in branch));
    if (bad >= 0) return `branch ${bad + 1} needs a condition`;
  }
  return null;
}

export interface BuiltParams {
  /** The params to send: shown fields with a value only. */
  params: Record<string, unknown>;
  /** Field name → what is wrong with it ("is required", "must be at most 10", …). */
  errors: Record<string, string>;
}

/** The params the form sends, and every field the client refuses; hidden fields are not sent. */
export function buildParams(model: FormModel, inputs: FormInputs): BuiltParams {
  const params: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of model.fields) {
    if (!isShown(model, field.name, inputs)) continue;
    const coerced = coerce(field, inputs[field.name]);
    const problem = checkValue(field, coerced);
    if (problem) errors[field.name] = problem;
    else if (coerced.state === 'value') params[field.name] = coerced.value;
  }
  return { params, errors };
}

export interface ServerProblem {
  /** The param named (the first part of `branches.0.condition`), or null when none of the form's. */
  field: string | null;
  path: string;
  rule: string;
  message: string;
}

/**
 * The per-field refusals in a run's error text (`invalid params for T params:\n  - x is required
 * (required)…`, src/actions/params.ts checkParams), matched to the form's fields.
 */
export function serverProblems(error: string | null, model: FormModel): ServerProblem[] {
  if (!error || !/^invalid params for /.test(error)) return [];
  const problems: ServerProblem[] = [];
  for (const line of error.split('\n')) {
    const found = /^\s+- (.+?) \(([\w-]+)\)(?: \(at [^)]*\))?(?::.*)?$/.exec(line);
    if (!found) continue;
    const [, message, rule] = found;
    const path = message.split(' ')[0];
    const head = path.split('.')[0];
    problems.push({ field: model.fields.some((field) => field.name === head) ? head : null, path, rule, message });
  }
  return problems;
}

/** A colour from an action's meta, if it is one CSS can take safely (`#rgb`, `#rrggbb`, `#rrggbbaa`). */
export function safeColor(value: unknown): string | null {
  return typeof value === 'string' && /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(value) ? value : null;
}

export interface CategoryGroup<T> {
  category: string;
  actions: T[];
}

/** Actions by category, categories in the server's order (then any it did not list), actions by name. */
export function byCategory<T extends { category: string; name: string }>(actions: T[], categories: string[] = []): CategoryGroup<T>[] {
  const order = [...categories];
  for (const action of actions) if (!order.includes(action.category)) order.push(action.category);
  return order
    .map((category) => ({ category, actions: actions.filter((action) => action.category === category).sort((a, b) => a.name.localeCompare(b.name)) }))
    .filter((group) => group.actions.length > 0);
}

/** Whether an action matches what was typed in the filter box (type, name, description, category). */
export function matchesAction(action: { type: string; name: string; description: string; category: string }, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const haystack = `${action.type} ${action.name} ${action.description} ${action.category}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}
