import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { NewEvent } from '../../src/events/model.js';
import { FileEventCoalescer, type FileChange, type RawFileEvent } from '../../src/sources/file-events.js';
import { PathMatcher, WatcherSet } from '../../src/sources/watchers.js';
import type { SourceRecord } from '../../src/store/sources.js';

describe('FileEventCoalescer', () => {
  const file = (ino: number, size: number) => ({ ino, size });
  const cases: Array<{ name: string; known?: Array<[string, number, number]>; raw: RawFileEvent[]; flushAt: number; changes: FileChange[] }> = [
    { name: 'a new file', raw: [{ kind: 'add', path: '/a', at: 0, identity: file(1, 5) }], flushAt: 100, changes: [{ type: 'file.created', path: '/a', size: 5 }] },
    {
      name: 'written after creation: one created, with the final size',
      raw: [
        { kind: 'add', path: '/a', at: 0, identity: file(1, 0) },
        { kind: 'change', path: '/a', at: 30, identity: file(1, 9) },
      ],
      flushAt: 130,
      changes: [{ type: 'file.created', path: '/a', size: 9 }],
    },
    {
      name: 'still changing: nothing yet',
      raw: [
        { kind: 'add', path: '/a', at: 0, identity: file(1, 0) },
        { kind: 'change', path: '/a', at: 30, identity: file(1, 9) },
      ],
      flushAt: 129,
      changes: [],
    },
    {
      name: 'a known file changed twice: one modified with old and new size',
      known: [['/a', 1, 3]],
      raw: [
        { kind: 'change', path: '/a', at: 0, identity: file(1, 4) },
        { kind: 'change', path: '/a', at: 50, identity: file(1, 8) },
      ],
      flushAt: 150,
      changes: [{ type: 'file.modified', path: '/a', old_size: 3, new_size: 8 }],
    },
    { name: 'a known file deleted', known: [['/a', 1, 3]], raw: [{ kind: 'unlink', path: '/a', at: 0 }], flushAt: 100, changes: [{ type: 'file.deleted', path: '/a' }] },
    {
      name: 'created and deleted within the window: nothing',
      raw: [
        { kind: 'add', path: '/tmp1', at: 0, identity: file(2, 1) },
        { kind: 'unlink', path: '/tmp1', at: 40 },
      ],
      flushAt: 1000,
      changes: [],
    },
    {
      name: 'replaced in place (deleted then created again): modified',
      known: [['/a', 1, 3]],
      raw: [
        { kind: 'unlink', path: '/a', at: 0 },
        { kind: 'add', path: '/a', at: 10, identity: file(9, 7) },
      ],
      flushAt: 110,
      changes: [{ type: 'file.modified', path: '/a', old_size: 3, new_size: 7 }],
    },
    {
      name: 'renamed: unlink then add of the same inode',
      known: [['/dir/a', 7, 11]],
      raw: [
        { kind: 'unlink', path: '/dir/a', at: 0 },
        { kind: 'add', path: '/dir/b', at: 5, identity: file(7, 11) },
      ],
      flushAt: 105,
      changes: [{ type: 'file.renamed', path: '/dir/b', old_path: '/dir/a', size: 11 }],
    },
    {
      name: 'renamed: the add reported first',
      known: [['/a', 7, 11]],
      raw: [
        { kind: 'add', path: '/b', at: 0, identity: file(7, 11) },
        { kind: 'unlink', path: '/a', at: 3 },
      ],
      flushAt: 103,
      changes: [{ type: 'file.renamed', path: '/b', old_path: '/a', size: 11 }],
    },
    {
      name: 'a delete and an unrelated create (other inode): not a rename',
      known: [['/a', 7, 11]],
      raw: [
        { kind: 'unlink', path: '/a', at: 0 },
        { kind: 'add', path: '/b', at: 5, identity: file(8, 11) },
      ],
      flushAt: 105,
      changes: [
        { type: 'file.deleted', path: '/a' },
        { type: 'file.created', path: '/b', size: 11 },
      ],
    },
    {
      name: 'the same inode but further apart than the window: not a rename',
      known: [['/a', 7, 11]],
      raw: [
        { kind: 'unlink', path: '/a', at: 0 },
        { kind: 'add', path: '/b', at: 150, identity: file(7, 11) },
      ],
      flushAt: 250,
      changes: [
        { type: 'file.deleted', path: '/a' },
        { type: 'file.created', path: '/b', size: 11 },
      ],
    },
    {
      name: 'no inodes (ino 0): paired by size',
      known: [['/a', 0, 42]],
      raw: [
        { kind: 'unlink', path: '/a', at: 0 },
        { kind: 'add', path: '/b', at: 5, identity: file(0, 42) },
      ],
      flushAt: 105,
      changes: [{ type: 'file.renamed', path: '/b', old_path: '/a', size: 42 }],
    },
    {
      name: 'directories created and deleted',
      raw: [
        { kind: 'addDir', path: '/new', at: 0 },
        { kind: 'unlinkDir', path: '/old', at: 10 },
        { kind: 'addDir', path: '/brief', at: 20 },
        { kind: 'unlinkDir', path: '/brief', at: 30 },
      ],
      flushAt: 1000,
      changes: [
        { type: 'dir.created', path: '/new' },
        { type: 'dir.deleted', path: '/old' },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const coalescer = new FileEventCoalescer(100);
      for (const [path, ino, size] of c.known ?? []) coalescer.remember(path, { ino, size });
      for (const raw of c.raw) coalescer.push(raw);
      assert.deepEqual(coalescer.flush(c.flushAt), c.changes);
    });
  }

  it('nextDueAt is the earliest quiet time; nothing pending is null', () => {
    const coalescer = new FileEventCoalescer(100);
    assert.equal(coalescer.nextDueAt(), null);
    coalescer.push({ kind: 'add', path: '/a', at: 10, identity: file(1, 1) });
    coalescer.push({ kind: 'add', path: '/b', at: 50, identity: file(2, 1) });
    assert.equal(coalescer.nextDueAt(), 110);
    assert.equal(coalescer.flush(110).length, 1);
    assert.equal(coalescer.nextDueAt(), 150);
  });
});

