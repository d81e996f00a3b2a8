import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { Type } from 'typebox';
import type { FastifyReply } from 'fastify';
import type { HookflowApp } from './app.js';
import type { ServerContext } from './context.js';

/**
 * The web UI: `npm run build:ui` (and `npm install`, through `prepare`) builds ui/ into ui/dist,
 * which this serves. Static files are public (the issue's rule); the data they show comes from
 * the API with the signed-in user's token. Pages are hash routes (#/events), so the only HTML
 * document is index.html at `/`.
 */

/** ui/dist of this package. */
export const UI_DIST = fileURLToPath(new URL('../../ui/dist/', import.meta.url));

/** What a browser gets at `/` when the UI was never built (a source checkout without `npm install`). */
export const UI_NOT_BUILT =
  'hookflow: the web UI is not built.\n\nRun `npm run build:ui` in the hookflow folder (npm install does it too), then reload this page.\nThe HTTP API works without it: see /docs.\n';

/**
 * Answers index.html of `dist`, read per request (a rebuild while the server runs changes the
 * asset names it points to), never cached by the browser; a clear text when there is no build.
 */
export async function sendUiIndex(reply: FastifyReply, dist: string = UI_DIST): Promise<FastifyReply> {
  let html: string;
  try {
    html = await readFile(join(dist, 'index.html'), 'utf8');
  } catch {
    return reply.status(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(UI_NOT_BUILT);
  }
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    .send(html);
}

/** Route file (routes/index.ts): the UI's assets from this package's ui/dist. */
export async function uiRoutes(app: HookflowApp, _ctx?: ServerContext): Promise<void> {
  await registerUiAssets(app, UI_DIST);
}

/** `GET /assets/*` from `dist`/assets (content-hashed names: cached for a year). */
export async function registerUiAssets(app: HookflowApp, dist: string): Promise<void> {
  // serve: false: only reply.sendFile; the route below is ours, so it declares its access like every route.
  await app.register(fastifyStatic, { serve: false });
  const assets = join(dist, 'assets');
  app.get(
    '/assets/*',
    {
      config: { access: 'public' },
      schema: { hide: true, params: Type.Object({ '*': Type.String({ maxLength: 512 }) }) },
    },
    async (request, reply) => {
      if (!existsSync(assets)) return reply.callNotFound();
      return reply.sendFile(request.params['*'], assets, { maxAge: 365 * 24 * 3600 * 1000, immutable: true });
    },
  );
}
