import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HookflowError } from '../../src/errors.js';
import { defineHook } from '../../src/hooks/define.js';
import type { HookScriptMeta } from '../../src/hooks/model.js';
import { Fifo } from '../../src/hooks/runtimes/js/fifo.js';
import { hookFromModule, metaFromDefinition } from '../../src/hooks/runtimes/js/meta.js';
import { describeThrown, outcomeOfError, outcomeOfReturn } from '../../src/hooks/runtimes/js/outcome.js';

describe('outcomeOfReturn', () => {
  const logs = ['[INFO] one'];
  const cases: Array<{ value: unknown; success: boolean; output: string; error: string | null }> = [
    { value: undefined, success: true, output: '[INFO] one', error: null },
    { value: null, success: true, output: '[INFO] one', error: null },
    { value: true, success: true, output: '[INFO] one', error: null },
    { value: 0, success: true, output: '[INFO] one', error: null },
    { value: '', success: true, output: '[INFO] one', error: null },
    { value: 'done', success: true, output: 'done\n[INFO] one', error: null },
    { value: { ok: true }, success: true, output: '[INFO] one', error: null },
    { value: { ok: true, message: 'fine' }, success: true, output: 'fine\n[INFO] one', error: null },
    { value: { ok: 'no' }, success: true, output: '[INFO] one', error: null },
    { value: false, success: false, output: '[INFO] one', error: 'hook h returned false' },
    { value: { ok: false }, success: false, output: '[INFO] one', error: 'hook h returned ok: false' },
    { value: { ok: false, message: 'nope' }, success: false, output: 'nope\n[INFO] one', error: 'nope' },
  ];
  for (const { value, success, output, error } of cases) {
    it(`${JSON.stringify(value) ?? 'undefined'} → ${success ? 'success' : 'failure'}`, () => {
      assert.deepEqual(outcomeOfReturn(value, logs, 'h'), { success, output, error });
    });
  }

  it('gives an empty output when nothing was said', () => {
    assert.deepEqual(outcomeOfReturn(undefined, [], 'h'), { success: true, output: '', error: null });
  });
});

describe('describeThrown / outcomeOfError', () => {
  const cases: Array<[unknown, string]> = [
    [new Error('plain'), 'plain'],
    [new TypeError('x is not a function'), 'TypeError: x is not a function'],
    [new HookflowError('HF_ERR_HOOK_FAILED', 'HF_ERR_HOOK_FAILED: coded'), 'HF_ERR_HOOK_FAILED: coded'],
    ['a string', 'a string'],
    [{ code: 7 }, '{"code":7}'],
    [undefined, 'undefined'],
  ];
  for (const [thrown, text] of cases) {
    it(`${text}`, () => {
      assert.equal(describeThrown(thrown), text);
      assert.deepEqual(outcomeOfError(thrown, ['[WARN] w']), { success: false, output: '[WARN] w', error: text });
    });
  }
});

describe('hookFromModule and metaFromDefinition', () => {
  it('takes a plain function with empty metadata', () => {
    const fn = () => true;
    const loaded = hookFromModule({ default: fn }, '/h.js');
    assert.equal(loaded.execute, fn);
    assert.deepEqual(loaded.meta, {});
  });

  it('unwraps a module compiled to CommonJS', () => {
    const fn = () => true;
    assert.equal(hookFromModule({ default: { default: fn } }, '/h.js').execute, fn);
  });

  it('calls execute with the definition as `this`', async () => {
    const definition = defineHook({
      name: 'self',
      execute() {
        return (this as { name?: string }).name;
      },
    });
    const loaded = hookFromModule({ default: definition }, '/h.js');
    assert.equal(await loaded.execute({} as never, {} as never), 'self');
  });

  const metas: Array<{ definition: Record<string, unknown>; meta: HookScriptMeta }> = [
    { definition: {}, meta: {} },
    { definition: { events: 'a.b' }, meta: { events: ['a.b'] } },
    { definition: { events: ['a.*', 'b'] }, meta: { events: ['a.*', 'b'] } },
    { definition: { timeout: 1.25 }, meta: { timeout_ms: 1250 } },
    { definition: { stack: null, filter: null }, meta: { stack: null, filter: null } },
    { definition: { name: 'n', description: 'd', stack: 's', filter: 'data.x > 1' }, meta: { name: 'n', description: 'd', stack: 's', filter: 'data.x > 1' } },
  ];
  for (const { definition, meta } of metas) {
    it(`reads ${JSON.stringify(definition)}`, () => {
      assert.deepEqual(metaFromDefinition(definition, '/h.ts'), meta);
    });
  }

  const invalid: Array<{ definition: Record<string, unknown>; field: string }> = [
    { definition: { name: '' }, field: 'name' },
    { definition: { name: 3 }, field: 'name' },
    { definition: { description: [] }, field: 'description' },
    { definition: { events: [] }, field: 'events' },
    { definition: { events: ['ok', 4] }, field: 'events' },
    { definition: { stack: 1 }, field: 'stack' },
    { definition: { filter: {} }, field: 'filter' },
    { definition: { timeout: 0 }, field: 'timeout' },
    { definition: { timeout: '30' }, field: 'timeout' },
  ];
  for (const { definition, field } of invalid) {
    it(`rejects ${JSON.stringify(definition)} naming \`${field}\``, () => {
      assert.throws(() => metaFromDefinition(definition, '/h.ts'), (error: unknown) => {
        assert.ok(error instanceof HookflowError);
        assert.equal(error.code, 'HF_ERR_INVALID_HOOK');
        assert.match(error.message, new RegExp(`^/h\\.ts: defineHook field \`${field}\``));
        assert.equal(error.details.where, `/h.ts#${field}`);
        return true;
      });
    });
  }

  const notHooks: Array<[string, Record<string, unknown>]> = [
    ['no default export', { other: 1 }],
    ['a number', { default: 42 }],
    ['an object without execute', { default: { name: 'x' } }],
  ];
  for (const [title, namespace] of notHooks) {
    it(`rejects a module with ${title}`, () => {
      assert.throws(() => hookFromModule(namespace, '/h.js'), /\/h\.js: the default export must be defineHook/);
    });
  }
});

describe('Fifo', () => {
  it('keeps order across many pushes and takes, and drains the rest', () => {
    const queue = new Fifo<number>();
    const taken: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      queue.push(i);
      if (i % 3 === 0) taken.push(queue.take() ?? -1);
    }
    assert.equal(queue.size, 5_000 - taken.length);
    assert.deepEqual(taken, Array.from({ length: taken.length }, (_, i) => i));
    const rest = queue.drain();
    assert.equal(rest[0], taken.length);
    assert.equal(rest.at(-1), 4_999);
    assert.equal(queue.size, 0);
    assert.equal(queue.take(), undefined);
  });
});
