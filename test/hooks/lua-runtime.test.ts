import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HookflowError } from '../../src/errors.js';
import type { JsonObject } from '../../src/events/model.js';
import { LuaRuntime } from '../../src/hooks/runtimes/lua/index.js';
import { AGENT_REGISTERED, FakeHost, TASK_COMPLETED, TASK_FAILED, makeEvent, makeLuaHook, request } from './fake-host.js';

const FIXTURES = new URL('../fixtures/lua/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('LuaRuntime', () => {
  let home: string;
  let runtime: LuaRuntime;
  let server: Server;
  let base: string;
  let healthStatus = 200;
  let slackStatus = 200;
  const received: Received[] = [];

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'hookflow-lua-runtime-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.statusCode = req.url === '/health' ? healthStatus : req.url?.startsWith('/slack') ? slackStatus : 200;
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    runtime = new LuaRuntime({ home, poolSize: 1 });
    await runtime.warm();
  });

  after(async () => {
    await runtime.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(home, { recursive: true, force: true });
  });

  /** Writes a script into the home; hooks refer to it by a path relative to the home. */
  const script = (name: string, source: string): string => {
    writeFileSync(join(home, name), source);
    return name;
  };
  const copy = (name: string): string => {
    copyFileSync(new URL(name, FIXTURES), join(home, name));
    return name;
  };
  const run = (source: string, data: JsonObject = {}, host = new FakeHost(), overrides: Parameters<typeof makeEvent>[2] = {}) =>
    runtime.run(request(makeLuaHook('test_hook', source), makeEvent('task.failed', data, overrides)), host);

  describe('global style (what Sloth Runner runs)', () => {
    it('reads task events through event.task and fails on a false return', async () => {
      const source = copy('global-task.lua');
      const failed = await runtime.run(request(makeLuaHook('task_hook', source), makeEvent('task.failed', TASK_FAILED)), new FakeHost());
      assert.deepEqual(failed, {
        success: false,
        output: '[INFO] task deploy_app on web-server-01 ended failed\n[WARN] exit code 1: Connection refused',
        error: 'hook task_hook returned false',
      });
      const completed = await runtime.run(request(makeLuaHook('task_hook', source), makeEvent('task.completed', TASK_COMPLETED)), new FakeHost());
      assert.deepEqual(completed, { success: true, output: '[INFO] task build on ci-02 ended completed', error: null });
    });

    it('reads agent events through event.agent, with the contains helper', async () => {
      const source = copy('global-agent.lua');
      const result = await runtime.run(request(makeLuaHook('agent_hook', source), makeEvent('agent.registered', AGENT_REGISTERED)), new FakeHost());
      assert.deepEqual(result, {
        success: true,
        output: '[INFO] web-server-01 (192.168.1.100:50051) runs 1.0.0 on linux/amd64 with 8 cores\n[DEBUG] tags: production,web',
        error: null,
      });
    });

    const cases: Array<{ name: string; source: string; success: boolean; error?: RegExp | string; output?: string }> = [
      { name: 'no on_event at all', source: 'local x = 1\n', success: true, output: '' },
      { name: 'a non-boolean return', source: 'function on_event() return "yes" end\n', success: true },
      { name: 'no return value', source: 'function on_event() end\n', success: true, output: '' },
      { name: 'true', source: 'function on_event() return true end\n', success: true },
      { name: 'false with a reason', source: 'function on_event() return false, "disk full" end\n', success: false, error: 'disk full' },
      { name: 'a Lua error', source: '\nfunction on_event()\n  error("boom")\nend\n', success: false, error: 'global-case.lua:3: boom' },
      { name: 'a runtime error', source: 'function on_event()\n  local t = nil\n  return t.field\nend\n', success: false, error: /global-case\.lua:3: attempt to index a nil value \(local 't'\)/ },
      { name: 'an error at the top level', source: 'error("at load")\n', success: false, error: 'global-case.lua:1: at load' },
      { name: 'a syntax error', source: 'function on_event(\n', success: false, error: /global-case\.lua:2: .*near <eof>/ },
    ];
    for (const entry of cases) {
      it(`treats ${entry.name} as ${entry.success ? 'success' : 'failure'}`, async () => {
        const result = await run(script('global-case.lua', entry.source));
        assert.equal(result.success, entry.success, JSON.stringify(result));
        if (entry.error instanceof RegExp) assert.match(result.error ?? '', entry.error);
        else if (entry.error !== undefined) assert.equal(result.error, entry.error);
        else assert.equal(result.error, null);
        if (entry.output !== undefined) assert.equal(result.output, entry.output);
      });
    }

    it('gives the event global its id, type, stack, timestamp and data', async () => {
      const source = script(
        'global-fields.lua',
        `function on_event()
          assert(event.id == "evt-fields", "id " .. tostring(event.id))
          assert(event.type == "task.failed", "type")
          assert(event.stack == "production", "stack")
          assert(event.timestamp == 1759760625, "timestamp " .. tostring(event.timestamp))
          assert(math.type(event.timestamp) == "integer", "integer timestamp")
          assert(event.task == event.data.task and event.task.exit_code == 1, "task alias")
          assert(event.agent == nil, "no agent")
          return true
        end`,
      );
      const result = await run(source, TASK_FAILED, new FakeHost(), { id: 'evt-fields', stack: 'production' });
      assert.deepEqual(result, { success: true, output: '', error: null });
    });
  });

  describe('table style (what the documentation shows)', () => {
    it('runs hook.execute(event) and uses ok, message', async () => {
      const source = copy('table-multi.lua');
      const failed = await runtime.run(request(makeLuaHook('task_watch', source), makeEvent('task.failed', TASK_FAILED)), new FakeHost());
      assert.deepEqual(failed, { success: false, output: '', error: 'task deploy_app failed: Connection refused' });
      const completed = await runtime.run(request(makeLuaHook('task_watch', source), makeEvent('task.completed', TASK_COMPLETED)), new FakeHost());
      assert.deepEqual(completed, { success: true, output: 'task build ok', error: null });
    });

    const wrap = (body: string) => `local hook = { name = "t", event_type = "task.failed" }\nfunction hook.execute(event)\n${body}\nend\nreturn hook\n`;
    const cases: Array<{ name: string; body: string; success: boolean; output?: string; error?: string | RegExp }> = [
      { name: 'true and a message', body: 'return true, "sent"', success: true, output: 'sent' },
      { name: 'nothing', body: 'local x = 1', success: true, output: '' },
      { name: 'false alone', body: 'return false', success: false, error: 'hook test_hook returned false' },
      { name: 'false and a message', body: 'return false, "nope"', success: false, error: 'nope' },
      { name: 'a table message', body: 'return true, { sent = 2 }', success: true, output: '{"sent":2}' },
      { name: 'an error', body: 'error("Tests failed")', success: false, error: 'table-case.lua:3: Tests failed' },
      { name: 'an error table', body: 'error({ code = 7 })', success: false, error: '{"code":7}' },
      {
        name: 'logs, prints and a message',
        body: 'log.info("one")\nprint("two", 2, { k = true })\nlog.error("three")\nreturn true, "done"',
        success: true,
        output: '[INFO] one\ntwo 2 {"k":true}\n[ERROR] three\ndone',
      },
    ];
    for (const entry of cases) {
      it(`handles ${entry.name}`, async () => {
        const result = await run(script('table-case.lua', wrap(entry.body)), TASK_FAILED);
        assert.equal(result.success, entry.success, JSON.stringify(result));
        if (entry.output !== undefined) assert.equal(result.output, entry.output);
        if (entry.error instanceof RegExp) assert.match(result.error ?? '', entry.error);
        else if (entry.error !== undefined) assert.equal(result.error, entry.error);
        else assert.equal(result.error, null);
      });
    }

    it('fails a returned table without an execute function', async () => {
      const result = await run(script('no-execute.lua', 'return { name = "x", event_type = "task.failed" }\n'));
      assert.equal(result.success, false);
      assert.match(result.error ?? '', /no execute function/);
    });
  });

  describe("the seed document's example hooks", () => {
    it('Example 1 posts the Slack message to the webhook URL from the secret', async () => {
      received.length = 0;
      const host = new FakeHost({ slack_webhook_url: `${base}/slack/hook` });
      const hook = makeLuaHook('slack_notify_failures', copy('seed-slack-notify.lua'), { stack: 'production' });
      const result = await runtime.run(request(hook, makeEvent('task.failed', TASK_FAILED, { stack: 'production' })), host);
      assert.deepEqual(result, { success: true, output: 'Notification sent', error: null });
      assert.equal(received.length, 1);
      assert.equal(received[0].method, 'POST');
      assert.equal(received[0].url, '/slack/hook');
      assert.equal(received[0].headers['content-type'], 'application/json');
      const payload = JSON.parse(received[0].body) as { text: string; attachments: Array<{ color: string; fields: Array<{ title: string; value: string; short: boolean }> }> };
      assert.equal(payload.text, '🚨 Task Failed: deploy_app on web-server-01');
      assert.deepEqual(payload.attachments, [
        {
          color: 'danger',
          fields: [
            { title: 'Error', value: 'Connection refused', short: false },
            { title: 'Duration', value: '2m30s', short: true },
            { title: 'Exit Code', value: '1', short: true },
          ],
        },
      ]);
      assert.deepEqual(host.calls, ['secretGet slack_webhook_url']);
    });

    it('the structure example fails when the webhook does not answer 200', async () => {
      const source = script('notify-on-failure.lua', fixture('seed-notify-on-failure.lua').replace('https://hooks.slack.com/...', `${base}/slack/structure`));
      slackStatus = 200;
      const ok = await run(source, TASK_FAILED);
      assert.deepEqual(ok, { success: true, output: 'Notification sent successfully', error: null });
      slackStatus = 500;
      const failed = await run(source, TASK_FAILED);
      slackStatus = 200;
      assert.equal(failed.success, false);
      assert.match(failed.error ?? '', /notify-on-failure\.lua:\d+: Failed to send notification/);
    });

    it('Example 2 scales once, then honours the cooldown kept in state', async () => {
      const host = new FakeHost();
      const hook = makeLuaHook('auto_scale_agents', copy('seed-auto-scale.lua'));
      const event = makeEvent('system.cpu_high', { resource: { current: 95.5, threshold: 80 } });
      const first = await runtime.run(request(hook, event), host);
      assert.deepEqual(first, { success: true, output: 'Scaled up infrastructure', error: null });
      const stamp = host.state.get('last_scale_time');
      assert.equal(typeof stamp, 'number');
      assert.ok(Math.abs((stamp as number) - Date.now() / 1000) < 60);
      const second = await runtime.run(request(hook, event), host);
      assert.deepEqual(second, { success: true, output: 'Cooldown active, skipping scale', error: null });
    });

    describe('Example 3 (deployment pipeline, with a Makefile in the home)', () => {
      const makefile = [
        'test:',
        '\t@test ! -f fail-tests',
        'build:',
        '\t@touch built',
        'deploy-staging:',
        '\t@touch deployed',
        'rollback-staging:',
        '\t@touch rolled-back',
        '',
      ].join('\n');
      const deploy = { deploy: { deploy_id: 'd-42', version: 'v2.0.0' } };
      const pipeline = () => {
        writeFileSync(join(home, 'Makefile'), makefile);
        for (const marker of ['built', 'deployed', 'rolled-back', 'fail-tests']) rmSync(join(home, marker), { force: true });
        return makeLuaHook(
          'deployment_pipeline',
          script('deployment-pipeline.lua', fixture('seed-deployment-pipeline.lua').replace('https://staging.example.com', base)),
        );
      };

      it('deploys to staging and announces it', async () => {
        const hook = pipeline();
        healthStatus = 200;
        const host = new FakeHost();
        const event = makeEvent('deploy.started', deploy, { stack: 'shop' });
        const result = await runtime.run(request(hook, event), host);
        assert.deepEqual(result, { success: true, output: 'Staging deployment completed', error: null });
        assert.ok(existsSync(join(home, 'built')) && existsSync(join(home, 'deployed')));
        assert.deepEqual(
          host.dispatched.map((d) => [d.type, d.data, d.options]),
          [['deploy.staging_success', { deploy_id: 'd-42', version: 'v2.0.0' }, { stack: 'shop', parent_id: event.id }]],
        );
      });

      it('rolls back when the health check fails', async () => {
        const hook = pipeline();
        healthStatus = 503;
        const host = new FakeHost();
        const result = await runtime.run(request(hook, makeEvent('deploy.started', deploy)), host);
        healthStatus = 200;
        assert.equal(result.success, false);
        assert.match(result.error ?? '', /deployment-pipeline\.lua:\d+: Staging health check failed/);
        assert.ok(existsSync(join(home, 'rolled-back')));
        assert.deepEqual(
          host.dispatched.map((d) => [d.type, d.data]),
          [['deploy.failed', { deploy_id: 'd-42', reason: 'Health check failed' }]],
        );
      });

      it('stops when the tests fail', async () => {
        const hook = pipeline();
        writeFileSync(join(home, 'fail-tests'), '');
        const host = new FakeHost();
        const result = await runtime.run(request(hook, makeEvent('deploy.started', deploy)), host);
        assert.equal(result.success, false);
        assert.match(result.error ?? '', /Tests failed/);
        assert.ok(!existsSync(join(home, 'built')));
        assert.deepEqual(
          host.dispatched.map((d) => [d.type, d.data]),
          [['deploy.failed', { deploy_id: 'd-42', reason: 'Tests failed' }]],
        );
      });
    });
  });

  describe('sandbox', () => {
    const forbidden: Array<[string, RegExp]> = [
      ['io.open("/etc/passwd")', /attempt to index a nil value \(global 'io'\)/],
      ['os.execute("true")', /attempt to call a nil value \(field 'execute'\)/],
      ['os.exit(1)', /attempt to call a nil value \(field 'exit'\)/],
      ['os.remove("x")', /attempt to call a nil value \(field 'remove'\)/],
      ['os.rename("x", "y")', /attempt to call a nil value \(field 'rename'\)/],
      ['os.getenv("HOME")', /attempt to call a nil value \(field 'getenv'\)/],
      ['loadfile("/etc/passwd")', /attempt to call a nil value \(global 'loadfile'\)/],
      ['dofile("/etc/passwd")', /attempt to call a nil value \(global 'dofile'\)/],
      ['package.loadlib("x", "y")', /attempt to index a nil value \(global 'package'\)/],
      ['debug.getregistry()', /attempt to index a nil value \(global 'debug'\)/],
      ['require("os")', /module 'os' is not available to hooks/],
      ['require("io")', /module 'io' is not available to hooks/],
      ['require("debug")', /module 'debug' is not available to hooks/],
      ['string.dump(on_event)', /attempt to call a nil value \(field 'dump'\)/],
      ['assert(load("\\27LuaT\\0\\25\\147\\r\\n\\26\\n"))', /attempt to load a binary chunk/],
      ['string.upper = nil', /read-only table 'string'/],
      ['rawset(string, "upper", nil)', /read-only table/],
      ['json.encode = nil', /read-only table 'json'/],
      ['getmetatable("").__index = {}', /attempt to index a boolean value/],
      ['setmetatable(_G, {})', /cannot change a protected metatable/],
      ['collectgarbage("stop")', /collectgarbage\('stop'\) is not available/],
      ['setmetatable({}, { __gc = function() end })', /__gc metamethods are not available/],
    ];
    for (const [code, message] of forbidden) {
      it(`refuses ${code}`, async () => {
        const result = await run(script('sandbox.lua', `function on_event()\n  ${code}\nend\n`));
        assert.equal(result.success, false, `${code} should fail`);
        assert.match(result.error ?? '', message);
      });
    }

    it('keeps os.time, os.date, os.clock, string, table, math and text load', async () => {
      const source = script(
        'allowed.lua',
        `function on_event()
          assert(type(os.time()) == "number" and os.date("%Y", 0) == "1970" and type(os.clock()) == "number")
          assert(string.format("%05.1f", math.pi) == "003.1" and ("abc"):upper() == "ABC")
          local t = { 3, 1, 2 }
          table.sort(t)
          assert(table.concat(t, ",") == "1,2,3" and math.max(4, 9) == 9)
          answer = 42
          local chunk = assert(load("return answer + 1"))
          assert(chunk() == 43, "load sees the hook's globals")
          return true
        end`,
      );
      assert.deepEqual(await run(source), { success: true, output: '', error: null });
    });

    it('does not leak globals from one run to the next', async () => {
      const setter = script('leak-set.lua', 'function on_event() x = 1; leaked = "yes"; counter = (counter or 0) + 1; return counter == 1 end\n');
      const reader = script('leak-read.lua', 'function on_event() return x == nil and leaked == nil and counter == nil end\n');
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await run(setter), { success: true, output: '', error: null }, `setter run ${i}`);
        assert.deepEqual(await run(reader), { success: true, output: '', error: null }, `reader run ${i}`);
      }
    });

    it('picks up a script edited between runs', async () => {
      const source = script('edited.lua', 'function on_event() return false, "version 1" end\n');
      assert.equal((await run(source)).error, 'version 1');
      script('edited.lua', 'function on_event() return false, "version two" end\n');
      assert.equal((await run(source)).error, 'version two');
    });

    it('reports a missing script', async () => {
      const result = await run('does-not-exist.lua');
      assert.equal(result.success, false);
      assert.match(result.error ?? '', /hook file not found: .*does-not-exist\.lua/);
    });
  });

  describe('inspect()', () => {
    it('reads the table style metadata without running execute', async () => {
      const source = script(
        'inspect-me.lua',
        fixture('table-multi.lua').replace('function hook.execute(event)', 'function hook.execute(event)\n    error("execute must not run")'),
      );
      assert.deepEqual(await runtime.inspect(join(home, source)), {
        name: 'task_watch',
        description: 'Watches task ends',
        events: ['task.completed', 'task.failed'],
        stack: 'staging',
        filter: 'data.task.exit_code != 0',
        timeout_ms: 10_000,
      });
    });

    it('reads the seed examples', async () => {
      assert.deepEqual(await runtime.inspect(new URL('seed-slack-notify.lua', FIXTURES).pathname), {
        name: 'slack_notify_failures',
        events: ['task.failed'],
        stack: 'production',
      });
      assert.deepEqual(await runtime.inspect(new URL('seed-deployment-pipeline.lua', FIXTURES).pathname), {
        name: 'deployment_pipeline',
        events: ['deploy.started'],
      });
    });

    it('gives {} for the global style', async () => {
      assert.deepEqual(await runtime.inspect(new URL('global-task.lua', FIXTURES).pathname), {});
    });

    const invalid: Array<{ name: string; file: string; source?: string; message: RegExp; where?: RegExp }> = [
      { name: 'a syntax error', file: 'syntax-error.lua', message: /syntax-error\.lua.*:\d+: 'end' expected/, where: /syntax-error\.lua:\d+$/ },
      { name: 'an error at the top level', file: 'top-error.lua', source: 'local x = 1\nerror("cannot load")\n', message: /top-error\.lua:2: cannot load/, where: /top-error\.lua:2$/ },
      { name: 'an event type that is not a string', file: 'bad-types.lua', source: 'return { name = "x", event_types = { "a.b", 3 }, execute = function() end }\n', message: /hook\.event_types\[2\] must be a non-empty string/ },
      { name: 'a bad timeout', file: 'bad-timeout.lua', source: 'return { name = "x", timeout = "soon", execute = function() end }\n', message: /hook\.timeout must be/ },
      { name: 'a table without execute', file: 'no-exec.lua', source: 'return { name = "x" }\n', message: /no execute function/ },
    ];
    for (const entry of invalid) {
      it(`rejects ${entry.name} with HF_ERR_INVALID_HOOK naming the file`, async () => {
        const path = entry.source === undefined ? new URL(entry.file, FIXTURES).pathname : join(home, script(entry.file, entry.source));
        await assert.rejects(runtime.inspect(path), (error: unknown) => {
          assert.ok(error instanceof HookflowError, String(error));
          assert.equal(error.code, 'HF_ERR_INVALID_HOOK');
          assert.ok(error.message.includes(path), error.message);
          assert.match(error.message, entry.message);
          if (entry.where) assert.match(String(error.details.where), entry.where);
          return true;
        });
      });
    }

    it('rejects a missing file with HF_ERR_NOT_FOUND', async () => {
      await assert.rejects(runtime.inspect(join(home, 'nope.lua')), (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_NOT_FOUND');
    });
  });

  describe('on the calling thread (poolSize 0)', () => {
    it('runs both styles and inspects', async () => {
      const inline = new LuaRuntime({ home, poolSize: 0 });
      try {
        const result = await inline.run(request(makeLuaHook('task_hook', copy('global-task.lua')), makeEvent('task.completed', TASK_COMPLETED)), new FakeHost());
        assert.deepEqual(result, { success: true, output: '[INFO] task build on ci-02 ended completed', error: null });
        const table = await inline.run(request(makeLuaHook('task_watch', copy('table-multi.lua')), makeEvent('task.completed', TASK_COMPLETED)), new FakeHost());
        assert.deepEqual(table, { success: true, output: 'task build ok', error: null });
        assert.equal((await inline.inspect(join(home, 'table-multi.lua'))).name, 'task_watch');
      } finally {
        await inline.close();
      }
    });
  });
});
