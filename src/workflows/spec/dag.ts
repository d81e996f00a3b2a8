/**
 * BudPipeline DAGs (REFERENCE.md): text (JSON or YAML, told apart by content) to a typed model with
 * defaults filled in and topological levels. Validation collects every problem before giving up,
 * each placed at file:line:column; unknown keys are warnings (BudPipeline ignores them).
 */
import { BUILTIN_ACTIONS } from '../../actions/builtin/index.js';
import { validateParams } from '../../actions/params.js';
import { ActionRegistry } from '../../actions/registry.js';
import { HookflowError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../events/model.js';
import { nearest } from '../../events/suggest.js';
import { formatPath, loadDocument, type DocumentSyntax, type Locator, type Segment, type SpecProblem } from './document.js';
import { stepReferences } from './step-references.js';

export { formatPath };

/** The syntax the DAG was written in (checkDag reads JSON or YAML; compileWorkflow also JSON5). */
export type DagFormat = DocumentSyntax;
export type OnFailure = 'fail' | 'continue' | 'retry';

export interface DagRetry {
  max_attempts: number;
  backoff_seconds: number;
  backoff_multiplier: number;
  max_backoff_seconds: number;
}

export interface DagParameter {
  name: string;
  type: string;
  description: string;
  required: boolean;
  /** Absent when the DAG gives none. */
  default?: JsonValue;
}

export interface DagSettings {
  timeout_seconds: number;
  fail_fast: boolean;
  max_parallel_steps: number;
  /** The retry of a step with `on_failure: retry` that gives no `retry` of its own (field by field). */
  retry_policy: DagRetry;
}

export interface DagStep {
  id: string;
  /** The id when not given. */
  name: string;
  action: string;
  /** With the action's defaults filled in when the action is known. */
  params: JsonObject;
  depends_on: string[];
  condition: string | boolean | null;
  on_failure: OnFailure;
  /** Null: the workflow's timeout applies. */
  timeout_seconds: number | null;
  retry: DagRetry;
}

export interface BudPipelineDag {
  name: string;
  version: string;
  description: string;
  parameters: DagParameter[];
  settings: DagSettings;
  steps: DagStep[];
  outputs: JsonObject;
  /** Step ids in topological layers, each in declaration order; a layer's steps may run together. */
  levels: string[][];
}

export type DagProblem = SpecProblem;

export interface DagCheck {
  format: DagFormat;
  /** Null when there is any error. */
  dag: BudPipelineDag | null;
  errors: DagProblem[];
  warnings: DagProblem[];
}

export interface DagOptions {
  /** Named in messages (`file:line:column`); default `<dag>`. */
  file?: string;
  /** Where action types and their params schemas come from; default the BUILTIN_ACTIONS. */
  actions?: ActionRegistry;
}

export const DEFAULT_RETRY: Readonly<DagRetry> = { max_attempts: 3, backoff_seconds: 60, backoff_multiplier: 2, max_backoff_seconds: 3600 };
export const DEFAULT_SETTINGS: Readonly<Omit<DagSettings, 'retry_policy'>> = { timeout_seconds: 7200, fail_fast: true, max_parallel_steps: 10 };

const TOP_FIELDS = ['name', 'version', 'description', 'parameters', 'settings', 'steps', 'outputs'];
const PARAMETER_FIELDS = ['name', 'type', 'description', 'required', 'default'];
const SETTINGS_FIELDS = ['timeout_seconds', 'fail_fast', 'max_parallel_steps', 'retry_policy'];
const STEP_FIELDS = ['id', 'name', 'action', 'params', 'depends_on', 'condition', 'on_failure', 'timeout_seconds', 'retry'];
const RETRY_FIELDS = ['max_attempts', 'backoff_seconds', 'backoff_multiplier', 'max_backoff_seconds'];
const ON_FAILURE: readonly OnFailure[] = ['fail', 'continue', 'retry'];

/** JSON when the first meaningful character opens an object or array, YAML otherwise. */
export function detectDagFormat(text: string): 'json' | 'yaml' {
  const first = text.replace(/^\uFEFF/, '').trimStart()[0];
  return first === '{' || first === '[' ? 'json' : 'yaml';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

let builtinRegistry: ActionRegistry | null = null;
/** The BUILTIN_ACTIONS, registered once: where action types come from when no registry is given. */
export function defaultRegistry(): ActionRegistry {
  if (!builtinRegistry) {
    builtinRegistry = new ActionRegistry();
    for (const definition of BUILTIN_ACTIONS) builtinRegistry.register(definition, 'builtin');
  }
  return builtinRegistry;
}


/** Every string in a value with its path under `base`. */
function stringsIn(value: unknown, base: Segment[], found: Array<{ text: string; path: Segment[] }> = []): Array<{ text: string; path: Segment[] }> {
  if (typeof value === 'string') found.push({ text: value, path: base });
  else if (Array.isArray(value)) value.forEach((item, index) => stringsIn(item, [...base, index], found));
  else if (isObject(value)) for (const [key, item] of Object.entries(value)) stringsIn(item, [...base, key], found);
  return found;
}

class Checker {
  readonly errors: DagProblem[] = [];
  readonly warnings: DagProblem[] = [];

  constructor(private readonly locator: Locator) {}

  error(path: Segment[], message: string, key = false): void {
    this.errors.push({ message, ...this.locator.locate(path, key), path: formatPath(path) });
  }

  warn(path: Segment[], message: string): void {
    this.warnings.push({ message, ...this.locator.locate(path, true), path: formatPath(path) });
  }

  unknownFields(value: Record<string, unknown>, path: Segment[], known: readonly string[], what: string): void {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const near = nearest(key, known);
      this.warn([...path, key], `unknown field "${key}" in ${what} (ignored)${near ? `: did you mean ${near}?` : ''}`);
    }
  }

  string(value: unknown, path: Segment[], fallback: string): string {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    this.error(path, `${formatPath(path)} must be a string`);
    return fallback;
  }

  number(value: unknown, path: Segment[], fallback: number, rule: { min: number; max?: number; integer?: boolean }): number {
    if (value === undefined || value === null) return fallback;
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= rule.min && (rule.max === undefined || value <= rule.max) && (!rule.integer || Number.isInteger(value));
    if (ok) return value;
    const kind = rule.integer ? 'an integer' : 'a number';
    const range = rule.max === undefined ? `≥ ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    this.error(path, `${formatPath(path)} must be ${kind} ${range} (got ${JSON.stringify(value)})`);
    return fallback;
  }

  boolean(value: unknown, path: Segment[], fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    this.error(path, `${formatPath(path)} must be true or false (got ${JSON.stringify(value)})`);
    return fallback;
  }

  retry(value: unknown, path: Segment[], base: DagRetry): DagRetry {
    if (value === undefined || value === null) return { ...base };
    if (!isObject(value)) {
      this.error(path, `${formatPath(path)} must be a mapping of ${RETRY_FIELDS.join(', ')}`);
      return { ...base };
    }
    this.unknownFields(value, path, RETRY_FIELDS, formatPath(path));
    return {
      max_attempts: this.number(value.max_attempts, [...path, 'max_attempts'], base.max_attempts, { min: 1, max: 10, integer: true }),
      backoff_seconds: this.number(value.backoff_seconds, [...path, 'backoff_seconds'], base.backoff_seconds, { min: 0 }),
      backoff_multiplier: this.number(value.backoff_multiplier, [...path, 'backoff_multiplier'], base.backoff_multiplier, { min: 1 }),
      max_backoff_seconds: this.number(value.max_backoff_seconds, [...path, 'max_backoff_seconds'], base.max_backoff_seconds, { min: 0 }),
    };
  }
}

/**
 * Checks a BudPipeline DAG without throwing: the model when valid, every error and warning
 * otherwise. Params are checked against the action's schema with templates left unresolved.
 */
export function checkDag(text: string, options: DagOptions = {}): DagCheck {
  const loaded = loadDocument(text, { syntax: detectDagFormat(text) });
  if (loaded.errors.length > 0) return { format: loaded.syntax, dag: null, errors: loaded.errors, warnings: [] };
  return checkDagValue(loaded.value, loaded.locator, loaded.syntax, options);
}

/** checkDag on a document already loaded (compileWorkflow loads it once for either format). */
export function checkDagValue(root: unknown, locator: Locator, format: DagFormat, options: DagOptions = {}): DagCheck {
  const check = new Checker(locator);
  if (!isObject(root)) {
    check.error([], 'a pipeline must be a mapping with name and steps');
    return { format, dag: null, errors: check.errors, warnings: check.warnings };
  }
  check.unknownFields(root, [], TOP_FIELDS, 'the pipeline');

  if (typeof root.name !== 'string' || root.name.trim() === '') check.error(root.name === undefined ? [] : ['name'], 'the pipeline needs a name (a non-empty string)');
  const name = typeof root.name === 'string' ? root.name : '';
  const version = check.string(root.version, ['version'], '1.0.0');
  const description = check.string(root.description, ['description'], '');

  const parameters = checkParameters(check, root.parameters);
  const settings = checkSettings(check, root.settings);

  let outputs: JsonObject = {};
  if (root.outputs !== undefined && root.outputs !== null) {
    if (isObject(root.outputs)) outputs = root.outputs as JsonObject;
    else check.error(['outputs'], 'outputs must be a mapping of name to template');
  }

  const registry = options.actions ?? defaultRegistry();
  const steps = checkSteps(check, root.steps, settings, registry);
  const levels = steps ? checkGraph(check, steps, root.steps as unknown[]) : [];
  if (steps) checkReferences(check, steps, outputs, registry);

  if (check.errors.length > 0 || !steps) return { format, dag: null, errors: check.errors, warnings: check.warnings };
  return { format, dag: { name, version, description, parameters, settings, steps, outputs, levels }, errors: [], warnings: check.warnings };
}

/** checkDag, throwing HF_ERR_INVALID_WORKFLOW with every problem (and the warnings) when it is invalid. */
export function parseDag(text: string, options: DagOptions = {}): { dag: BudPipelineDag; format: DagFormat; warnings: DagProblem[] } {
  const checked = checkDag(text, options);
  const file = options.file ?? '<dag>';
  if (!checked.dag) {
    const listed = checked.errors.map((problem) => `  ${file}:${problem.line}:${problem.column}: ${problem.message}`).join('\n');
    const first = checked.errors[0];
    throw new HookflowError('HF_ERR_INVALID_WORKFLOW', `invalid pipeline ${file} (${checked.errors.length} problem${checked.errors.length === 1 ? '' : 's'}):\n${listed}`, {
      where: first ? `${file}:${first.line}:${first.column}` : file,
      problems: checked.errors,
      warnings: checked.warnings,
    });
  }
  return { dag: checked.dag, format: checked.format, warnings: checked.warnings };
}

function checkParameters(check: Checker, value: unknown): DagParameter[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    check.error(['parameters'], 'parameters must be a list of {name, type, description, required, default}');
    return [];
  }
  const parameters: DagParameter[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const path: Segment[] = ['parameters', index];
    if (!isObject(entry)) {
      check.error(path, `${formatPath(path)} must be a mapping with a name`);
      return;
    }
    check.unknownFields(entry, path, PARAMETER_FIELDS, `parameter ${typeof entry.name === 'string' ? `"${entry.name}"` : index}`);
    if (typeof entry.name !== 'string' || entry.name === '') {
      check.error(entry.name === undefined ? path : [...path, 'name'], `${formatPath(path)} needs a name`);
      return;
    }
    if (seen.has(entry.name)) check.error([...path, 'name'], `duplicate parameter "${entry.name}"`);
    seen.add(entry.name);
    const parameter: DagParameter = {
      name: entry.name,
      type: check.string(entry.type, [...path, 'type'], 'string'),
      description: check.string(entry.description, [...path, 'description'], ''),
      required: check.boolean(entry.required, [...path, 'required'], false),
    };
    if (entry.default !== undefined) parameter.default = entry.default as JsonValue;
    parameters.push(parameter);
  });
  return parameters;
}

function checkSettings(check: Checker, value: unknown): DagSettings {
  const defaults: DagSettings = { ...DEFAULT_SETTINGS, retry_policy: { ...DEFAULT_RETRY } };
  if (value === undefined || value === null) return defaults;
  if (!isObject(value)) {
    check.error(['settings'], `settings must be a mapping of ${SETTINGS_FIELDS.join(', ')}`);
    return defaults;
  }
  check.unknownFields(value, ['settings'], SETTINGS_FIELDS, 'settings');
  return {
    timeout_seconds: check.number(value.timeout_seconds, ['settings', 'timeout_seconds'], defaults.timeout_seconds, { min: 1 }),
    fail_fast: check.boolean(value.fail_fast, ['settings', 'fail_fast'], defaults.fail_fast),
    max_parallel_steps: check.number(value.max_parallel_steps, ['settings', 'max_parallel_steps'], defaults.max_parallel_steps, { min: 1, integer: true }),
    retry_policy: check.retry(value.retry_policy, ['settings', 'retry_policy'], defaults.retry_policy),
  };
}

function checkSteps(check: Checker, value: unknown, settings: DagSettings, registry: ActionRegistry): DagStep[] | null {
  if (value === undefined || value === null) {
    check.error([], 'the pipeline needs steps (a list of {id, action, …})');
    return null;
  }
  if (!Array.isArray(value) || value.length === 0) {
    check.error(['steps'], 'steps must be a non-empty list of {id, action, …}');
    return null;
  }
  const steps: DagStep[] = [];
  const firstIndex = new Map<string, number>();
  const actionTypes = registry.list().map((entry) => entry.definition.meta.type);
  value.forEach((entry: unknown, index) => {
    const path: Segment[] = ['steps', index];
    if (!isObject(entry)) {
      check.error(path, `${formatPath(path)} must be a mapping with id and action`);
      return;
    }
    const label = typeof entry.id === 'string' ? `step "${entry.id}"` : `step ${index}`;
    check.unknownFields(entry, path, STEP_FIELDS, label);
    let id = `#${index}`;
    if (typeof entry.id !== 'string' || entry.id.trim() === '') check.error(entry.id === undefined ? path : [...path, 'id'], `${label} needs an id (a non-empty string)`);
    else {
      id = entry.id;
      const first = firstIndex.get(id);
      if (first !== undefined) check.error([...path, 'id'], `duplicate step id "${id}" (also steps[${first}])`);
      else firstIndex.set(id, index);
    }
    let action = '';
    if (typeof entry.action !== 'string' || entry.action === '') check.error(entry.action === undefined ? path : [...path, 'action'], `${label} needs an action`);
    else action = entry.action;

    let params: JsonObject = {};
    if (entry.params !== undefined && entry.params !== null) {
      if (isObject(entry.params)) params = entry.params as JsonObject;
      else check.error([...path, 'params'], `${label}: params must be a mapping`);
    }
    if (action !== '') {
      if (!registry.has(action)) {
        const near = nearest(action, actionTypes);
        check.error([...path, 'action'], `${label}: unknown action type "${action}"${near ? `: did you mean ${near}?` : ''}`);
      } else {
        const checked = validateParams(registry.get(action), params, { templatesUnresolved: true });
        for (const problem of checked.problems) {
          const field = problem.field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
          const located = problem.rule === 'required' ? [...path, 'params'] : [...path, 'params', ...field];
          check.error(located, `${label}: ${problem.message}`, problem.rule === 'unknown');
        }
        params = checked.params;
      }
    }

    let dependsOn: string[] = [];
    const deps = entry.depends_on;
    if (typeof deps === 'string') dependsOn = [deps];
    else if (Array.isArray(deps) && deps.every((dep) => typeof dep === 'string')) dependsOn = deps as string[];
    else if (deps !== undefined && deps !== null) check.error([...path, 'depends_on'], `${label}: depends_on must be a list of step ids`);

    let condition: string | boolean | null = null;
    if (typeof entry.condition === 'string' || typeof entry.condition === 'boolean') condition = entry.condition;
    else if (entry.condition !== undefined && entry.condition !== null) check.error([...path, 'condition'], `${label}: condition must be a template string or a boolean`);

    let onFailure: OnFailure = 'fail';
    if (entry.on_failure !== undefined && entry.on_failure !== null) {
      if (ON_FAILURE.includes(entry.on_failure as OnFailure)) onFailure = entry.on_failure as OnFailure;
      else {
        const near = typeof entry.on_failure === 'string' ? nearest(entry.on_failure, ON_FAILURE) : null;
        check.error([...path, 'on_failure'], `${label}: on_failure must be fail, continue or retry (got ${JSON.stringify(entry.on_failure)})${near ? `: did you mean ${near}?` : ''}`);
      }
    }
    if (entry.retry !== undefined && onFailure !== 'retry') check.warn([...path, 'retry'], `${label}: retry is ignored unless on_failure is retry`);

    steps.push({
      id,
      name: check.string(entry.name, [...path, 'name'], id),
      action,
      params,
      depends_on: dependsOn,
      condition,
      on_failure: onFailure,
      timeout_seconds: entry.timeout_seconds === undefined || entry.timeout_seconds === null ? null : check.number(entry.timeout_seconds, [...path, 'timeout_seconds'], 0, { min: 1 }),
      retry: check.retry(entry.retry, [...path, 'retry'], settings.retry_policy),
    });
  });
  return steps;
}

