import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidPattern, isWildcard, matchesAny, matchesPattern, patternToRegexSource } from '../../src/events/patterns.js';

describe('isValidPattern', () => {
  const valid = ['task.failed', 'custom', 'task.*', '*', '*.failed', 'task.*.failed', '*.*', 'agent.heartbeat_failed', 'my-app.deploy', '2fa.failed', '_x.y', 'a'.repeat(200)];
  const invalid = ['', 'Task.Failed', 'task.', '.task', 'task..failed', 'task.**', '**', 'ta*sk', 'task.*x', 'task.x*', 'a b', 'task failed', '-task', 'task.-x', 'tâche.échouée', 'a'.repeat(201), 'task/failed', 'task:failed'];
  for (const pattern of valid) it(`accepts ${JSON.stringify(pattern.length > 30 ? `${pattern.slice(0, 10)}…(${pattern.length})` : pattern)}`, () => assert.equal(isValidPattern(pattern), true));
  for (const pattern of invalid) it(`rejects ${JSON.stringify(pattern.length > 30 ? `${pattern.slice(0, 10)}…(${pattern.length})` : pattern)}`, () => assert.equal(isValidPattern(pattern), false));
});

describe('isWildcard', () => {
  const table: ReadonlyArray<[string, boolean]> = [
    ['task.failed', false],
    ['custom', false],
    ['*', true],
    ['task.*', true],
    ['*.failed', true],
  ];
  for (const [pattern, expected] of table) it(`${pattern} → ${expected}`, () => assert.equal(isWildcard(pattern), expected));
});

describe('matchesPattern', () => {
  // [pattern, type, matches]
  const table: ReadonlyArray<[string, string, boolean]> = [
    // exact
    ['task.failed', 'task.failed', true],
    ['task.failed', 'task.failed2', false],
    ['task.failed', 'task', false],
    ['task.failed', 'task.failed.x', false],
    ['custom', 'custom', true],
    ['custom', 'custom.triggered', false],
    // everything
    ['*', 'task.failed', true],
    ['*', 'custom', true],
    ['*', 'a.b.c.d', true],
    // trailing * is one or more segments
    ['task.*', 'task.failed', true],
    ['task.*', 'task.step.failed', true],
    ['task.*', 'task', false],
    ['task.*', 'tasks.failed', false],
    ['task.*', 'subtask.failed', false],
    ['task.*', 'agent.task.failed', false],
    // leading * is exactly one segment (it is not the last one)
    ['*.failed', 'task.failed', true],
    ['*.failed', 'workflow.failed', true],
    ['*.failed', 'failed', false],
    ['*.failed', 'task.failed.now', false],
    ['*.failed', 'a.b.failed', false],
    ['*.failed', 'task.heartbeat_failed', false],
    // multi-segment
    ['task.*.failed', 'task.step.failed', true],
    ['task.*.failed', 'task.failed', false],
    ['task.*.failed', 'task.a.b.failed', false],
    ['*.*', 'task.failed', true],
    ['*.*', 'custom', false],
    ['*.*', 'a.b.c', true],
    ['agent.*.*', 'agent.a', false],
    ['agent.*.*', 'agent.a.b', true],
    ['agent.*.*', 'agent.a.b.c', true],
    // characters that mean something in a regular expression are literal
    ['my-app.*', 'my-app.deploy', true],
    ['my-app.*', 'myxapp.deploy', false],
    ['a_b.*', 'a_b.c', true],
    ['task.*', 'task.', false],
  ];
  for (const [pattern, type, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${type}`, () => {
      assert.equal(matchesPattern(pattern, type), expected);
      if (pattern !== '*') assert.equal(new RegExp(patternToRegexSource(pattern)).test(type), expected, 'the regex agrees');
    });
  }

  it('gives the same answer from the cache as the first time', () => {
    for (let round = 0; round < 3; round++) {
      assert.equal(matchesPattern('deploy.*', 'deploy.started'), true);
      assert.equal(matchesPattern('deploy.*', 'deployx.started'), false);
    }
  });
});

describe('patternToRegexSource', () => {
  const table: ReadonlyArray<[string, string]> = [
    ['*', '^.+$'],
    ['task.failed', '^task\\.failed$'],
    ['task.*', '^task\\.[^.]+(\\.[^.]+)*$'],
    ['*.failed', '^[^.]+\\.failed$'],
    ['my-app.*.x', '^my\\-app\\.[^.]+\\.x$'],
  ];
  for (const [pattern, source] of table) it(`${pattern} → ${source}`, () => assert.equal(patternToRegexSource(pattern), source));
});

describe('matchesAny', () => {
  const table: ReadonlyArray<[string[], string, boolean]> = [
    [[], 'task.failed', false],
    [['task.failed'], 'task.failed', true],
    [['agent.*', 'task.completed'], 'task.failed', false],
    [['agent.*', '*.failed'], 'task.failed', true],
    [['agent.*', '*'], 'anything.at.all', true],
  ];
  for (const [patterns, type, expected] of table) it(`[${patterns.join(', ')}] ${type} → ${expected}`, () => assert.equal(matchesAny(patterns, type), expected));
});
