import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type { HookflowApp } from '../../src/server/app.js';
import { registerUiAssets, sendUiIndex, UI_NOT_BUILT } from '../../src/server/ui.js';

/** Serving a UI build (src/server/ui.ts) from a made-up dist folder, and from none. */
describe('serving the UI build', () => {
  let root: string;
  let app: HookflowApp;
  let missingApp: HookflowApp;

  const build = async (dist: string): Promise<HookflowApp> => {
    const instance = Fastify().withTypeProvider<TypeBoxTypeProvider>() as unknown as HookflowApp;
    await registerUiAssets(instance, dist);
    instance.get('/', { config: { access: 'public' } }, async (_request, reply) => sendUiIndex(reply, dist));
    await instance.ready();
    return instance;
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'hookflow-ui-'));
    const dist = join(root, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="app"></div><script src="/assets/app-1.js"></script>');
    writeFileSync(join(dist, 'assets', 'app-1.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.txt'), 'not for the web');
    app = await build(dist);
    missingApp = await build(join(root, 'no-such-dist'));
  });
  after(async () => {
    await app?.close();
    await missingApp?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers index.html, never cached, with a content security policy', async () => {
    const answer = await app.inject({ method: 'GET', url: '/' });
    assert.equal(answer.statusCode, 200);
    assert.match(answer.headers['content-type'] as string, /^text\/html/);
    assert.equal(answer.headers['cache-control'], 'no-cache');
    assert.match(answer.headers['content-security-policy'] as string, /script-src 'self'/);
    assert.match(answer.body, /<div id="app">/);
  });

  it('answers assets by name, cached for a year as immutable', async () => {
    const answer = await app.inject({ method: 'GET', url: '/assets/app-1.js' });
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.body, 'console.log(1)');
    assert.match(answer.headers['cache-control'] as string, /max-age=31536000.*immutable/);
  });

  for (const url of ['/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/..%2fsecret.txt', '/assets/%2e%2e%2fsecret.txt', '/assets/nope.js']) {
    it(`refuses ${url}`, async () => {
      const answer = await app.inject({ method: 'GET', url });
      assert.ok(answer.statusCode >= 400 && answer.statusCode < 500, `${url}: ${answer.statusCode}`);
      assert.doesNotMatch(answer.body, /not for the web/);
    });
  }

  it('without a build, says how to make one instead of failing', async () => {
    const page = await missingApp.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 503);
    assert.match(page.headers['content-type'] as string, /^text\/plain/);
    assert.equal(page.body, UI_NOT_BUILT);
    assert.match(page.body, /npm run build:ui/);
    assert.equal((await missingApp.inject({ method: 'GET', url: '/assets/app-1.js' })).statusCode, 404);
  });
});
