/**
 * Torc workflow specs (already loaded from YAML, JSON or JSON5) → expanded jobs, files and actions
 * with resolved dependencies and the DAG's levels. Old and new field names are both accepted
 * (REFERENCE.md). Checking collects every problem with its document path (the caller turns paths
 * into line:column); unknown fields are errors naming the nearest valid one, since a misspelt
 * `depends_on` would silently change the graph.
 *
 * Work is linear in the expanded jobs except regex dependencies (jobs × distinct regexes, matched
 * against distinct names) and action selections (jobs × regexes).
 */
import { validateParams } from '../../actions/params.js';
import type { ActionRegistry } from '../../actions/registry.js';
import { HookflowError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../events/model.js';
import { nearest } from '../../events/suggest.js';
import { TRIGGER_TYPES, type FailureRule, type ResourceNeeds, type SlurmSchedulerModel, type TriggerType } from '../model.js';
import { defaultRegistry } from './dag.js';
import { formatPath, type Segment } from './document.js';
import { formatParameterValue, parseParameterValue, substituteParameters, type ParameterCombination, type ParameterValue } from './parameters.js';
import { parseDuration, parseMemory } from './units.js';

export interface TorcFile {
  readonly name: string;
  readonly path: string;
}

export interface TorcJob {
  /** The index of the `jobs` entry it was expanded from. */
  readonly entry: number;
  readonly name: string;
  readonly command: string | null;
  readonly invocation_script: string | null;
  /** Names of every job this one waits for: as written, matched by a regex, or producing one of its input files. */
  readonly depends_on: string[];
  /** The same as indexes into the workflow's jobs (names may repeat), ascending. */
  readonly depends_on_indexes: number[];
  readonly depends_on_regexes: string[];
  /** The name of a `resource_requirements` entry. */
  readonly resource_requirements: string | null;
  /** What that entry asks for (the defaults when none is named). */
  readonly resources: ResourceNeeds;
  /** The name of a `slurm_schedulers` entry. */
  readonly scheduler: string | null;
  readonly env: Record<string, string>;
  readonly input_files: string[];
  readonly output_files: string[];
  readonly input_user_data: string[];
  readonly output_user_data: string[];
  readonly cancel_on_blocking_job_failure: boolean;
  readonly failure_handler: string | null;
  /** The rules of that handler, in order. */
  readonly failure_rules: FailureRule[];
  /** A typed action instead of a command (`action: http_request` + `params`). */
  readonly action: string | null;
  /** With the action's defaults filled in. */
  readonly params: JsonObject | null;
}

export interface TorcAction {
  readonly trigger_type: TriggerType;
  readonly action_type: string;
  readonly jobs: string[];
  readonly job_name_regexes: string[];
  /** Names of the jobs the action watches (union of `jobs` and regex matches), in job order, once each. */
  readonly selected_jobs: string[];
  /** The selected jobs as indexes, ascending (a repeated name counts each job). */
  readonly selected_indexes: number[];
  readonly persistent: boolean;
  /** The action's other fields (commands, scheduler, num_allocations, params…), scheduler_name read as scheduler. */
  readonly fields: JsonObject;
}

export interface TorcWorkflow {
  readonly name: string;
  readonly user: string | null;
  readonly description: string | null;
  readonly jobs: TorcJob[];
  readonly files: TorcFile[];
  readonly actions: TorcAction[];
  readonly resource_requirements: Record<string, unknown>[];
  readonly slurm_schedulers: Record<string, unknown>[];
  /** The slurm_schedulers entries as the engine uses them. */
  readonly schedulers: SlurmSchedulerModel[];
  readonly failure_handlers: Record<string, unknown>[];
  readonly user_data: Record<string, unknown>[];
  /** Topological layers as indexes into `jobs`: level 0 has no dependencies. */
  readonly levels: number[][];
}

/** A problem at a document path; `key` places it on the key rather than the value. */
export interface TorcProblem {
  message: string;
  path: Segment[];
  key?: boolean;
}

export interface TorcCheck {
  /** Null when there is any error. */
  workflow: TorcWorkflow | null;
  errors: TorcProblem[];
  warnings: TorcProblem[];
}

export interface TorcOptions {
  /** Where job `action:` and typed action types come from; default the built-in actions. */
  actions?: ActionRegistry;
  /** Expanding to more jobs than this is an error (default 1 000 000). */
  maxJobs?: number;
}

export const DEFAULT_RESOURCES: Readonly<ResourceNeeds> = Object.freeze({ num_cpus: 1, num_gpus: 0, num_nodes: 1, memory_bytes: 0, runtime_seconds: null });
const DEFAULT_MAX_JOBS = 1_000_000;
const DEFAULT_MAX_RETRIES = 3;
/** A problem repeated by expansion is shown this many times per place, then counted. */
const MAX_PROBLEMS_PER_PLACE = 5;

const WORKFLOW_FIELDS = ['name', 'user', 'description', 'parameters', 'jobs', 'files', 'user_data', 'resource_requirements', 'slurm_schedulers', 'failure_handlers', 'actions'];
/** Torc settings of its own servers and runners: accepted, with a warning that they do nothing here. */
const WORKFLOW_IGNORED = [
  'compute_node_expiration_buffer_seconds',
  'compute_node_wait_for_new_jobs_seconds',
  'compute_node_ignore_workflow_completion',
  'compute_node_wait_for_healthy_database_minutes',
  'jobs_sort_method',
  'resource_monitor',
];
const JOB_FIELDS = [
  'name', 'command', 'invocation_script', 'action', 'params', 'env', 'cancel_on_blocking_job_failure',
  'depends_on', 'blocked_by_job_names', 'depends_on_regexes', 'blocked_by_job_name_regexes',
  'resource_requirements', 'resource_requirements_name', 'scheduler', 'scheduler_name', 'failure_handler',
  'input_files', 'output_files', 'input_user_data', 'output_user_data', 'parameters', 'parameter_mode', 'use_parameters',
];
const JOB_IGNORED = ['supports_termination', 'priority'];
const FILE_FIELDS = ['name', 'path', 'parameters', 'parameter_mode', 'use_parameters'];
const USER_DATA_FIELDS = ['name', 'data', 'is_ephemeral'];
const RESOURCE_FIELDS = ['name', 'num_cpus', 'num_gpus', 'num_nodes', 'memory', 'runtime'];
const SCHEDULER_FIELDS = ['name', 'account', 'partition', 'nodes', 'walltime', 'gres', 'mem', 'qos', 'extra', 'ntasks_per_node', 'tmp'];
const HANDLER_FIELDS = ['name', 'rules'];
const RULE_FIELDS = ['exit_codes', 'match_all_exit_codes', 'max_retries', 'recovery_script'];
const ACTION_COMMON_FIELDS = ['trigger_type', 'action_type', 'jobs', 'job_names', 'job_name_regexes', 'persistent'];
const RUN_COMMANDS_FIELDS = ['commands'];
const SCHEDULE_NODES_FIELDS = ['scheduler', 'scheduler_name', 'scheduler_type', 'num_allocations', 'start_one_worker_per_node', 'start_server_on_head_node', 'max_parallel_jobs'];
const TYPED_ACTION_FIELDS = ['params'];
const JOB_TRIGGERS: ReadonlySet<string> = new Set(['on_jobs_ready', 'on_jobs_complete']);
const WORKER_TRIGGERS: ReadonlySet<string> = new Set(['on_worker_start', 'on_worker_complete']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value) ?? String(value);
}

function suggestion(word: string, candidates: Iterable<string>): string {
  const near = nearest(word, candidates);
  return near ? `: did you mean ${near}?` : '';
}

/** Collects problems; repeats (one spec entry expanded into many jobs) are shown once and capped per place. */
class Problems {
  readonly errors: TorcProblem[] = [];
  readonly warnings: TorcProblem[] = [];
  private readonly seen = new Set<string>();
  private readonly perPlace = new Map<string, { shown: number; hidden: number; path: Segment[] }>();

