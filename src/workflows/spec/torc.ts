/**
 * Torc workflow specs (already loaded from YAML/JSON) → expanded jobs, files and actions with resolved
 * dependencies and the DAG's levels. Old and new field names are both accepted (REFERENCE.md).
 * Errors stop at the first problem; collecting every problem with its file position is the
 * validator's job, which builds on this.
 */
import { HookflowError } from '../../errors.js';
import { expandParameters, substituteParameters, type ParameterCombination, type ParameterMode } from './parameters.js';

export interface TorcFile {
  readonly name: string;
  readonly path: string;
}

export interface TorcJob {
  readonly name: string;
  readonly command: string | null;
  readonly invocation_script: string | null;
  /** Every job this one waits for: as written, matched by a regex, or producing one of its input files. */
  readonly depends_on: string[];
  readonly depends_on_regexes: string[];
  /** The name of a `resource_requirements` entry. */
  readonly resource_requirements: string | null;
  /** The name of a `slurm_schedulers` entry. */
  readonly scheduler: string | null;
  readonly env: Record<string, string>;
  readonly input_files: string[];
  readonly output_files: string[];
  readonly input_user_data: string[];
  readonly output_user_data: string[];
  readonly cancel_on_blocking_job_failure: boolean;
  readonly failure_handler: string | null;
  /** A typed action instead of a command (`action: http_request` + `params`). */
  readonly action: string | null;
  readonly params: Record<string, unknown> | null;
}

export interface TorcAction {
  readonly trigger_type: string;
  readonly action_type: string;
  readonly jobs: string[];
  readonly job_name_regexes: string[];
  /** Names of the jobs the action watches (union of `jobs` and regex matches), in job order. */
  readonly selected_jobs: string[];
  /** The action's other fields (commands, scheduler, num_allocations, persistent, params…), as written. */
  readonly fields: Record<string, unknown>;
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
  readonly failure_handlers: Record<string, unknown>[];
  readonly user_data: Record<string, unknown>[];
  /** Topological layers as indexes into `jobs`: level 0 has no dependencies. */
  readonly levels: number[][];
}

const JOB_TRIGGERS = new Set(['on_jobs_ready', 'on_jobs_complete']);

function invalid(message: string, where: string, hint?: string): HookflowError {
  return new HookflowError('HF_ERR_INVALID_WORKFLOW', message, { where, ...(hint ? { hint } : {}) });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of the new field name, else the old one; both given is ambiguous. */
function field(spec: Record<string, unknown>, name: string, oldName: string | null, where: string): unknown {
  const current = spec[name];
  const old = oldName === null ? undefined : spec[oldName];
  if (current != null && old != null) {
    throw invalid(`both ${name} and ${oldName} are given`, where, `keep ${name} (${oldName} is its old name)`);
  }
  return current ?? old;
}

function optionalString(value: unknown, where: string): string | null {
  if (value == null) return null;
  if (typeof value !== 'string') throw invalid('expected a string', where);
  return value;
}

function stringList(value: unknown, where: string): string[] {
  if (value == null) return [];
  if (!Array.isArray(value)) throw invalid('expected a list of strings', where);
  return value.map((item, index) => {
    if (typeof item !== 'string') throw invalid('expected a string', `${where}[${index}]`);
    return item;
  });
}

function recordList(value: unknown, where: string): Record<string, unknown>[] {
  if (value == null) return [];
  if (!Array.isArray(value)) throw invalid('expected a list', where);
  return value.map((item, index) => {
    if (!isRecord(item)) throw invalid('expected an object', `${where}[${index}]`);
    return item;
  });
}

function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/** The combinations for a job or file: its own `parameters`, else the `use_parameters` it names. */
function combinationsFor(
  spec: Record<string, unknown>,
  shared: Record<string, unknown>,
  where: string,
): ParameterCombination[] {
  const own = spec.parameters;
  const used = stringList(spec.use_parameters, `${where}.use_parameters`);
  let parameters: Record<string, unknown> = {};
  if (own != null) {
    if (!isRecord(own)) throw invalid('parameters must be a map of name to value', `${where}.parameters`);
    parameters = own;
  } else {
    for (const name of used) {
      if (!(name in shared)) {
        throw invalid(`use_parameters names "${name}", which is not a workflow parameter`, `${where}.use_parameters`, `define it under the workflow's parameters (known: ${Object.keys(shared).join(', ') || 'none'})`);
      }
      parameters[name] = shared[name];
    }
  }
  const mode = spec.parameter_mode ?? 'product';
  if (mode !== 'product' && mode !== 'zip') throw invalid(`unknown parameter_mode "${String(mode)}"`, `${where}.parameter_mode`, 'use product or zip');
  return expandParameters(parameters, mode as ParameterMode, `${where}.parameters`);
}

function expandFiles(specs: Record<string, unknown>[], shared: Record<string, unknown>): TorcFile[] {
  const files: TorcFile[] = [];
  specs.forEach((spec, index) => {
    const where = `files[${index}]`;
    const name = optionalString(spec.name, `${where}.name`);
    const path = optionalString(spec.path, `${where}.path`);
    if (!name) throw invalid('a file needs a name', `${where}.name`);
    if (!path) throw invalid(`file "${name}" needs a path`, `${where}.path`);
    for (const combination of combinationsFor(spec, shared, where)) {
      files.push({ name: substituteParameters(name, combination, where), path: substituteParameters(path, combination, where) });
    }
  });
  return files;
}

const FILE_REFERENCE = /\$\{files\.(input|output)\.([^}]+)\}/g;

