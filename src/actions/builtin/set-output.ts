import { defineAction } from '../model.js';
import { isJsonObject, jsonKind } from './values.js';

/** Sets outputs for the steps after it: each key of `outputs` becomes one output. */
export const setOutputAction = defineAction({
  meta: {
    type: 'set_output',
    version: '1.0.0',
    name: 'Set Output',
    description: 'Sets outputs that later steps read as steps.ID.outputs.KEY: every key of `outputs` becomes an output, with its value as rendered.',
    category: 'Control Flow',
    icon: 'arrow-square-out',
    color: '#06b6d4',
    executionMode: 'sync',
    idempotent: true,
    params: [
      { name: 'outputs', label: 'Outputs', type: 'json', default: {}, description: 'An object of output names to values (templates allowed in the values).', placeholder: '{"key": "value"}' },
    ],
    // The outputs are whatever the params name, so none are declared.
    outputs: [],
    examples: [
      { title: 'Set configuration values', params: { outputs: { api_url: 'https://api.example.com', timeout: 30, retry_count: 3 } } },
      { title: 'Set a computed value', params: { outputs: { full_name: '{{ params.first_name }} {{ params.last_name }}' } } },
    ],
  },
  validateParams(params) {
    return isJsonObject(params.outputs) ? [] : [{ field: 'outputs', message: `must be an object of output names to values, not ${jsonKind(params.outputs)}` }];
  },
  execute(ctx) {
    const outputs = ctx.params.outputs;
    if (!isJsonObject(outputs)) return { success: false, error: `outputs must be an object, not ${jsonKind(outputs)}` };
    return { success: true, outputs: { ...outputs } };
  },
});
