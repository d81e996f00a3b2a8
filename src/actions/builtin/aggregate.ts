import type { JsonObject, JsonValue } from '../../events/model.js';
import { defineAction } from '../model.js';
import { pyStr } from '../template-values.js';
import { flattenOnce, isJsonObject, jsonKind } from './values.js';

export const AGGREGATE_OPERATIONS = ['list', 'sum', 'join', 'merge', 'first', 'last', 'min', 'max', 'average', 'count', 'flatten'] as const;
export type AggregateOperation = (typeof AGGREGATE_OPERATIONS)[number];

const NUMERIC: ReadonlySet<AggregateOperation> = new Set(['sum', 'min', 'max', 'average']);

/** The inputs as a list: a list as is, null as [], any other value as a list of one. */
export function inputList(inputs: JsonValue | undefined): JsonValue[] {
  if (Array.isArray(inputs)) return inputs;
  return inputs === undefined || inputs === null ? [] : [inputs];
}

/**
 * BudPipeline's aggregate operations. join writes each input as Jinja prints it (True, None,
 * ['a']); the numeric operations need numbers and say which input is not one (BudPipeline
 * silently gave 0 or None); over no inputs sum is 0 and min, max and average are null.
 */
export function applyAggregate(inputs: JsonValue[], operation: AggregateOperation, separator: string): JsonValue {
  if (NUMERIC.has(operation)) {
    const wrong = inputs.findIndex((item) => typeof item !== 'number');
    if (wrong >= 0) throw new TypeError(`${operation} needs numbers: inputs[${wrong}] is ${JSON.stringify(inputs[wrong])} (${jsonKind(inputs[wrong])})`);
  }
  const numbers = inputs as number[];
  switch (operation) {
    case 'list':
      return [...inputs];
    case 'sum':
      return numbers.reduce((total, value) => total + value, 0);
    case 'join':
      return inputs.map((item) => pyStr(item)).join(separator);
    case 'merge': {
      const merged: JsonObject = {};
      for (const item of inputs) if (isJsonObject(item)) Object.assign(merged, item);
      return merged;
    }
    case 'first':
      return inputs.length > 0 ? inputs[0] : null;
    case 'last':
      return inputs.length > 0 ? inputs[inputs.length - 1] : null;
    case 'min':
      return numbers.length > 0 ? numbers.reduce((low, value) => Math.min(low, value)) : null;
    case 'max':
      return numbers.length > 0 ? numbers.reduce((high, value) => Math.max(high, value)) : null;
    case 'average':
      return numbers.length > 0 ? numbers.reduce((total, value) => total + value, 0) / numbers.length : null;
    case 'count':
      return inputs.length;
    case 'flatten':
      return flattenOnce(inputs);
  }
}

export const aggregateAction = defineAction({
  meta: {
    type: 'aggregate',
    version: '1.0.0',
    name: 'Aggregate',
    description:
      'Combines a list of inputs (often the outputs of parallel steps): list, sum, join (with separator), merge (objects), first, last, min, max, average, count, flatten (one level).',
    category: 'Control Flow',
    icon: 'stack',
    color: '#f59e0b',
    executionMode: 'sync',
    idempotent: true,
    params: [
      { name: 'inputs', label: 'Inputs', type: 'json', default: [], description: 'The values to combine (a list; a single value counts as a list of one).' },
      {
        name: 'operation',
        label: 'Operation',
        type: 'select',
        default: 'list',
        description: 'How to combine them.',
        options: [
          { label: 'List', value: 'list' },
          { label: 'Sum', value: 'sum' },
          { label: 'Join text', value: 'join' },
          { label: 'Merge objects', value: 'merge' },
          { label: 'First', value: 'first' },
          { label: 'Last', value: 'last' },
          { label: 'Min', value: 'min' },
          { label: 'Max', value: 'max' },
          { label: 'Average', value: 'average' },
          { label: 'Count', value: 'count' },
          { label: 'Flatten', value: 'flatten' },
        ],
      },
      { name: 'separator', label: 'Separator', type: 'string', default: ', ', description: 'What join puts between the inputs.', placeholder: ', ', showWhen: { param: 'operation', equals: 'join' } },
    ],
    outputs: [
      { name: 'result', type: 'any', description: 'The combined value' },
      { name: 'count', type: 'integer', description: 'How many inputs there were' },
      { name: 'operation', type: 'string', description: 'The operation applied' },
    ],
    examples: [
      { title: 'Sum numbers', params: { inputs: [1, 2, 3, 4, 5], operation: 'sum' }, description: 'result = 15' },
      {
        title: 'Join the outputs of parallel steps',
        params: { inputs: ['{{ steps.a.outputs.value }}', '{{ steps.b.outputs.value }}', '{{ steps.c.outputs.value }}'], operation: 'join', separator: '-' },
        description: 'result = "A-B-C"',
      },
      { title: 'Merge objects', params: { inputs: [{ a: 1 }, { b: 2 }, { c: 3 }], operation: 'merge' }, description: 'result = {a: 1, b: 2, c: 3}' },
    ],
  },
  execute(ctx) {
    const inputs = inputList(ctx.params.inputs);
    const operation = String(ctx.params.operation) as AggregateOperation;
    if (!(AGGREGATE_OPERATIONS as readonly string[]).includes(operation)) return { success: false, error: `aggregate has no operation "${operation}"` };
    try {
      const result = applyAggregate(inputs, operation, String(ctx.params.separator ?? ', '));
      return { success: true, outputs: { result, count: inputs.length, operation } };
    } catch (error) {
      return { success: false, error: `aggregate failed: ${(error as Error).message}`, outputs: { result: null, count: inputs.length, operation } };
    }
  },
});
