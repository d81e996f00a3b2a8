import type { JsonObject, JsonValue } from '../events/model.js';
import type { ActionMeta, OutputType } from './model.js';

function typeOf(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function matches(type: OutputType, value: JsonValue): boolean {
  switch (type) {
    case 'any':
    case 'json':
      return true;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'object':
      return typeOf(value) === 'object';
    default:
      return typeOf(value) === type;
  }
}

/**
 * What does not match the declared outputs: a declared output missing, or of the wrong type.
 * Extra outputs are allowed (actions may say more than they promise). A null value counts as
 * present for any type: actions report "no value" that way (e.g. a failed request's body).
 */
export function outputProblems(meta: ActionMeta, outputs: JsonObject, options: { success: boolean }): string[] {
  const problems: string[] = [];
  for (const output of meta.outputs) {
    if (!(output.name in outputs)) {
      // A failed run may lack outputs it could not compute; consistency matters most on success.
      if (options.success) problems.push(`output "${output.name}" is declared but missing`);
      continue;
    }
    const value = outputs[output.name];
    if (value !== null && !matches(output.type, value)) problems.push(`output "${output.name}" should be ${output.type}, not ${typeOf(value)}`);
  }
  return problems;
}
