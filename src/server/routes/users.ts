import { Type } from 'typebox';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { NameParam, responses, RoleSchema } from '../schemas.js';

const User = Type.Object({ username: Type.String(), role: RoleSchema, created_at: Type.String(), updated_at: Type.String() });
const UserParams = Type.Object({ username: NameParam });

function userJson(user: { username: string; role: 'admin' | 'operator' | 'viewer'; created_at: number; updated_at: number }) {
  return { ...user, created_at: new Date(user.created_at).toISOString(), updated_at: new Date(user.updated_at).toISOString() };
}

/** Users (admin only), and a person's own password. */
export function userRoutes(app: HookflowApp, ctx: ServerContext): void {
  const { auth } = ctx;

  app.get(
    '/users',
    { config: { access: 'admin' }, schema: { summary: 'List users', tags: ['users'], response: responses({ 200: Type.Object({ users: Type.Array(User) }) }) } },
    async () => ({ users: (await auth.listUsers()).map(userJson) }),
  );

  app.post(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Add a user',
        tags: ['users'],
        body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 8, maxLength: 1024 }), role: RoleSchema }, { additionalProperties: false }),
        response: responses({ 201: User }),
      },
    },
    async (request, reply) => reply.status(201).send(userJson(await auth.addUser(request.body.username, request.body.password, request.body.role))),
  );

  app.patch(
    '/users/:username',
    {
      config: { access: 'admin' },
      schema: {
        summary: "Change a user's role or password",
        tags: ['users'],
        params: UserParams,
        body: Type.Object({ role: Type.Optional(RoleSchema), password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })) }, { additionalProperties: false }),
        response: responses({ 200: User }),
      },
    },
    async (request) => {
      const { username } = request.params;
      if (request.body.password !== undefined) await auth.setPassword(username, request.body.password);
      if (request.body.role !== undefined) await auth.setRole(username, request.body.role);
      return userJson(await auth.getUser(username));
    },
  );

  app.delete(
    '/users/:username',
    { config: { access: 'admin' }, schema: { summary: 'Remove a user (not the last admin)', tags: ['users'], params: UserParams, response: responses({ 204: Type.Null() }) } },
    async (request, reply) => {
      await auth.removeUser(request.params.username);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/auth/password',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Change your own password (signed-in people only)',
        tags: ['auth'],
        body: Type.Object({ current_password: Type.String({ minLength: 1, maxLength: 1024 }), new_password: Type.String({ minLength: 8, maxLength: 1024 }) }, { additionalProperties: false }),
        response: responses({ 204: Type.Null() }),
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      if (principal.kind !== 'user') {
        return reply.status(403).send({ error: { code: 'HF_ERR_FORBIDDEN', message: 'API tokens have no password', details: {} } });
      }
      await auth.login(principal.name, request.body.current_password);
      await auth.setPassword(principal.name, request.body.new_password);
      return reply.status(204).send(null);
    },
  );
}
