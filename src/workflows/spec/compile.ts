/**
 * Workflow text → the one internal model (src/workflows/model.ts), whichever format it is in: a Torc
 * spec (`jobs`) or a BudPipeline DAG (`steps`), written as YAML, JSON or JSON5. Every problem comes
 * back at once, placed at line:column; nothing throws for a bad document. Also the values of a
 * DAG's parameters at submit time, typed and checked.
 */
import type { ActionRegistry } from '../../actions/registry.js';
import type { JsonObject, JsonValue } from '../../events/model.js';
import { nearest } from '../../events/suggest.js';
import type { JobModel, WorkflowActionModel, WorkflowFormat, WorkflowModel } from '../model.js';
import { checkDagValue, type BudPipelineDag } from './dag.js';
import { formatPath, loadDocument, type DocumentSyntax, type Locator, type SpecProblem } from './document.js';
import { checkTorcSpec, type TorcProblem, type TorcWorkflow } from './torc.js';

export type { SpecProblem };

export interface CompileOptions {
  /** The file the text came from: its extension hints the syntax (`.json5`, `.yaml`/`.yml`). */
  file?: string;
  /** Which workflow format; `auto` (the default) tells them apart by content. */
  format?: WorkflowFormat | 'auto';
  /** The text's syntax; detected from content when absent. */
  syntax?: DocumentSyntax;
  /** Where action types and their params schemas come from; default the built-in actions. */
  actions?: ActionRegistry;
  /** A Torc spec expanding to more jobs than this is an error (default 1 000 000). */
  maxJobs?: number;
}

export interface CompileResult {
  /** Null when there is any error. */
  model: WorkflowModel | null;
  format: WorkflowFormat;
  syntax: DocumentSyntax;
  /** In document order. */
  errors: SpecProblem[];
  warnings: SpecProblem[];
}