interface ExpandedJob extends TorcJob {
  readonly where: string;
}

function expandJob(
  spec: Record<string, unknown>,
  where: string,
  shared: Record<string, unknown>,
  filePaths: ReadonlyMap<string, string>,
): ExpandedJob[] {
  const name = optionalString(spec.name, `${where}.name`);
  if (!name) throw invalid('a job needs a name', `${where}.name`);
  const command = optionalString(spec.command, `${where}.command`);
  const action = optionalString(spec.action, `${where}.action`);
  if (command !== null && action !== null) throw invalid(`job "${name}" has both command and action`, where, 'a job runs either a shell command or a typed action');
  if (command === null && action === null) throw invalid(`job "${name}" has neither command nor action`, where);
  if (spec.params != null && !isRecord(spec.params)) throw invalid('params must be an object', `${where}.params`);
  const env = spec.env ?? {};
  if (!isRecord(env) || !Object.values(env).every((value) => typeof value === 'string')) {
    throw invalid('env must be a map of name to string', `${where}.env`);
  }
  const cancel = spec.cancel_on_blocking_job_failure ?? false;
  if (typeof cancel !== 'boolean') throw invalid('expected true or false', `${where}.cancel_on_blocking_job_failure`);

  const invocation = optionalString(spec.invocation_script, `${where}.invocation_script`);
  const dependsOn = stringList(field(spec, 'depends_on', 'blocked_by_job_names', where), `${where}.depends_on`);
  const regexes = stringList(field(spec, 'depends_on_regexes', 'blocked_by_job_name_regexes', where), `${where}.depends_on_regexes`);
  const resources = optionalString(field(spec, 'resource_requirements', 'resource_requirements_name', where), `${where}.resource_requirements`);
  const scheduler = optionalString(field(spec, 'scheduler', 'scheduler_name', where), `${where}.scheduler`);
  const failureHandler = optionalString(spec.failure_handler, `${where}.failure_handler`);
  const inputFiles = stringList(spec.input_files, `${where}.input_files`);
  const outputFiles = stringList(spec.output_files, `${where}.output_files`);
  const inputUserData = stringList(spec.input_user_data, `${where}.input_user_data`);
  const outputUserData = stringList(spec.output_user_data, `${where}.output_user_data`);

  return combinationsFor(spec, shared, where).map((combination) => {
    const sub = (text: string): string => substituteParameters(text, combination, where);
    const subOrNull = (text: string | null): string | null => (text === null ? null : sub(text));
    const inputs = inputFiles.map(sub);
    const outputs = outputFiles.map(sub);
    const expandedCommand = command === null ? null : sub(command).replace(FILE_REFERENCE, (_whole, direction: string, fileName: string) => {
      const path = filePaths.get(fileName);
      if (path === undefined) throw invalid(`the command refers to file "${fileName}", which is not in files`, `${where}.command`, 'add it under files with a path');
      (direction === 'input' ? inputs : outputs).push(fileName);
      return path;
    });
    return {
      where,
      name: sub(name),
      command: expandedCommand,
      invocation_script: subOrNull(invocation),
      depends_on: dependsOn.map(sub),
      depends_on_regexes: regexes.map(sub),
      resource_requirements: subOrNull(resources),
      scheduler: subOrNull(scheduler),
      env: { ...(env as Record<string, string>) },
      input_files: unique(inputs),
      output_files: unique(outputs),
      input_user_data: inputUserData.map(sub),
      output_user_data: outputUserData.map(sub),
      cancel_on_blocking_job_failure: cancel,
      failure_handler: failureHandler,
      action,
      params: isRecord(spec.params) ? { ...spec.params } : null,
    };
  });
}

