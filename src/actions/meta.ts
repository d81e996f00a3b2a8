// Only `valid` from semver: the package's index loads all of its ~50 modules, at the start of every worker.
import semverValid from 'semver/functions/valid.js';
import { HookflowError } from '../errors.js';
import { OUTPUT_TYPES, PARAM_TYPES, type ActionDefinition, type ActionMeta, type ParamDefinition } from './model.js';

const TYPE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0;
}

export function isParamType(value: unknown): boolean {
  return typeof value === 'string' && ((PARAM_TYPES as readonly string[]).includes(value) || /^[a-z][a-z0-9_]*_ref$/.test(value));
}

function paramProblems(param: ParamDefinition, index: number, names: Set<string>, all: readonly ParamDefinition[]): string[] {
  const where = `params[${index}]${nonEmptyString(param.name) ? ` (${param.name})` : ''}`;
  const problems: string[] = [];
  if (!nonEmptyString(param.name) || !PARAM_NAME.test(param.name)) problems.push(`${where}: name must be an identifier (letters, digits, _)`);
  else if (names.has(param.name)) problems.push(`${where}: the name "${param.name}" is used twice`);
  else names.add(param.name);
  if (!isParamType(param.type)) {
    problems.push(`${where}: type "${String(param.type)}" is not one of ${PARAM_TYPES.join(', ')} or a *_ref type`);
    return problems;
  }
  if (param.type === 'select' || param.type === 'multiselect') {
    if (!Array.isArray(param.options) || param.options.length === 0) problems.push(`${where}: a ${param.type} needs options [{label, value}]`);
    else {
      const values = param.options.map((option) => JSON.stringify(option?.value));
      param.options.forEach((option, at) => {
        if (!isRecord(option) || !nonEmptyString(option.label) || option.value === undefined) problems.push(`${where}: options[${at}] needs a label and a value`);
      });
      if (new Set(values).size !== values.length) problems.push(`${where}: two options have the same value`);
      if (param.default !== undefined) {
        const defaults = param.type === 'multiselect' && Array.isArray(param.default) ? param.default : [param.default];
        for (const value of defaults) {
          if (!values.includes(JSON.stringify(value))) problems.push(`${where}: the default ${JSON.stringify(value)} is not one of the options`);
        }
      }
    }
  }
  const rules = param.validation;
  if (rules !== undefined) {
    if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) problems.push(`${where}: validation must be an object`);
    else {
      if (rules.min !== undefined && rules.max !== undefined && rules.min > rules.max) problems.push(`${where}: validation.min is above validation.max`);
      if (rules.minLength !== undefined && rules.maxLength !== undefined && rules.minLength > rules.maxLength) {
        problems.push(`${where}: validation.minLength is above validation.maxLength`);
      }
      if (rules.pattern !== undefined) {
        try {
          new RegExp(rules.pattern, 'u');
        } catch (error) {
          problems.push(`${where}: validation.pattern does not compile: ${(error as Error).message}`);
        }
      }
    }
  }
  if (param.showWhen !== undefined) {
    const { showWhen } = param;
    if (!isRecord(showWhen) || !nonEmptyString(showWhen.param)) problems.push(`${where}: showWhen needs a param`);
    else if (showWhen.param === param.name) problems.push(`${where}: showWhen names the param itself`);
    else if (!all.some((other) => other.name === showWhen.param)) problems.push(`${where}: showWhen names "${showWhen.param}", which is not a param of this action`);
    if (isRecord(showWhen) && (showWhen.equals === undefined) === (showWhen.notEquals === undefined)) {
      problems.push(`${where}: showWhen needs exactly one of equals and notEquals`);
    }
  }
  return problems;
}

/**
 * Every problem of an action's meta (BudPipeline's rules: type, name, category, description,
 * unique param and output names, options for selects; plus semver, colours, retry bounds).
 * Empty when the meta is valid.
 */
