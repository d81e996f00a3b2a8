import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { HookflowError } from '../../src/errors.js';
import { ProgramCatalog, type ProgramCatalogEvents, type ProgramCatalogOptions } from '../../src/programs/catalog.js';

const FAST: ProgramCatalogOptions = { stabilityMs: 20, debounceMs: 10, missingGraceMs: 60, appearPollMs: 20 };

const ONE = 'scripts:\n  first:\n    path: scripts/first\n';
const TWO = 'scripts:\n  first:\n    path: scripts/first\n  second:\n    path: scripts/second\n';

let dir: string;
let file: string;
let catalogs: ProgramCatalog[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookflow-catalog-'));
  file = join(dir, 'config.yaml');
  mkdirSync(join(dir, 'scripts', 'first'), { recursive: true });
  mkdirSync(join(dir, 'scripts', 'second'), { recursive: true });
  catalogs = [];
});
afterEach(async () => {
  await Promise.all(catalogs.map((catalog) => catalog.close()));
  rmSync(dir, { recursive: true, force: true });
});

function open(path = file, options: ProgramCatalogOptions = FAST): ProgramCatalog {
  const catalog = new ProgramCatalog(path, options);
  catalogs.push(catalog);
  return catalog;
}

function next<E extends keyof ProgramCatalogEvents>(catalog: ProgramCatalog, event: E, timeoutMs = 3000): Promise<ProgramCatalogEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    catalog.once(event, ((...args: ProgramCatalogEvents[E]) => {
      clearTimeout(timer);
      resolve(args);
    }) as never);
  });
}

const keys = (catalog: ProgramCatalog) => catalog.current().programs.map((program) => program.key);

describe('ProgramCatalog: loading and watching', () => {
  it('loads the file', async () => {
    writeFileSync(file, ONE);
    const catalog = open();
    const result = await catalog.load();
    assert.deepEqual(result.errors, []);
    assert.equal(result.changed, true);
    assert.deepEqual(keys(catalog), ['first']);
    assert.equal(catalog.current().file, file);
    assert.deepEqual(catalog.lastProblems(), []);
    // The same content again changes nothing.
    assert.equal((await catalog.reload()).changed, false);
  });

  it('reloads when the file changes', async () => {
    writeFileSync(file, ONE);
    const catalog = open();
    await catalog.load();
    await catalog.start();
    const reloaded = next(catalog, 'reloaded');
    writeFileSync(file, TWO);
    const [config] = await reloaded;
    assert.deepEqual(
      config.programs.map((program) => program.key),
      ['first', 'second'],
    );
    assert.deepEqual(keys(catalog), ['first', 'second']);
  });

  it('keeps the last good configuration after an invalid edit, and reports where the problems are', async () => {
    writeFileSync(file, ONE);
    const reported: string[][] = [];
    const catalog = open(file, { ...FAST, onProblems: (problems) => reported.push(problems.map((problem) => problem.where)) });
    await catalog.load();
    await catalog.start();
    const invalid = next(catalog, 'invalid');
    writeFileSync(file, 'scripts:\n  first:\n    path: scripts/first\n    timeout_seconds: soon\n  second:\n    enabled: true\n');
    const [problems] = await invalid;
    assert.deepEqual(
      problems.map((problem) => [problem.where, problem.path]),
      [
        [`${file}:4:22`, 'scripts.first.timeout_seconds'],
        [`${file}:5:3`, 'scripts.second'],
      ],
    );
    assert.deepEqual(reported, [[`${file}:4:22`, `${file}:5:3`]]);
    assert.deepEqual(keys(catalog), ['first'], 'the last good configuration stays in force');
    assert.deepEqual(catalog.lastProblems(), problems);

    const reloaded = next(catalog, 'reloaded');
    writeFileSync(file, TWO);
    await reloaded;
    assert.deepEqual(keys(catalog), ['first', 'second']);
    assert.deepEqual(catalog.lastProblems(), []);
  });

  it('follows an editor that saves by renaming a new file over the old one', async () => {
    writeFileSync(file, ONE);
    const catalog = open();
    await catalog.load();
    await catalog.start();
    for (const [text, expected] of [
      [TWO, ['first', 'second']],
      [ONE, ['first']],
    ] as const) {
      const reloaded = next(catalog, 'reloaded');
      writeFileSync(join(dir, '.config.yaml.swp'), text);
      renameSync(join(dir, '.config.yaml.swp'), file);
      await reloaded;
      assert.deepEqual(keys(catalog), expected);
    }
  });

  it('treats a missing file as no programs, and picks it up when it appears', async () => {
    const catalog = open();
    const result = await catalog.load();
    assert.deepEqual(result.errors, []);
    assert.deepEqual(catalog.current().programs, []);
    assert.equal(catalog.current().settings.max_concurrent_executions, 5);
    assert.match(catalog.current().warnings[0].message, /no programs configuration at .*config\.yaml/);
    await catalog.start();
    const reloaded = next(catalog, 'reloaded');
    writeFileSync(file, ONE);
    await reloaded;
    assert.deepEqual(keys(catalog), ['first']);
    assert.deepEqual(catalog.current().warnings, []);
  });

  it('waits for a directory that does not exist yet', async () => {
    const later = join(dir, 'later', 'config.yaml');
    const catalog = open(later);
    await catalog.load();
    await catalog.start();
    assert.deepEqual(keys(catalog), []);
    const reloaded = next(catalog, 'reloaded');
    mkdirSync(join(dir, 'later', 'scripts', 'first'), { recursive: true });
    writeFileSync(later, ONE);
    await reloaded;
    assert.deepEqual(keys(catalog), ['first']);
  });

  it('empties the configuration when the file is deleted for good', async () => {
    writeFileSync(file, ONE);
    const catalog = open();
    await catalog.load();
    await catalog.start();
    const reloaded = next(catalog, 'reloaded');
    unlinkSync(file);
    const [config] = await reloaded;
    assert.deepEqual(config.programs, []);
    assert.match(config.warnings[0].message, /no programs configuration/);
  });

  it('starts with no programs and the problems when the first read is invalid', async () => {
    writeFileSync(file, 'scripts: [\n');
    const catalog = open();
    const result = await catalog.load();
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0].where, /config\.yaml:2:1$/);
    assert.deepEqual(catalog.current().programs, []);
    assert.deepEqual(catalog.lastProblems(), result.errors);
  });

  it('reads another file given to load', async () => {
    const other = join(dir, 'other.yaml');
    writeFileSync(other, TWO);
    const catalog = open();
    await catalog.load(other);
    assert.equal(catalog.file, other);
    assert.deepEqual(keys(catalog), ['first', 'second']);
  });
});