const JOB_TRIGGERS: ReadonlySet<string> = new Set(['on_jobs_ready', 'on_jobs_complete']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A document with `jobs` is a Torc spec; one with a `steps` list and no `jobs` a DAG; else null. */
export function detectWorkflowFormat(value: unknown): WorkflowFormat | null {
  if (!isRecord(value)) return null;
  if ('jobs' in value) return 'torc';
  if (Array.isArray(value.steps)) return 'dag';
  return null;
}

function syntaxFromFile(file: string | undefined): DocumentSyntax | undefined {
  if (!file) return undefined;
  const lower = file.toLowerCase();
  if (lower.endsWith('.json5')) return 'json5';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return undefined;
}

/** The format of a document that did not parse, from what its text looks like. */
function guessFormat(text: string): WorkflowFormat {
  if (/^\s*["']?jobs["']?\s*:/m.test(text)) return 'torc';
  if (/^\s*["']?steps["']?\s*:/m.test(text)) return 'dag';
  return 'torc';
}

function byPosition(a: SpecProblem, b: SpecProblem): number {
  return a.line - b.line || a.column - b.column;
}

function placed(problems: readonly TorcProblem[], locator: Locator): SpecProblem[] {
  return problems.map((problem) => ({ message: problem.message, ...locator.locate(problem.path, problem.key ?? false), path: formatPath(problem.path) }));
}

/** Compiles workflow text of either format to the model, with every problem placed at line:column. */
export function compileWorkflow(text: string, options: CompileOptions = {}): CompileResult {
  const loaded = loadDocument(text, { syntax: options.syntax ?? syntaxFromFile(options.file) });
  const explicit = options.format === 'torc' || options.format === 'dag' ? options.format : null;
  if (loaded.errors.length > 0) {
    return { model: null, format: explicit ?? guessFormat(text), syntax: loaded.syntax, errors: loaded.errors, warnings: [] };
  }
  const format = explicit ?? detectWorkflowFormat(loaded.value);
  if (format === null) {
    const problem: SpecProblem = {
      message: isRecord(loaded.value)
        ? 'neither jobs (a Torc workflow spec) nor a steps list (a BudPipeline DAG): add one of them'
        : 'a workflow must be a mapping with jobs (a Torc workflow spec) or steps (a BudPipeline DAG)',
      ...loaded.locator.locate([]),
      path: '',
    };
    return { model: null, format: 'torc', syntax: loaded.syntax, errors: [problem], warnings: [] };
  }
  if (format === 'dag') {
    const checked = checkDagValue(loaded.value, loaded.locator, loaded.syntax, { actions: options.actions, file: options.file });
    return {
      model: checked.dag ? dagToModel(checked.dag) : null,
      format,
      syntax: loaded.syntax,
      errors: [...checked.errors].sort(byPosition),
      warnings: [...checked.warnings].sort(byPosition),
    };
  }
  const checked = checkTorcSpec(loaded.value, { actions: options.actions, maxJobs: options.maxJobs });
  return {
    model: checked.workflow ? torcToModel(checked.workflow) : null,
    format,
    syntax: loaded.syntax,
    errors: placed(checked.errors, loaded.locator).sort(byPosition),
    warnings: placed(checked.warnings, loaded.locator).sort(byPosition),
  };
}

/**
 * An expanded Torc workflow as the model: one job per expanded job, dependencies by index. Lists and
 * objects that are equal for the jobs of one spec entry are shared and frozen (see torc.ts): the
 * model is read-only.
 */
export function torcToModel(workflow: TorcWorkflow): WorkflowModel {
  const jobs: JobModel[] = workflow.jobs.map((job, index) => ({
    index,
    name: job.name,
    command: job.command,
    invocation_script: job.invocation_script,
    action: job.action,
    params: job.params,
    depends_on: job.depends_on_indexes,
    env: job.env,
    resources: job.resources,
    scheduler: job.scheduler,
    cancel_on_blocking_job_failure: job.cancel_on_blocking_job_failure,
    failure_rules: job.failure_rules,
    timeout_seconds: null,
    input_files: job.input_files,
    output_files: job.output_files,
    step: null,
  }));
  const actions: WorkflowActionModel[] = workflow.actions.map((action, index) => ({
    index,
    trigger_type: action.trigger_type,
    action_type: action.action_type,
    persistent: action.persistent,
    selected_jobs: action.selected_indexes,
    required_triggers: JOB_TRIGGERS.has(action.trigger_type) ? action.selected_indexes.length : 1,
    fields: action.fields,
  }));
  return {
    name: workflow.name,
    format: 'torc',
    description: workflow.description,
    user: workflow.user,
    dependency_rule: 'torc',
    jobs,
    files: workflow.files.map((file) => ({ name: file.name, path: file.path })),
    actions,
    slurm_schedulers: workflow.schedulers,
    parameters: [],
    outputs: {},
    max_parallel_jobs: null,
    timeout_seconds: null,
    levels: workflow.levels,
  };
}

/** A checked DAG as the model: one job per step, named by its id (templates read `steps.ID`). */
export function dagToModel(dag: BudPipelineDag): WorkflowModel {
  const indexOf = new Map(dag.steps.map((step, index) => [step.id, index]));
  const jobs: JobModel[] = dag.steps.map((step, index) => ({
    index,
    name: step.id,
    command: null,
    invocation_script: null,
    action: step.action,
    params: step.params,
    depends_on: [...new Set(step.depends_on.map((id) => indexOf.get(id) ?? -1).filter((at) => at >= 0))].sort((a, b) => a - b),
    env: {},
    resources: { num_cpus: 1, num_gpus: 0, num_nodes: 1, memory_bytes: 0, runtime_seconds: null },
    scheduler: null,
    cancel_on_blocking_job_failure: false,
    failure_rules: [],
    timeout_seconds: step.timeout_seconds,
    input_files: [],
    output_files: [],
    step: { id: step.id, condition: step.condition, on_failure: step.on_failure, retry: { ...step.retry } },
  }));
  return {
    name: dag.name,
    format: 'dag',
    description: dag.description === '' ? null : dag.description,
    user: null,
    dependency_rule: 'dag',
    jobs,
    files: [],
    actions: [],
    slurm_schedulers: [],
    parameters: dag.parameters.map((parameter) => ({ ...parameter })),
    outputs: dag.outputs,
    max_parallel_jobs: dag.settings.max_parallel_steps,
    timeout_seconds: dag.settings.timeout_seconds,
    levels: dag.levels.map((level) => level.map((id) => indexOf.get(id) ?? -1)),
  };
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);
const NUMBER_TYPES = new Set(['number', 'integer', 'int', 'float', 'range']);
const JSON_TYPES = new Set(['json', 'object', 'array', 'list', 'multiselect']);

/** A problem with the parameters given at submit; `parameter` is null when it is about several. */
export interface ParameterProblem {
  message: string;
  parameter: string | null;
}

/** One value as its declared type; text (from `--param k=v`) is parsed, JSON values are checked. */
function typed(name: string, type: string, value: string | JsonValue): { value: JsonValue } | { error: string } {
  const kind = type.toLowerCase();
  if (NUMBER_TYPES.has(kind)) {
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : value;
    if (typeof number !== 'number' || !Number.isFinite(number)) return { error: `parameter ${name} must be a number, not ${JSON.stringify(value)}` };
    if ((kind === 'integer' || kind === 'int') && !Number.isInteger(number)) return { error: `parameter ${name} must be an integer, not ${JSON.stringify(value)}` };
    return { value: number };
  }
  if (kind === 'boolean' || kind === 'bool') {
    if (typeof value === 'boolean') return { value };
    const word = typeof value === 'string' ? value.trim().toLowerCase() : '';
    if (TRUE_WORDS.has(word)) return { value: true };
    if (FALSE_WORDS.has(word)) return { value: false };
    return { error: `parameter ${name} must be true or false, not ${JSON.stringify(value)}` };
  }
  if (JSON_TYPES.has(kind)) {
    let parsed: JsonValue = value;
    if (typeof value === 'string') {
      try {
        parsed = JSON.parse(value) as JsonValue;
      } catch (error) {
        return { error: `parameter ${name} must be JSON (${(error as Error).message})` };
      }
    }
    const list = kind === 'array' || kind === 'list' || kind === 'multiselect';
    if (list && !Array.isArray(parsed)) return { error: `parameter ${name} must be a JSON list, not ${JSON.stringify(value)}` };
    if (kind === 'object' && !isRecord(parsed)) return { error: `parameter ${name} must be a JSON object, not ${JSON.stringify(value)}` };
    return { value: parsed };
  }
  if (typeof value === 'string') return { value };
  if (typeof value === 'number' || typeof value === 'boolean') return { value: String(value) };
  return { error: `parameter ${name} must be text, not ${JSON.stringify(value)}` };
}

/**
 * The parameter values a run starts with: the given ones typed by their declarations, defaults for
 * the rest. A required parameter without a value, an unknown name or a value of the wrong type is an
 * error (all of them listed). Torc specs declare none: their `parameters` are expanded in the spec.
 */
export function submitParameters(model: WorkflowModel, given: Readonly<Record<string, string | JsonValue>>): { values: JsonObject; errors: ParameterProblem[] } {
  const values: JsonObject = {};
  const errors: ParameterProblem[] = [];
  const names = Object.keys(given);
  if (model.parameters.length === 0) {
    if (names.length > 0) {
      const reason =
        model.format === 'torc'
          ? 'a Torc workflow takes no parameters when it is submitted (its parameters are expanded from the spec)'
          : `workflow "${model.name}" declares no parameters`;
      errors.push({ message: `${reason}: remove ${names.map((name) => `--param ${name}`).join(', ')}`, parameter: names.length === 1 ? names[0] : null });
    }
    return { values, errors };
  }
  const declared = new Map(model.parameters.map((parameter) => [parameter.name, parameter]));
  for (const name of names) {
    if (declared.has(name)) continue;
    const near = nearest(name, declared.keys());
    errors.push({ message: `unknown parameter "${name}"${near ? `: did you mean ${near}?` : ` (declared: ${[...declared.keys()].join(', ')})`}`, parameter: name });
  }
  const missing: string[] = [];
  for (const parameter of model.parameters) {
    if (Object.prototype.hasOwnProperty.call(given, parameter.name)) {
      const result = typed(parameter.name, parameter.type, given[parameter.name]);
      if ('error' in result) errors.push({ message: result.error, parameter: parameter.name });
      else values[parameter.name] = result.value;
    } else if (parameter.default !== undefined) {
      values[parameter.name] = parameter.default;
    } else if (parameter.required) {
      missing.push(parameter.name);
    }
  }
  if (missing.length > 0) {
    errors.push({
      message: `missing required parameter${missing.length === 1 ? '' : 's'}: ${missing.join(', ')} (give ${missing.map((name) => `--param ${name}=VALUE`).join(' ')})`,
      parameter: missing.length === 1 ? missing[0] : null,
    });
  }
  return { values, errors };
}