  /** A message that is costly to make (a nearest-name search) may be given as a function: made only when shown. */
  error(path: Segment[], message: string | (() => string), key = false): void {
    const place = formatPath(path);
    const count = this.perPlace.get(place) ?? { shown: 0, hidden: 0, path };
    this.perPlace.set(place, count);
    if (count.shown >= MAX_PROBLEMS_PER_PLACE && typeof message === 'function') {
      count.hidden++;
      return;
    }
    const text = typeof message === 'function' ? message() : message;
    const id = `${place}\u0000${text}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (count.shown >= MAX_PROBLEMS_PER_PLACE) {
      count.hidden++;
      return;
    }
    count.shown++;
    this.errors.push(key ? { message: text, path, key } : { message: text, path });
  }

  warn(path: Segment[], message: string, key = false): void {
    const id = `w\u0000${formatPath(path)}\u0000${message}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.warnings.push(key ? { message, path, key } : { message, path });
  }

  finish(): void {
    for (const { hidden, path } of this.perPlace.values()) {
      if (hidden > 0) this.errors.push({ message: `… and ${hidden} more problem${hidden === 1 ? '' : 's'} at this place`, path });
    }
  }

  unknownFields(record: Record<string, unknown>, path: Segment[], known: readonly string[], what: string, ignored: readonly string[] = []): void {
    for (const key of Object.keys(record)) {
      if (known.includes(key)) continue;
      if (ignored.includes(key)) {
        this.warn([...path, key], `${key} is a Torc setting hookflow does not use (ignored)`, true);
        continue;
      }
      this.error([...path, key], `unknown field "${key}" in ${what}${suggestion(key, known)}`, true);
    }
  }

  string(value: unknown, path: Segment[], label: string): string | null {
    if (value === undefined || value === null) return null;
    if (typeof value === 'string') return value;
    this.error(path, `${label} must be a string, not ${kindOf(value)}`);
    return null;
  }

  requiredString(value: unknown, path: Segment[], label: string, owner: Segment[]): string | null {
    if (value === undefined || value === null || value === '') {
      this.error(value === undefined ? owner : path, `${label} is required (a non-empty string)`);
      return null;
    }
    return this.string(value, path, label);
  }

  stringList(value: unknown, path: Segment[], label: string, what = 'names'): string[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.error(path, `${label} must be a list of ${what}${typeof value === 'string' ? ` (write [${JSON.stringify(value)}])` : `, not ${kindOf(value)}`}`);
      return [];
    }
    const items: string[] = [];
    value.forEach((item: unknown, index) => {
      if (typeof item === 'string') items.push(item);
      else this.error([...path, index], `${label}[${index}] must be a string, not ${kindOf(item)}`);
    });
    return items;
  }

  records(value: unknown, path: Segment[], label: string): Array<Record<string, unknown> | null> {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.error(path, `${label} must be a list of mappings, not ${kindOf(value)}`);
      return [];
    }
    return value.map((item: unknown, index) => {
      if (isRecord(item)) return item;
      this.error([...path, index], `${label}[${index}] must be a mapping, not ${kindOf(item)}`);
      return null;
    });
  }

  integer(value: unknown, path: Segment[], label: string, min: number, fallback: number): number {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
    this.error(path, `${label} must be an integer ≥ ${min}, not ${kindOf(value)}`);
    return fallback;
  }

  boolean(value: unknown, path: Segment[], label: string, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    this.error(path, `${label} must be true or false, not ${kindOf(value)}`);
    return fallback;
  }

  /** The value of the new field name, else the old one, with the key it was read from. */
  renamed(record: Record<string, unknown>, path: Segment[], name: string, oldName: string): { value: unknown; key: string } {
    const current = record[name];
    const old = record[oldName];
    if (current != null && old != null) {
      this.error([...path, oldName], `both ${name} and ${oldName} are given: keep ${name} (${oldName} is its old name)`, true);
    }
    return current == null && old != null ? { value: old, key: oldName } : { value: current, key: name };
  }

  /** Names must be unique within a section: name → its first index. */
  uniqueNames(records: Array<Record<string, unknown> | null>, section: string, what: string): Map<string, number> {
    const names = new Map<string, number>();
    records.forEach((record, index) => {
      if (!record) return;
      const name = this.requiredString(record.name, [section, index, 'name'], `${section}[${index}].name`, [section, index]);
      if (name === null) return;
      const first = names.get(name);
      if (first !== undefined) this.error([section, index, 'name'], `duplicate ${what} name "${name}" (also ${section}[${first}])`);
      else names.set(name, index);
    });
    return names;
  }

  reference(value: string | null, known: ReadonlyMap<string, unknown>, what: string, section: string, path: Segment[]): void {
    if (value === null || known.has(value)) return;
    const hint = known.size > 0 ? suggestion(value, known.keys()) || ` (defined: ${[...known.keys()].slice(0, 10).join(', ')})` : ` (the workflow has no ${section})`;
    this.error(path, `${what} "${value}" is not defined under ${section}${hint}`);
  }
}

