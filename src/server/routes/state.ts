import { Type } from 'typebox';
import { HookflowError } from '../../errors.js';
import type { JsonValue } from '../../events/model.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { NameParam, responses } from '../schemas.js';

const Entry = Type.Object({ key: Type.String(), value: Type.Unknown(), updated_at: Type.String() });
const KeyParams = Type.Object({ key: NameParam });

/** The key/value state hooks share. */
export function stateRoutes(app: HookflowApp, ctx: ServerContext): void {
  const { state } = ctx.engine;

  app.get(
    '/state',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'State entries, optionally under a prefix',
        tags: ['state'],
        querystring: Type.Object({ prefix: Type.Optional(Type.String({ maxLength: 256 })) }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ entries: Type.Array(Entry) }) }),
      },
    },
    async (request) => ({
      entries: (await state.list(request.query.prefix)).map((entry) => ({ key: entry.key, value: entry.value, updated_at: new Date(entry.updated_at).toISOString() })),
    }),
  );

  app.get(
    '/state/:key',
    { config: { access: 'viewer' }, schema: { summary: 'One state value', tags: ['state'], params: KeyParams, response: responses({ 200: Type.Object({ key: Type.String(), value: Type.Unknown() }) }) } },
    async (request) => {
      const value = await state.get(request.params.key);
      if (value === null) throw new HookflowError('HF_ERR_NOT_FOUND', `no state key "${request.params.key}"`);
      return { key: request.params.key, value };
    },
  );

  app.put(
    '/state/:key',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Set a state value (any JSON)',
        tags: ['state'],
        params: KeyParams,
        body: Type.Object({ value: Type.Unknown() }, { additionalProperties: false, required: ['value'] }),
        response: responses({ 200: Type.Object({ key: Type.String(), value: Type.Unknown() }) }),
      },
    },
    async (request) => {
      const value = request.body.value as JsonValue;
      if (value === undefined) throw new HookflowError('HF_ERR_VALIDATION', 'body.value is required', { where: 'body.value' });
      await state.set(request.params.key, value);
      return { key: request.params.key, value };
    },
  );

  app.delete(
    '/state/:key',
    { config: { access: 'operator' }, schema: { summary: 'Delete a state key', tags: ['state'], params: KeyParams, response: responses({ 204: Type.Null() }) } },
    async (request, reply) => {
      if (!(await state.delete(request.params.key))) throw new HookflowError('HF_ERR_NOT_FOUND', `no state key "${request.params.key}"`);
      return reply.status(204).send(null);
    },
  );
}
