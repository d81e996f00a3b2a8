import type { JsonObject, JsonValue } from '../events/model.js';
import { HookflowError } from '../errors.js';
import { conditionPlan, evaluatePath, hasTemplateSyntax, TemplateProblem, UndefinedOperand, undefinedProblem, valuePlan } from './template-engine.js';
import { lazyObjects } from './template-jinja.js';
import { isRecord, isTruthy, retypeRendered, toJsonValue } from './template-values.js';

/**
 * Parameter templates: Jinja2 (rendered by nunjucks made to behave like it) over `params`,
 * `steps` (`steps.ID.outputs.KEY`), `event`, `env` and `secret`, with BudPipeline's typing rules
 * (REFERENCE.md):
 *
 * | template                                   | result                                           |
 * |--------------------------------------------|--------------------------------------------------|
 * | no `{{`/`{%`/`{#`                           | the string unchanged                             |
 * | one bare path `{{ params.count }}`          | the value with its type (5, an object, null);     |
 * |                                            | undefined → `""` (strict: an error)               |
 * | one path/expression with filters `{{ x \| int }}` | re-typed from its text: int, float, true/false,   |
 * |                                            | `None` → null, a `[..]`/`{..}` literal, else text |
 * | one expression `{{ a + 1 }}`, `{{ x is defined }}` | the rendered text (`"6"`, `"True"`)       |
 * | text around templates, `{% if %}` blocks    | the rendered text                                 |
 *
 * Whitespace around a lone template does not count as text. Values print as Python does
 * (`True`, `None`, `['a', 1]`, `{'k': 'v'}`); use `| tojson` for JSON.
 * Conditions (evaluateCondition) use the truth rules of REFERENCE.md, see isTruthy.
 */

/** Secrets by name: a lookup function or a prepared object. A template only reads the names it uses. */
export type SecretSource = ((name: string) => string | undefined) | Readonly<Record<string, string | undefined>>;

export interface StepView {
  outputs: JsonObject;
  status?: string;
}

export interface TemplateContext {
  params?: JsonObject;
  /** `steps.ID.outputs.KEY`; a skipped step is absent (its outputs are undefined). */
  steps?: Readonly<Record<string, StepView>>;
  /** The event a hook runs for (an EventRecord, or any JSON object). */
  event?: object;
  /** Only the environment variables the configuration allows (see pickEnv). */
  env?: Readonly<Record<string, string | undefined>>;
  secret?: SecretSource;
  /** More top-level names (`workflow`, `item`, …); the names above take precedence. */
  vars?: Readonly<Record<string, unknown>>;
}

export interface RenderOptions {
  /** An undefined variable is an error instead of `""`. */
  strict?: boolean;
  /** What is being rendered, for error messages: `params.url`. */
  where?: string;
}

export interface ConditionOptions {
  /** What the condition belongs to, for error messages: `steps.transform.condition`. */
  where?: string;
}

export { isTruthy };

/** The `steps` view from ActionContext-style outputs by step id. */
export function stepsView(stepOutputs: Readonly<Record<string, JsonObject>>, statuses: Readonly<Record<string, string>> = {}): Record<string, StepView> {
  const steps: Record<string, StepView> = {};
  for (const [id, outputs] of Object.entries(stepOutputs)) {
    setOwn(steps, id, statuses[id] === undefined ? { outputs } : { outputs, status: statuses[id] });
  }
  return steps;
}

/** Only the allowed variables of an environment (process.env by default). */
export function pickEnv(allowed: Iterable<string>, source: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of allowed) {
    const value = source[name];
    if (typeof value === 'string') setOwn(env, name, value);
  }
  return env;
}

/** True when a value holds template syntax anywhere (so resolution can be skipped otherwise). */
export function hasTemplate(value: JsonValue): boolean {
  if (typeof value === 'string') return hasTemplateSyntax(value);
  if (Array.isArray(value)) return value.some(hasTemplate);
  if (isRecord(value)) return Object.values(value).some((item) => hasTemplate(item as JsonValue));
  return false;
}

/** Renders every string inside a value (objects and arrays recursively) with the typing rules above. */
export function renderValue(value: JsonValue, context: TemplateContext, options: RenderOptions = {}): JsonValue {
  return renderAny(value, scopeFor(context), options.strict === true, options.where);
}

/** Renders every param; an error names the param's path (`params.url`, `params.headers.auth`). */
export function renderParams(params: JsonObject, context: TemplateContext, options: RenderOptions = {}): JsonObject {
  const scope = scopeFor(context);
  const strict = options.strict === true;
  const base = options.where ?? 'params';
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(params)) setOwn(result, key, renderAny(value, scope, strict, joinPath(base, key)));
  return result;
}

const CONDITION_WORDS = new Map([
  ['true', true],
  ['yes', true],
  ['1', true],
  ['false', false],
  ['no', false],
  ['0', false],
]);

/**
 * Whether a step runs. No condition (undefined, null, blank) runs it; a boolean is itself; the words
 * true/yes/1 and false/no/0 (any case) are themselves; a template is resolved (a bare path or a single
 * expression gives its value, other templates their text) and judged by isTruthy. A condition without
 * template syntax is an expression (`params.enabled and steps.a.outputs.ok`). `true`, `false`, `none`
 * (and `True`, `False`, `None`) are available. An undefined variable is undefined, hence false, never
 * an error (as in Jinja, `not undefined_thing` is true); a syntax error is an error naming the condition.
 */
