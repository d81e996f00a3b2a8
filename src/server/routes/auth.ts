import { Type } from 'typebox';
import { HookflowError } from '../../errors.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { responses, RoleSchema } from '../schemas.js';

const Login = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 256 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
const LoginAnswer = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
  username: Type.String(),
  role: RoleSchema,
});
const Me = Type.Object({ kind: Type.String(), name: Type.String(), role: RoleSchema });

export function authRoutes(app: HookflowApp, ctx: ServerContext): void {
  app.post(
    '/auth/login',
    {
      config: { access: 'public', rateLimit: { max: ctx.options.loginRateLimit, timeWindow: 60_000 } },
      schema: {
        summary: 'Sign in: a bearer token for the API (PyExecutorHub-compatible answer)',
        tags: ['auth'],
        security: [],
        body: Login,
        response: responses({ 200: LoginAnswer }),
      },
    },
    async (request) => {
      const { username, password } = request.body;
      try {
        const result = await ctx.auth.login(username, password);
        ctx.securityEvent('security.login_success', { username, ip: request.ip });
        return result;
      } catch (error) {
        if (error instanceof HookflowError && error.code === 'HF_ERR_UNAUTHORIZED') {
          ctx.securityEvent('security.login_failed', { username, ip: request.ip });
        }
        throw error;
      }
    },
  );

  app.get(
    '/auth/me',
    { config: { access: 'viewer' }, schema: { summary: 'Who this token belongs to', tags: ['auth'], response: responses({ 200: Me }) } },
    async (request) => {
      const principal = request.principal!;
      return { kind: principal.kind, name: principal.name, role: principal.role };
    },
  );
}