function copyJson(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/**
 * Lists and objects that are the same for every job of an entry (or empty) are shared between those
 * jobs, frozen: at 100 000 jobs, one array less per job is most of the work. A compiled workflow is
 * read-only; a consumer that tried to change a shared list would get a TypeError, never a silent
 * change to another job.
 */
const EMPTY_STRINGS = Object.freeze([]) as readonly string[] as string[];
const EMPTY_INDEXES = Object.freeze([]) as readonly number[] as number[];
const EMPTY_ENV = Object.freeze({}) as Record<string, string>;

function sharedList(list: string[]): string[] {
  return list.length === 0 ? EMPTY_STRINGS : (Object.freeze([...list]) as readonly string[] as string[]);
}

/** The list without repeats; the same list when it has none (short lists are checked without a Set). */
function withoutRepeats(list: string[]): string[] {
  if (list.length <= 1) return list;
  if (list.length <= 16) {
    let repeated = false;
    for (let i = 1; i < list.length && !repeated; i++) for (let j = 0; j < i && !repeated; j++) repeated = list[i] === list[j];
    if (!repeated) return list;
  }
  const unique = [...new Set(list)];
  return unique.length === list.length ? list : unique;
}

/** Placeholders substituted in every string of a params value (a parameterised typed-action job). */
function substituteJson(value: JsonValue, combination: ParameterCombination): JsonValue {
  if (typeof value === 'string') return substituteParameters(value, combination);
  if (Array.isArray(value)) return value.map((item) => substituteJson(item, combination));
  if (value !== null && typeof value === 'object') {
    const result: JsonObject = {};
    for (const [key, item] of Object.entries(value)) result[key] = substituteJson(item, combination);
    return result;
  }
  return value;
}

/** The workflow-level parameters: name → values (null when the value is invalid, already reported). */
function sharedParameters(check: Problems, value: unknown): Map<string, ParameterValue[] | null> {
  const shared = new Map<string, ParameterValue[] | null>();
  if (value === undefined || value === null) return shared;
  if (!isRecord(value)) {
    check.error(['parameters'], `parameters must be a mapping of name to values ("1:10", "[a, b]"), not ${kindOf(value)}`);
    return shared;
  }
  for (const [name, raw] of Object.entries(value)) shared.set(name, parseValues(check, raw, ['parameters', name]));
  return shared;
}

function parseValues(check: Problems, raw: unknown, path: Segment[]): ParameterValue[] | null {
  try {
    return parseParameterValue(raw, formatPath(path));
  } catch (error) {
    if (!(error instanceof HookflowError)) throw error;
    const hint = typeof error.details.hint === 'string' ? ` (${error.details.hint})` : '';
    check.error(path, `${error.message}${hint}`);
    return null;
  }
}

/** The parameters of one job or file entry, ready to expand: `count` combinations. */
interface Expansion {
  readonly names: readonly string[];
  readonly lists: readonly ParameterValue[][];
  readonly zip: boolean;
  readonly count: number;
  /** name → position in names (and in each combination's values). */
  readonly slots: ReadonlyMap<string, number>;
}

/**
 * An entry's parameters: its own `parameters`, else the `use_parameters` it names from the
 * workflow's. Null when they are invalid (reported). `budget` is how many more combinations may be
 * made (a product of ranges grows fast).
 */
function expansionFor(
  check: Problems,
  spec: Record<string, unknown>,
  shared: ReadonlyMap<string, ParameterValue[] | null>,
  path: Segment[],
  budget: number,
  unit: string,
): Expansion | null {
  const own = spec.parameters;
  const used = check.stringList(spec.use_parameters, [...path, 'use_parameters'], `${formatPath(path)}.use_parameters`, 'parameter names');
  const names: string[] = [];
  const lists: ParameterValue[][] = [];
  let failed = false;
  let listsPath: Segment[] = [...path, 'parameters'];
  if (own !== undefined && own !== null) {
    if (!isRecord(own)) {
      check.error([...path, 'parameters'], `parameters must be a mapping of name to values ("1:10", "[a, b]"), not ${kindOf(own)}`);
      return null;
    }
    for (const [name, raw] of Object.entries(own)) {
      const values = parseValues(check, raw, [...path, 'parameters', name]);
      if (values === null) failed = true;
      else {
        names.push(name);
        lists.push(values);
      }
    }
  } else {
    listsPath = [...path, 'use_parameters'];
    used.forEach((name, index) => {
      if (!shared.has(name)) {
        const known = [...shared.keys()];
        check.error([...path, 'use_parameters', index], `use_parameters names "${name}", which is not a workflow parameter${suggestion(name, known) || ` (defined: ${known.join(', ') || 'none'})`}`);
        failed = true;
        return;
      }
      const values = shared.get(name);
      if (!values) failed = true;
      else {
        names.push(name);
        lists.push(values);
      }
    });
  }
  const mode = spec.parameter_mode ?? 'product';
  if (mode !== 'product' && mode !== 'zip') {
    const near = typeof mode === 'string' ? nearest(mode, ['product', 'zip']) : null;
    check.error([...path, 'parameter_mode'], `parameter_mode must be product or zip, not ${kindOf(mode)}${near ? `: did you mean ${near}?` : ''}`);
    return null;
  }
  if (failed) return null;
  const zip = mode === 'zip' && names.length > 0;
  let count = 1;
  if (zip) {
    count = lists[0].length;
    if (lists.some((list) => list.length !== count)) {
      const sizes = names.map((name, index) => `${name}: ${lists[index].length}`).join(', ');
      check.error(listsPath, `parameter_mode zip needs lists of one length (${sizes}): give every parameter the same number of values, or use parameter_mode: product`);
      return null;
    }
  } else {
    for (const list of lists) count *= list.length;
  }
  if (count > budget) {
    check.error(listsPath, `the parameters expand to ${count} ${unit}, more than the ${budget} still allowed: use fewer values`);
    return null;
  }
  return { names, lists, zip, count, slots: new Map(names.map((name, index) => [name, index])) };
}

/**
 * Calls visit with each combination's values, in order: product with the last parameter varying
 * fastest, or zip element-wise. The values array is reused: copy what you keep.
 */
function forEachCombination(expansion: Expansion, visit: (values: readonly ParameterValue[]) => void): void {
  const { lists, zip, count } = expansion;
  const width = lists.length;
  const values = new Array<ParameterValue>(width);
  const at = new Int32Array(width);
  for (let made = 0; made < count; made++) {
    for (let i = 0; i < width; i++) values[i] = lists[i][zip ? made : at[i]];
    visit(values);
    if (zip) continue;
    for (let i = width - 1; i >= 0; i--) {
      if (++at[i] < lists[i].length) break;
      at[i] = 0;
    }
  }
}

function combinationOf(expansion: Expansion, values: readonly ParameterValue[]): ParameterCombination {
  return new Map(expansion.names.map((name, index) => [name, values[index]]));
}

/**
 * A string with its `{name}` / `{name:spec}` placeholders found once per entry, so each expanded job
 * only concatenates. As in substituteParameters, a placeholder that names no parameter of the entry
 * stays as written (shell `${HOME}`, `${files.input.x}`, JSON braces).
 */
interface Slot {
  readonly slot: number;
  readonly spec: string | undefined;
  readonly whole: string;
}
type Template = string | ReadonlyArray<string | Slot>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}/g;

function compileTemplate(text: string, slots: ReadonlyMap<string, number>): Template {
  if (slots.size === 0 || !text.includes('{')) return text;
  const parts: Array<string | Slot> = [];
  let literal = '';
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const slot = slots.get(match[1]);
    if (slot === undefined) continue;
    const at = match.index ?? 0;
    literal += text.slice(last, at);
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push({ slot, spec: match[2], whole: match[0] });
    last = at + match[0].length;
  }
  if (parts.length === 0) return text;
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** The template with the combination's values; a bad format is reported at base.key[item]. */
function render(check: Problems, template: Template, values: readonly ParameterValue[], base: Segment[], key: string, item = -1): string {
  if (typeof template === 'string') return template;
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const part = template[i];
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    try {
      text += formatParameterValue(values[part.slot], part.spec);
    } catch (error) {
      if (!(error instanceof HookflowError)) throw error;
      check.error(item < 0 ? [...base, key] : [...base, key, item], `${error.message}${typeof error.details.hint === 'string' ? ` (${error.details.hint})` : ''}`);
      text += part.whole;
    }
  }
  return text;
}

/** A list of strings: shared when no entry has a placeholder, else rendered per combination. */
interface ListTemplate {
  readonly key: string;
  readonly items: readonly Template[];
  readonly shared: string[] | null;
}

function listTemplate(list: string[], key: string, slots: ReadonlyMap<string, number>): ListTemplate {
  const items = list.map((text) => compileTemplate(text, slots));
  return { key, items, shared: items.every((item) => typeof item === 'string') ? sharedList(list) : null };
}

/** The list with the combination's values, one item per written item (so positions stay those of the document). */
function renderList(check: Problems, list: ListTemplate, values: readonly ParameterValue[], base: Segment[]): string[] {
  if (list.shared !== null) return list.shared;
  const rendered = new Array<string>(list.items.length);
  for (let i = 0; i < list.items.length; i++) rendered[i] = render(check, list.items[i], values, base, list.key, i);
  return rendered;
}

/** input_files / output_files entries must name files; a list without placeholders is checked once. */
function checkFileNames(check: Problems, names: readonly string[], filePaths: ReadonlyMap<string, string>, base: Segment[], key: string): void {
  for (let i = 0; i < names.length; i++) {
    if (!filePaths.has(names[i])) check.reference(names[i], filePaths, 'file', 'files', [...base, key, i]);
  }
}

function parseResources(check: Problems, records: Array<Record<string, unknown> | null>): Map<string, ResourceNeeds> {
  const names = check.uniqueNames(records, 'resource_requirements', 'resource requirement');
  const needs = new Map<string, ResourceNeeds>();
  records.forEach((record, index) => {
    if (!record) return;
    const path: Segment[] = ['resource_requirements', index];
    const where = `resource_requirements[${index}]`;
    check.unknownFields(record, path, RESOURCE_FIELDS, `resource requirement ${typeof record.name === 'string' ? `"${record.name}"` : index}`);
    let memory = 0;
    if (record.memory !== undefined && record.memory !== null) {
      const parsed = parseMemory(record.memory);
      if (parsed.ok) memory = parsed.value;
      else check.error([...path, 'memory'], parsed.message);
    }
    let runtime: number | null = null;
    if (record.runtime !== undefined && record.runtime !== null) {
      const parsed = parseDuration(record.runtime);
      if (parsed.ok) runtime = parsed.value;
      else check.error([...path, 'runtime'], parsed.message);
    }
    const need: ResourceNeeds = {
      num_cpus: check.integer(record.num_cpus, [...path, 'num_cpus'], `${where}.num_cpus`, 1, DEFAULT_RESOURCES.num_cpus),
      num_gpus: check.integer(record.num_gpus, [...path, 'num_gpus'], `${where}.num_gpus`, 0, DEFAULT_RESOURCES.num_gpus),
      num_nodes: check.integer(record.num_nodes, [...path, 'num_nodes'], `${where}.num_nodes`, 1, DEFAULT_RESOURCES.num_nodes),
      memory_bytes: memory,
      runtime_seconds: runtime,
    };
    if (typeof record.name === 'string' && names.get(record.name) === index) needs.set(record.name, Object.freeze(need));
  });
  return needs;
}

