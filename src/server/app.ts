import { randomUUID } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import { HookflowError } from '../errors.js';
import { MAX_DATA_DEPTH } from '../events/validate.js';
import { packageVersion } from '../version.js';
import type { ServerContext } from './context.js';
import { toErrorResponse } from './http-errors.js';
import { installAuth } from './plugins/auth.js';
import { registerRoutes } from './routes/index.js';

/** The app every route file registers on: Fastify with TypeBox schemas typing requests. */
export type HookflowApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** Deeper than this a JSON body is refused before any route sees it (stack-safe handling). */
const MAX_BODY_DEPTH = MAX_DATA_DEPTH + 8;

function depthOver(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const next = stack.pop() as { value: unknown; depth: number };
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value)) stack.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

/** Query strings with a token (`?access_token=` for EventSource) must never reach a log. */
function loggableUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/g, '$1[redacted]');
}

/**
 * The HTTP face of hookflow: schemas on every route, OpenAPI at /openapi.json and /docs, auth on
 * everything not declared public, one error shape, one log line per request.
 */
export async function buildServer(ctx: ServerContext, logSink?: { write(line: string): unknown }): Promise<HookflowApp> {
  const { options } = ctx;
  const app = Fastify({
    logger:
      options.logLevel === false
        ? false
        : { level: options.logLevel, redact: ['req.headers.authorization', '*.password', '*.token', '*.access_token'], ...(logSink ? { stream: logSink } : {}) },
    // One line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
    routerOptions: { maxParamLength: 256 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON only: a text/plain body is refused (415) rather than handed to a route as a string.
  app.removeContentTypeParser('text/plain');
  // The default parser (with prototype-poisoning protection), plus a depth limit.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    defaultJson(request, body as string, (error, value) => {
      if (error) return done(new HookflowError('HF_ERR_INVALID_JSON', `the body is not valid JSON: ${error.message}`, { where: 'body' }), undefined);
      if (depthOver(value, MAX_BODY_DEPTH)) {
        return done(new HookflowError('HF_ERR_INVALID_JSON', `the body is nested more than ${MAX_BODY_DEPTH} levels deep`, { where: 'body' }), undefined);
      }
      done(null, value);
    });
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, url: loggableUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, body, internal } = toErrorResponse(error, request.id);
    if (internal) request.log.error({ err: error }, 'internal error');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'HF_ERR_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, details: { hint: 'see /docs for the API' } } }),
  );

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'hookflow', version: packageVersion(), description: 'Event-driven automation: events, hooks, sources, and the rest of hookflow over HTTP.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A session token from POST /auth/login, or an API token (hf_…)' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new HookflowError('HF_ERR_RATE_LIMITED', `too many requests: at most ${context.max} per ${context.after === '1 minute' ? 'minute' : context.after}`, {
        hint: `try again in ${Math.ceil(context.ttl / 1000)} s`,
        retry_after_s: Math.ceil(context.ttl / 1000),
      }),
  });
  installAuth(app, ctx);
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  await registerRoutes(app, ctx);
  return app;
}
