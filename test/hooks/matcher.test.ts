import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventRecord } from '../../src/events/model.js';
import { HookIndex } from '../../src/hooks/matcher.js';
import type { HookRecord } from '../../src/hooks/model.js';
import { makeEvent, makeHook } from './fake-host.js';

const hook = (name: string, events: string[], extra: Partial<HookRecord> = {}): HookRecord => makeHook({ name, runtime: 'js', events, ...extra });

const HOOKS: readonly HookRecord[] = [
  hook('exact', ['task.failed']),
  hook('prefix', ['task.*']),
  hook('both', ['task.failed', 'task.*']),
  hook('everything', ['*']),
  hook('prod-only', ['deploy.*'], { stack: 'prod' }),
  hook('big-exit', ['task.failed'], { filter: 'data.exit_code > 100' }),
  hook('disabled', ['*'], { enabled: false }),
  hook('other', ['agent.heartbeat_failed']),
];

describe('HookIndex', () => {
  const index = new HookIndex(HOOKS);
  const table: ReadonlyArray<[string, EventRecord, string[]]> = [
    ['exact patterns first, then wildcards, each in hook order; a hook listed twice once', makeEvent('task.failed', { exit_code: 1 }), ['exact', 'both', 'prefix', 'everything']],
    ['a filter that passes', makeEvent('task.failed', { exit_code: 127 }), ['exact', 'both', 'big-exit', 'prefix', 'everything']],
    ['a prefix alone', makeEvent('task.completed'), ['prefix', 'both', 'everything']],
    ['a stack-bound hook, other stack', makeEvent('deploy.started', {}, { stack: 'dev' }), ['everything']],
    ['a stack-bound hook, its stack', makeEvent('deploy.started', {}, { stack: 'prod' }), ['everything', 'prod-only']],
    ['a stack-bound hook, no stack', makeEvent('deploy.started'), ['everything']],
    ['only *', makeEvent('custom'), ['everything']],
  ];
  for (const [what, event, expected] of table) {
    it(`${what}: ${event.type}${event.stack ? ` (${event.stack})` : ''} → ${expected.join(', ')}`, () => {
      assert.deepEqual(
        index.match(event).map((matched) => matched.name),
        expected,
      );
      // The same type again (from the per-type candidates now) gives the same answer.
      assert.deepEqual(
        index.matchType(event.type, event.stack, () => event).map((matched) => matched.name),
        expected,
      );
    });
  }

  it('builds the record for filters only when a candidate has a filter', () => {
    let built = 0;
    const record = (type: string, data = {}) => () => {
      built += 1;
      return makeEvent(type, data);
    };
    assert.deepEqual(index.matchType('task.completed', null, record('task.completed')).map((h) => h.name), ['prefix', 'both', 'everything']);
    assert.equal(built, 0);
    assert.deepEqual(index.matchType('task.failed', null, record('task.failed', { exit_code: 200 })).map((h) => h.name), ['exact', 'both', 'big-exit', 'prefix', 'everything']);
    assert.equal(built, 1);
  });

  it('matches nothing with no enabled hooks, and counts only enabled ones', () => {
    assert.deepEqual(new HookIndex([]).match(makeEvent('task.failed')), []);
    assert.equal(index.size, HOOKS.length - 1);
    assert.deepEqual(new HookIndex([hook('off', ['*'], { enabled: false })]).match(makeEvent('x')), []);
  });

  it('answers right for more distinct types than it keeps', () => {
    for (let n = 0; n < 3000; n += 1) {
      const names = index.match(makeEvent(`custom.t${n}`)).map((matched) => matched.name);
      assert.deepEqual(names, ['everything']);
    }
    assert.deepEqual(
      index.match(makeEvent('task.failed', { exit_code: 1 })).map((matched) => matched.name),
      ['exact', 'both', 'prefix', 'everything'],
    );
  });

  it('a filter that no longer compiles matches nothing', () => {
    const broken = new HookIndex([hook('broken', ['*'], { filter: 'data.x ==' }), hook('fine', ['*'])]);
    assert.deepEqual(
      broken.match(makeEvent('task.failed')).map((matched) => matched.name),
      ['fine'],
    );
  });
});