/**
 * slurm_schedulers entries. `ntasks_per_node` and `tmp` (Torc fields the model has no place for) are
 * carried as sbatch options at the front of `extra`, so an allocation still asks for them.
 */
function parseSchedulers(check: Problems, records: Array<Record<string, unknown> | null>): { byName: Map<string, number>; schedulers: SlurmSchedulerModel[] } {
  const byName = check.uniqueNames(records, 'slurm_schedulers', 'scheduler');
  const schedulers: SlurmSchedulerModel[] = [];
  records.forEach((record, index) => {
    if (!record) return;
    const path: Segment[] = ['slurm_schedulers', index];
    const where = `slurm_schedulers[${index}]`;
    check.unknownFields(record, path, SCHEDULER_FIELDS, `scheduler ${typeof record.name === 'string' ? `"${record.name}"` : index}`);
    const text = (key: string): string | null => {
      const value = record[key];
      // Slurm takes `mem: 8` or `nodes` as numbers too; anything scalar is its text.
      if (typeof value === 'number') return String(value);
      return check.string(value, [...path, key], `${where}.${key}`);
    };
    const options: string[] = [];
    if (record.ntasks_per_node !== undefined && record.ntasks_per_node !== null) {
      options.push(`--ntasks-per-node=${check.integer(record.ntasks_per_node, [...path, 'ntasks_per_node'], `${where}.ntasks_per_node`, 1, 1)}`);
    }
    const tmp = text('tmp');
    if (tmp !== null) options.push(`--tmp=${tmp}`);
    const extra = text('extra');
    if (extra !== null) options.push(extra);
    if (typeof record.name !== 'string' || byName.get(record.name) !== index) return;
    schedulers.push({
      name: record.name,
      account: text('account'),
      partition: text('partition'),
      nodes: check.integer(record.nodes, [...path, 'nodes'], `${where}.nodes`, 1, 1),
      walltime: text('walltime'),
      gres: text('gres'),
      mem: text('mem'),
      qos: text('qos'),
      extra: options.length > 0 ? options.join(' ') : null,
    });
  });
  return { byName, schedulers };
}

function parseFailureHandlers(check: Problems, records: Array<Record<string, unknown> | null>): Map<string, FailureRule[]> {
  const names = check.uniqueNames(records, 'failure_handlers', 'failure handler');
  const handlers = new Map<string, FailureRule[]>();
  records.forEach((record, index) => {
    if (!record) return;
    const path: Segment[] = ['failure_handlers', index];
    check.unknownFields(record, path, HANDLER_FIELDS, `failure handler ${typeof record.name === 'string' ? `"${record.name}"` : index}`);
    if (record.rules === undefined || record.rules === null) check.error(path, `failure_handlers[${index}] needs rules (a list of {exit_codes | match_all_exit_codes, max_retries})`);
    const rules: FailureRule[] = [];
    check.records(record.rules, [...path, 'rules'], `failure_handlers[${index}].rules`).forEach((rule, position) => {
      if (!rule) return;
      const rulePath: Segment[] = [...path, 'rules', position];
      const where = `failure_handlers[${index}].rules[${position}]`;
      check.unknownFields(rule, rulePath, RULE_FIELDS, 'a failure rule');
      const codes: number[] = [];
      if (rule.exit_codes !== undefined && rule.exit_codes !== null) {
        if (!Array.isArray(rule.exit_codes)) check.error([...rulePath, 'exit_codes'], `${where}.exit_codes must be a list of integers`);
        else {
          rule.exit_codes.forEach((code: unknown, at) => {
            if (typeof code === 'number' && Number.isInteger(code)) codes.push(code);
            else check.error([...rulePath, 'exit_codes', at], `${where}.exit_codes[${at}] must be an integer, not ${kindOf(code)}`);
          });
        }
      }
      const matchAll = check.boolean(rule.match_all_exit_codes, [...rulePath, 'match_all_exit_codes'], `${where}.match_all_exit_codes`, false);
      if (!matchAll && codes.length === 0 && (rule.exit_codes === undefined || rule.exit_codes === null || (Array.isArray(rule.exit_codes) && rule.exit_codes.length === 0))) {
        check.error(rulePath, `${where} matches nothing: give exit_codes or match_all_exit_codes: true`);
      }
      rules.push({
        exit_codes: matchAll ? [] : codes,
        match_all_exit_codes: matchAll,
        max_retries: check.integer(rule.max_retries, [...rulePath, 'max_retries'], `${where}.max_retries`, 0, DEFAULT_MAX_RETRIES),
        recovery_script: check.string(rule.recovery_script, [...rulePath, 'recovery_script'], `${where}.recovery_script`),
      });
    });
    if (typeof record.name === 'string' && names.get(record.name) === index) handlers.set(record.name, rules);
  });
  return handlers;
}

function expandFiles(
  check: Problems,
  records: Array<Record<string, unknown> | null>,
  shared: ReadonlyMap<string, ParameterValue[] | null>,
  maxFiles: number,
): TorcFile[] {
  const files: TorcFile[] = [];
  const firstEntry = new Map<string, number>();
  records.forEach((record, index) => {
    if (!record) return;
    const path: Segment[] = ['files', index];
    check.unknownFields(record, path, FILE_FIELDS, `file ${typeof record.name === 'string' ? `"${record.name}"` : index}`);
    const name = check.requiredString(record.name, [...path, 'name'], `files[${index}].name`, path);
    const filePath = check.requiredString(record.path, [...path, 'path'], `files[${index}].path`, path);
    const expansion = expansionFor(check, record, shared, path, maxFiles - files.length, 'files');
    if (name === null || filePath === null || expansion === null) return;
    const nameTemplate = compileTemplate(name, expansion.slots);
    const pathTemplate = compileTemplate(filePath, expansion.slots);
    forEachCombination(expansion, (values) => {
      const expandedName = render(check, nameTemplate, values, path, 'name');
      const first = firstEntry.get(expandedName);
      if (first !== undefined) {
        check.error([...path, 'name'], `duplicate file name "${expandedName}"${first === index ? ' (the parameters give it twice)' : ` (also files[${first}])`}`);
        return;
      }
      firstEntry.set(expandedName, index);
      files.push({ name: expandedName, path: render(check, pathTemplate, values, path, 'path') });
    });
  });
  return files;
}

const FILE_REFERENCE = /\$\{files\.(input|output)\.([^}]+)\}/g;

/** A jobs entry read once, before expansion; keys are the field names it was read from (old or new). */
interface JobTemplate {
  entry: number;
  base: Segment[];
  expansion: Expansion;
  name: Template;
  command: Template | null;
  /** The command holds `${files.…}` references. */
  fileReferences: boolean;
  action: string | null;
  /** Frozen; shared by the entry's jobs unless it has placeholders to substitute. */
  params: JsonObject | null;
  paramsVary: boolean;
  invocation: Template | null;
  env: ReadonlyArray<readonly [string, Template]>;
  /** The env when no value has a placeholder. */
  sharedEnv: Record<string, string> | null;
  cancel: boolean;
  dependsOn: ListTemplate;
  regexes: ListTemplate;
  resources: Template | null;
  resourcesKey: string;
  scheduler: Template | null;
  schedulerKey: string;
  failureHandler: string | null;
  failureRules: FailureRule[];
  inputFiles: ListTemplate;
  outputFiles: ListTemplate;
  inputUserData: ListTemplate;
  outputUserData: ListTemplate;
}

const NO_EXPANSION: Expansion = { names: [], lists: [], zip: false, count: 1, slots: new Map() };

