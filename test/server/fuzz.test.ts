/**
 * Fuzzes every route that takes a body with generated malformed and surprising bodies, as an
 * admin so the handlers are really reached: never a 5xx, never a crash, never a half-stored write.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const body = fc.oneof(
  fc.string({ maxLength: 200 }).map((text) => ({ raw: text, type: 'application/json' })),
  jsonValue.map((value) => ({ raw: JSON.stringify(value), type: 'application/json' })),
  fc.dictionary(fc.constantFrom('type', 'data', 'name', 'runtime', 'script', 'commands', 'events', 'value', 'username', 'password', 'role', 'stack', '__proto__', 'constructor'), jsonValue).map((value) => ({
    raw: JSON.stringify(value),
    type: 'application/json',
  })),
  fc.record({ type: fc.string({ maxLength: 40 }), data: jsonValue }).map((value) => ({ raw: JSON.stringify(value), type: 'application/json' })),
  fc.uint8Array({ maxLength: 100 }).map((bytes) => ({ raw: Buffer.from(bytes).toString('latin1'), type: 'application/octet-stream' })),
  fc.constant({ raw: '{"a":'.repeat(500), type: 'application/json' }),
  fc.constant({ raw: '', type: 'application/json' }),
);

describe('fuzzing the routes that take a body', () => {
  let server: TestServer;
  let routes: Array<{ method: string; path: string }>;

  before(async () => {
    server = await startTestServer({ loginRateLimit: 100_000 });
    const document = (await (await server.request('/openapi.json', { role: null })).json()) as OpenApiDocument;
    routes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => ['post', 'put', 'patch'].includes(method))
        .map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'fuzzed') })),
    );
  });
  after(() => server.stop());

  it('answers every generated body with a 2xx or a 4xx in the error shape', async () => {
    const accepted = new Map<string, number>();
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(body, async ({ raw, type }) => {
          const response = await server.request(route.path, { method: route.method, body: raw, headers: { 'content-type': type } });
          const text = await response.text();
          assert.ok(response.status < 500, `${route.method} ${route.path} answered ${response.status} to ${raw.slice(0, 80)}: ${text.slice(0, 200)}`);
          if (response.status >= 400 && response.status !== 404) {
            const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
            assert.match(parsed.error?.code ?? '', /^HF_ERR_/, `${route.method} ${route.path}: ${text.slice(0, 200)}`);
          }
          if (response.status < 300) accepted.set(`${route.method} ${route.path}`, (accepted.get(`${route.method} ${route.path}`) ?? 0) + 1);
        }),
        { numRuns: 40, seed: 20261122 },
      );
    }
    const health = await server.request('/health', { role: null });
    assert.equal(health.status, 200, 'the server survived');
    // Nothing half-stored: every stored non-security event is one an answer acknowledged.
    const stored = (await server.engine.store.listEvents({ limit: 100_000 })).filter((event) => !event.type.startsWith('security.') && event.source !== 'replay');
    assert.equal(stored.length, accepted.get('POST /events') ?? 0);
    const hooks = await server.engine.store.listHooks({});
    assert.ok(hooks.length <= (accepted.get('POST /hooks') ?? 0) + 1, 'no hook from a refused request');
  });
});
