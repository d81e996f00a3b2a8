import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT, UnsecuredJWT } from 'jose';
import { after, before, describe, it } from 'node:test';
import { AuthService } from '../../src/auth/service.js';
import { SecretBox } from '../../src/secrets/crypto.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../support/server.js';

async function login(server: TestServer, username: string, password: string): Promise<Response> {
  return server.request('/auth/login', { method: 'POST', role: null, json: { username, password } });
}

async function eventsOfType(server: TestServer, type: string): Promise<Array<{ data: Record<string, unknown> }>> {
  // Security events are published without waiting: give the group commit a moment.
  await sleep(50);
  const answer = (await (await server.request(`/events?type=${type}&limit=100`)).json()) as { events: Array<{ data: Record<string, unknown> }> };
  return answer.events;
}

describe('authentication', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ loginRateLimit: 100 });
  });
  after(() => server.stop());

  it('signs in with PyExecutorHub’s answer shape and records the success', async () => {
    const response = await login(server, 'admin', TEST_ADMIN_PASSWORD);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 86_400);
    assert.equal(body.username, 'admin');
    assert.equal(typeof body.access_token, 'string');
    const me = await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${String(body.access_token)}` } });
    assert.deepEqual(await me.json(), { kind: 'user', name: 'admin', role: 'admin' });
    const successes = await eventsOfType(server, 'security.login_success');
    assert.ok(successes.some((event) => event.data.username === 'admin'));
  });

  it('refuses a wrong password and an unknown user alike, and records the failure', async () => {
    const wrong = await login(server, 'admin', 'not-the-password');
    const unknown = await login(server, 'nobody', 'whatever-password');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    const [a, b] = (await Promise.all([wrong.json(), unknown.json()])) as Array<{ error: { message: string } }>;
    assert.equal(a.error.message, b.error.message);
    const failures = await eventsOfType(server, 'security.login_failed');
    assert.ok(failures.some((event) => event.data.username === 'nobody'));
    assert.ok(!JSON.stringify(failures).includes('not-the-password'), 'a failed password must never be recorded');
  });

  it('refuses forged, alg:none, expired and garbage tokens', async () => {
    const key = Buffer.from(server.engine.secretBox.decrypt((await server.engine.store.accounts.getSetting('auth.jwt_key'))!), 'base64');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('admin').setIssuer('hookflow').setIssuedAt().setExpirationTime('1h').sign(new Uint8Array(32));
    const none = new UnsecuredJWT({ role: 'admin' }).setSubject('admin').setIssuer('hookflow').setIssuedAt().setExpirationTime('1h').encode();
    const expired = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('admin')
      .setIssuer('hookflow')
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new Uint8Array(key));
    const valid = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('admin').setIssuer('hookflow').setIssuedAt().setExpirationTime('1h').sign(new Uint8Array(key));
    for (const [what, token] of [
      ['forged', forged],
      ['alg none', none],
      ['expired', expired],
      ['garbage', 'not.a.token'],
      ['fake API token', 'hf_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB'],
    ]) {
      const response = await fetch(`${server.url}/events`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status, 401, `${what} token answered ${response.status}`);
    }
    const ok = await fetch(`${server.url}/events`, { headers: { authorization: `Bearer ${valid}` } });
    assert.equal(ok.status, 200, 'the same claims signed with the real key are accepted (the test can fail)');
    const expiredAnswer = (await (await fetch(`${server.url}/events`, { headers: { authorization: `Bearer ${expired}` } })).json()) as { error: { message: string } };
    assert.match(expiredAnswer.error.message, /expired/);
  });

  it('refuses a revoked API token and records refusals without flooding the log', async () => {
    const created = (await (await server.request('/tokens', { method: 'POST', json: { name: 'ci-bot', role: 'operator' } })).json()) as { id: string; token: string };
    const use = () => fetch(`${server.url}/events`, { headers: { authorization: `Bearer ${created.token}` } });
    assert.equal((await use()).status, 200);
    const listed = (await (await server.request('/tokens')).json()) as { tokens: Array<Record<string, unknown>> };
    assert.ok(!JSON.stringify(listed).includes(created.token.split('_')[2]), 'a token secret is never listed');
    assert.equal((await server.request(`/tokens/ci-bot`, { method: 'DELETE' })).status, 200);
    for (let index = 0; index < 5; index++) assert.equal((await use()).status, 401);
    const refusals = (await eventsOfType(server, 'security.unauthorized')).filter((event) => String(event.data.reason).includes('revoked'));
    assert.equal(refusals.length, 1, 'five refusals from one client in 10 s are one event');
  });

  it('lets roles do what they may: operator publishes, not manage users', async () => {
    assert.equal((await server.request('/users', { method: 'POST', json: { username: 'olga', password: 'operator-pass', role: 'operator' } })).status, 201);
    const session = (await (await login(server, 'olga', 'operator-pass')).json()) as { access_token: string };
    const as = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${session.access_token}`, 'content-type': 'application/json' } });
    assert.equal((await as('/events', { method: 'POST', body: JSON.stringify({ type: 'demo.ping' }) })).status, 201);
    assert.equal((await as('/users')).status, 403);
    // Changing the password signs the person out everywhere (tokens issued before are refused).
    await sleep(1100);
    assert.equal((await server.request('/users/olga', { method: 'PATCH', json: { password: 'new-operator-pass' } })).status, 200);
    assert.equal((await as('/events')).status, 401);
    assert.equal((await login(server, 'olga', 'new-operator-pass')).status, 200);
  });

  it('keeps the last admin', async () => {
    const response = await server.request('/users/admin', { method: 'DELETE' });
    assert.equal(response.status, 409);
  });
});

describe('sign-in rate limit', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ loginRateLimit: 5 });
  });
  after(() => server.stop());

  it('rate limits sign-in attempts per client', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) statuses.push((await login(server, 'admin', 'wrong-password-again')).status);
    assert.ok(statuses.includes(429), `no 429 in ${statuses.join(',')}`);
    const limited = await login(server, 'admin', TEST_ADMIN_PASSWORD);
    assert.equal(limited.status, 429, 'a right password does not get around the limit');
    const body = (await limited.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'HF_ERR_RATE_LIMITED');
  });
});

describe('the first admin', () => {
  it('is created once with a random password (and a random name when asked), stored as a hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-auth-'));
    try {
      const store = await SqliteStore.open(join(dir, 'hookflow.db'));
      const box = SecretBox.fromKey('k');
      const auth = await AuthService.open(store, box);
      const first = await auth.bootstrapAdmin({ HOOKFLOW_RANDOM_USERNAME: '1' });
      assert.ok(first);
      assert.match(first.username, /^admin_[0-9a-f]{8}$/);
      assert.ok(first.password && first.password.length >= 16);
      assert.equal(await auth.bootstrapAdmin({}), null, 'only when there is no user');
      const stored = await store.accounts.getUser(first.username);
      assert.match(stored!.password_hash, /^scrypt\$/);
      assert.ok(!stored!.password_hash.includes(first.password));
      const session = await auth.login(first.username, first.password);
      assert.equal((await auth.authenticate(session.access_token)).role, 'admin');
      // A second service on the same store (another server) accepts the same session: one key.
      const other = await AuthService.open(store, box);
      assert.equal((await other.authenticate(session.access_token)).name, first.username);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
