import { Type } from 'typebox';
import { parseDuration } from '../../config.js';
import { HookflowError } from '../../errors.js';
import type { TokenView } from '../../auth/service.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { NameParam, responses, RoleSchema } from '../schemas.js';

const Token = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  created_by: Type.Union([Type.Null(), Type.String()]),
  created_at: Type.String(),
  expires_at: Type.Union([Type.Null(), Type.String()]),
  revoked_at: Type.Union([Type.Null(), Type.String()]),
});

function tokenJson(token: TokenView) {
  const time = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return { ...token, created_at: new Date(token.created_at).toISOString(), expires_at: time(token.expires_at), revoked_at: time(token.revoked_at) };
}

/** API tokens for machines (admin only); a new token's secret is in the creation answer only. */
export function tokenRoutes(app: HookflowApp, ctx: ServerContext): void {
  const { auth } = ctx;

  app.get(
    '/tokens',
    { config: { access: 'admin' }, schema: { summary: 'List API tokens (never their secrets)', tags: ['tokens'], response: responses({ 200: Type.Object({ tokens: Type.Array(Token) }) }) } },
    async () => ({ tokens: (await auth.listTokens()).map(tokenJson) }),
  );

  app.post(
    '/tokens',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Create an API token; the answer holds it once',
        tags: ['tokens'],
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 64 }), role: RoleSchema, expires_in: Type.Optional(Type.String({ description: 'a duration: 30d, 12h' })) },
          { additionalProperties: false },
        ),
        response: responses({ 201: Type.Intersect([Token, Type.Object({ token: Type.String() })]) }),
      },
    },
    async (request, reply) => {
      let expiresIn: number | null = null;
      if (request.body.expires_in !== undefined) {
        try {
          expiresIn = parseDuration(request.body.expires_in, 'expires_in');
        } catch (error) {
          throw new HookflowError('HF_ERR_VALIDATION', (error as Error).message, { where: 'body.expires_in' });
        }
      }
      const created = await auth.createToken(request.body.name, request.body.role, request.principal!.name, expiresIn);
      return reply.status(201).send({ ...tokenJson(created), token: created.token });
    },
  );

  app.delete(
    '/tokens/:id',
    { config: { access: 'admin' }, schema: { summary: 'Revoke an API token (by id or name)', tags: ['tokens'], params: Type.Object({ id: NameParam }), response: responses({ 200: Token }) } },
    async (request) => tokenJson(await auth.revokeToken(request.params.id)),
  );
}