function readJob(
  check: Problems,
  record: Record<string, unknown>,
  entry: number,
  registry: ActionRegistry,
  handlers: ReadonlyMap<string, FailureRule[]>,
  expansion: Expansion | null,
  filePaths: ReadonlyMap<string, string>,
): JobTemplate | null {
  const path: Segment[] = ['jobs', entry];
  const where = `jobs[${entry}]`;
  const label = typeof record.name === 'string' ? `job "${record.name}"` : `jobs[${entry}]`;
  const slots = (expansion ?? NO_EXPANSION).slots;
  check.unknownFields(record, path, JOB_FIELDS, label, JOB_IGNORED);
  const name = check.requiredString(record.name, [...path, 'name'], `${where}.name`, path);
  const command = check.string(record.command, [...path, 'command'], `${where}.command`);
  const action = check.string(record.action, [...path, 'action'], `${where}.action`);
  if (command !== null && action !== null) check.error([...path, 'action'], `${label} has both command and action: a job runs either a shell command or a typed action`, true);
  if (record.command == null && record.action == null) check.error(path, `${label} needs a command (or an action with params)`);

  let params: JsonObject | null = null;
  if (record.params !== undefined && record.params !== null) {
    if (!isRecord(record.params)) check.error([...path, 'params'], `${where}.params must be a mapping, not ${kindOf(record.params)}`);
    else if (record.action == null) check.error([...path, 'params'], `${label}: params belong to an action; add action: TYPE or remove params`, true);
    else params = copyJson(record.params) as JsonObject;
  }
  if (action !== null) {
    if (!registry.has(action)) {
      const types = registry.list().map((registered) => registered.definition.meta.type);
      check.error([...path, 'action'], `${label}: unknown action type "${action}"${suggestion(action, types)}`);
    } else {
      const checked = validateParams(registry.get(action), params ?? {}, { templatesUnresolved: true });
      for (const problem of checked.problems) {
        const field = problem.field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
        const located = problem.rule === 'required' ? [...path, 'params'] : [...path, 'params', ...field];
        check.error(located, `${label}: ${problem.message}`, problem.rule === 'unknown');
      }
      params = checked.params;
    }
  }

  const env: Array<[string, Template]> = [];
  if (record.env !== undefined && record.env !== null) {
    if (!isRecord(record.env)) check.error([...path, 'env'], `${where}.env must be a mapping of name to string, not ${kindOf(record.env)}`);
    else {
      for (const [key, value] of Object.entries(record.env)) {
        if (typeof value === 'string') env.push([key, compileTemplate(value, slots)]);
        else if (typeof value === 'number' || typeof value === 'boolean') env.push([key, String(value)]);
        else check.error([...path, 'env', key], `${where}.env.${key} must be a string, not ${kindOf(value)}`);
      }
    }
  }
  const dependsOn = check.renamed(record, path, 'depends_on', 'blocked_by_job_names');
  const regexes = check.renamed(record, path, 'depends_on_regexes', 'blocked_by_job_name_regexes');
  const resources = check.renamed(record, path, 'resource_requirements', 'resource_requirements_name');
  const scheduler = check.renamed(record, path, 'scheduler', 'scheduler_name');
  const invocation = check.string(record.invocation_script, [...path, 'invocation_script'], `${where}.invocation_script`);
  const resourcesName = check.string(resources.value, [...path, resources.key], `${where}.${resources.key}`);
  const schedulerName = check.string(scheduler.value, [...path, scheduler.key], `${where}.${scheduler.key}`);
  const failureHandler = check.string(record.failure_handler, [...path, 'failure_handler'], `${where}.failure_handler`);
  const list = (value: unknown, key: string, what: string): ListTemplate => listTemplate(check.stringList(value, [...path, key], `${where}.${key}`, what), key, slots);
  const template: JobTemplate = {
    entry,
    base: path,
    expansion: expansion ?? NO_EXPANSION,
    name: compileTemplate(name ?? '', slots),
    command: command === null ? null : compileTemplate(command, slots),
    fileReferences: command !== null && command.includes('${files.'),
    action,
    params: params === null ? null : deepFreeze(params),
    paramsVary: params !== null && slots.size > 0 && JSON.stringify(params).includes('{'),
    invocation: invocation === null ? null : compileTemplate(invocation, slots),
    env,
    sharedEnv: env.length === 0 ? EMPTY_ENV : env.every(([, value]) => typeof value === 'string') ? Object.freeze(Object.fromEntries(env) as Record<string, string>) : null,
    cancel: check.boolean(record.cancel_on_blocking_job_failure, [...path, 'cancel_on_blocking_job_failure'], `${where}.cancel_on_blocking_job_failure`, false),
    dependsOn: list(dependsOn.value, dependsOn.key, 'job names'),
    regexes: list(regexes.value, regexes.key, 'regexes'),
    resources: resourcesName === null ? null : compileTemplate(resourcesName, slots),
    resourcesKey: resources.key,
    scheduler: schedulerName === null ? null : compileTemplate(schedulerName, slots),
    schedulerKey: scheduler.key,
    failureHandler,
    failureRules: (failureHandler !== null ? handlers.get(failureHandler) : undefined) ?? [],
    inputFiles: list(record.input_files, 'input_files', 'file names'),
    outputFiles: list(record.output_files, 'output_files', 'file names'),
    inputUserData: list(record.input_user_data, 'input_user_data', 'user data names'),
    outputUserData: list(record.output_user_data, 'output_user_data', 'user data names'),
  };
  for (const files of [template.inputFiles, template.outputFiles]) if (files.shared !== null) checkFileNames(check, files.shared, filePaths, path, files.key);
  return name === null || expansion === null ? null : template;
}

/** TorcJob while it is being built: dependencies are filled in once every job exists. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One job of an entry; its depends_on entries (with the combination's values) go to `written`. */
function expandJob(
  check: Problems,
  template: JobTemplate,
  values: readonly ParameterValue[],
  filePaths: ReadonlyMap<string, string>,
  resources: ReadonlyMap<string, ResourceNeeds>,
  written: string[][],
): Mutable<TorcJob> {
  const base = template.base;
  let inputs = renderList(check, template.inputFiles, values, base);
  let outputs = renderList(check, template.outputFiles, values, base);
  if (template.inputFiles.shared === null) checkFileNames(check, inputs, filePaths, base, 'input_files');
  if (template.outputFiles.shared === null) checkFileNames(check, outputs, filePaths, base, 'output_files');
  let command = template.command === null ? null : render(check, template.command, values, base, 'command');
  if (command !== null && template.fileReferences) {
    const found = { inputs: [...inputs], outputs: [...outputs] };
    command = resolveFileReferences(check, command, base, filePaths, found);
    inputs = found.inputs;
    outputs = found.outputs;
  }
  inputs = withoutRepeats(inputs);
  outputs = withoutRepeats(outputs);
  let env = template.sharedEnv;
  if (env === null) {
    env = {};
    for (const [key, value] of template.env) env[key] = render(check, value, values, base, 'env');
  }
  const resourcesName = template.resources === null ? null : render(check, template.resources, values, base, template.resourcesKey);
  written.push(renderList(check, template.dependsOn, values, base));
  return {
    entry: template.entry,
    name: render(check, template.name, values, base, 'name'),
    command,
    invocation_script: template.invocation === null ? null : render(check, template.invocation, values, base, 'invocation_script'),
    depends_on: EMPTY_STRINGS,
    depends_on_indexes: EMPTY_INDEXES,
    depends_on_regexes: renderList(check, template.regexes, values, base),
    resource_requirements: resourcesName,
    resources: (resourcesName !== null ? resources.get(resourcesName) : undefined) ?? DEFAULT_RESOURCES,
    scheduler: template.scheduler === null ? null : render(check, template.scheduler, values, base, template.schedulerKey),
    env,
    input_files: inputs,
    output_files: outputs,
    input_user_data: renderList(check, template.inputUserData, values, base),
    output_user_data: renderList(check, template.outputUserData, values, base),
    cancel_on_blocking_job_failure: template.cancel,
    failure_handler: template.failureHandler,
    failure_rules: template.failureRules,
    action: template.action,
    params: template.params !== null && template.paramsVary ? (substituteJson(template.params, combinationOf(template.expansion, values)) as JsonObject) : template.params,
  };
}

/** `${files.input.X}` / `${files.output.X}` → the file's path, adding X to the job's inputs or outputs. */
function resolveFileReferences(check: Problems, command: string, base: Segment[], filePaths: ReadonlyMap<string, string>, found: { inputs: string[]; outputs: string[] }): string {
  return command.replace(FILE_REFERENCE, (whole, direction: string, fileName: string) => {
    const filePath = filePaths.get(fileName);
    if (filePath === undefined) {
      const hint = filePaths.size > 0 && filePaths.size <= 10_000 ? suggestion(fileName, filePaths.keys()) : '';
      check.error([...base, 'command'], `the command refers to file "${fileName}", which is not in files${hint || ': add it under files with a path'}`);
      return whole;
    }
    (direction === 'input' ? found.inputs : found.outputs).push(fileName);
    return filePath;
  });
}

