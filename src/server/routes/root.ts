import { Type } from 'typebox';
import { packageVersion } from '../../version.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { responses } from '../schemas.js';
import { sendUiIndex } from '../ui.js';

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  version: Type.String(),
  uptime_s: Type.Number(),
  store: Type.Object({ kind: Type.String(), reachable: Type.Boolean(), latency_ms: Type.Number(), error: Type.Optional(Type.String()) }),
  dispatcher: Type.Object({ state: Type.String(), concurrency: Type.Integer() }),
});

const ApiInfo = Type.Object({
  name: Type.Literal('hookflow'),
  version: Type.String(),
  docs: Type.String(),
  openapi: Type.String(),
  you: Type.Object({ kind: Type.String(), name: Type.String(), role: Type.String() }),
  auth: Type.Object({ login: Type.String(), scheme: Type.String() }),
});

const started = Date.now();

export function rootRoutes(app: HookflowApp, ctx: ServerContext): void {
  app.get(
    '/health',
    { config: { access: 'public' }, schema: { summary: 'Liveness: store reachability and dispatcher state (no auth)', tags: ['server'], security: [], response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      const begin = performance.now();
      let error: string | undefined;
      try {
        await ctx.engine.store.ping();
      } catch (failure) {
        error = failure instanceof Error ? failure.message : String(failure);
      }
      const body = {
        status: error ? ('degraded' as const) : ('ok' as const),
        version: packageVersion(),
        uptime_s: Math.round((Date.now() - started) / 1000),
        store: { kind: ctx.engine.store.kind, reachable: !error, latency_ms: Math.round((performance.now() - begin) * 100) / 100, ...(error ? { error } : {}) },
        dispatcher: { state: ctx.engine.dispatcher.state, concurrency: ctx.engine.dispatcher.concurrency },
      };
      return reply.status(error ? 503 : 200).send(body);
    },
  );

  app.get(
    '/',
    {
      config: { access: 'viewer', htmlPublic: true },
      schema: { summary: 'API information and who you are', tags: ['server'], response: responses({ 200: ApiInfo }) },
    },
    async (request, reply) => {
      if (!request.principal) {
        // Only a browser asking for text/html gets here without a token (htmlPublic): the web UI.
        return sendUiIndex(reply);
      }
      return {
        name: 'hookflow' as const,
        version: packageVersion(),
        docs: '/docs',
        openapi: '/openapi.json',
        you: { kind: request.principal.kind, name: request.principal.name, role: request.principal.role },
        auth: { login: 'POST /auth/login', scheme: 'Authorization: Bearer TOKEN' },
      };
    },
  );
}