describe('PathMatcher', () => {
  const matcher = new PathMatcher({ paths: ['/w', '/single.txt'], patterns: ['*.txt', 'reports/**'], ignore: ['*.tmp.txt', 'node_modules'] });
  const cases: Array<[string, boolean]> = [
    ['/w/a.txt', true],
    ['/w/deep/down/b.txt', true],
    ['/w/reports/2025/q1.csv', true],
    ['/w/a.csv', false],
    ['/w/x.tmp.txt', false],
    ['/w/node_modules/pkg/readme.txt', false],
    ['/single.txt', true],
    ['/elsewhere/a.txt', false],
    ['/wider/a.txt', false],
  ];
  for (const [path, expected] of cases) it(`${path}: ${expected ? 'reported' : 'not reported'}`, () => assert.equal(matcher.matches(path), expected));
  it('ignores whole directories (so they are not descended into)', () => {
    assert.equal(matcher.ignored('/w/node_modules'), true);
    assert.equal(matcher.ignored('/w'), false);
  });
});

describe('WatcherSet over a real directory', () => {
  let dir: string;
  let watchers: WatcherSet;
  let published: NewEvent[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hookflow-watch-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => watchers.stop());

  const record = (name: string, config: Record<string, unknown>, updatedAt = 1): SourceRecord => ({
    kind: 'watcher',
    name,
    enabled: true,
    config: { patterns: ['**'], ignore: [], recursive: true, debounce_ms: 60, stack: null, ...config } as never,
    created_at: 1,
    updated_at: updatedAt,
  });
  const start = async (...records: SourceRecord[]) => {
    published = [];
    watchers = new WatcherSet({ publish: async (event) => void published.push(event), onError: (error) => assert.fail(String(error)), appearPollMs: 50 });
    await watchers.reload(records);
  };
  /** Waits until `count` events are published (or fails after 3 s), then a little longer for strays. */
  const settle = async (count: number) => {
    const deadline = Date.now() + 3000;
    while (published.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 150));
    return published.map((event) => [event.type, event.data?.path, event.data?.old_path]);
  };

  it('publishes created, modified, renamed and deleted, debounced', async () => {
    const root = join(dir, 'basic');
    mkdirSync(root);
    writeFileSync(join(root, 'before.txt'), 'here before watching');
    await start(record('basic', { paths: [root], stack: 'files' }));

    writeFileSync(join(root, 'a.txt'), 'one');
    appendFileSync(join(root, 'a.txt'), ' two');
    appendFileSync(join(root, 'a.txt'), ' three');
    assert.deepEqual(await settle(1), [['file.created', join(root, 'a.txt'), undefined]], 'one event for a burst of writes');
    assert.equal(published[0].data?.size, 13);
    assert.equal(published[0].data?.watcher, 'basic');
    assert.equal(published[0].stack, 'files');
    assert.equal(published[0].source, 'watcher:basic');

    published.length = 0;
    appendFileSync(join(root, 'a.txt'), '!');
    assert.deepEqual(await settle(1), [['file.modified', join(root, 'a.txt'), undefined]]);

    published.length = 0;
    renameSync(join(root, 'before.txt'), join(root, 'after.txt'));
    assert.deepEqual(await settle(1), [['file.renamed', join(root, 'after.txt'), join(root, 'before.txt')]], 'a file there before watching is renamed too');

    published.length = 0;
    unlinkSync(join(root, 'a.txt'));
    mkdirSync(join(root, 'sub'));
    assert.deepEqual(
      (await settle(2)).sort(),
      [
        ['dir.created', join(root, 'sub'), undefined],
        ['file.deleted', join(root, 'a.txt'), undefined],
      ],
    );
  });

  it('keeps to its patterns, its ignores and its depth', async () => {
    const root = join(dir, 'filtered');
    mkdirSync(join(root, 'nested'), { recursive: true });
    await start(record('flat', { paths: [root], patterns: ['*.csv'], ignore: ['skip-*'], recursive: false }));
    writeFileSync(join(root, 'report.csv'), 'a,b');
    writeFileSync(join(root, 'notes.txt'), 'not a csv');
    writeFileSync(join(root, 'skip-me.csv'), 'ignored');
    writeFileSync(join(root, 'nested', 'deep.csv'), 'too deep');
    assert.deepEqual(await settle(1), [['file.created', join(root, 'report.csv'), undefined]]);
  });

  it('watches a path that does not exist yet from when it appears', async () => {
    const root = join(dir, 'later');
    await start(record('later', { paths: [root], patterns: ['*.txt'] }));
    mkdirSync(root);
    writeFileSync(join(root, 'first.txt'), 'there when it appears');
    assert.deepEqual(await settle(1), [['file.created', join(root, 'first.txt'), undefined]], 'what it holds when it appears is new');
    published.length = 0;
    writeFileSync(join(root, 'second.txt'), 'hi');
    assert.deepEqual(await settle(1), [['file.created', join(root, 'second.txt'), undefined]]);
  });

  it('reload stops removed watchers and restarts changed ones', async () => {
    const root = join(dir, 'reloaded');
    mkdirSync(root);
    await start(record('w', { paths: [root], patterns: ['*.a'] }));
    assert.deepEqual(watchers.names(), ['w']);
    await watchers.reload([record('w', { paths: [root], patterns: ['*.b'] }, 2)]);
    writeFileSync(join(root, 'x.a'), '1');
    writeFileSync(join(root, 'x.b'), '1');
    assert.deepEqual(await settle(1), [['file.created', join(root, 'x.b'), undefined]], 'the new patterns apply');
    await watchers.reload([]);
    assert.deepEqual(watchers.names(), []);
    published.length = 0;
    writeFileSync(join(root, 'y.b'), '1');
    assert.deepEqual(await settle(0), [], 'a removed watcher reports nothing');
  });
});