/** Dependency checks and the levels; a cycle is reported once per strongly connected set, as a path. */
function checkGraph(check: Checker, steps: DagStep[], raw: unknown[]): string[][] {
  const ids = [...new Set(steps.map((step) => step.id))];
  const known = new Set(ids);
  const deps = new Map<string, string[]>();
  steps.forEach((step, index) => {
    const valid: string[] = deps.get(step.id) ?? [];
    const depPath = (position: number): Segment[] => (Array.isArray((raw[index] as Record<string, unknown>).depends_on) ? ['steps', index, 'depends_on', position] : ['steps', index, 'depends_on']);
    step.depends_on.forEach((dep, position) => {
      if (dep === step.id) check.error(depPath(position), `step "${step.id}" depends on itself`);
      else if (!known.has(dep)) {
        const near = nearest(dep, ids);
        check.error(depPath(position), `step "${step.id}" depends on unknown step "${dep}"${near ? `: did you mean ${near}?` : ''}`);
      } else if (!valid.includes(dep)) valid.push(dep);
    });
    deps.set(step.id, valid);
  });

  // Kahn's layers; whatever is left over sits on or behind a cycle.
  const waiting = new Map(ids.map((id) => [id, deps.get(id)?.length ?? 0]));
  const dependents = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const id of ids) for (const dep of deps.get(id) ?? []) dependents.get(dep)?.push(id);
  const order = new Map(ids.map((id, index) => [id, index]));
  const levels: string[][] = [];
  let layer = ids.filter((id) => waiting.get(id) === 0);
  while (layer.length > 0) {
    levels.push(layer);
    const next: string[] = [];
    for (const id of layer) {
      waiting.delete(id);
      for (const dependent of dependents.get(id) ?? []) {
        const left = (waiting.get(dependent) ?? 0) - 1;
        waiting.set(dependent, left);
        if (left === 0) next.push(dependent);
      }
    }
    layer = next.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  }
  const pending = waiting;
  if (pending.size === 0) return levels;

  const reported = new Set<string>();
  const indexOf = new Map<string, number>();
  steps.forEach((step, index) => {
    if (!indexOf.has(step.id)) indexOf.set(step.id, index);
  });
  for (const start of pending.keys()) {
    if (reported.has(start)) continue;
    const cycle = findCycle(start, (id) => (deps.get(id) ?? []).filter((dep) => pending.has(dep)));
    if (!cycle || cycle.some((id) => reported.has(id))) continue;
    for (const id of cycle) reported.add(id);
    const from = cycle[0];
    const rawDeps = (raw[indexOf.get(from) ?? 0] as Record<string, unknown>).depends_on;
    const position = Array.isArray(rawDeps) ? rawDeps.indexOf(cycle[1]) : -1;
    const path: Segment[] = ['steps', indexOf.get(from) ?? 0, 'depends_on', ...(position >= 0 ? [position] : [])];
    check.error(path, `dependency cycle: ${[...cycle, from].join(' → ')} (each step depends on the next)`);
  }
  return [];
}