function compileRegex(check: Problems, pattern: string, path: Segment[]): RegExp | null {
  try {
    return new RegExp(pattern);
  } catch (error) {
    check.error(path, `the regex "${pattern}" does not compile: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`);
    return null;
  }
}

function sortedUnique(values: number[]): number[] {
  if (values.length <= 1) return values;
  values.sort((a, b) => a - b);
  let kept = 1;
  for (let i = 1; i < values.length; i++) if (values[i] !== values[kept - 1]) values[kept++] = values[i];
  values.length = kept;
  return values;
}

/** Job name → job indexes, without an array per name: most names are unique. */
class NameIndex {
  private readonly first = new Map<string, number>();
  private readonly repeated = new Map<string, number[]>();

  /** Adds a job; returns the first index of the name when it was there already, else -1. */
  add(name: string, index: number): number {
    const first = this.first.get(name);
    if (first === undefined) {
      this.first.set(name, index);
      return -1;
    }
    const list = this.repeated.get(name);
    if (list) list.push(index);
    else this.repeated.set(name, [first, index]);
    return first;
  }

  has(name: string): boolean {
    return this.first.has(name);
  }

  get size(): number {
    return this.first.size;
  }

  names(): IterableIterator<string> {
    return this.first.keys();
  }

  /** Appends the indexes of the jobs of this name (none when there is no such job). */
  collect(name: string, into: number[]): void {
    const list = this.repeated.get(name);
    if (list) {
      for (const index of list) into.push(index);
      return;
    }
    const first = this.first.get(name);
    if (first !== undefined) into.push(first);
  }

  /** Appends the indexes of the jobs whose names match any of the regexes, distinct names tried once each. */
  collectMatching(regexes: RegExp | readonly RegExp[], into: number[]): void {
    const patterns: readonly RegExp[] = Array.isArray(regexes) ? regexes : [regexes as RegExp];
    for (const [name, first] of this.first) {
      let matched = false;
      for (let i = 0; i < patterns.length && !matched; i++) matched = patterns[i].test(name);
      if (!matched) continue;
      const list = this.repeated.get(name);
      if (list) for (const index of list) into.push(index);
      else into.push(first);
    }
  }

  /** Whether the job at `index` has this name. */
  includes(name: string, index: number): boolean {
    const list = this.repeated.get(name);
    return list ? list.includes(index) : this.first.get(name) === index;
  }
}

/**
 * Checks a Torc spec without throwing: the expanded workflow when valid, every problem otherwise
 * (document paths; compileWorkflow places them at line:column).
 */
export function checkTorcSpec(input: unknown, options: TorcOptions = {}): TorcCheck {
  const check = new Problems();
  const registry = options.actions ?? defaultRegistry();
  const maxJobs = options.maxJobs ?? DEFAULT_MAX_JOBS;
  if (!isRecord(input)) {
    check.error([], `a Torc workflow must be a mapping with name and jobs, not ${kindOf(input)}`);
    return { workflow: null, errors: check.errors, warnings: check.warnings };
  }
  check.unknownFields(input, [], WORKFLOW_FIELDS, 'the workflow', WORKFLOW_IGNORED);
  const name = check.requiredString(input.name, ['name'], 'the workflow name', []);
  const user = check.string(input.user, ['user'], 'user');
  const description = check.string(input.description, ['description'], 'description');
  const shared = sharedParameters(check, input.parameters);

  const resourceRecords = check.records(input.resource_requirements, ['resource_requirements'], 'resource_requirements');
  const schedulerRecords = check.records(input.slurm_schedulers, ['slurm_schedulers'], 'slurm_schedulers');
  const handlerRecords = check.records(input.failure_handlers, ['failure_handlers'], 'failure_handlers');
  const userDataRecords = check.records(input.user_data, ['user_data'], 'user_data');
  const resources = parseResources(check, resourceRecords);
  const { byName: schedulerNames, schedulers } = parseSchedulers(check, schedulerRecords);
  const handlers = parseFailureHandlers(check, handlerRecords);
  const userDataNames = check.uniqueNames(userDataRecords, 'user_data', 'user data');
  userDataRecords.forEach((record, index) => {
    if (!record) return;
    check.unknownFields(record, ['user_data', index], USER_DATA_FIELDS, `user data ${typeof record.name === 'string' ? `"${record.name}"` : index}`);
    check.boolean(record.is_ephemeral, ['user_data', index, 'is_ephemeral'], `user_data[${index}].is_ephemeral`, false);
  });

  const files = expandFiles(check, check.records(input.files, ['files'], 'files'), shared, maxJobs);
  const filePaths = new Map(files.map((file) => [file.name, file.path]));

  if (input.jobs === undefined || input.jobs === null) check.error([], 'the workflow needs jobs (a list of {name, command, …})');
  else if (Array.isArray(input.jobs) && input.jobs.length === 0) check.error(['jobs'], 'the workflow has no jobs: jobs must be a non-empty list');
  const jobs: Array<Mutable<TorcJob>> = [];
  const written: string[][] = [];
  const templates: JobTemplate[] = [];
  check.records(input.jobs, ['jobs'], 'jobs').forEach((record, entry) => {
    if (!record) return;
    const expansion = expansionFor(check, record, shared, ['jobs', entry], maxJobs - jobs.length, 'jobs');
    const template = readJob(check, record, entry, registry, handlers, expansion, filePaths);
    if (!template) return;
    templates[entry] = template;
    forEachCombination(template.expansion, (values) => {
      jobs.push(expandJob(check, template, values, filePaths, resources, written));
    });
  });
  if (jobs.length === 0 && Array.isArray(input.jobs) && input.jobs.length > 0 && check.errors.length === 0) {
    check.error(['jobs'], 'the jobs expand to no jobs at all: a parameter list is empty ([])');
  }

  const byName = new NameIndex();
  const levels = resolveDependencies(check, jobs, written, templates, byName, {
    resources,
    schedulers: schedulerNames,
    handlers,
    userData: userDataNames,
  });

  const actions: TorcAction[] = [];
  check.records(input.actions, ['actions'], 'actions').forEach((record, index) => {
    if (!record) return;
    const action = checkAction(check, record, index, jobs, byName, schedulerNames, registry);
    if (action) actions.push(action);
  });

  check.finish();
  if (check.errors.length > 0 || name === null) return { workflow: null, errors: check.errors, warnings: check.warnings };
  const present = <T>(records: Array<T | null>): T[] => records.filter((record): record is T => record !== null);
  return {
    workflow: {
      name,
      user,
      description,
      jobs,
      files,
      actions,
      resource_requirements: present(resourceRecords),
      slurm_schedulers: present(schedulerRecords),
      schedulers,
      failure_handlers: present(handlerRecords),
      user_data: present(userDataRecords),
      levels,
    },
    errors: [],
    warnings: check.warnings,
  };
}

interface Sections {
  resources: ReadonlyMap<string, unknown>;
  schedulers: ReadonlyMap<string, unknown>;
  handlers: ReadonlyMap<string, unknown>;
  userData: ReadonlyMap<string, unknown>;
}

/**
 * Fills in each job's dependencies (names, regexes, files) and byName; checks duplicate names and
 * the references to other sections; returns the levels.
 */