describe('ProgramCatalog: lookup', () => {
  const CONFIG = [
    'scripts:',
    '  report:',
    '    id: daily_report',
    '    path: scripts/first',
    '  off:',
    '    path: scripts/first',
    '    enabled: false',
    '  shared:',
    '    id: script_shared',
    '    path: scripts/first',
    'bots:',
    '  shared:',
    '    id: bot_shared',
    '    path: scripts/second',
    '  helper:',
    '    path: scripts/second',
  ].join('\n');

  it('finds programs by key or id, scripts before bots; disabled and unknown ones are errors', async () => {
    writeFileSync(file, CONFIG);
    const catalog = open();
    const result = await catalog.load();
    assert.deepEqual(result.errors, []);
    const cases: Array<[string, string]> = [
      ['report', 'script report'],
      ['daily_report', 'script report'],
      ['shared', 'script shared'],
      ['script_shared', 'script shared'],
      ['bot_shared', 'bot shared'],
      ['helper', 'bot helper'],
      ['off', 'disabled'],
      ['nothing', 'not_found'],
      ['Report', 'not_found'],
    ];
    for (const [name, expected] of cases) {
      const found = catalog.find(name);
      const got = 'error' in found ? found.error : `${found.program.kind} ${found.program.key}`;
      assert.equal(got, expected, name);
    }
    const unknown = catalog.find('daly_report');
    assert.ok('error' in unknown && unknown.error === 'not_found');
    assert.equal(unknown.suggestion, 'daily_report');
    assert.deepEqual(
      catalog.enabledPrograms().map((program) => program.id),
      ['daily_report', 'script_shared', 'bot_shared', 'helper'],
    );
  });

  it('gives coded errors to callers that answer with them', async () => {
    writeFileSync(file, CONFIG);
    const catalog = open();
    await catalog.load();
    assert.equal(catalog.get('daily_report').key, 'report');
    assert.throws(
      () => catalog.get('off'),
      (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_PROGRAM_DISABLED' && error.message === "Program 'off' is disabled",
    );
    assert.throws(
      () => catalog.get('helpr'),
      (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_PROGRAM_NOT_FOUND' && error.details.hint === 'did you mean helper?',
    );
  });
});