function compileRegex(pattern: string, where: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw invalid(`the regex "${pattern}" does not compile: ${(error as Error).message}`, where);
  }
}

/** Kahn's layering; on a cycle, names one of the cycles. */
function levelsOf(jobs: readonly TorcJob[], parents: readonly number[][]): number[][] {
  const remaining = parents.map((list) => list.length);
  const children: number[][] = jobs.map(() => []);
  parents.forEach((list, child) => list.forEach((parent) => children[parent].push(child)));
  const levels: number[][] = [];
  let current = jobs.map((_, index) => index).filter((index) => remaining[index] === 0);
  let placed = 0;
  while (current.length > 0) {
    levels.push(current);
    placed += current.length;
    const next: number[] = [];
    for (const parent of current) for (const child of children[parent]) if (--remaining[child] === 0) next.push(child);
    current = next.sort((a, b) => a - b);
  }
  if (placed < jobs.length) {
    // Walk up unplaced parents from an unplaced job until a job repeats: that loop is a cycle.
    let at = remaining.findIndex((count) => count > 0);
    const seen = new Map<number, number>();
    const path: number[] = [];
    while (!seen.has(at)) {
      seen.set(at, path.length);
      path.push(at);
      at = parents[at].find((parent) => remaining[parent] > 0) ?? at;
    }
    const cycle = path.slice(seen.get(at)).reverse();
    const names = [...cycle, cycle[0]].map((index) => jobs[index].name).join(' → ');
    throw invalid(`the dependencies form a cycle: ${names}`, 'jobs', 'remove one of these dependencies');
  }
  return levels;
}

function checkReference(value: string | null, known: ReadonlySet<string>, kind: string, section: string, where: string): void {
  if (value !== null && !known.has(value)) {
    throw invalid(`${kind} "${value}" is not defined`, where, `add it under ${section}${known.size ? ` (known: ${[...known].join(', ')})` : ''}`);
  }
}