/** A cycle through the dependencies reachable from start (start's own, or one further on). */
function findCycle(start: string, next: (id: string) => string[]): string[] | null {
  const stack: string[] = [];
  const onStack = new Map<string, number>();
  const done = new Set<string>();
  const visit = (id: string): string[] | null => {
    onStack.set(id, stack.length);
    stack.push(id);
    for (const dep of next(id)) {
      const at = onStack.get(dep);
      if (at !== undefined) return stack.slice(at);
      if (done.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    onStack.delete(id);
    done.add(id);
    return null;
  };
  return visit(start);
}

/** `steps.X` in params, conditions and outputs must name a step, upstream of the step reading it. */
function checkReferences(check: Checker, steps: DagStep[], outputs: JsonObject, registry: ActionRegistry): void {
  const ids = steps.map((step) => step.id);
  const known = new Set(ids);
  const deps = new Map(steps.map((step) => [step.id, step.depends_on]));
  const isUpstream = (target: string, of: string): boolean => {
    const seen = new Set<string>();
    const work = [...(deps.get(of) ?? [])];
    while (work.length > 0) {
      const id = work.pop() as string;
      if (id === target) return true;
      if (seen.has(id)) continue;
      seen.add(id);
      work.push(...(deps.get(id) ?? []));
    }
    return false;
  };
  const unknown = (ref: string, path: Segment[], where: string): void => {
    const near = nearest(ref, ids);
    check.error(path, `${where} reads steps.${ref}, which is not a step${near ? `: did you mean ${near}?` : ''}`);
  };
  steps.forEach((step, index) => {
    const where = `step "${step.id}"`;
    const strings = stringsIn(step.params, ['steps', index, 'params']).map((found) => ({ ...found, bare: false }));
    if (typeof step.condition === 'string') strings.push({ text: step.condition, path: ['steps', index, 'condition'], bare: true });
    for (const { text, path, bare } of strings) {
      for (const ref of stepReferences(text, bare)) {
        if (!known.has(ref)) unknown(ref, path, where);
        else if (!isUpstream(ref, step.id)) check.error(path, `${where} reads steps.${ref}, which is not upstream of it: add "${ref}" to its depends_on`);
      }
    }
    if (registry.has(step.action) && step.action === 'conditional' && Array.isArray(step.params.branches)) {
      step.params.branches.forEach((branch, position) => {
        const target = isObject(branch) ? branch.target_step : undefined;
        if (typeof target === 'string' && target !== '' && !target.includes('{{') && !known.has(target)) {
          const near = nearest(target, ids);
          check.error(['steps', index, 'params', 'branches', position, 'target_step'], `${where}: branch target_step "${target}" is not a step${near ? `: did you mean ${near}?` : ''}`);
        }
      });
    }
  });
  for (const { text, path } of stringsIn(outputs, ['outputs'])) {
    for (const ref of stepReferences(text)) if (!known.has(ref)) unknown(ref, path, `output ${formatPath(path.slice(1))}`);
  }
}
