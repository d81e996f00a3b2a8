import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_CATALOGUE } from '../../src/events/catalogue.js';
import { editDistance, nearest, suggestEventType } from '../../src/events/suggest.js';

describe('editDistance', () => {
  const table: ReadonlyArray<[string, string, number]> = [
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['task.failed', 'task.failed', 0],
    ['task.faild', 'task.failed', 1],
    ['agnet', 'agent', 1], // one transposition
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3], // optimal string alignment, not unrestricted Damerau
    ['abcdef', 'badcfe', 3],
  ];
  for (const [a, b, expected] of table) {
    it(`${JSON.stringify(a)} → ${JSON.stringify(b)} = ${expected}`, () => {
      assert.equal(editDistance(a, b), expected);
      assert.equal(editDistance(b, a), expected, 'symmetric');
    });
  }
});

describe('nearest', () => {
  const flags = ['stack', 'status', 'since', 'limit', 'type', 'json'];
  const table: ReadonlyArray<[string, number | undefined, string | null]> = [
    ['stak', undefined, 'stack'],
    ['STATSU', undefined, 'status'],
    ['limt', undefined, 'limit'],
    ['json', undefined, 'json'],
    ['tpye', undefined, 'type'],
    ['verbose', undefined, null],
    ['x', undefined, null],
    ['stak', 0, null],
    ['lmt', 2, 'limit'],
  ];
  for (const [word, max, expected] of table) {
    it(`${word} (max ${max ?? 'default'}) → ${expected}`, () => assert.equal(nearest(word, flags, max), expected));
  }
  it('prefers the earlier candidate on a tie and the exact one always', () => {
    assert.equal(nearest('ab', ['ac', 'ad']), 'ac');
    assert.equal(nearest('ad', ['ac', 'ad']), 'ad');
    assert.equal(nearest('anything', []), null);
  });
});

describe('suggestEventType', () => {
  const table: ReadonlyArray<[string, string | null]> = [
    ['task.faild', 'task.failed'],
    ['agnet.connected', 'agent.connected'],
    ['taskfailed', 'task.failed'],
    ['task_failed', 'task.failed'],
    ['task-failed', 'task.failed'],
    ['Task.Failed', 'task.failed'],
    ['  task.failed ', 'task.failed'],
    ['task.fail', 'task.failed'],
    ['tsak.started', 'task.started'],
    ['workflow.canceled', 'workflow.cancelled'],
    ['job.cancelled', 'job.canceled'],
    ['dir.creatd', 'dir.created'],
    ['cpu.high', 'cpu.high_usage'],
    ['system.cpu', 'system.cpu_high'],
    ['exec.started', 'execution.started'],
    ['agent.heartbeat', 'agent.heartbeat_failed'],
    ['custm', 'custom'],
    ['task.failed', 'task.failed'],
    ['foo.bar', null],
    ['banana', null],
    ['deploy.staging_success', null],
    ['', null],
    ['.', null],
    ['x'.repeat(500), null],
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input.length > 40 ? `${input.slice(0, 10)}…` : input)} → ${expected}`, () => assert.equal(suggestEventType(input), expected));
  }

  it('prefers a type of the same first segment over a closer one elsewhere', () => {
    // "step.faild" is one edit from step.failed and two from steps of other categories.
    assert.equal(suggestEventType('step.faild'), 'step.failed');
    assert.equal(suggestEventType('job.faild'), 'job.failed');
  });

  it('returns every catalogued type unchanged', () => {
    for (const { type } of EVENT_CATALOGUE) assert.equal(suggestEventType(type), type);
  });
});

describe('editDistance with a limit', () => {
  it('agrees with the unbounded distance up to the limit, and says limit + 1 beyond it', () => {
    const words = ['', 'a', 'ab', 'ba', 'abc', 'task.failed', 'task.faild', 'tsak.failde', 'agent.connected', 'agnet.conected', 'xyz', 'kitten', 'sitting'];
    for (const a of words) {
      for (const b of words) {
        const exact = editDistance(a, b);
        for (const limit of [0, 1, 2, 3, 5]) assert.equal(editDistance(a, b, limit), Math.min(exact, limit + 1), `${a} → ${b} within ${limit}`);
      }
    }
  });
});
