import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpRequestAction } from '../../../src/actions/builtin/http-request.js';
import type { JsonObject, JsonValue } from '../../../src/events/model.js';
import { json, localServer, run, type LocalServer } from './support.js';

describe('http_request', () => {
  let server: LocalServer;
  const slow = new Set<NodeJS.Timeout>();
  before(async () => {
    server = await localServer((request, response) => {
      const path = request.url.split('?')[0];
      if (path === '/json') return json(response, 200, { hello: 'world', method: request.method });
      if (path === '/echo') return json(response, 201, { body: request.body, type: request.headers['content-type'] ?? null, auth: request.headers.authorization ?? null });
      if (path === '/text') {
        response.writeHead(200, { 'content-type': 'text/plain', 'x-thing': '42' });
        return response.end('{"looks":"like json"}');
      }
      if (path === '/missing') return json(response, 404, { detail: 'no such item' });
      if (path === '/broken') {
        response.writeHead(502, { 'content-type': 'text/html' });
        return response.end('<h1>Bad gateway</h1>');
      }
      if (path === '/empty') {
        response.writeHead(204);
        return response.end();
      }
      if (path === '/slow') return void slow.add(setTimeout(() => json(response, 200, {}), 2_000));
      json(response, 500, { message: 'unexpected path' });
    });
  });
  after(() => {
    for (const timer of slow) clearTimeout(timer);
    return server.close();
  });

  const cases: Array<[string, JsonObject, { success: boolean; status_code: number; body: JsonValue; error?: RegExp }]> = [
    ['parses a JSON answer', { url: '/json' }, { success: true, status_code: 200, body: { hello: 'world', method: 'GET' } }],
    ['sends an object as JSON with headers', { url: '/echo', method: 'POST', body: { a: 1 }, headers: { Authorization: 'Bearer t' } }, { success: true, status_code: 201, body: { body: '{"a":1}', type: 'application/json', auth: 'Bearer t' } }],
    ['sends a string as it is', { url: '/echo', method: 'PUT', body: 'plain words' }, { success: true, status_code: 201, body: { body: 'plain words', type: 'text/plain;charset=UTF-8', auth: null } }],
    ['keeps text that is not declared JSON as text', { url: '/text' }, { success: true, status_code: 200, body: '{"looks":"like json"}' }],
    ['gives null for an empty answer', { url: '/empty', method: 'DELETE' }, { success: true, status_code: 204, body: null }],
    ['fails on 404 with the detail the answer gave', { url: '/missing' }, { success: false, status_code: 404, body: { detail: 'no such item' }, error: /^HTTP 404 Not Found from GET http:\/\/127\.0\.0\.1:\d+\/missing: no such item$/ }],
    ['fails on 502 with the start of the text', { url: '/broken' }, { success: false, status_code: 502, body: '<h1>Bad gateway</h1>', error: /^HTTP 502 Bad Gateway from GET .*: <h1>Bad gateway<\/h1>$/ }],
  ];
  for (const [what, params, expected] of cases) {
    it(what, async () => {
      const outcome = await run(httpRequestAction, { ...params, url: `${server.url}${String(params.url)}` });
      assert.equal(outcome.success, expected.success, outcome.error ?? '');
      assert.equal(outcome.outputs.status_code, expected.status_code);
      assert.deepEqual(outcome.outputs.body, expected.body);
      assert.equal(outcome.outputs.ok, expected.success);
      assert.equal(outcome.outputs.metadata, null);
      assert.equal(typeof outcome.outputs.headers, 'object');
      if (expected.error) assert.match(outcome.error ?? '', expected.error);
      assert.deepEqual(outcome.warnings, []);
    });
  }

  it('returns the answer headers, and metadata when asked', async () => {
    const outcome = await run(httpRequestAction, { url: `${server.url}/text`, include_metadata: true });
    assert.equal((outcome.outputs.headers as JsonObject)['x-thing'], '42');
    const metadata = outcome.outputs.metadata as JsonObject;
    assert.equal(metadata.url, `${server.url}/text`);
    assert.equal(metadata.method, 'GET');
    assert.equal(metadata.size_bytes, 21);
    assert.equal(metadata.content_type, 'text/plain');
    assert.equal(typeof metadata.elapsed_ms, 'number');
  });

  it('times out with its own limit, outputs still set', async () => {
    const outcome = await run(httpRequestAction, { url: `${server.url}/slow`, timeout_seconds: 0.2 });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /GET http:\/\/127\.0\.0\.1:\d+\/slow timed out after 0\.2 s/);
    assert.deepEqual({ ...outcome.outputs, headers: undefined }, { status_code: 0, body: null, headers: undefined, ok: false, metadata: null });
  });

  it('reports a connection refused as a failure', async () => {
    const closed = await localServer(() => undefined);
    await closed.close();
    const outcome = await run(httpRequestAction, { url: closed.url });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /failed: .*ECONNREFUSED/);
    assert.equal(outcome.outputs.status_code, 0);
  });

  it('is cancelled through the run’s signal', async () => {
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(new Error('user stop')), 50);
    const outcome = await run(httpRequestAction, { url: `${server.url}/slow` }, { signal: cancel.signal });
    assert.equal(outcome.status, 'cancelled');
  });

  it('refuses bad params before sending anything', async () => {
    const before = server.requests.length;
    const outcome = await run(httpRequestAction, { url: 'ftp://example.com', method: 'GET', body: { a: 1 }, headers: { 'bad header': 'x', ok: { nested: true } } });
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.error ?? '', /url must start with http:\/\/ or https:\/\//);
    const custom = await run(httpRequestAction, { url: server.url, method: 'GET', body: { a: 1 }, headers: { 'bad header': 'x', ok: { nested: true } } });
    assert.match(custom.error ?? '', /headers\.bad header is not a valid header name[\s\S]*headers\.ok must be a string, number or boolean, not object[\s\S]*body is not sent with GET/);
    assert.equal(server.requests.length, before);
  });
});
