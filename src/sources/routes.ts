import { Type, type TSchema } from 'typebox';
import type { HookflowApp } from '../server/app.js';
import type { ServerContext } from '../server/context.js';
import { NameParam, responses } from '../server/schemas.js';
import type { SourceKind } from '../store/sources.js';
import { sourceJson } from './json.js';
import { SOURCE_ROUTES } from './remote.js';
import { sourceServiceFor } from './service.js';

/**
 * The management routes every kind of source has, registered by src/server/routes/webhooks.ts,
 * schedules.ts and watchers.ts: list, add, get, add-or-replace, remove, enable, disable.
 * Reading needs a viewer, changing an operator.
 */

export interface SourceRouteSpec {
  kind: SourceKind;
  /** For summaries: "webhook endpoint", "schedule", "file watcher". */
  noun: string;
  tag: string;
  /** The kind's configuration, for the OpenAPI document; src/sources/config.ts checks it. */
  config: TSchema;
  /** Read-only fields a kind adds to its answers. */
  extra?: Record<string, TSchema>;
}

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export function registerSourceRoutes(app: HookflowApp, ctx: ServerContext, spec: SourceRouteSpec): void {
  const service = sourceServiceFor(ctx.engine);
  const { kind, noun, tag } = spec;
  const { path, list } = SOURCE_ROUTES[kind];
  const Source = Type.Object({
    kind: Type.Literal(kind),
    name: Type.String(),
    enabled: Type.Boolean(),
    config: spec.config,
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    ...spec.extra,
  });
  const Saved = Type.Object({ source: Source, warnings: Type.Array(Type.String()) });
  const Params = Type.Object({ name: NameParam });
  const Body = Type.Object({ enabled: Type.Optional(Type.Boolean()), config: spec.config }, { additionalProperties: false });
  const NamedBody = Type.Object(
    { name: Type.String({ minLength: 1, maxLength: 128 }), enabled: Type.Optional(Type.Boolean()), config: spec.config },
    { additionalProperties: false },
  );
  const by = (request: { principal: { name: string } | null }) => ({ by: `api:${request.principal?.name ?? 'unknown'}` });

  app.get(
    path,
    { config: { access: 'viewer' }, schema: { summary: `List ${noun}s`, tags: [tag], response: responses({ 200: Type.Object({ [list]: Type.Array(Source) }) }) } },
    async () => ({ [list]: (await service.list(kind)).map(sourceJson) }),
  );

  app.post(
    path,
    { config: { access: 'operator' }, schema: { summary: `Add a ${noun}`, tags: [tag], body: NamedBody, response: responses({ 201: Saved }) } },
    async (request, reply) => {
      const saved = await service.save(kind, request.body, by(request));
      return reply.status(201).send({ source: sourceJson(saved.source), warnings: saved.warnings });
    },
  );

  app.get(
    `${path}/:name`,
    { config: { access: 'viewer' }, schema: { summary: `One ${noun}`, tags: [tag], params: Params, response: responses({ 200: Source }) } },
    async (request) => sourceJson(await service.get(kind, request.params.name)),
  );

  app.put(
    `${path}/:name`,
    { config: { access: 'operator' }, schema: { summary: `Add or replace a ${noun}`, tags: [tag], params: Params, body: Body, response: responses({ 200: Saved }) } },
    async (request) => {
      const saved = await service.save(kind, { ...request.body, name: request.params.name }, { replace: true, ...by(request) });
      return { source: sourceJson(saved.source), warnings: saved.warnings };
    },
  );

  app.delete(
    `${path}/:name`,
    { config: { access: 'operator' }, schema: { summary: `Remove a ${noun}`, tags: [tag], params: Params, response: responses({ 204: Type.Null() }) } },
    async (request, reply) => {
      await service.remove(kind, request.params.name, by(request));
      return reply.status(204).send(null);
    },
  );

  for (const enabled of [true, false]) {
    app.post(
      `${path}/:name/${enabled ? 'enable' : 'disable'}`,
      {
        config: { access: 'operator' },
        schema: { summary: `${enabled ? 'Enable' : 'Disable'} a ${noun}`, tags: [tag], params: Params, response: responses({ 200: Source }) },
      },
      async (request) => sourceJson(await service.setEnabled(kind, request.params.name, enabled, by(request))),
    );
  }
}

export const ScheduleRunTimes = {
  next_run: Nullable(Type.String({ format: 'date-time', description: 'the next tick (null while disabled)' })),
  last_run: Nullable(Type.String({ format: 'date-time', description: 'the latest tick a server claimed' })),
};
