/**
 * Walks every route of the OpenAPI document without a token and with a viewer token. A new route
 * must be listed below on purpose to be public or readable by viewers; anything else must refuse
 * them, so an unprotected route fails the build.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

/** Routes anyone may call (webhooks check their own signatures). */
const PUBLIC = new Set(['GET /health', 'POST /auth/login', 'GET /openapi.json', 'POST /webhooks/{name}']);

/** Routes a viewer may call: reading, and the viewer's own session. */
const VIEWER = new Set([
  'GET /',
  'GET /auth/me',
  'POST /auth/password',
  'GET /events',
  'GET /events/types',
  'GET /events/{id}',
  'GET /hooks',
  'GET /hooks/{name}',
  'GET /hooks/{name}/source',
  'GET /hooks/{name}/history',
  'GET /secrets',
  'GET /state',
  'GET /state/{key}',
  'GET /stream',
  'GET /metrics',
  'GET /schedules',
  'GET /schedules/{name}',
  'GET /watchers',
  'GET /watchers/{name}',
  'GET /webhook-endpoints',
  'GET /webhook-endpoints/{name}',
  'GET /actions',
  'GET /actions/{type}',
  'GET /waits/{id}',
  'GET /workflows',
  'GET /workflows/{id}',
  'GET /workflows/{id}/jobs',
  'GET /workflows/{id}/jobs/{job}',
  'GET /workflows/{id}/jobs/{job}/logs',
  'GET /workflows/{id}/outputs',
  'GET /workflows/{id}/actions',
  'GET /workflows/{id}/graph',
  'GET /workers',
  'GET /slurm/allocations',
  'GET /programs',
  'GET /programs/config',
  'GET /executions',
  'GET /executions/info',
  'GET /executions/stats',
  'GET /executions/concurrent',
  'GET /executions/{id}',
  'GET /executions/{id}/logs',
  'GET /executions/{id}/stream',
  'GET /containers/active',
  'GET /containers/logs/{image}',
  'GET /images/available',
  'GET /images/search/{name}',
]);

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

function concrete(path: string): string {
  return path.replace(/\{[^}]+\}/g, 'walk-test');
}

describe('every route is protected', () => {
  let server: TestServer;
  let routes: Array<{ method: string; path: string; key: string }>;

  before(async () => {
    server = await startTestServer();
    const document = (await (await server.request('/openapi.json', { role: null })).json()) as OpenApiDocument;
    routes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => ({ method: method.toUpperCase(), path, key: `${method.toUpperCase()} ${path}` })),
    );
  });
  after(() => server.stop());

  it('finds the routes in the OpenAPI document', () => {
    assert.ok(routes.length >= 20, `only ${routes.length} routes in /openapi.json`);
    for (const key of ['POST /events', 'GET /events', 'DELETE /events/{id}', 'POST /hooks', 'GET /users', 'POST /tokens']) {
      assert.ok(routes.some((route) => route.key === key), `${key} is missing from /openapi.json`);
    }
  });

  it('refuses every non-public route without a token (401), with the error shape', async () => {
    for (const route of routes) {
      if (PUBLIC.has(route.key)) continue;
      const response = await server.request(concrete(route.path), { method: route.method, role: null, json: route.method === 'GET' || route.method === 'DELETE' ? undefined : {} });
      assert.equal(response.status, 401, `${route.key} without a token answered ${response.status}`);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'HF_ERR_UNAUTHORIZED', route.key);
    }
  });

  it('refuses a viewer everything but reading (403)', async () => {
    for (const route of routes) {
      if (PUBLIC.has(route.key)) continue;
      const response = await server.request(concrete(route.path), {
        method: route.method,
        role: 'viewer',
        json: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
        // A stream would never end: the status line is all this test needs.
        signal: AbortSignal.timeout(5_000),
      });
      await response.body?.cancel();
      if (VIEWER.has(route.key)) {
        assert.ok(response.status !== 401 && response.status !== 403, `${route.key} refused a viewer (${response.status})`);
      } else {
        assert.equal(response.status, 403, `${route.key} let a viewer through (${response.status})`);
      }
    }
  });

  it('serves the public routes without a token', async () => {
    for (const key of ['GET /health', 'GET /openapi.json']) {
      const [method, path] = key.split(' ');
      const response = await server.request(path, { method, role: null });
      assert.equal(response.status, 200, key);
    }
    const docs = await server.request('/docs', { role: null, redirect: 'manual' });
    assert.ok(docs.status === 200 || docs.status === 302, `/docs answered ${docs.status}`);
  });
});