function resolveDependencies(
  check: Problems,
  jobs: Array<Mutable<TorcJob>>,
  written: string[][],
  templates: JobTemplate[],
  byName: NameIndex,
  sections: Sections,
): number[][] {
  for (let index = 0; index < jobs.length; index++) {
    const job = jobs[index];
    const first = byName.add(job.name, index);
    if (first >= 0 && jobs[first].entry !== job.entry) check.error(['jobs', job.entry, 'name'], `duplicate job name "${job.name}" (also jobs[${jobs[first].entry}])`);
  }
  const producers = new Map<string, number[]>();
  for (let index = 0; index < jobs.length; index++) {
    for (const file of jobs[index].output_files) {
      const list = producers.get(file);
      if (list) list.push(index);
      else producers.set(file, [index]);
    }
  }
  // A nearest-name search over a huge workflow costs more than the hint is worth; the job itself is no hint.
  const suggestJob = (word: string, self: string): string => {
    if (byName.size > 10_000) return '';
    const near = nearest(word, byName.names());
    return near !== null && near !== self ? `: did you mean ${near}?` : '';
  };
  const regexMatches = new Map<string, number[] | null>();
  const matchesOf = (pattern: string, path: Segment[]): number[] | null => {
    let matches = regexMatches.get(pattern);
    if (matches === undefined) {
      const regex = compileRegex(check, pattern, path);
      matches = null;
      if (regex) {
        matches = [];
        byName.collectMatching(regex, matches);
      }
      regexMatches.set(pattern, matches);
    } else if (matches === null) compileRegex(check, pattern, path);
    return matches;
  };

  const parents: number[][] = new Array<number[]>(jobs.length);
  for (let self = 0; self < jobs.length; self++) {
    const job = jobs[self];
    const template = templates[job.entry];
    const base = template.base;
    let found: number[] | null = null;
    const dependsOn = written[self];
    for (let entry = 0; entry < dependsOn.length; entry++) {
      const dependency = dependsOn[entry];
      if (!byName.has(dependency)) {
        const path = [...base, template.dependsOn.key, entry];
        check.error(path, () => `job "${job.name}" depends on "${dependency}", which is not a job${suggestJob(dependency, job.name)}`);
      } else if (byName.includes(dependency, self)) {
        check.error([...base, template.dependsOn.key, entry], `job "${job.name}" depends on itself`);
      } else byName.collect(dependency, (found ??= []));
    }
    for (let entry = 0; entry < job.depends_on_regexes.length; entry++) {
      const pattern = job.depends_on_regexes[entry];
      const path = [...base, template.regexes.key, entry];
      const matches = matchesOf(pattern, path);
      if (matches === null) continue;
      let added = 0;
      for (const index of matches) {
        if (index === self) continue;
        (found ??= []).push(index);
        added++;
      }
      if (added === 0) check.error(path, `the regex "${pattern}" of job "${job.name}" matches no other job`);
    }
    for (const file of job.input_files) {
      const list = producers.get(file);
      if (list) for (const index of list) if (index !== self) (found ??= []).push(index);
    }
    for (let entry = 0; entry < job.input_user_data.length; entry++) check.reference(job.input_user_data[entry], sections.userData, 'user data', 'user_data', [...base, 'input_user_data', entry]);
    for (let entry = 0; entry < job.output_user_data.length; entry++) check.reference(job.output_user_data[entry], sections.userData, 'user data', 'user_data', [...base, 'output_user_data', entry]);
    if (job.resource_requirements !== null && !sections.resources.has(job.resource_requirements)) {
      check.reference(job.resource_requirements, sections.resources, 'resource requirement', 'resource_requirements', [...base, template.resourcesKey]);
    }
    if (job.scheduler !== null && !sections.schedulers.has(job.scheduler)) {
      check.reference(job.scheduler, sections.schedulers, 'scheduler', 'slurm_schedulers', [...base, template.schedulerKey]);
    }
    if (job.failure_handler !== null && !sections.handlers.has(job.failure_handler)) {
      check.reference(job.failure_handler, sections.handlers, 'failure handler', 'failure_handlers', [...base, 'failure_handler']);
    }
    if (found === null) {
      parents[self] = EMPTY_INDEXES;
      continue;
    }
    const indexes = sortedUnique(found);
    parents[self] = indexes;
    job.depends_on_indexes = indexes;
    const names: string[] = [];
    let previous: string | null = null;
    for (const parent of indexes) {
      const parentName = jobs[parent].name;
      if (parentName !== previous) names.push(parentName);
      previous = parentName;
    }
    // Parents sharing a name are usually adjacent; a Set removes the rest only when needed.
    job.depends_on = names.length > 1 ? [...new Set(names)] : names;
  }
  return layers(check, jobs, written, templates, parents);
}

/** Kahn's layers; each cycle among what is left is reported once, as the path it takes. */
function layers(check: Problems, jobs: ReadonlyArray<TorcJob>, written: string[][], templates: JobTemplate[], parents: number[][]): number[][] {
  const count = jobs.length;
  // Children in one flat array with offsets per parent: no array per job.
  const start = new Int32Array(count + 1);
  for (let child = 0; child < count; child++) for (const parent of parents[child]) start[parent + 1]++;
  for (let i = 0; i < count; i++) start[i + 1] += start[i];
  const fill = start.slice();
  const children = new Int32Array(start[count]);
  for (let child = 0; child < count; child++) for (const parent of parents[child]) children[fill[parent]++] = child;

  const remaining = new Int32Array(count);
  let current: number[] = [];
  for (let index = 0; index < count; index++) {
    remaining[index] = parents[index].length;
    if (remaining[index] === 0) current.push(index);
  }
  const levels: number[][] = [];
  let placed = 0;
  while (current.length > 0) {
    levels.push(current);
    placed += current.length;
    const next: number[] = [];
    for (const parent of current) {
      for (let at = start[parent]; at < start[parent + 1]; at++) if (--remaining[children[at]] === 0) next.push(children[at]);
    }
    current = next.sort((a, b) => a - b);
  }
  if (placed === count) return levels;

  // Every job left has a parent left: walking up such parents must come back to a job already seen.
  const walked = new Int32Array(count).fill(-1);
  for (let begin = 0; begin < count; begin++) {
    if (remaining[begin] === 0 || walked[begin] !== -1) continue;
    const path: number[] = [];
    let at = begin;
    while (walked[at] === -1) {
      walked[at] = begin;
      path.push(at);
      at = parents[at].find((parent) => remaining[parent] > 0) ?? at;
    }
    if (walked[at] !== begin) continue; // reached the cycle of an earlier walk
    // path holds child → parent steps; the cycle is its tail from `at`, each job depending on the next.
    const cycle = path.slice(path.indexOf(at));
    const names = [...cycle, cycle[0]].map((index) => jobs[index].name).join(' → ');
    const first = cycle[0];
    const next = cycle.length > 1 ? cycle[1] : first;
    check.error(edgePath(jobs[first], written[first], templates[jobs[first].entry], jobs[next]), `dependency cycle: ${names} (each job depends on the next)`);
  }
  return [];
}

/** Where a job's dependency on `parent` is written: its depends_on entry, the regex, or the input file. */
function edgePath(job: TorcJob, written: string[], template: JobTemplate, parent: TorcJob): Segment[] {
  const byName = written.indexOf(parent.name);
  if (byName >= 0) return [...template.base, template.dependsOn.key, byName];
  const byRegex = job.depends_on_regexes.findIndex((pattern) => {
    try {
      return new RegExp(pattern).test(parent.name);
    } catch {
      return false;
    }
  });
  if (byRegex >= 0) return [...template.base, template.regexes.key, byRegex];
  const byFile = job.input_files.findIndex((file) => parent.output_files.includes(file));
  if (byFile >= 0) {
    const written = template.inputFiles.items.findIndex((item) => typeof item === 'string' && item === job.input_files[byFile]);
    if (written >= 0) return [...template.base, 'input_files', written];
  }
  return byFile >= 0 && template.fileReferences ? [...template.base, 'command'] : template.base;
}