export function actionMetaProblems(meta: unknown): string[] {
  if (!isRecord(meta)) return ['meta must be an object'];
  const problems: string[] = [];
  const m = meta as Partial<ActionMeta> & Record<string, unknown>;
  if (!nonEmptyString(m.type) || !TYPE.test(m.type)) problems.push(`type "${String(m.type ?? '')}" must be snake_case (lowercase letters, digits and _, e.g. http_request)`);
  if (!nonEmptyString(m.version) || semverValid(m.version) === null) problems.push(`version "${String(m.version ?? '')}" must be a semantic version like 1.0.0`);
  for (const field of ['name', 'description', 'category'] as const) if (!nonEmptyString(m[field])) problems.push(`${field} is required`);
  if (m.executionMode !== 'sync' && m.executionMode !== 'event_driven') problems.push(`executionMode must be "sync" or "event_driven", not ${JSON.stringify(m.executionMode)}`);
  if (typeof m.idempotent !== 'boolean') problems.push('idempotent must be true or false (is the action safe to retry?)');
  if (m.color !== undefined && (typeof m.color !== 'string' || !COLOR.test(m.color))) problems.push(`color "${String(m.color)}" must be #rrggbb`);
  if (m.timeoutSeconds !== undefined && !(typeof m.timeoutSeconds === 'number' && m.timeoutSeconds > 0)) problems.push('timeoutSeconds must be a positive number');
  if (m.retryPolicy !== undefined) {
    const policy = m.retryPolicy;
    if (!isRecord(policy)) problems.push('retryPolicy must be an object');
    else {
      if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1 || policy.maxAttempts > 100) problems.push('retryPolicy.maxAttempts must be a whole number from 1 to 100');
      if (!(policy.initialIntervalSeconds >= 0)) problems.push('retryPolicy.initialIntervalSeconds must be 0 or more');
      if (!(policy.backoffMultiplier >= 1)) problems.push('retryPolicy.backoffMultiplier must be 1 or more');
      if (!(policy.maxIntervalSeconds >= policy.initialIntervalSeconds)) problems.push('retryPolicy.maxIntervalSeconds must be at least initialIntervalSeconds');
    }
  }
  for (const field of ['requiredServices', 'requiredPermissions'] as const) {
    if (m[field] !== undefined && !(Array.isArray(m[field]) && m[field].every(nonEmptyString))) problems.push(`${field} must be a list of names`);
  }
  if (!Array.isArray(m.params)) problems.push('params must be a list (empty when the action takes none)');
  else {
    const names = new Set<string>();
    m.params.forEach((param, index) => problems.push(...(isRecord(param) ? paramProblems(param as unknown as ParamDefinition, index, names, m.params ?? []) : [`params[${index}] must be an object`])));
  }
  if (!Array.isArray(m.outputs)) problems.push('outputs must be a list (empty when the action has none)');
  else {
    const names = new Set<string>();
    m.outputs.forEach((output, index) => {
      if (!isRecord(output) || !nonEmptyString(output.name)) return problems.push(`outputs[${index}] needs a name`);
      if (names.has(output.name)) problems.push(`outputs[${index}]: the name "${output.name}" is used twice`);
      names.add(output.name);
      if (!(OUTPUT_TYPES as readonly string[]).includes(String(output.type))) problems.push(`outputs[${index}] (${output.name}): type "${String(output.type)}" is not one of ${OUTPUT_TYPES.join(', ')}`);
    });
  }
  if (m.examples !== undefined) {
    if (!Array.isArray(m.examples)) problems.push('examples must be a list');
    else m.examples.forEach((example, index) => {
      if (!isRecord(example) || !nonEmptyString(example.title) || !isRecord(example.params)) problems.push(`examples[${index}] needs a title and params (an object)`);
    });
  }
  if (m.docsUrl !== undefined && !(typeof m.docsUrl === 'string' && URL.canParse(m.docsUrl))) problems.push(`docsUrl "${String(m.docsUrl)}" is not a URL`);
  return problems;
}

/** Checks a whole definition (meta and executor) and throws with every problem listed. */
export function checkActionDefinition(definition: unknown, source: string): ActionDefinition {
  const problems: string[] = [];
  if (!isRecord(definition)) problems.push('an action is an object {meta, execute, onEvent?}: use defineAction({...})');
  else {
    problems.push(...actionMetaProblems(definition.meta));
    if (typeof definition.execute !== 'function') problems.push('execute(ctx) is missing');
    const mode = isRecord(definition.meta) ? definition.meta.executionMode : undefined;
    if (mode === 'event_driven' && typeof definition.onEvent !== 'function') problems.push('an event_driven action needs onEvent(ctx)');
    for (const hook of ['onEvent', 'validateParams', 'cleanup'] as const) {
      if (definition[hook] !== undefined && typeof definition[hook] !== 'function') problems.push(`${hook} must be a function`);
    }
  }
  if (problems.length > 0) {
    const type = isRecord(definition) && isRecord(definition.meta) && typeof definition.meta.type === 'string' ? `"${definition.meta.type}" ` : '';
    throw new HookflowError('HF_ERR_INVALID_ACTION', `action ${type}from ${source} is not valid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`, {
      where: source,
      problems,
    });
  }
  return definition as unknown as ActionDefinition;
}
