import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HookflowError } from '../../errors.js';
import { allows, type Access, type Principal } from '../../auth/roles.js';
import type { ServerContext } from '../context.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route. Every route must say; see installAuth. */
    access?: Access;
    /** The web UI's pages: browsers asking for text/html get them without a token. */
    htmlPublic?: boolean;
    /** EventSource cannot send headers: this route also accepts `?access_token=`. */
    queryToken?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Routes registered by plugins we trust to be public (the OpenAPI UI and its assets). */
const PLUGIN_PUBLIC_PREFIXES = ['/docs'];

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1] : null;
  }
  if (request.routeOptions.config.queryToken) {
    const token = (request.query as Record<string, unknown> | undefined)?.access_token;
    if (typeof token === 'string' && token.length > 0) return token;
  }
  return null;
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return request.method === 'GET' && accept.includes('text/html');
}

/**
 * Authentication and authorisation for every route, before the body is read: a route without an
 * `access` setting makes start-up fail, so no route can be added unprotected by mistake.
 */
export function installAuth(app: FastifyInstance, ctx: ServerContext): void {
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { access?: Access };
    if (config.access) return;
    if (PLUGIN_PUBLIC_PREFIXES.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`))) {
      route.config = { ...(route.config ?? {}), access: 'public' };
      return;
    }
    throw new Error(`route ${String(route.method)} ${route.url} does not declare who may call it (config.access)`);
  });

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    // Unknown URLs have no route config: the not-found handler answers 404 without telling more.
    const access = config.access ?? 'public';
    if (access === 'public' || (config.htmlPublic && wantsHtml(request))) return;
    const credential = bearer(request);
    const client = { ip: request.ip, method: request.method, path: request.routeOptions.url ?? request.url.split('?')[0] };
    if (!credential) {
      ctx.securityEvent('security.unauthorized', { ...client, reason: 'no bearer token' });
      throw new HookflowError('HF_ERR_UNAUTHORIZED', 'this route needs a bearer token', {
        hint: 'sign in with POST /auth/login (or `hookflow login`) and send Authorization: Bearer TOKEN',
      });
    }
    let principal: Principal;
    try {
      principal = await ctx.auth.authenticate(credential);
    } catch (error) {
      ctx.securityEvent('security.unauthorized', { ...client, reason: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    if (!allows(principal.role, access)) {
      ctx.securityEvent('security.permission_denied', { ...client, principal: principal.name, role: principal.role, required: access });
      throw new HookflowError('HF_ERR_FORBIDDEN', `${principal.kind === 'user' ? 'user' : 'token'} "${principal.name}" (${principal.role}) may not do this: it needs the ${access} role`, {
        hint: 'ask an admin for a role that allows it',
      });
    }
    request.principal = principal;
  });
}