/** key → indexes of the items that list it, in item order. */
function groupIndexes(keysPerItem: readonly (readonly string[])[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  keysPerItem.forEach((keys, index) => {
    for (const key of keys) {
      const group = groups.get(key);
      if (group) group.push(index);
      else groups.set(key, [index]);
    }
  });
  return groups;
}

function namesOf(specs: Record<string, unknown>[]): Set<string> {
  return new Set(specs.map((spec) => spec.name).filter((name): name is string => typeof name === 'string'));
}

export function parseTorcSpec(input: unknown): TorcWorkflow {
  if (!isRecord(input)) throw invalid('a Torc workflow spec must be an object', '$');
  const name = optionalString(input.name, 'name');
  if (!name) throw invalid('the workflow needs a name', 'name');
  const shared = input.parameters ?? {};
  if (!isRecord(shared)) throw invalid('parameters must be a map of name to value', 'parameters');
  const jobSpecs = recordList(input.jobs, 'jobs');
  if (jobSpecs.length === 0) throw invalid('the workflow has no jobs', 'jobs');
  const resourceRequirements = recordList(input.resource_requirements, 'resource_requirements');
  const slurmSchedulers = recordList(input.slurm_schedulers, 'slurm_schedulers');
  const failureHandlers = recordList(input.failure_handlers, 'failure_handlers');
  const userData = recordList(input.user_data, 'user_data');

  const files = expandFiles(recordList(input.files, 'files'), shared);
  const filePaths = new Map(files.map((file) => [file.name, file.path]));
  const expanded = jobSpecs.flatMap((spec, index) => expandJob(spec, `jobs[${index}]`, shared, filePaths));

  const byName = groupIndexes(expanded.map((job) => [job.name]));
  const producers = groupIndexes(expanded.map((job) => job.output_files));
  const fileNames = new Set(filePaths.keys());
  // Parameterized jobs repeat their regexes; match each distinct pattern against the jobs once.
  const regexMatches = new Map<string, number[]>();
  const resourceNames = namesOf(resourceRequirements);
  const schedulerNames = namesOf(slurmSchedulers);
  const handlerNames = namesOf(failureHandlers);
  const userDataNames = namesOf(userData);

  const parents: number[][] = expanded.map((job, self) => {
    const found: number[] = [];
    job.depends_on.forEach((dependency, entry) => {
      const where = `${job.where}.depends_on[${entry}]`;
      const targets = byName.get(dependency);
      if (!targets) throw invalid(`job "${job.name}" depends on "${dependency}", which is not a job`, where);
      if (targets.includes(self)) throw invalid(`job "${job.name}" depends on itself`, where);
      found.push(...targets);
    });
    job.depends_on_regexes.forEach((pattern, entry) => {
      const where = `${job.where}.depends_on_regexes[${entry}]`;
      let all = regexMatches.get(pattern);
      if (!all) {
        const regex = compileRegex(pattern, where);
        all = expanded.flatMap((other, index) => (regex.test(other.name) ? [index] : []));
        regexMatches.set(pattern, all);
      }
      const matches = all.filter((index) => index !== self);
      if (matches.length === 0) throw invalid(`the regex "${pattern}" of job "${job.name}" matches no other job`, where);
      found.push(...matches);
    });
    for (const [kind, list] of [['input_files', job.input_files], ['output_files', job.output_files]] as const) {
      list.forEach((file, entry) => checkReference(file, fileNames, 'file', 'files', `${job.where}.${kind}[${entry}]`));
    }
    for (const file of job.input_files) found.push(...(producers.get(file) ?? []).filter((index) => index !== self));
    for (const [kind, list] of [['input_user_data', job.input_user_data], ['output_user_data', job.output_user_data]] as const) {
      list.forEach((entry, at) => checkReference(entry, userDataNames, 'user data', 'user_data', `${job.where}.${kind}[${at}]`));
    }
    checkReference(job.resource_requirements, resourceNames, 'resource requirement', 'resource_requirements', `${job.where}.resource_requirements`);
    checkReference(job.scheduler, schedulerNames, 'scheduler', 'slurm_schedulers', `${job.where}.scheduler`);
    checkReference(job.failure_handler, handlerNames, 'failure handler', 'failure_handlers', `${job.where}.failure_handler`);
    return unique(found).sort((a, b) => a - b);
  });

  const jobs: TorcJob[] = expanded.map(({ where: _where, ...job }, index) => ({
    ...job,
    depends_on: unique(parents[index].map((parent) => expanded[parent].name)),
  }));
  const levels = levelsOf(jobs, parents);
  const actions = recordList(input.actions, 'actions').map((spec, index) => parseAction(spec, `actions[${index}]`, jobs, schedulerNames));

  return {
    name,
    user: optionalString(input.user, 'user'),
    description: optionalString(input.description, 'description'),
    jobs,
    files,
    actions,
    resource_requirements: resourceRequirements,
    slurm_schedulers: slurmSchedulers,
    failure_handlers: failureHandlers,
    user_data: userData,
    levels,
  };
}

function parseAction(spec: Record<string, unknown>, where: string, jobs: readonly TorcJob[], schedulerNames: ReadonlySet<string>): TorcAction {
  const trigger = optionalString(spec.trigger_type, `${where}.trigger_type`);
  const actionType = optionalString(spec.action_type, `${where}.action_type`);
  if (!trigger) throw invalid('an action needs a trigger_type', `${where}.trigger_type`);
  if (!actionType) throw invalid('an action needs an action_type', `${where}.action_type`);
  const names = stringList(field(spec, 'jobs', 'job_names', where), `${where}.jobs`);
  const regexes = stringList(spec.job_name_regexes, `${where}.job_name_regexes`);
  const known = new Set(jobs.map((job) => job.name));
  names.forEach((jobName, entry) => {
    if (!known.has(jobName)) throw invalid(`the action names job "${jobName}", which is not a job`, `${where}.jobs[${entry}]`);
  });
  const compiled = regexes.map((pattern, entry) => compileRegex(pattern, `${where}.job_name_regexes[${entry}]`));
  const wanted = new Set(names);
  const selected = unique(jobs.filter((job) => wanted.has(job.name) || compiled.some((regex) => regex.test(job.name))).map((job) => job.name));
  if (JOB_TRIGGERS.has(trigger) && selected.length === 0) {
    throw invalid('Action did not match any jobs', where, 'give jobs or job_name_regexes that name existing jobs');
  }
  const scheduler = optionalString(field(spec, 'scheduler', 'scheduler_name', where), `${where}.scheduler`);
  if (actionType === 'schedule_nodes') {
    if (scheduler === null) throw invalid('a schedule_nodes action needs a scheduler', `${where}.scheduler`, 'name a slurm_schedulers entry');
    checkReference(scheduler, schedulerNames, 'scheduler', 'slurm_schedulers', `${where}.scheduler`);
  }
  const { trigger_type: _t, action_type: _a, jobs: _j, job_names: _n, job_name_regexes: _r, scheduler_name: _s, ...rest } = spec;
  const fields = scheduler === null ? rest : { ...rest, scheduler };
  return { trigger_type: trigger, action_type: actionType, jobs: names, job_name_regexes: regexes, selected_jobs: selected, fields };
}
