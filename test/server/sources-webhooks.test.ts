import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { githubSignature, hmacSignature } from '../../src/sources/webhook-verify.js';
import { startTestServer, type TestServer } from '../support/server.js';

const SECRET = 'shared-webhook-key';

describe('webhooks over a real server', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({}, { HOOKFLOW_MONITOR: '0' });
    await server.engine.secrets.set('hook-key', SECRET);
    const endpoints: Array<[string, Record<string, unknown>]> = [
      ['gh', { event_type: 'github.push', verify: 'github', secret: 'hook-key', stack: 'ci' }],
      ['signed', { event_type: 'deploy.requested', verify: 'hmac', secret: 'hook-key', tolerance_s: 60, headers: ['x-request-source'] }],
      ['token', { event_type: 'alert.raised', verify: 'bearer', secret: 'hook-key' }],
      ['unset', { event_type: 'alert.raised', verify: 'bearer', secret: 'never-set' }],
      ['off', { event_type: 'alert.raised', verify: 'bearer', secret: 'hook-key' }],
    ];
    for (const [name, config] of endpoints) {
      const response = await server.request('/webhook-endpoints', { method: 'POST', role: 'operator', json: { name, config } });
      assert.equal(response.status, 201, await response.text());
    }
    assert.equal((await server.request('/webhook-endpoints/off/disable', { method: 'POST', role: 'operator' })).status, 200);
  });

  after(async () => {
    await server.stop();
  });

  const deliver = (name: string, body: string, headers: Record<string, string>) =>
    fetch(`${server.url}/webhooks/${name}`, { method: 'POST', headers, body });

  const json = (value: unknown) => JSON.stringify(value);
  const now = () => Math.floor(Date.now() / 1000);

  const accepted: Array<{ name: string; endpoint: string; body: string; headers: () => Record<string, string>; type: string; data: Record<string, unknown> }> = [
    {
      name: 'github: a JSON object is the data, with the selected headers',
      endpoint: 'gh',
      body: json({ ref: 'refs/heads/main', headers: 'its own' }),
      headers: () => ({
        'content-type': 'application/json',
        'x-hub-signature-256': githubSignature(SECRET, json({ ref: 'refs/heads/main', headers: 'its own' })),
        'x-github-event': 'push',
        'x-github-delivery': 'd-1',
        'user-agent': 'GitHub-Hookshot/1',
      }),
      type: 'github.push',
      data: { ref: 'refs/heads/main', body_headers: 'its own', headers: { 'x-github-event': 'push', 'x-github-delivery': 'd-1', 'user-agent': 'GitHub-Hookshot/1' } },
    },
    {
      name: 'hmac: a form body becomes an object (a repeated field a list)',
      endpoint: 'signed',
      body: 'service=api&tag=a&tag=b',
      headers: () => ({
        'content-type': 'application/x-www-form-urlencoded',
        'x-hookflow-signature': hmacSignature(SECRET, 'service=api&tag=a&tag=b', now()),
        'x-request-source': 'ci',
      }),
      type: 'deploy.requested',
      data: { service: 'api', tag: ['a', 'b'], headers: { 'x-request-source': 'ci' } },
    },
    {
      name: 'bearer: a raw body is {body: text}',
      endpoint: 'token',
      body: 'disk almost full',
      headers: () => ({ 'content-type': 'text/plain', authorization: `Bearer ${SECRET}`, 'user-agent': 'probe/1' }),
      type: 'alert.raised',
      data: { body: 'disk almost full', headers: { 'user-agent': 'probe/1' } },
    },
    {
      name: 'bearer: no content type and no body is empty data',
      endpoint: 'token',
      body: '',
      headers: () => ({ authorization: `Bearer ${SECRET}`, 'user-agent': 'probe/1' }),
      type: 'alert.raised',
      data: { headers: { 'user-agent': 'probe/1' } },
    },
  ];

  for (const c of accepted) {
    it(`accepts ${c.name}`, async () => {
      const response = await deliver(c.endpoint, c.body, c.headers());
      assert.equal(response.status, 202, await response.clone().text());
      const { event_id } = (await response.json()) as { event_id: string };
      const event = await server.engine.events.get(event_id);
      assert.equal(event.type, c.type);
      assert.equal(event.source, `webhook:${c.endpoint}`);
      assert.deepEqual(event.data, c.data);
      if (c.endpoint === 'gh') assert.equal(event.stack, 'ci');
    });
  }

  const refused: Array<{ name: string; endpoint: string; body: string; headers: () => Record<string, string>; reason: RegExp }> = [
    { name: 'github: a bad signature', endpoint: 'gh', body: '{"a":1}', headers: () => ({ 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }), reason: /does not match/ },
    { name: 'github: no signature', endpoint: 'gh', body: '{"a":1}', headers: () => ({ 'content-type': 'application/json' }), reason: /no x-hub-signature-256/ },
    { name: 'github: signed with another secret', endpoint: 'gh', body: '{"a":1}', headers: () => ({ 'content-type': 'application/json', 'x-hub-signature-256': githubSignature('other', '{"a":1}') }), reason: /does not match/ },
    { name: 'github: a body changed after signing', endpoint: 'gh', body: '{"a":2}', headers: () => ({ 'content-type': 'application/json', 'x-hub-signature-256': githubSignature(SECRET, '{"a":1}') }), reason: /does not match/ },
    { name: 'hmac: a replayed (old) timestamp', endpoint: 'signed', body: 'x=1', headers: () => ({ 'content-type': 'application/x-www-form-urlencoded', 'x-hookflow-signature': hmacSignature(SECRET, 'x=1', now() - 120) }), reason: /s ago, more than the 60 s tolerance/ },
    { name: 'hmac: a timestamp far ahead', endpoint: 'signed', body: 'x=1', headers: () => ({ 'x-hookflow-signature': hmacSignature(SECRET, 'x=1', now() + 600) }), reason: /in the future/ },
    { name: 'hmac: a timestamp changed after signing', endpoint: 'signed', body: 'x=1', headers: () => ({ 'x-hookflow-signature': hmacSignature(SECRET, 'x=1', now() - 120).replace(/^t=\d+/, `t=${now()}`) }), reason: /does not match/ },
    { name: 'hmac: a malformed header', endpoint: 'signed', body: 'x=1', headers: () => ({ 'x-hookflow-signature': 'sha256=abc' }), reason: /t=<unix seconds>,v1=<hex>/ },
    { name: 'bearer: the wrong secret', endpoint: 'token', body: 'x', headers: () => ({ authorization: 'Bearer nope' }), reason: /does not match/ },
    { name: 'bearer: a missing secret on the server', endpoint: 'unset', body: 'x', headers: () => ({ authorization: `Bearer ${SECRET}` }), reason: /cannot be verified/ },
  ];

  for (const c of refused) {
    it(`refuses ${c.name} with 401, storing nothing`, async () => {
      const before = (await server.engine.events.list({ limit: 1000 })).filter((event) => !event.type.startsWith('security.')).length;
      const response = await deliver(c.endpoint, c.body, c.headers());
      assert.equal(response.status, 401);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'HF_ERR_UNAUTHORIZED');
      assert.match(error.message, c.reason);
      const afterwards = (await server.engine.events.list({ limit: 1000 })).filter((event) => !event.type.startsWith('security.')).length;
      assert.equal(afterwards, before, 'no event but the security event');
    });
  }

  it('records refusals as security.unauthorized with the webhook, ip and reason', async () => {
    const events = await server.engine.events.list({ type: 'security.unauthorized', limit: 100 });
    const first = events.at(-1);
    assert.ok(first, 'a security.unauthorized event');
    assert.equal(first.data.webhook, 'gh');
    assert.equal(typeof first.data.ip, 'string');
    assert.match(String(first.data.reason), /does not match/);
  });

  it('answers 404 for an unknown or disabled webhook', async () => {
    for (const name of ['nope', 'off']) {
      const response = await deliver(name, 'x', { authorization: `Bearer ${SECRET}` });
      assert.equal(response.status, 404, name);
    }
  });

  it('answers 400 for invalid JSON that is correctly signed', async () => {
    const body = '{"a":';
    const response = await deliver('gh', body, { 'content-type': 'application/json', 'x-hub-signature-256': githubSignature(SECRET, body) });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'HF_ERR_INVALID_JSON');
  });

  it('leaves the JSON parser of other routes as it was', async () => {
    const ok = await server.request('/events', { method: 'POST', role: 'operator', json: { type: 'custom.ping', data: { a: 1 } } });
    assert.equal(ok.status, 201);
    const text = await server.request('/events', { method: 'POST', role: 'operator', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(text.status, 415);
  });

  it('manages endpoints: list, get, replace, conflict, remove; viewers read, cannot write', async () => {
    const list = (await (await server.request('/webhook-endpoints', { role: 'viewer' })).json()) as { webhooks: Array<{ name: string; url: string }> };
    assert.deepEqual(
      list.webhooks.map((hook) => hook.name),
      ['gh', 'off', 'signed', 'token', 'unset'],
    );
    assert.equal(list.webhooks[0].url, '/webhooks/gh');
    const one = (await (await server.request('/webhook-endpoints/signed', { role: 'viewer' })).json()) as { config: Record<string, unknown> };
    assert.deepEqual(one.config, {
      event_type: 'deploy.requested',
      stack: null,
      verify: 'hmac',
      secret: 'hook-key',
      signature_header: 'x-hookflow-signature',
      tolerance_s: 60,
      headers: ['x-request-source'],
    });
    const conflict = await server.request('/webhook-endpoints', { method: 'POST', role: 'operator', json: { name: 'gh', config: { event_type: 'a.b', verify: 'github', secret: 'hook-key' } } });
    assert.equal(conflict.status, 409);
    const denied = await server.request('/webhook-endpoints/gh', { method: 'DELETE', role: 'viewer' });
    assert.equal(denied.status, 403);
    const replaced = await server.request('/webhook-endpoints/temp', { method: 'PUT', role: 'operator', json: { config: { event_type: 'a.b', verify: 'bearer', secret: 'missing-secret' } } });
    assert.equal(replaced.status, 200);
    const saved = (await replaced.json()) as { warnings: string[] };
    assert.match(saved.warnings[0], /secret "missing-secret" is not set/);
    const invalid = await server.request('/webhook-endpoints/temp', { method: 'PUT', role: 'operator', json: { config: { event_type: 'a.b', verify: 'md5', secret: 'k' } } });
    assert.equal(invalid.status, 400);
    assert.match(((await invalid.json()) as { error: { message: string } }).error.message, /verify must be one of "github", "hmac", "bearer"/);
    assert.equal((await server.request('/webhook-endpoints/temp', { method: 'DELETE', role: 'operator' })).status, 204);
    assert.equal((await server.request('/webhook-endpoints/temp', { role: 'viewer' })).status, 404);
  });
});
