import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { HookflowError } from '../errors.js';
import type { JsonObject, JsonValue } from '../events/model.js';
import { nearest } from '../events/suggest.js';
import type { ActionDefinition, ActionMeta, ParamDefinition } from './model.js';

export type JsonSchema = { [key: string]: JsonValue };

export interface ParamProblem {
  /** The param's name (or a path under it: `branches.0.condition`). */
  field: string;
  /** The rule it broke: required, type, minimum, maxLength, pattern, enum, unknown, … */
  rule: string;
  message: string;
}

function typeSchema(param: ParamDefinition): JsonSchema {
  const rules = param.validation ?? {};
  const bounds: JsonSchema = {};
  if (rules.min !== undefined) bounds.minimum = rules.min;
  if (rules.max !== undefined) bounds.maximum = rules.max;
  const lengths: JsonSchema = {};
  if (rules.minLength !== undefined) lengths.minLength = rules.minLength;
  if (rules.maxLength !== undefined) lengths.maxLength = rules.maxLength;
  if (rules.pattern !== undefined) lengths.pattern = rules.pattern;
  switch (param.type) {
    case 'string':
    case 'template':
      return { type: 'string', ...lengths };
    case 'number':
    case 'range':
      return { type: 'number', ...bounds };
    case 'boolean':
      return { type: 'boolean' };
    case 'select':
      return { enum: (param.options ?? []).map((option) => option.value) };
    case 'multiselect':
      return { type: 'array', items: { enum: (param.options ?? []).map((option) => option.value) }, uniqueItems: true };
    case 'json':
      return {};
    case 'branches':
      return {
        type: 'array',
        items: {
          type: 'object',
          // A condition may render to any value (a bare path keeps its type): truthiness decides.
          properties: { label: { type: 'string' }, condition: {}, target_step: { type: 'string' } },
          required: ['condition'],
        },
      };
    default:
      // *_ref: an id the action's resolver turns into the thing it names.
      return { type: 'string', minLength: 1, ...lengths };
  }
}

/**
 * An action's params as JSON Schema (draft 2020-12): the API documents it, the UI builds its
 * forms from it (labels, groups, placeholders and showWhen under `x-hookflow`), and run-time
 * validation uses it. A param with showWhen is required only while it is shown.
 */
export function paramsSchema(meta: ActionMeta): JsonSchema {
  const properties: JsonSchema = {};
  const required: string[] = [];
  const conditional: JsonSchema[] = [];
  for (const param of meta.params) {
    const ui: JsonSchema = { type: param.type };
    if (param.label !== undefined) ui.label = param.label;
    if (param.group !== undefined) ui.group = param.group;
    if (param.placeholder !== undefined) ui.placeholder = param.placeholder;
    if (param.options !== undefined) ui.options = param.options.map((option) => ({ label: option.label, value: option.value }));
    if (param.showWhen !== undefined) ui.showWhen = JSON.parse(JSON.stringify(param.showWhen)) as JsonValue;
    if (param.validation?.patternMessage !== undefined) ui.patternMessage = param.validation.patternMessage;
    properties[param.name] = {
      ...typeSchema(param),
      ...(param.label !== undefined ? { title: param.label } : {}),
      ...(param.description !== undefined ? { description: param.description } : {}),
      ...(param.default !== undefined ? { default: param.default } : {}),
      'x-hookflow': ui,
    };
    if (!param.required) continue;
    if (!param.showWhen) {
      if (param.default === undefined) required.push(param.name);
      continue;
    }
    const { param: other, equals, notEquals } = param.showWhen;
    const shown: JsonSchema = equals !== undefined ? { properties: { [other]: { const: equals } }, required: [other] } : { not: { properties: { [other]: { const: notEquals ?? null } }, required: [other] } };
    conditional.push({ if: shown, then: { required: [param.name] } });
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: meta.name,
    type: 'object',
    properties,
    required,
    additionalProperties: false,
    ...(conditional.length > 0 ? { allOf: conditional } : {}),
  };
}

let ajv: Ajv | undefined;

/** ajv, required with the first params checked: a worker running only commands never loads its ~60 modules. */
function paramsAjv(): Ajv {
  if (!ajv) {
    const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as { Ajv: typeof Ajv };
    ajv = new AjvClass({ allErrors: true, useDefaults: true, strict: false, validateSchema: false });
  }
  return ajv;
}