function checkAction(
  check: Problems,
  record: Record<string, unknown>,
  index: number,
  jobs: readonly TorcJob[],
  byName: NameIndex,
  schedulerNames: ReadonlyMap<string, number>,
  registry: ActionRegistry,
): TorcAction | null {
  const path: Segment[] = ['actions', index];
  const where = `actions[${index}]`;
  let ok = true;

  const trigger = check.requiredString(record.trigger_type, [...path, 'trigger_type'], `${where}.trigger_type`, path);
  if (trigger !== null && !(TRIGGER_TYPES as readonly string[]).includes(trigger)) {
    check.error([...path, 'trigger_type'], `unknown trigger_type "${trigger}"${suggestion(trigger, TRIGGER_TYPES) || ` (one of ${TRIGGER_TYPES.join(', ')})`}`);
    ok = false;
  }
  const actionType = check.requiredString(record.action_type, [...path, 'action_type'], `${where}.action_type`, path);
  const registered = registry.list().map((entry) => entry.definition.meta.type);
  const kind = actionType === 'run_commands' || actionType === 'schedule_nodes' ? actionType : actionType !== null && registry.has(actionType) ? 'typed' : null;
  if (actionType !== null && kind === null) {
    const all = ['run_commands', 'schedule_nodes', ...registered.filter((type) => type !== 'run_commands')];
    check.error([...path, 'action_type'], `unknown action_type "${actionType}"${suggestion(actionType, all) || ' (run_commands, schedule_nodes, or a registered action type)'}`);
  }
  if (trigger === null || actionType === null || kind === null) ok = false;

  const own = kind === 'run_commands' ? RUN_COMMANDS_FIELDS : kind === 'schedule_nodes' ? SCHEDULE_NODES_FIELDS : kind === 'typed' ? TYPED_ACTION_FIELDS : [...RUN_COMMANDS_FIELDS, ...SCHEDULE_NODES_FIELDS, ...TYPED_ACTION_FIELDS];
  const known = [...ACTION_COMMON_FIELDS, ...own];
  for (const key of Object.keys(record)) {
    if (known.includes(key)) continue;
    if ([...RUN_COMMANDS_FIELDS, ...SCHEDULE_NODES_FIELDS, ...TYPED_ACTION_FIELDS].includes(key)) {
      check.error([...path, key], `${key} does not apply to a ${actionType} action`, true);
    } else check.error([...path, key], `unknown field "${key}" in ${where}${suggestion(key, known)}`, true);
  }

  const names = check.renamed(record, path, 'jobs', 'job_names');
  const jobNames = check.stringList(names.value, [...path, names.key], `${where}.${names.key}`, 'job names');
  const regexes = check.stringList(record.job_name_regexes, [...path, 'job_name_regexes'], `${where}.job_name_regexes`, 'regexes');
  const jobTrigger = trigger !== null && JOB_TRIGGERS.has(trigger);
  const selected: number[] = [];
  if (jobTrigger) {
    jobNames.forEach((jobName, entry) => {
      if (byName.has(jobName)) byName.collect(jobName, selected);
      else {
        check.error([...path, names.key, entry], `${where} names job "${jobName}", which is not a job${byName.size <= 10_000 ? suggestion(jobName, byName.names()) : ''}`);
        ok = false;
      }
    });
    const compiled: RegExp[] = [];
    regexes.forEach((pattern, entry) => {
      const regex = compileRegex(check, pattern, [...path, 'job_name_regexes', entry]);
      if (regex) compiled.push(regex);
      else ok = false;
    });
    // Regexes are tried on each distinct name once; the union is kept in job order.
    if (compiled.length > 0) byName.collectMatching(compiled, selected);
    sortedUnique(selected);
    if (selected.length === 0 && ok) {
      const place: Segment[] = regexes.length > 0 ? [...path, 'job_name_regexes'] : jobNames.length > 0 ? [...path, names.key] : path;
      check.error(place, `Action did not match any jobs: give ${trigger} action jobs or job_name_regexes that name existing jobs`);
      ok = false;
    }
  } else if (trigger !== null && (jobNames.length > 0 || regexes.length > 0)) {
    check.warn([...path, jobNames.length > 0 ? names.key : 'job_name_regexes'], `${trigger} does not watch jobs: the selection is ignored`, true);
  }
  const persistent = check.boolean(record.persistent, [...path, 'persistent'], `${where}.persistent`, trigger !== null && WORKER_TRIGGERS.has(trigger));

  const fields: JsonObject = {};
  for (const [key, value] of Object.entries(record)) {
    if (ACTION_COMMON_FIELDS.includes(key) || key === 'scheduler_name') continue;
    fields[key] = copyJson(value);
  }
  if (kind === 'run_commands') {
    const commands = record.commands;
    if (!Array.isArray(commands) || commands.length === 0) {
      check.error(commands === undefined ? path : [...path, 'commands'], `a run_commands action needs commands (a non-empty list of shell commands)${typeof commands === 'string' ? ` (write [${JSON.stringify(commands)}])` : ''}`);
      ok = false;
    } else {
      commands.forEach((command: unknown, at) => {
        if (typeof command !== 'string' || command.trim() === '') {
          check.error([...path, 'commands', at], `${where}.commands[${at}] must be a command (a non-empty string), not ${kindOf(command)}`);
          ok = false;
        }
      });
    }
  } else if (kind === 'schedule_nodes') {
    const scheduler = check.renamed(record, path, 'scheduler', 'scheduler_name');
    const schedulerName = check.string(scheduler.value, [...path, scheduler.key], `${where}.${scheduler.key}`);
    if (schedulerName === null) {
      check.error(scheduler.value === undefined ? path : [...path, scheduler.key], 'a schedule_nodes action needs scheduler: the name of a slurm_schedulers entry');
      ok = false;
    } else {
      check.reference(schedulerName, schedulerNames, 'scheduler', 'slurm_schedulers', [...path, scheduler.key]);
      fields.scheduler = schedulerName;
    }
    if (record.scheduler_type !== undefined && record.scheduler_type !== null && record.scheduler_type !== 'slurm') {
      check.error([...path, 'scheduler_type'], `scheduler_type must be slurm, not ${kindOf(record.scheduler_type)}`);
    }
    fields.num_allocations = check.integer(record.num_allocations, [...path, 'num_allocations'], `${where}.num_allocations`, 1, 1);
    check.boolean(record.start_one_worker_per_node, [...path, 'start_one_worker_per_node'], `${where}.start_one_worker_per_node`, false);
    check.boolean(record.start_server_on_head_node, [...path, 'start_server_on_head_node'], `${where}.start_server_on_head_node`, false);
    check.integer(record.max_parallel_jobs, [...path, 'max_parallel_jobs'], `${where}.max_parallel_jobs`, 1, 1);
  } else if (kind === 'typed' && actionType !== null) {
    let params: JsonObject = {};
    if (record.params !== undefined && record.params !== null) {
      if (isRecord(record.params)) params = copyJson(record.params) as JsonObject;
      else check.error([...path, 'params'], `${where}.params must be a mapping, not ${kindOf(record.params)}`);
    }
    const checked = validateParams(registry.get(actionType), params, { templatesUnresolved: true });
    for (const problem of checked.problems) {
      const field = problem.field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
      const located = problem.rule === 'required' ? (record.params === undefined ? path : [...path, 'params']) : [...path, 'params', ...field];
      check.error(located, `${where} (${actionType}): ${problem.message}`, problem.rule === 'unknown');
      ok = false;
    }
    fields.params = checked.params;
  }
  if (!ok || trigger === null || actionType === null) return null;
  const selectedNames: string[] = [];
  const seen = new Set<string>();
  for (const jobIndex of selected) {
    if (seen.has(jobs[jobIndex].name)) continue;
    seen.add(jobs[jobIndex].name);
    selectedNames.push(jobs[jobIndex].name);
  }
  return {
    trigger_type: trigger as TriggerType,
    action_type: actionType,
    jobs: jobNames,
    job_name_regexes: regexes,
    selected_jobs: selectedNames,
    selected_indexes: selected,
    persistent,
    fields,
  };
}

/** checkTorcSpec, throwing HF_ERR_INVALID_WORKFLOW with every problem (where = the first one's path). */
export function parseTorcSpec(input: unknown, options: TorcOptions = {}): TorcWorkflow {
  const checked = checkTorcSpec(input, options);
  if (checked.workflow) return checked.workflow;
  const first = checked.errors[0];
  const listed = checked.errors.map((problem) => `${formatPath(problem.path) || '(workflow)'}: ${problem.message}`);
  throw new HookflowError('HF_ERR_INVALID_WORKFLOW', checked.errors.length === 1 ? listed[0] : `${checked.errors.length} problems:\n  ${listed.join('\n  ')}`, {
    where: first ? formatPath(first.path) || '$' : '$',
    problems: checked.errors.map((problem) => ({ message: problem.message, path: formatPath(problem.path) })),
  });
}
