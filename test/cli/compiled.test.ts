import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { STAMP_FILE, compiledEntry, sourceFingerprint } from '../../bin/compiled.js';
import { cleanEnv } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RECORDER = new URL('../fixtures/startup/record-modules.mjs', import.meta.url).href;
const run = promisify(execFile);

describe('bin/compiled.js: lib/ is used only while it matches src/', () => {
  let root = '';
  const stamp = () => writeFileSync(join(root, 'lib', STAMP_FILE), JSON.stringify(sourceFingerprint(join(root, 'src'))));

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hookflow-compiled-'));
    mkdirSync(join(root, 'src', 'cli'), { recursive: true });
    mkdirSync(join(root, 'lib'));
    writeFileSync(join(root, 'src', 'cli', 'main.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'src', 'prelude.lua'), '-- lua\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const cases: Array<{ name: string; change: () => void; env?: NodeJS.ProcessEnv; fresh: boolean; reason?: RegExp }> = [
    { name: 'built from the sources as they are', change: () => {}, fresh: true },
    { name: 'a source edited', change: () => writeFileSync(join(root, 'src', 'cli', 'main.ts'), 'export const a = 22;\n'), fresh: false, reason: /src\/ changed/ },
    { name: 'a source touched, same size', change: () => utimesSync(join(root, 'src', 'cli', 'main.ts'), new Date(), new Date(Date.now() + 5000)), fresh: false, reason: /src\/ changed/ },
    { name: 'a file added', change: () => writeFileSync(join(root, 'src', 'added.ts'), ''), fresh: false, reason: /src\/ changed/ },
    { name: 'a non-TypeScript file removed', change: () => rmSync(join(root, 'src', 'prelude.lua')), fresh: false, reason: /src\/ changed/ },
    { name: 'never built', change: () => rmSync(join(root, 'lib', STAMP_FILE)), fresh: false, reason: /has not been built/ },
    { name: 'HOOKFLOW_FROM_SOURCE=1', change: () => {}, env: { HOOKFLOW_FROM_SOURCE: '1' }, fresh: false, reason: /HOOKFLOW_FROM_SOURCE/ },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      stamp();
      testCase.change();
      const chosen = compiledEntry(root, testCase.env ?? {});
      if (testCase.fresh) {
        assert.deepEqual(chosen, { entry: join(root, 'lib', 'cli', 'main.js'), reason: null });
      } else {
        assert.equal(chosen.entry, null);
        assert.match(chosen.reason ?? '', testCase.reason ?? /./);
      }
    });
  }
});

/**
 * The real build, into a copy of the package whose src/, node_modules/ and ui/ are links to this
 * one's (the build writes lib/ beside src/, and the tests' own lib/ must not change under them).
 */
describe('npm run build: the binary runs lib/ without tsx', () => {
  let root = '';
  let home = '';
  let log = '';

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'hookflow-build-'));
    for (const linked of ['src', 'node_modules', 'ui']) symlinkSync(join(ROOT, linked), join(root, linked));
    for (const copied of ['bin', 'scripts', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, copied), join(root, copied), { recursive: true });
    const built = await run(process.execPath, [join(root, 'scripts', 'build-lib.mjs'), root]);
    assert.match(built.stdout, /lib\/: \d+ modules/);
    home = join(root, 'home');
    log = join(root, 'modules.txt');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /** Runs `hookflow ARGS` from the copy with the module recorder; the stdout and the modules it loaded. */
  async function hookflow(args: string[]): Promise<{ stdout: string; modules: string[] }> {
    rmSync(log, { force: true });
    const { stdout } = await run(process.execPath, ['--import', RECORDER, join(root, 'bin', 'hookflow.js'), '--home', home, ...args], {
      env: cleanEnv({ HOOKFLOW_MODULE_LOG: log }),
    });
    return { stdout, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  }

  it('--version loads lib/cli/main.js and neither tsx nor a TypeScript file', async () => {
    const { stdout, modules } = await hookflow(['--version']);
    assert.match(stdout, /^\d+\.\d+\.\d+/);
    assert.ok(modules.includes(pathToFileURL(join(root, 'lib', 'cli', 'main.js')).href), modules.join('\n'));
    assert.deepEqual(modules.filter((url) => url.includes('/node_modules/tsx/') || url.endsWith('.ts')), []);
  });

  it('runs JS and Lua hooks, the SQLite writer thread and a workflow from lib/', async () => {
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'mark.mjs'), "export default (event) => ({ ok: true, message: `js saw ${event.data.n}` });\n");
    writeFileSync(join(home, 'mark.lua'), 'function on_event() log.info("lua saw " .. event.data.n) return true end\n');
    await hookflow(['hook', 'add', join(home, 'mark.mjs'), '--name', 'js-mark', '--event', 'compiled.tick']);
    await hookflow(['hook', 'add', join(home, 'mark.lua'), '--name', 'lua-mark', '--event', 'compiled.tick']);
    await hookflow(['events', 'dispatch', 'compiled.tick', '--data', '{"n": 7}']);
    await hookflow(['drain']);
    const events = JSON.parse((await hookflow(['--json', 'events', 'list'])).stdout) as Array<{ id: string; status: string }>;
    assert.deepEqual(events.map((event) => event.status), ['completed']);
    const detail = (await hookflow(['events', 'get', events[0].id])).stdout;
    assert.match(detail, /js saw 7/);
    assert.match(detail, /lua saw 7/);

    const spec = join(home, 'wf.json');
    writeFileSync(spec, JSON.stringify({ name: 'compiled', jobs: [{ name: 'a', command: 'echo from-a' }, { name: 'b', command: 'true', depends_on: ['a'] }] }));
    const id = (JSON.parse((await hookflow(['--json', 'workflow', 'submit', spec])).stdout) as { id: string }).id;
    const worker = await hookflow(['worker', '--workflow', id, '--max-parallel-jobs', '2']);
    assert.match(worker.stdout, /stopped: its workflow ended/);
    assert.deepEqual(worker.modules.filter((url) => url.includes('/node_modules/tsx/') || url.endsWith('.ts')), []);
    const status = JSON.parse((await hookflow(['--json', 'workflow', 'status', id])).stdout) as { status: string };
    assert.equal(status.status, 'completed');
  });

  // A writer thread that cannot start is not an error (the store then writes on its own thread), so
  // the commands above would not show it: start the compiled one directly.
  it('starts the compiled SQLite writer thread', async () => {
    const compiled = join(root, 'lib', 'store', 'sqlite', 'writer-thread.js');
    const { SqliteWriterThread } = (await import(compiled)) as typeof import('../../src/store/sqlite/writer-thread.js');
    const writer = await SqliteWriterThread.start({ path: join(home, 'hookflow.db'), synchronous: 'full' });
    assert.ok(writer, 'the writer thread started');
    await writer.close();
  });
});
