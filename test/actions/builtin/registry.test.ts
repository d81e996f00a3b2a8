import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_ACTIONS, builtinActions, registerBuiltinActions } from '../../../src/actions/builtin/index.js';
import { validateParams } from '../../../src/actions/params.js';
import { ActionRegistry } from '../../../src/actions/registry.js';
import type { JsonValue } from '../../../src/events/model.js';

const memoryState = () => {
  const values = new Map<string, JsonValue>();
  return { get: async (key: string) => values.get(key) ?? null, set: async (key: string, value: JsonValue) => void values.set(key, value) };
};

describe('the built-in actions', () => {
  it('all register: every meta passes validation and the types are unique', () => {
    const registry = new ActionRegistry();
    registerBuiltinActions(registry, { state: memoryState() });
    const types = registry.list().map((entry) => entry.definition.meta.type);
    assert.deepEqual(types.sort(), [
      'aggregate',
      'conditional',
      'delay',
      'dispatch_event',
      'fail',
      'get_state',
      'http_request',
      'invoke_service',
      'log',
      'notification',
      'run_commands',
      'set_output',
      'set_state',
      'transform',
      'wait_until',
    ]);
    for (const type of types) assert.equal(registry.source(type), 'builtin');
  });

  it('leaves the state actions out until the engine’s state is given', () => {
    assert.equal(BUILTIN_ACTIONS.some((action) => action.meta.type === 'set_state'), false);
    assert.equal(builtinActions().length, BUILTIN_ACTIONS.length);
    assert.equal(builtinActions({ state: memoryState() }).length, BUILTIN_ACTIONS.length + 2);
  });

  for (const definition of builtinActions({ state: memoryState() })) {
    const { meta } = definition;
    it(`${meta.type}: has what the UI and the docs show, and examples that validate`, () => {
      assert.ok(meta.icon, 'icon');
      assert.match(meta.color ?? '', /^#[0-9a-f]{6}$/, 'colour');
      assert.ok(meta.category, 'category');
      assert.ok(meta.description.length > 20, 'description');
      assert.ok((meta.examples ?? []).length > 0, 'examples');
      for (const param of meta.params) assert.ok(param.description || param.label, `param ${param.name} is explained`);
      assert.equal(meta.executionMode === 'event_driven', typeof definition.onEvent === 'function');
      for (const example of meta.examples ?? []) {
        const templated = JSON.stringify(example.params).includes('{{');
        const { problems } = validateParams(definition, example.params, { templatesUnresolved: templated });
        assert.deepEqual(problems, [], `example "${example.title}"`);
      }
    });
  }
});
