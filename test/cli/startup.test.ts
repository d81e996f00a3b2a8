import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CliHome, cleanEnv } from './helpers.js';

/**
 * Start-up cost: each command loads only what it needs. The binary runs in a child process with
 * test/fixtures/startup/record-modules.mjs preloaded, which logs every module the process loads
 * (ESM imports and CommonJS requires alike); the server stack must not be among them.
 */

const BIN = fileURLToPath(new URL('../../bin/hookflow.js', import.meta.url));
const RECORDER = new URL('../fixtures/startup/record-modules.mjs', import.meta.url).href;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The HTTP server stack and the programs' Docker client: only `serve` and the programs load them. */
const SERVER_STACK = ['fastify', '@fastify/static', '@fastify/swagger', '@fastify/swagger-ui', '@fastify/rate-limit', 'typebox', 'prom-client', 'dockerode', 'jose'];

interface Loaded {
  packages: Set<string>;
  /** This package's own modules, relative to its root (src/cli/main.ts). */
  sources: Set<string>;
  stdout: string;
}

/** Runs the binary with the recorder and tells which packages and source modules it loaded. */
async function loadedBy(args: string[], env: NodeJS.ProcessEnv, log: string): Promise<Loaded> {
  rmSync(log, { force: true });
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', RECORDER, BIN, ...args], { env: { ...env, HOOKFLOW_MODULE_LOG: log } });
  const packages = new Set<string>();
  const sources = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    if (!url.startsWith('file:')) continue;
    const path = fileURLToPath(url);
    const inPackage = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path.slice(path.lastIndexOf('/node_modules/')));
    if (inPackage) packages.add(inPackage[1]);
    // Compiled (lib/x.js, `npm run build`) or not, a module is named by its source.
    else if (path.startsWith(ROOT)) sources.add(path.slice(ROOT.length).replace(/^lib\/(.*)\.js$/, 'src/$1.ts'));
  }
  return { packages, sources, stdout };
}

function assertAbsent(loaded: Loaded, packages: string[], sourcePrefixes: string[]): void {
  assert.deepEqual(packages.filter((name) => loaded.packages.has(name)), [], 'packages that must not be loaded');
  assert.deepEqual([...loaded.sources].filter((path) => sourcePrefixes.some((prefix) => path.startsWith(prefix))), [], 'modules that must not be loaded');
}

describe('start-up: commands load only what they need', () => {
  const home = new CliHome();
  const log = join(mkdtempSync(join(tmpdir(), 'hookflow-startup-')), 'modules.txt');
  const env = cleanEnv({ HOOKFLOW_HOME: home.dir });
  let workflowId = '';

  before(async () => {
    const spec = join(home.dir, 'one.json');
    writeFileSync(spec, JSON.stringify({ name: 'startup', jobs: [{ name: 'one', command: 'true' }] }));
    const submitted = await home.run(['workflow', 'submit', spec, '--json']);
    assert.equal(submitted.code, 0, submitted.stderr);
    workflowId = (JSON.parse(submitted.stdout) as { id: string }).id;
  });

  after(() => {
    home.cleanup();
    rmSync(join(log, '..'), { recursive: true, force: true });
  });

  it('--version loads commander and the command declarations, not the engine, a store or the server', async () => {
    const loaded = await loadedBy(['--version'], env, log);
    assert.match(loaded.stdout, /^\d+\.\d+\.\d+/);
    // The recorder works: the CLI's own modules are there.
    assert.ok(loaded.packages.has('commander'), [...loaded.packages].join(', '));
    assert.ok(loaded.sources.has('src/cli/main.ts') && loaded.sources.has('src/cli/workflows.ts'));
    assertAbsent(loaded, [...SERVER_STACK, 'yaml', 'better-sqlite3', 'pg', 'cli-table3', 'jexl'], ['src/engine.ts', 'src/server/', 'src/store/open.ts', 'src/store/sqlite/', 'src/cli/serve-run.ts']);
  });

  it('a worker of command jobs loads the engine, its store and the workflow worker, not the server, the Docker client, the spec parsers or the actions', async () => {
    const loaded = await loadedBy(['worker', '--workflow', workflowId, '--max-parallel-jobs', '1', '--idle-timeout', '30s'], env, log);
    assert.match(loaded.stdout, /stopped: its workflow ended/);
    assert.ok(loaded.sources.has('src/workflows/worker.ts') && loaded.sources.has('src/engine.ts'), 'the worker and the engine were loaded');
    // better-sqlite3 requires `bindings` itself: CommonJS requires are recorded too (dockerode is required that way).
    assert.ok(loaded.packages.has('better-sqlite3') && loaded.packages.has('bindings'), [...loaded.packages].join(', '));
    // The YAML/JSON5 parsers, the template engine and the actions load with the first action job
    // (or action, or DAG outputs): a worker start costs about a fifth less without them.
    assertAbsent(
      loaded,
      [...SERVER_STACK, 'pg', 'yaml', 'json5', 'nunjucks'],
      ['src/server/', 'src/cli/serve-run.ts', 'src/programs/runners/', 'src/programs/docker-info.ts', 'src/store/postgres/', 'src/workflows/spec/dag.ts', 'src/workflows/execute/step-job.ts', 'src/actions/executor.ts', 'src/actions/templates.ts', 'src/actions/builtin/'],
    );
  });
});
