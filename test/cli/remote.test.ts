import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../support/server.js';
import { CliHome } from './helpers.js';

describe('the CLI against a server (--url)', () => {
  let server: TestServer;
  let home: CliHome;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    server = await startTestServer();
    home = new CliHome();
    env = { HOOKFLOW_CREDENTIALS: join(home.dir, 'credentials.json') };
  });
  after(async () => {
    await server.stop();
    home.cleanup();
  });

  it('signs in with `login`, saves the token 0600, and uses it', async () => {
    const result = await home.run(['login', '--url', server.url, '--username', 'admin'], { env, stdin: `${TEST_ADMIN_PASSWORD}\n` });
    assert.equal(result.code, 0, result.stderr);
    const file = join(home.dir, 'credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!readFileSync(file, 'utf8').includes(TEST_ADMIN_PASSWORD), 'the password itself is never saved');
    const events = await home.json<unknown[]>(['--url', server.url, 'events', 'list'], { env });
    assert.ok(Array.isArray(events));
    const wrong = await home.run(['login', '--url', server.url], { env, stdin: 'wrong-password\n' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /wrong username or password/);
  });

  it('dispatches, lists and shows events on the server, not in a local store', async () => {
    const remote = { env: { HOOKFLOW_TOKEN: server.tokens.operator } };
    const dispatched = await home.json<{ id: string; created: boolean }>(['--url', server.url, 'events', 'dispatch', 'deploy.done', '--data', '{"v": 2}'], remote);
    assert.equal(dispatched.created, true);
    assert.ok(await server.engine.store.getEvent(dispatched.id), 'the event is in the server’s store');
    assert.equal(existsSync(join(home.dir, 'hookflow.db')), false, 'no local store was opened');
    const shown = await home.json<{ id: string; data: { v: number } }>(['--url', server.url, 'events', 'get', dispatched.id], remote);
    assert.deepEqual(shown.data, { v: 2 });
    const listed = await home.ok(['--url', server.url, 'events', 'list', '--type', 'deploy.*'], remote);
    assert.match(listed.stdout, /deploy\.done/);
  });

  it('adds a hook from a local file, tests it, and reads it back', async () => {
    const file = home.file('shout.yaml', ['name: shout', 'events: [deploy.*]', 'commands:', '  - echo shouting', ''].join('\n'));
    const remote = { env: { HOOKFLOW_TOKEN: server.tokens.operator } };
    await home.ok(['--url', server.url, 'hook', 'add', file], remote);
    const hook = await server.engine.hooks.get('shout');
    assert.equal(hook.runtime, 'commands');
    const tested = await home.json<{ result: { success: boolean; output: string } }>(['--url', server.url, 'hook', 'test', 'shout'], remote);
    assert.equal(tested.result.success, true);
    assert.match(tested.result.output, /shouting/);
    const waited = await home.json<{ status: string; executions: Array<{ hook_name: string }> }>(['--url', server.url, 'events', 'dispatch', 'deploy.now', '--wait'], remote);
    assert.equal(waited.status, 'completed');
    assert.deepEqual(waited.executions.map((execution) => execution.hook_name), ['shout']);
  });

  it('manages secrets, state, users and tokens remotely, with the server’s errors', async () => {
    const admin = { env: { HOOKFLOW_TOKEN: server.tokens.admin } };
    await home.ok(['--url', server.url, 'secret', 'set', 'api_key'], { ...admin, stdin: 's3cret\n' });
    assert.equal(await server.engine.secrets.reveal('api_key'), 's3cret');
    await home.ok(['--url', server.url, 'state', 'set', 'k', '41'], admin);
    assert.equal(await server.engine.state.get('k'), 41);
    await home.ok(['--url', server.url, 'user', 'add', 'vera', '--role', 'viewer'], { ...admin, stdin: 'viewer-password\n' });
    const users = await home.json<Array<{ username: string; role: string }>>(['--url', server.url, 'user', 'list'], admin);
    assert.ok(users.some((user) => user.username === 'vera' && user.role === 'viewer'));
    const token = await home.json<{ token: string; name: string }>(['--url', server.url, 'token', 'create', '--name', 'deployer', '--role', 'operator'], admin);
    assert.match(token.token, /^hf_/);
    const viaToken = await home.run(['--url', server.url, 'user', 'list'], { env: { HOOKFLOW_TOKEN: token.token } });
    assert.equal(viaToken.code, 1);
    assert.match(viaToken.stderr, /needs the admin role/);
    await home.ok(['--url', server.url, 'token', 'revoke', 'deployer'], admin);
    const revoked = await home.run(['--url', server.url, 'events', 'list'], { env: { HOOKFLOW_TOKEN: token.token } });
    assert.match(revoked.stderr, /revoked/);
  });

  it('says clearly when there is no token or no server', async () => {
    const none = await home.run(['--url', server.url, 'events', 'list'], { env: { HOOKFLOW_CREDENTIALS: join(home.dir, 'none.json') } });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no token for http:\/\/127\.0\.0\.1:\d+/);
    const down = await home.run(['--url', 'http://127.0.0.1:9', 'events', 'list'], { env: { HOOKFLOW_TOKEN: 'x' } });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach hookflow at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('user and token commands on the local store', () => {
  it('adds users and creates tokens without a server', async () => {
    const home = new CliHome();
    try {
      await home.ok(['user', 'add', 'root', '--role', 'admin'], { stdin: 'root-password\n' });
      const users = await home.json<Array<{ username: string }>>(['user', 'list']);
      assert.deepEqual(users.map((user) => user.username), ['root']);
      const short = await home.run(['user', 'add', 'bob'], { stdin: 'short\n' });
      assert.equal(short.code, 1);
      assert.match(short.stderr, /at least 8 characters/);
      const token = await home.ok(['token', 'create', '--name', 'ci']);
      assert.match(token.stdout, /^hf_[A-Za-z0-9]{12}_/);
      const removeLast = await home.run(['user', 'remove', 'root']);
      assert.match(removeLast.stderr, /last admin/);
    } finally {
      home.cleanup();
    }
  });
});
