import type { ActionDefinition, ActionMeta } from '../../src/actions/model.js';

/** A meta that passes every rule; tests break one field at a time. */
export function validMeta(overrides: Partial<ActionMeta> = {}): ActionMeta {
  return {
    type: 'greet',
    version: '1.0.0',
    name: 'Greet',
    description: 'Says hello',
    category: 'Testing',
    executionMode: 'sync',
    idempotent: true,
    params: [
      { name: 'who', type: 'string', required: true, validation: { minLength: 2, maxLength: 10 } },
      { name: 'times', type: 'number', default: 1, validation: { min: 1, max: 5 } },
      {
        name: 'tone',
        type: 'select',
        default: 'warm',
        options: [
          { label: 'Warm', value: 'warm' },
          { label: 'Cold', value: 'cold' },
        ],
      },
      { name: 'reason', type: 'string', required: true, showWhen: { param: 'tone', equals: 'cold' } },
      { name: 'code', type: 'string', validation: { pattern: '^[A-Z]{3}$', patternMessage: 'must be three capital letters' } },
    ],
    outputs: [
      { name: 'greeting', type: 'string' },
      { name: 'count', type: 'integer' },
    ],
    ...overrides,
  };
}

export function greetAction(overrides: Partial<ActionDefinition> = {}): ActionDefinition {
  return {
    meta: validMeta(),
    execute: (ctx) => ({ success: true, outputs: { greeting: `hello ${String(ctx.params.who)}`, count: Number(ctx.params.times) } }),
    ...overrides,
  };
}

/** Services that record what actions publish and refuse unknown service calls (hookflow/testing). */
export { recordingServices } from '../../src/testing.js';
