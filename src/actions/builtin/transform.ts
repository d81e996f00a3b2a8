import type { JsonValue } from '../../events/model.js';
import { defineAction } from '../model.js';
import { canonicalJson, flattenOnce, isJsonObject, jsonKind, pySorted } from './values.js';

export const TRANSFORM_OPERATIONS = ['passthrough', 'uppercase', 'lowercase', 'keys', 'values', 'count', 'flatten', 'unique', 'sort', 'reverse'] as const;
export type TransformOperation = (typeof TRANSFORM_OPERATIONS)[number];

function mapStrings(input: JsonValue, change: (text: string) => string): JsonValue {
  if (typeof input === 'string') return change(input);
  if (isJsonObject(input)) return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, typeof value === 'string' ? change(value) : value]));
  return input;
}

/**
 * BudPipeline's transform operations. Values an operation does not apply to pass through
 * unchanged (keys/values of a non-object give [], count of a scalar gives 0), as in BudPipeline;
 * `unique` compares by value (objects and lists included) and keeps the first of each.
 */
export function applyTransform(input: JsonValue, operation: TransformOperation): JsonValue {
  switch (operation) {
    case 'passthrough':
      return input;
    case 'uppercase':
      return mapStrings(input, (text) => text.toUpperCase());
    case 'lowercase':
      return mapStrings(input, (text) => text.toLowerCase());
    case 'keys':
      return isJsonObject(input) ? Object.keys(input) : [];
    case 'values':
      return isJsonObject(input) ? Object.values(input) : [];
    case 'count':
      if (typeof input === 'string') return [...input].length;
      if (Array.isArray(input)) return input.length;
      return isJsonObject(input) ? Object.keys(input).length : 0;
    case 'flatten':
      return Array.isArray(input) ? flattenOnce(input) : input;
    case 'unique': {
      if (!Array.isArray(input)) return input;
      const seen = new Set<string>();
      return input.filter((item) => {
        const key = canonicalJson(item);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    case 'sort':
      return Array.isArray(input) ? pySorted(input) : input;
    case 'reverse':
      if (Array.isArray(input)) return [...input].reverse();
      return typeof input === 'string' ? [...input].reverse().join('') : input;
  }
}

export const transformAction = defineAction({
  meta: {
    type: 'transform',
    version: '1.0.0',
    name: 'Transform',
    description:
      'Transforms one value: passthrough, uppercase/lowercase (a string, or the string values of an object), keys/values of an object, count, flatten (one level), unique, sort, reverse (a list or a string).',
    category: 'Control Flow',
    icon: 'swap',
    color: '#10b981',
    executionMode: 'sync',
    idempotent: true,
    params: [
      { name: 'input', label: 'Input', type: 'json', default: {}, description: 'The value to transform: any JSON value (templates allowed).' },
      {
        name: 'operation',
        label: 'Operation',
        type: 'select',
        default: 'passthrough',
        description: 'What to do with it.',
        options: [
          { label: 'Passthrough', value: 'passthrough' },
          { label: 'Uppercase', value: 'uppercase' },
          { label: 'Lowercase', value: 'lowercase' },
          { label: 'Extract keys', value: 'keys' },
          { label: 'Extract values', value: 'values' },
          { label: 'Count', value: 'count' },
          { label: 'Flatten list', value: 'flatten' },
          { label: 'Remove duplicates', value: 'unique' },
          { label: 'Sort', value: 'sort' },
          { label: 'Reverse', value: 'reverse' },
        ],
      },
    ],
    outputs: [
      { name: 'result', type: 'any', description: 'The transformed value' },
      { name: 'operation', type: 'string', description: 'The operation applied' },
      { name: 'input_type', type: 'string', description: 'The JSON kind of the input (string, number, boolean, null, array, object)' },
      { name: 'output_type', type: 'string', description: 'The JSON kind of the result' },
    ],
    examples: [
      { title: 'Uppercase a message', params: { input: '{{ params.message }}', operation: 'uppercase' }, description: '"Hello World" → "HELLO WORLD"' },
      { title: 'Extract the keys of an object', params: { input: { a: 1, b: 2, c: 3 }, operation: 'keys' }, description: '["a", "b", "c"]' },
    ],
  },
  execute(ctx) {
    const input = ctx.params.input ?? null;
    const operation = String(ctx.params.operation) as TransformOperation;
    if (!(TRANSFORM_OPERATIONS as readonly string[]).includes(operation)) return { success: false, error: `transform has no operation "${operation}"` };
    const result = applyTransform(input, operation);
    return { success: true, outputs: { result, operation, input_type: jsonKind(input), output_type: jsonKind(result) } };
  },
});
