import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EventRecord, JsonObject } from '../../src/events/model.js';
import { LuaRuntime } from '../../src/hooks/runtimes/lua/index.js';
import { FakeHost, TASK_FAILED, makeEvent, makeLuaHook, request } from './fake-host.js';

/**
 * Every module as a script uses it. Each case is a global-style script whose on_event asserts
 * what it got; a failed assert fails the run with its message.
 */
describe('Lua hook modules', () => {
  let home: string;
  let runtime: LuaRuntime;
  let server: Server;
  let base: string;
  const previousEnv = { ...process.env };

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'hookflow-lua-modules-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (req.url === '/slow') {
          setTimeout(() => res.end('late'), 2000).unref();
          return;
        }
        if (req.url === '/hello') {
          res.setHeader('x-answer', '42');
          res.end(`hi ${req.headers['x-token'] ?? 'nobody'}`);
          return;
        }
        res.statusCode = req.url === '/created' ? 201 : 200;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, url: req.url, type: req.headers['content-type'] ?? null, body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Workers copy the environment when they start.
    process.env.HOOKFLOW_LUA_ALLOWED = 'visible';
    process.env.HOOKFLOW_LUA_HIDDEN = 'secret-ish';
    process.env.HOOKFLOW_PREFIX_ONE = 'one';
    runtime = new LuaRuntime({ home, poolSize: 1, envAllowlist: ['HOOKFLOW_LUA_ALLOWED', 'HOOKFLOW_PREFIX_*'] });
    await runtime.warm();
  });

  after(async () => {
    await runtime.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(home, { recursive: true, force: true });
    for (const key of ['HOOKFLOW_LUA_ALLOWED', 'HOOKFLOW_LUA_HIDDEN', 'HOOKFLOW_PREFIX_ONE']) {
      if (previousEnv[key] === undefined) delete process.env[key];
      else process.env[key] = previousEnv[key];
    }
  });

  let counter = 0;
  /** Runs `body` as on_event's body; `URL` is the test server's address. */
  const check = async (body: string, options: { host?: FakeHost; event?: EventRecord; data?: JsonObject } = {}) => {
    const name = `case-${++counter}.lua`;
    writeFileSync(join(home, name), `local URL = "${base}"\nfunction on_event()\n${body}\nend\n`);
    const event = options.event ?? makeEvent('task.failed', options.data ?? TASK_FAILED);
    return runtime.run(request(makeLuaHook(name.replace('.lua', ''), name), event), options.host ?? new FakeHost());
  };
  const passes = async (body: string, options: Parameters<typeof check>[1] = {}) => {
    const result = await check(body, options);
    assert.equal(result.error, null, `the script failed: ${result.error}`);
    assert.equal(result.success, true);
    return result;
  };

  describe('http', () => {
    it('GETs with headers and reads status, body and headers', async () => {
      await passes(`
        local http = require("http")
        local r = http.get(URL .. "/hello", { headers = { ["X-Token"] = "abc" } })
        assert(r.status_code == 200, "status " .. tostring(r.status_code))
        assert(r.body == "hi abc", "body " .. r.body)
        assert(r.headers["x-answer"] == "42", "header")`);
    });

    it('POSTs a table body as JSON and a string body as is', async () => {
      await passes(`
        local r = http.post(URL .. "/created", { body = { name = "deploy", tags = { "a", "b" }, empty = json.array() } })
        assert(r.status_code == 201, "status " .. r.status_code)
        local seen = json.decode(r.body)
        assert(seen.method == "POST" and seen.type == "application/json", r.body)
        assert(seen.body == '{"empty":[],"name":"deploy","tags":["a","b"]}', seen.body)
        local raw = json.decode(http.post(URL .. "/echo", { body = "plain text", headers = { ["Content-Type"] = "text/plain" } }).body)
        assert(raw.body == "plain text" and raw.type == "text/plain", raw.body)`);
    });

    it('PUTs, DELETEs, and http.request with a query', async () => {
      await passes(`
        assert(json.decode(http.put(URL .. "/x", { body = "1" }).body).method == "PUT")
        assert(json.decode(http.delete(URL .. "/x").body).method == "DELETE")
        local r = http.request({ method = "patch", url = URL .. "/q", query = { a = "1 2" } })
        local seen = json.decode(r.body)
        assert(seen.method == "PATCH" and seen.url == "/q?a=1+2", r.body)`);
    });

    it('raises an error at the script line on a timeout or a refused connection', async () => {
      const result = await check(`
        local ok, err = pcall(http.get, URL .. "/slow", { timeout = 0.2 })
        assert(not ok and err:find("timed out"), "timeout: " .. tostring(err))
        http.get("http://127.0.0.1:1/nothing")`);
      assert.equal(result.success, false);
      assert.match(result.error ?? '', /case-\d+\.lua:6: http GET http:\/\/127\.0\.0\.1:1\/nothing failed/);
    });

    it('blames the script line for a bad argument', async () => {
      const result = await check('http.get(nil)');
      assert.match(result.error ?? '', /^case-\d+\.lua:3: bad argument #1 to 'http\.get' \(string expected, got nil\)$/);
    });

    it('is reachable as a global too', async () => {
      await passes('assert(http.get(URL .. "/hello").status_code == 200)');
    });
  });

  describe('exec', () => {
    it('runs a shell command in the home and returns exit code, stdout, stderr', async () => {
      await passes(`
        local r = exec.run("echo out; echo err 1>&2; pwd; exit 3")
        assert(r.exit_code == 3, "exit " .. r.exit_code)
        assert(r.stdout == "out\\n${home}\\n", r.stdout)
        assert(r.stderr == "err\\n", r.stderr)`);
    });

    it('takes cwd, env, timeout and an argument list', async () => {
      await passes(`
        local r = require("exec").run("echo $GREETING; pwd", { cwd = "/tmp", env = { GREETING = "hello" } })
        assert(r.stdout == "hello\\n/tmp\\n", r.stdout)
        local listed = exec.run({ "printf", "%s-%s", "a b", "c" })
        assert(listed.stdout == "a b-c", listed.stdout)
        local slow = exec.run("sleep 5", { timeout = 0.2 })
        assert(slow.exit_code ~= 0 and slow.stderr:find("timed out"), slow.stderr)`);
    });
  });

  describe('state and secret', () => {
    it('keeps state across runs through the host', async () => {
      const host = new FakeHost();
      const body = `
        local runs = state.increment("runs")
        if runs == 1 then
          assert(state.get("config") == nil)
          state.set("config", { region = "eu", ports = { 80, 443 }, ratio = 0.5 })
        else
          local config = state.get("config")
          assert(config.region == "eu" and config.ports[2] == 443 and config.ratio == 0.5, json.encode(config))
          assert(state.delete("config") == true and state.delete("config") == false)
          assert(state.increment("runs", 10) == 12)
        end`;
      await passes(body, { host });
      assert.deepEqual(host.state.get('config'), { ports: [80, 443], ratio: 0.5, region: 'eu' });
      await passes(body, { host });
      assert.equal(host.state.get('runs'), 12);
      assert.equal(host.state.has('config'), false);
    });

    it('reads secrets', async () => {
      const host = new FakeHost({ api_key: 's3cr3t' });
      await passes(`
        assert(require("secret").get("api_key") == "s3cr3t")
        assert(secret.get("missing") == nil)`, { host });
      assert.deepEqual(host.calls, ['secretGet api_key', 'secretGet missing']);
    });

    it('refuses values that are not data', async () => {
      const result = await check('state.set("f", { fn = print })');
      assert.equal(result.success, false);
      assert.match(result.error ?? '', /case-\d+\.lua:3: state\.set: cannot convert a function value to JSON/);
    });
  });

  describe('event', () => {
    it('dispatches chains that inherit the stack and carry the parent id', async () => {
      const host = new FakeHost();
      const first = makeEvent('deploy.started', { step: 0 }, { stack: 'production' });
      const chain = `
        local step = event.data.step + 1
        if step <= 2 then
          local ok, id = require("event").dispatch("deploy.step", { step = step, stack = "elsewhere" })
          assert(ok == true and type(id) == "string", tostring(id))
        end`;
      await passes(chain, { host, event: first });
      await passes(chain, { host, event: host.eventOf(host.dispatched[0]) });
      await passes(chain, { host, event: host.eventOf(host.dispatched[1]) });
      assert.deepEqual(
        host.dispatched.map((d) => [d.id, d.type, d.data, d.options]),
        [
          ['evt-1', 'deploy.step', { step: 1, stack: 'elsewhere' }, { stack: 'production', parent_id: first.id }],
          ['evt-2', 'deploy.step', { step: 2, stack: 'elsewhere' }, { stack: 'production', parent_id: 'evt-1' }],
        ],
      );
    });

    it('works as event.dispatch on the global event, with dispatch_custom and dispatch_file', async () => {
      const host = new FakeHost();
      const source = makeEvent('file.watch', {}, { stack: null });
      await passes(`
        assert(event.type == "file.watch")
        assert(event.dispatch("custom.triggered", { n = 1 }))
        assert(event.dispatch_custom("backup", "nightly backup done"))
        assert(event.dispatch_file("created", "/srv/data/new.csv"))
        local ok, err = event.dispatch_file("renamed", "/x")
        assert(ok == false and err:find("created, modified or deleted"), err)
        ok, err = event.dispatch("custom.bad", "not a table")
        assert(ok == false and err == "event data must be a table", err)
        ok, err = event.dispatch("custom.explicit", { stack = "staging" })
        assert(ok)`, { host, event: source });
      assert.deepEqual(
        host.dispatched.map((d) => [d.type, d.options.stack, d.options.parent_id]),
        [
          ['custom.triggered', null, source.id],
          ['custom', null, source.id],
          ['file.created', null, source.id],
          ['custom.explicit', 'staging', source.id],
        ],
      );
      const custom = host.dispatched[1].data;
      assert.equal(custom.name, 'backup');
      assert.equal(custom.message, 'nightly backup done');
      assert.ok(typeof custom.timestamp === 'number' && Math.abs(custom.timestamp - Date.now() / 1000) < 60);
      assert.deepEqual(host.dispatched[2].data, { path: '/srv/data/new.csv' });
    });

    it('returns false and the error when the host cannot publish', async () => {
      const host = new FakeHost();
      host.dispatch = async () => {
        throw new Error('store is read-only');
      };
      await passes(`
        local ok, err = event.dispatch("custom.x", {})
        assert(ok == false and err == "store is read-only", tostring(err))`, { host });
    });
  });

  describe('json and yaml', () => {
    const roundTrips = [
      '{"a":[1,2,{"b":"c"}],"e":[],"o":{}}',
      '[1,null,3]',
      '{"float":1.5,"int":2,"neg":-7,"big":12345678901}',
      '{"text":"héllo \\"quoted\\" 🚀","t":true,"f":false}',
      '[]',
      '"just a string"',
    ];
    for (const text of roundTrips) {
      it(`round-trips ${text}`, async () => {
        const host = new FakeHost();
        await passes(`state.set("out", json.encode(json.decode(${JSON.stringify(text)})))`, { host });
        assert.deepEqual(JSON.parse(host.state.get('out') as string), JSON.parse(text));
      });
    }

    it('maps null to nil, encodes json.null, sorts keys, and reports bad input at the script line', async () => {
      const result = await check(`
        local v = json.decode('{"a":null,"b":1}')
        assert(v.a == nil and v.b == 1)
        assert(json.encode({ z = 1, a = json.null, m = { 1, 2 } }) == '{"a":null,"m":[1,2],"z":1}')
        assert(json.encode({}) == "{}" and json.encode(json.array()) == "[]")
        assert(json.encode({ [1] = "a", [3] = "c" }) == '["a",null,"c"]')
        assert(json.encode({ 1, 2, x = 3 }) == '{"1":1,"2":2,"x":3}')
        assert(json.encode({ a = 1 }, { indent = true }) == '{\\n  "a": 1\\n}')
        json.decode("{broken")`);
      assert.equal(result.success, false);
      assert.match(result.error ?? '', /case-\d+\.lua:11: json\.decode: /);
    });

    it('encodes and decodes YAML', async () => {
      const host = new FakeHost();
      await passes(`
        local doc = yaml.decode("name: web\\nreplicas: 3\\nports: [80, 443]\\nlabels:\\n  tier: frontend\\n")
        assert(doc.name == "web" and doc.replicas == 3 and doc.ports[2] == 443 and doc.labels.tier == "frontend")
        state.set("yaml", require("yaml").encode({ name = "x", list = { 1, 2 } }))
        local ok, err = pcall(yaml.decode, "a: [unclosed")
        assert(not ok and err:find("yaml"), err)`, { host });
      assert.equal(host.state.get('yaml'), 'list:\n  - 1\n  - 2\nname: x\n');
    });
  });

  describe('template', () => {
    it('renders Jinja-style templates with autoescape off, and Go-style field references', async () => {
      const host = new FakeHost();
      await passes(`
        local t = require("template")
        state.set("a", t.render("Task {{ task.task_name }} failed{% if task.exit_code > 0 %} with code {{ task.exit_code }}{% endif %}", event.data))
        state.set("b", template.render("{{ html }} / {{ items | join(', ') }} / {{ missing }}", { html = "<b>&</b>", items = { "x", "y" } }))
        state.set("c", template.render("Hello {{.name}} from {{ .place }}", { name = "Ana", place = "Lisbon" }))
        local ok, err = pcall(template.render, "{% if %}", {})
        assert(not ok and err:find("template"), err)`, { host });
      assert.equal(host.state.get('a'), 'Task deploy_app failed with code 1');
      assert.equal(host.state.get('b'), '<b>&</b> / x, y / ');
      assert.equal(host.state.get('c'), 'Hello Ana from Lisbon');
    });
  });

  describe('crypto', () => {
    it('matches known vectors', async () => {
      await passes(`
        local c = require("crypto")
        assert(c.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        assert(c.sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        assert(c.hmac_sha256("key", "The quick brown fox jumps over the lazy dog") == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
        assert(c.base64_encode("hello") == "aGVsbG8=" and c.base64_decode("aGVsbG8=") == "hello")
        local bytes = "\\0\\255\\1\\128"
        assert(c.base64_encode(bytes) == "AP8BgA==", c.base64_encode(bytes))
        assert(c.base64_decode(c.base64_encode(bytes)) == bytes)
        assert(c.uuid():match("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"))
        assert(c.uuid() ~= c.uuid())
        local ok, err = pcall(c.base64_decode, "not base64!")
        assert(not ok and err:find("invalid base64"), err)`);
    });

    it('hashes the bytes of binary strings, not their UTF-8 reading', async () => {
      const host = new FakeHost();
      await passes('state.set("h", crypto.sha256("\\255\\0\\254"))', { host });
      const { createHash } = await import('node:crypto');
      assert.equal(host.state.get('h'), createHash('sha256').update(Buffer.from([255, 0, 254])).digest('hex'));
    });
  });

  describe('file and file_ops', () => {
    it('reads, writes, appends and checks files, relative to the home', async () => {
      await passes(`
        assert(file.write("notes/a.txt", "one\\n"))
        assert(file.append("notes/a.txt", "two\\n"))
        assert(file.read("notes/a.txt") == "one\\ntwo\\n")
        assert(file.exists("notes/a.txt") and not file.exists("notes/b.txt"))
        local content, err = file.read("notes/missing.txt")
        assert(content == nil and err:find("no such file"), tostring(err))`);
      assert.equal(readFileSync(join(home, 'notes/a.txt'), 'utf8'), 'one\ntwo\n');
    });

    it('lineinfile adds a line once, creates files on request, replaces by regexp', async () => {
      const target = join(home, 'etc', 'hosts');
      await passes(`
        local ok, err = file_ops.lineinfile{ path = "etc/hosts", line = "10.0.0.1 db" }
        assert(ok == nil and err:find("does not exist"), tostring(err))
        assert(file_ops.lineinfile{ path = "etc/hosts", line = "10.0.0.1 db", create = true } == true)
        assert(file_ops.lineinfile{ path = "etc/hosts", line = "10.0.0.1 db" } == false)
        assert(file.lineinfile{ path = "etc/hosts", line = "10.0.0.2 cache" } == true)
        assert(file.lineinfile{ path = "etc/hosts", line = "10.0.0.9 db", regexp = " db$" } == true)`);
      assert.equal(readFileSync(target, 'utf8'), '10.0.0.9 db\n10.0.0.2 cache\n');
      assert.ok(existsSync(target));
    });
  });

  describe('env', () => {
    it('reads only allowlisted variables', async () => {
      await passes(`
        local env = require("env")
        assert(env.get("HOOKFLOW_LUA_ALLOWED") == "visible")
        assert(env.get("HOOKFLOW_PREFIX_ONE") == "one")
        assert(env.get("HOOKFLOW_LUA_HIDDEN") == nil)
        assert(env.get("HOOKFLOW_LUA_HIDDEN", "fallback") == "fallback")
        assert(env.get("PATH") == nil)`);
    });
  });

  describe('log and require', () => {
    it('captures log levels and refuses unknown modules', async () => {
      const result = await check(`
        log.debug("d") log.info("i", 2) log.warn({ k = "v" }) log.error("e")
        local log2 = require("log")
        log2.info("via require")
        require("socket")`);
      assert.equal(result.success, false);
      assert.equal(result.output, '[DEBUG] d\n[INFO] i 2\n[WARN] {"k":"v"}\n[ERROR] e\n[INFO] via require');
      assert.match(result.error ?? '', /module 'socket' is not available to hooks \(available: crypto, env, event, exec, file, file_ops, http, json, log, secret, state, template, yaml\)/);
    });
  });
});
