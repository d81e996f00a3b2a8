import type { JsonValue } from '../../events/model.js';
import { defineAction, type ActionDefinition } from '../model.js';

/** What the state actions need of the engine: the store's key/value state (StateService fits). */
export interface StateAccess {
  get(key: string): Promise<JsonValue | null>;
  set(key: string, value: JsonValue): Promise<void>;
}

const KEY_PARAM = {
  name: 'key',
  label: 'Key',
  type: 'string',
  required: true,
  description: 'The state key (1-256 letters, digits and _ . : / -).',
  placeholder: 'deploys/last_version',
  validation: { pattern: '^[A-Za-z0-9_.:/-]{1,256}$', patternMessage: 'must be 1-256 letters, digits and _ . : / -' },
} as const;

/**
 * set_state and get_state over the key/value state that hooks, pipelines and the CLI share. They
 * need the engine's state, so they are made per engine: `stateActions(engine.state)`.
 */
export function stateActions(access: StateAccess): ActionDefinition[] {
  const setState = defineAction({
    meta: {
      type: 'set_state',
      version: '1.0.0',
      name: 'Set State',
      description: 'Stores a JSON value under a key in the shared state (hooks read it with state.get, the CLI with `hookflow state get`).',
      category: 'State',
      icon: 'database',
      color: '#0891b2',
      executionMode: 'sync',
      idempotent: true,
      params: [{ ...KEY_PARAM }, { name: 'value', label: 'Value', type: 'json', required: true, description: 'Any JSON value (templates allowed).' }],
      outputs: [
        { name: 'key', type: 'string', description: 'The key written' },
        { name: 'value', type: 'any', description: 'The value stored' },
      ],
      examples: [{ title: 'Remember the last deployed version', params: { key: 'deploys/last_version', value: '{{ params.version }}' } }],
    },
    async execute(ctx) {
      const key = String(ctx.params.key);
      const value = ctx.params.value ?? null;
      await access.set(key, value);
      ctx.log.info(`state ${key} set`);
      return { success: true, outputs: { key, value } };
    },
  });
  const getState = defineAction({
    meta: {
      type: 'get_state',
      version: '1.0.0',
      name: 'Get State',
      description: 'Reads the JSON value under a key of the shared state; a missing key gives `default` (null unless set) and found = false.',
      category: 'State',
      icon: 'database',
      color: '#0891b2',
      executionMode: 'sync',
      idempotent: true,
      params: [{ ...KEY_PARAM }, { name: 'default', label: 'Default', type: 'json', description: 'The value when the key is missing.' }],
      outputs: [
        { name: 'key', type: 'string', description: 'The key read' },
        { name: 'value', type: 'any', description: 'The value, or the default' },
        { name: 'found', type: 'boolean', description: 'Whether the key had a value' },
      ],
      examples: [{ title: 'Read a counter', params: { key: 'counters/runs', default: 0 } }],
    },
    async execute(ctx) {
      const key = String(ctx.params.key);
      const stored = await access.get(key);
      const found = stored !== null;
      return { success: true, outputs: { key, value: found ? stored : (ctx.params.default ?? null), found } };
    },
  });
  return [setState, getState];
}
