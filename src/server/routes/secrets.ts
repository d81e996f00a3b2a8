import { Type } from 'typebox';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { NameParam, responses } from '../schemas.js';

const SecretInfo = Type.Object({ name: Type.String(), created_at: Type.String(), updated_at: Type.String() });

/** Secrets: set, list and delete. Values go in and never come out (only hooks read them). */
export function secretRoutes(app: HookflowApp, ctx: ServerContext): void {
  const { secrets } = ctx.engine;
  const info = (secret: { name: string; created_at: number; updated_at: number }) => ({
    name: secret.name,
    created_at: new Date(secret.created_at).toISOString(),
    updated_at: new Date(secret.updated_at).toISOString(),
  });

  app.get(
    '/secrets',
    { config: { access: 'viewer' }, schema: { summary: 'Secret names (never values)', tags: ['secrets'], response: responses({ 200: Type.Object({ secrets: Type.Array(SecretInfo) }) }) } },
    async () => ({ secrets: (await secrets.list()).map(info) }),
  );

  app.put(
    '/secrets/:name',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Set a secret (encrypted at rest)',
        tags: ['secrets'],
        params: Type.Object({ name: NameParam }),
        body: Type.Object({ value: Type.String({ minLength: 1, maxLength: 64 * 1024 }) }, { additionalProperties: false }),
        response: responses({ 200: SecretInfo }),
      },
    },
    async (request) => {
      await secrets.set(request.params.name, request.body.value);
      const saved = (await secrets.list()).find((secret) => secret.name === request.params.name);
      const now = Date.now();
      return info(saved ?? { name: request.params.name, created_at: now, updated_at: now });
    },
  );

  app.delete(
    '/secrets/:name',
    { config: { access: 'operator' }, schema: { summary: 'Delete a secret', tags: ['secrets'], params: Type.Object({ name: NameParam }), response: responses({ 204: Type.Null() }) } },
    async (request, reply) => {
      if (!(await secrets.delete(request.params.name))) {
        return reply.status(404).send({ error: { code: 'HF_ERR_NOT_FOUND', message: `no secret "${request.params.name}"`, details: {} } });
      }
      return reply.status(204).send(null);
    },
  );
}