const compiled = new WeakMap<ActionMeta, ValidateFunction>();

function validatorFor(meta: ActionMeta): ValidateFunction {
  let validate = compiled.get(meta);
  if (!validate) {
    const { $schema: _dialect, ...schema } = paramsSchema(meta);
    validate = paramsAjv().compile(schema);
    compiled.set(meta, validate);
  }
  return validate;
}

function problemOf(error: ErrorObject, meta: ActionMeta): ParamProblem | null {
  const path = error.instancePath.split('/').filter(Boolean).join('.');
  const param = meta.params.find((candidate) => candidate.name === path.split('.')[0]);
  switch (error.keyword) {
    case 'required': {
      const field = [path, String(error.params.missingProperty)].filter(Boolean).join('.');
      return { field, rule: 'required', message: `${field} is required` };
    }
    case 'additionalProperties': {
      const field = String(error.params.additionalProperty);
      const near = nearest(field, meta.params.map((candidate) => candidate.name));
      return { field, rule: 'unknown', message: `${field} is not a param of ${meta.type}${near ? `: did you mean ${near}?` : ''}` };
    }
    case 'pattern':
      return { field: path, rule: 'pattern', message: `${path} ${param?.validation?.patternMessage ?? `must match ${String(error.params.pattern)}`}` };
    case 'enum': {
      const allowed = (param?.options ?? []).map((option) => JSON.stringify(option.value)).join(', ');
      return { field: path, rule: 'enum', message: `${path} must be one of ${allowed}` };
    }
    case 'if':
      return null;
    default:
      return { field: path || '(params)', rule: error.keyword, message: `${path || 'params'} ${error.message ?? 'is not valid'}` };
  }
}

function isTemplate(value: JsonValue | undefined): boolean {
  return typeof value === 'string' && (value.includes('{{') || value.includes('{%'));
}

export interface ParamsCheck {
  /** The params with defaults filled in. */
  params: JsonObject;
  problems: ParamProblem[];
}

/**
 * Validates params against the action's schema and its own validateParams. With
 * `templatesUnresolved` (a spec checked before it runs), a value that is still a template is
 * accepted for any type: it is checked again once rendered.
 */
export function validateParams(definition: ActionDefinition, params: JsonObject, options: { templatesUnresolved?: boolean } = {}): ParamsCheck {
  const { meta } = definition;
  const copy = JSON.parse(JSON.stringify(params)) as JsonObject;
  const deferred = new Set<string>();
  if (options.templatesUnresolved) {
    for (const [name, value] of Object.entries(copy)) {
      if (isTemplate(value)) {
        deferred.add(name);
        delete copy[name];
      }
    }
  }
  const validate = validatorFor(meta);
  const problems: ParamProblem[] = [];
  if (!validate(copy)) {
    for (const error of validate.errors ?? []) {
      const problem = problemOf(error, meta);
      if (problem && !(problem.rule === 'required' && deferred.has(problem.field))) problems.push(problem);
    }
  }
  for (const name of deferred) copy[name] = params[name];
  if (problems.length === 0 && definition.validateParams && !options.templatesUnresolved) {
    for (const found of definition.validateParams(copy)) problems.push({ field: found.field, rule: 'custom', message: `${found.field} ${found.message}` });
  }
  const unique = new Map(problems.map((problem) => [`${problem.field}|${problem.rule}`, problem]));
  return { params: copy, problems: [...unique.values()] };
}

/** validateParams, throwing HF_ERR_INVALID_PARAMS with every problem when there is any. */
export function checkParams(definition: ActionDefinition, params: JsonObject, options: { templatesUnresolved?: boolean; where?: string } = {}): JsonObject {
  const { params: checked, problems } = validateParams(definition, params, options);
  if (problems.length > 0) {
    const where = options.where ?? definition.meta.type;
    throw new HookflowError('HF_ERR_INVALID_PARAMS', `invalid params for ${where}:\n${problems.map((problem) => `  - ${problem.message} (${problem.rule})`).join('\n')}`, {
      where,
      problems: problems.map((problem) => ({ ...problem })),
      hint: `see \`hookflow actions describe ${definition.meta.type}\``,
    });
  }
  return checked;
}
