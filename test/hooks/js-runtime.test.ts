import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HookflowError } from '../../src/errors.js';
import type { EventRecord, JsonObject } from '../../src/events/model.js';
import type { HookRecord } from '../../src/hooks/model.js';
import { JsRuntime } from '../../src/hooks/runtimes/js/index.js';
import { FakeHost, makeEvent, makeHook } from './js-fake-host.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/js/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

function jsHook(source: string, overrides: Partial<HookRecord> = {}): HookRecord {
  return makeHook({ name: overrides.name ?? source.split('/').pop() ?? 'hook', runtime: 'js', source, ...overrides });
}

describe('JsRuntime', () => {
  const runtime = new JsRuntime({ poolSize: 2 });
  const temp = mkdtempSync(join(tmpdir(), 'hookflow-js-'));
  const run = (source: string, event: EventRecord = makeEvent(), host = new FakeHost(), hook: Partial<HookRecord> = {}) =>
    runtime.run({ hook: jsHook(source, hook), event, attempt: hook.retry ? 2 : 1 }, host);

  after(async () => {
    await runtime.close();
    rmSync(temp, { recursive: true, force: true });
  });

  describe('loading modules', () => {
    it('runs a TypeScript defineHook module, with its log lines in the output', async () => {
      const result = await run(fixture('define-hook.ts'), makeEvent({ data: { task: { exit_code: 3 } } }));
      assert.deepEqual(result, { success: true, output: 'handled task.failed\n[INFO] exit code 3 attempt 1', error: null });
    });

    it('runs a plain async function from an .mjs file', async () => {
      const result = await run(fixture('plain-async.mjs'), makeEvent({ type: 'deploy.done' }));
      assert.deepEqual(result, { success: true, output: 'plain deploy.done attempt 1\n[WARN] type is deploy.done', error: null });
    });

    it('imports an npm package from a .mts module', async () => {
      const result = await run(fixture('npm-import.mts'), makeEvent({ type: 'x.y' }));
      assert.equal(result.output, 'type: x.y');
      assert.equal(result.success, true);
    });

    it("resolves `import … from 'hookflow'`", async () => {
      const result = await run(fixture('hookflow-import.js'));
      assert.deepEqual(result, { success: true, output: 'imported from hookflow', error: null });
    });

    it("finds hookflow's own packages for a hook file outside hookflow's folder, as TS with no package.json", async () => {
      const file = join(temp, 'outside.ts');
      writeFileSync(
        file,
        "import { parse } from 'yaml';\nimport { defineHook } from 'hookflow';\n" +
          "const n: number = parse('n: 2').n;\nexport default defineHook({ execute: () => `n=${n}` });\n",
      );
      const result = await run(file);
      assert.deepEqual(result, { success: true, output: 'n=2', error: null });
    });

    it('reloads a module whose file changed, and keeps the cached one otherwise', async () => {
      const file = join(temp, 'changing.js');
      writeFileSync(file, "globalThis.__loads = (globalThis.__loads ?? 0) + 1;\nexport default () => `v1 loads=${globalThis.__loads}`;\n");
      const first = await run(file);
      const again = await run(file);
      writeFileSync(file, "globalThis.__loads = (globalThis.__loads ?? 0) + 1;\nexport default () => `v2 loads=${globalThis.__loads}`;\n");
      const future = new Date(Date.now() + 5_000);
      utimesSync(file, future, future);
      const changed = await run(file);
      assert.match(first.output, /^v1 loads=1$/);
      assert.match(again.output, /^v1 loads=1$/);
      assert.match(changed.output, /^v2 loads=[12]$/);
    });

    it('fails a run whose file does not exist, or does not parse, or exports no hook', async () => {
      const missing = await run(join(temp, 'nope.js'));
      assert.equal(missing.success, false);
      assert.match(missing.error ?? '', /nope\.js does not exist/);

      const broken = join(temp, 'broken.js');
      writeFileSync(broken, 'export default function (event {\n  return true;\n}\n');
      const syntax = await run(broken);
      assert.equal(syntax.success, false);
      assert.match(syntax.error ?? '', /cannot load hook file .*broken\.js/);

      const badExport = await run(fixture('bad-export.js'));
      assert.equal(badExport.success, false);
      assert.match(badExport.error ?? '', /default export must be defineHook/);
    });

    it('fails a hook with no source file', async () => {
      const result = await runtime.run({ hook: makeHook({ name: 'nosrc', runtime: 'js' }), event: makeEvent(), attempt: 1 }, new FakeHost());
      assert.equal(result.success, false);
      assert.match(result.error ?? '', /HF_ERR_INVALID_HOOK: js hook nosrc has no source file/);
    });
  });

  describe('return values', () => {
    const cases: Array<{ mode: string; success: boolean; output: string; error: string | RegExp | null }> = [
      { mode: 'undefined', success: true, output: '[INFO] mode undefined', error: null },
      { mode: 'true', success: true, output: '[INFO] mode true', error: null },
      { mode: 'number', success: true, output: '[INFO] mode number', error: null },
      { mode: 'object', success: true, output: '[INFO] mode object', error: null },
      { mode: 'string', success: true, output: 'a message\n[INFO] mode string', error: null },
      { mode: 'ok-true', success: true, output: 'all good\n[INFO] mode ok-true', error: null },
      { mode: 'false', success: false, output: '[INFO] mode false', error: 'hook returns.js returned false' },
      { mode: 'ok-false', success: false, output: 'not today\n[INFO] mode ok-false', error: 'not today' },
      { mode: 'ok-false-bare', success: false, output: '[INFO] mode ok-false-bare', error: 'hook returns.js returned ok: false' },
      { mode: 'throw', success: false, output: '[INFO] mode throw', error: 'it broke' },
      { mode: 'throw-type', success: false, output: '[INFO] mode throw-type', error: /^TypeError: Cannot read properties of null/ },
      { mode: 'throw-string', success: false, output: '[INFO] mode throw-string', error: 'a string' },
    ];
    for (const { mode, success, output, error } of cases) {
      it(`reads ${mode}`, async () => {
        const result = await run(fixture('returns.js'), makeEvent({ data: { mode } }));
        assert.equal(result.success, success);
        assert.equal(result.output, output);
        if (error instanceof RegExp) assert.match(result.error ?? '', error);
        else assert.equal(result.error, error);
      });
    }
  });

  describe('ctx', () => {
    let server: Server;
    let base = '';
    const seen: string[] = [];

    before(async () => {
      server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          seen.push(`${request.method} ${request.url} ${request.headers['x-test'] ?? '-'} ${request.headers['content-type'] ?? '-'} ${body}`);
          response.writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'text/plain' });
          response.end(`${request.method}:${body}`);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('http: get, post, put, delete and request reach a real server', async () => {
      const result = await run(fixture('ctx-http.js'), makeEvent({ data: { base } }));
      assert.equal(result.error, null);
      assert.equal(result.output, '200 GET: | 201 POST:{"name":"n1"} | 200 PUT:raw body | 200 DELETE: | 200 PATCH:{"a":1}');
      assert.deepEqual(seen, [
        'GET /items?q=x yes - ',
        'POST /items - application/json {"name":"n1"}',
        'PUT /items/1 - text/plain;charset=UTF-8 raw body',
        'DELETE /items/1 - - ',
        'PATCH /items/1 - application/json {"a":1}',
      ]);
    });

    it('exec: a shell string with env, and a direct argument list', async () => {
      const result = await run(fixture('ctx-exec.ts'), makeEvent({ data: { value: 7 } }));
      assert.equal(result.success, true);
      assert.deepEqual(JSON.parse(result.output), [
        { exit_code: 3, stdout: 'out-7\n', stderr: 'err\n' },
        { exit_code: 0, stdout: 'direct args\n', stderr: '' },
      ]);
    });

    it('state, secret and dispatch go to the host; dispatch inherits stack, correlation and parent', async () => {
      const host = new FakeHost();
      host.secrets.set('api_token', 's3cret');
      const event = makeEvent({ stack: 'production', correlation_id: 'corr-1' });
      const result = await run(fixture('ctx-host.js'), event, host, { name: 'host-user' });
      assert.equal(result.error, null);
      assert.deepEqual(JSON.parse(result.output), {
        greeting: { text: 'hello', n: 1 },
        counter: 1,
        counter2: 6,
        removed: true,
        missing: null,
        secret: 's3cret',
        noSecret: null,
        child: 'evt-1',
        other: 'evt-2',
        rejected: 'state.set: the value cannot be stored as JSON (it is undefined)',
      });
      assert.equal(host.state.get('counter'), 6);
      assert.deepEqual(host.dispatched, [
        {
          id: 'evt-1',
          type: 'custom.followup',
          data: { from: event.id } as JsonObject,
          options: { stack: 'production', parent_id: event.id, correlation_id: 'corr-1', source: 'hook:host-user' },
        },
        {
          id: 'evt-2',
          type: 'custom.elsewhere',
          data: {},
          options: { stack: 'staging', parent_id: event.id, correlation_id: 'corr-1', source: 'mine' },
        },
      ]);
    });

    it('a host error reaches the hook as a thrown error', async () => {
      const host = new FakeHost();
      host.stateSet = () => Promise.reject(new Error('store is down'));
      const result = await run(fixture('ctx-host.js'), makeEvent(), host);
      assert.equal(result.success, false);
      assert.equal(result.error, 'store is down');
    });

    it('passes the attempt number', async () => {
      const result = await runtime.run({ hook: jsHook(fixture('plain-async.mjs')), event: makeEvent({ type: 'a.b' }), attempt: 3 }, new FakeHost());
      assert.match(result.output, /^plain a\.b attempt 3/);
    });
  });

  describe('inspect', () => {
    it('reads defineHook fields, timeout in ms and events as a list', async () => {
      assert.deepEqual(await runtime.inspect(fixture('define-hook.ts')), {
        name: 'ts-define',
        description: 'A TypeScript hook written with defineHook',
        events: ['task.failed', 'task.retried'],
        stack: 'production',
        filter: 'data.task.exit_code != 0',
        timeout_ms: 2500,
      });
      assert.deepEqual(await runtime.inspect(fixture('hookflow-import.js')), { name: 'from-package', events: ['deploy.*'] });
    });

    it('gives {} for a plain function', async () => {
      assert.deepEqual(await runtime.inspect(fixture('noop.js')), {});
    });

    const failures: Array<{ file: () => string; message: RegExp }> = [
      { file: () => join(temp, 'broken.js'), message: /cannot load hook file .*broken\.js: .*/ },
      { file: () => fixture('bad-export.js'), message: /bad-export\.js: the default export must be/ },
      { file: () => fixture('bad-meta.ts'), message: /bad-meta\.ts: defineHook field `timeout` must be a positive number of seconds/ },
      { file: () => join(temp, 'absent.ts'), message: /absent\.ts does not exist/ },
    ];
    for (const { file, message } of failures) {
      it(`rejects ${message.source.slice(0, 40)} with HF_ERR_INVALID_HOOK naming the file`, async () => {
        writeFileSync(join(temp, 'broken.js'), 'export default function (event {\n}\n');
        await assert.rejects(runtime.inspect(file()), (error: unknown) => {
          assert.ok(error instanceof HookflowError);
          assert.equal(error.code, 'HF_ERR_INVALID_HOOK');
          assert.match(error.message, message);
          assert.ok(String(error.details.where).includes(file().split('/').pop() ?? '?'));
          return true;
        });
      });
    }
  });

  describe('throughput path', () => {
    it('runs a burst of 5 000 runs, more than one worker can hold at once, all successful', async () => {
      const small = new JsRuntime({ poolSize: 2, maxRunsPerWorker: 256 });
      try {
        const hook = jsHook(fixture('returns.js'));
        const results = await Promise.all(
          Array.from({ length: 5_000 }, (_, i) => small.run({ hook, event: makeEvent({ data: { mode: i % 2 ? 'string' : 'false' } }), attempt: 1 }, new FakeHost())),
        );
        assert.equal(results.filter((r) => r.success).length, 2_500);
        assert.equal(results.filter((r) => r.error === 'hook returns.js returned false').length, 2_500);
      } finally {
        await small.close();
      }
    });
  });
});
