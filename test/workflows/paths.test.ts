import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { commandLogPaths } from '../../src/workflows/execute/command-job.js';
import { resolvedPath } from '../../src/workflows/paths.js';

describe('resolvedPath', () => {
  // Each must equal path.resolve: the fast path only skips work, it never changes a result.
  const paths = ['/', '/a', '/a/b', '/a/b/', '//a', '/a//b', '/a/./b', '/a/../b', '/a/.', '/a/..', '/a/.b', '/a/..b', '/a/b.', '/.a', '/..', '/.', 'a/b', './a', '../a', '', '/a b/ c', '/a/b/c.txt'];
  for (const path of paths) {
    it(`${JSON.stringify(path)} as path.resolve has it`, () => assert.equal(resolvedPath(path), resolve(path)));
    it(`${JSON.stringify(path)} against a base as path.resolve has it`, () => assert.equal(resolvedPath(path, '/base/dir'), resolve('/base/dir', path)));
  }
});

describe('commandLogPaths', () => {
  const cases: Array<[string, string, string]> = [
    ['a resolved directory', '/out/run-1/jobs', '/out/run-1/jobs/3-build_x'],
    ['the root', '/', '/3-build_x'],
    ['a trailing slash', '/out/jobs/', '/out/jobs/3-build_x'],
    ['dot segments', '/out/./run/../jobs', '/out/jobs/3-build_x'],
    ['a relative directory', 'logs', 'logs/3-build_x'],
  ];
  for (const [name, logDir, stem] of cases) {
    it(name, () => assert.deepEqual(commandLogPaths(logDir, { index: 3, name: 'build x' }), { stdout_path: `${stem}.o`, stderr_path: `${stem}.e` }));
  }
});