export function evaluateCondition(condition: string | boolean | null | undefined, context: TemplateContext, options: ConditionOptions = {}): boolean {
  if (condition === undefined || condition === null) return true;
  if (typeof condition === 'boolean') return condition;
  const text = condition.trim();
  if (text === '') return true;
  const word = CONDITION_WORDS.get(text.toLowerCase());
  if (word !== undefined) return word;
  const templated = hasTemplateSyntax(text);
  const source = templated ? text : `{{ ${text} }}`;
  const plan = conditionPlan(source);
  try {
    switch (plan.kind) {
      case 'problem':
        throw plan.problem;
      case 'path':
        return isTruthy(evaluatePath(plan.path, scopeFor(context)));
      case 'value':
        return isTruthy(plan.evaluate(scopeFor(context)));
      case 'text':
        return isTruthy(plan.render(scopeFor(context)));
    }
  } catch (error) {
    if (error instanceof UndefinedOperand) return false;
    throw templateError(error, options.where ?? 'condition', { condition: text, columnShift: templated ? 0 : 3, length: templated ? undefined : text.length });
  }
}

// ---------- internals ----------

function renderAny(value: JsonValue, scope: Record<string, unknown>, strict: boolean, where: string | undefined): JsonValue {
  if (typeof value === 'string') return renderString(value, scope, strict, where);
  if (Array.isArray(value)) return value.map((item, i) => renderAny(item, scope, strict, `${where ?? ''}[${i}]`));
  if (isRecord(value)) {
    const result: JsonObject = {};
    for (const [key, item] of Object.entries(value)) setOwn(result, key, renderAny(item as JsonValue, scope, strict, joinPath(where, key)));
    return result;
  }
  return value;
}

function renderString(source: string, scope: Record<string, unknown>, strict: boolean, where: string | undefined): JsonValue {
  if (!hasTemplateSyntax(source)) return source;
  const plan = valuePlan(source, strict);
  try {
    switch (plan.kind) {
      case 'problem':
        throw plan.problem;
      case 'path': {
        const resolved = toJsonValue(evaluatePath(plan.path, scope));
        if (resolved !== undefined) return resolved;
        if (strict) throw undefinedProblem(plan.path.text, plan.path.line, plan.path.column);
        return '';
      }
      case 'filtered':
        return retypeRendered(plan.render(scope));
      case 'expression':
      case 'text':
        return plan.render(scope);
    }
  } catch (error) {
    // BudPipeline's lenient mode: an operation on an undefined value makes the whole value "".
    if (error instanceof UndefinedOperand && !strict) return '';
    throw templateError(error, where, {});
  }
}

/** A problem as a HookflowError; for a condition written without braces, positions are in its own text. */
function templateError(error: unknown, where: string | undefined, extra: { condition?: string; columnShift?: number; length?: number }): unknown {
  if (!(error instanceof TemplateProblem)) return error;
  const shift = error.line === 1 && extra.columnShift ? extra.columnShift : 0;
  const column = error.column === undefined ? undefined : Math.min(Math.max(1, error.column - shift), (extra.length ?? Infinity) + 1);
  const position = error.line === undefined ? '' : ` at ${error.line}:${column ?? 1}`;
  const subject = extra.condition === undefined ? 'template' : `condition ${JSON.stringify(extra.condition)}`;
  const message = `${subject}: ${error.what}${position}${error.detail ? `: ${error.detail}` : ''}`;
  return new HookflowError('HF_ERR_TEMPLATE', message, {
    ...(where === undefined ? {} : { where }),
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    ...(error.line === undefined ? {} : { line: error.line, column }),
  });
}

const scopes = new WeakMap<TemplateContext, Record<string, unknown>>();

/** What templates see, built once per context object. */
function scopeFor(context: TemplateContext): Record<string, unknown> {
  let scope = scopes.get(context);
  if (scope) return scope;
  scope = {};
  if (context.vars) for (const [name, value] of Object.entries(context.vars)) setOwn(scope, name, value);
  if (context.params !== undefined) scope.params = context.params;
  if (context.steps !== undefined) scope.steps = context.steps;
  if (context.event !== undefined) scope.event = context.event;
  if (context.env !== undefined) scope.env = context.env;
  if (context.secret !== undefined) scope.secret = secretScope(context.secret);
  scopes.set(context, scope);
  return scope;
}

/** `secret.NAME` asks for NAME alone (once per context); the object lists no names and prints as `{}`. */
function secretScope(source: SecretSource): object {
  const lookup = typeof source === 'function' ? source : (name: string) => (Object.hasOwn(source, name) ? source[name] : undefined);
  const resolved = new Map<string, string | undefined>();
  const proxy = new Proxy(Object.create(null) as object, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      if (!resolved.has(name)) resolved.set(name, lookup(name));
      return resolved.get(name);
    },
    has: () => false,
    ownKeys: () => [],
    getOwnPropertyDescriptor: () => undefined,
  });
  lazyObjects.add(proxy);
  return proxy;
}

function joinPath(base: string | undefined, key: string): string {
  if (base === undefined || base === '') return key;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
export { clearTemplateCache, templateCacheSize } from './template-engine.js';
