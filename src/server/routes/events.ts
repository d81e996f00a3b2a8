import { Type } from 'typebox';
import { HookflowError } from '../../errors.js';
import type { JsonObject } from '../../events/model.js';
import { parseDuration } from '../../config.js';
import { eventJson, eventWithExecutionsJson } from '../../records-json.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { EventSchema, EventWithExecutionsSchema, JsonObjectSchema, responses } from '../schemas.js';

const Publish = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 128, description: 'event type, e.g. task.failed' }),
    data: Type.Optional(JsonObjectSchema),
    stack: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 128 })])),
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    correlation_id: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 256 })])),
    idempotency_key: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 256 })])),
  },
  { additionalProperties: false },
);

const PublishQuery = Type.Object(
  {
    wait: Type.Optional(Type.Boolean({ description: 'answer once the event is processed, with its hook executions' })),
    timeout: Type.Optional(Type.String({ description: 'with wait: how long to wait (30s, 2m; default 60s, at most 10m)' })),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 128, description: 'type or pattern: task.failed, task.*, *' })),
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('processing'), Type.Literal('completed'), Type.Literal('failed')])),
    stack: Type.Optional(Type.String({ maxLength: 128 })),
    since: Type.Optional(Type.String({ description: 'a duration back from now (1h, 7d) or an ISO-8601 time' })),
    before: Type.Optional(Type.String({ maxLength: 64, description: 'cursor: next_cursor of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  },
  { additionalProperties: false },
);

const EventPage = Type.Object({ events: Type.Array(EventSchema), next_cursor: Type.Union([Type.Null(), Type.String()]) });
const PublishAnswer = Type.Object({ event: EventWithExecutionsSchema, created: Type.Boolean() });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const EventType = Type.Object({ type: Type.String(), category: Type.String(), description: Type.String(), data: Type.String(), origin: Type.String() });

/** `since` as an epoch ms: a duration back from now, or a time. */
function sinceOf(text: string | undefined, where = 'query.since'): number | undefined {
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(time)) return time;
  try {
    return Date.now() - parseDuration(text, 'since');
  } catch (error) {
    throw new HookflowError('HF_ERR_VALIDATION', (error as Error).message, { where, hint: 'use a duration (1h, 7d) or an ISO-8601 time' });
  }
}

export function eventRoutes(app: HookflowApp, ctx: ServerContext): void {
  const { events } = ctx.engine;
  const publishLimit =
    ctx.options.publishRateLimit > 0
      ? { max: ctx.options.publishRateLimit, timeWindow: 60_000, hook: 'preHandler' as const, keyGenerator: (request: { principal: { name: string } | null; ip: string }) => request.principal?.name ?? request.ip }
      : false;

  app.post(
    '/events',
    {
      config: { access: 'operator', ...(publishLimit ? { rateLimit: publishLimit } : {}) },
      schema: {
        summary: 'Publish an event (durable when answered). An Idempotency-Key header makes retries safe.',
        tags: ['events'],
        body: Publish,
        querystring: PublishQuery,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }),
        response: responses({ 201: PublishAnswer, 200: PublishAnswer }),
      },
    },
    async (request, reply) => {
      const body = request.body;
      const key = request.headers['idempotency-key'] ?? body.idempotency_key ?? null;
      const input = {
        type: body.type,
        data: (body.data ?? {}) as JsonObject,
        stack: body.stack ?? null,
        source: body.source ?? `api:${request.principal!.name}`,
        correlation_id: body.correlation_id ?? null,
        idempotency_key: key,
      };
      if (request.query.wait) {
        const timeoutMs = Math.min(request.query.timeout ? parseDuration(request.query.timeout, 'timeout') : 60_000, 600_000);
        const event = await events.dispatchAndWait(input, timeoutMs);
        return reply.status(201).send({ event: eventWithExecutionsJson(event), created: true });
      }
      const { event, created } = await events.dispatch(input);
      return reply.status(created ? 201 : 200).send({ event: { ...eventJson(event), executions: [] }, created });
    },
  );

  app.get(
    '/events',
    { config: { access: 'viewer' }, schema: { summary: 'List events, newest first, with cursor pagination', tags: ['events'], querystring: ListQuery, response: responses({ 200: EventPage }) } },
    async (request) => {
      const { limit = 50, ...query } = request.query;
      const page = Math.min(limit, ctx.options.maxPageSize);
      const list = await events.list({ ...query, since: sinceOf(query.since), limit: page });
      return { events: list.map(eventJson), next_cursor: list.length === page ? list[list.length - 1].id : null };
    },
  );

  app.post(
    '/events/cleanup',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Delete processed events older than an age (pending and processing ones are kept)',
        tags: ['events'],
        body: Type.Object({ older_than_ms: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ deleted: Type.Integer() }) }),
      },
    },
    async (request) => ({ deleted: await events.cleanup(request.body.older_than_ms) }),
  );

  app.post(
    '/events/replay',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Replay every event of a type pattern created since a time (oldest first)',
        tags: ['events'],
        body: Type.Object(
          { type: Type.String({ minLength: 1, maxLength: 128 }), since: Type.String({ description: 'a duration back from now (1h) or an ISO-8601 time' }) },
          { additionalProperties: false },
        ),
        response: responses({ 201: Type.Object({ events: Type.Array(EventSchema) }) }),
      },
    },
    async (request, reply) => {
      const copies = await events.replayMatching(request.body.type, sinceOf(request.body.since, 'body.since') ?? 0, ctx.options.maxPageSize);
      return reply.status(201).send({ events: copies.map(eventJson) });
    },
  );

  app.get(
    '/events/types',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'The event type catalogue',
        tags: ['events'],
        querystring: Type.Object({ category: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ types: Type.Array(EventType) }) }),
      },
    },
    async (request) => ({ types: events.types(request.query.category) }),
  );

  app.get(
    '/events/:id',
    { config: { access: 'viewer' }, schema: { summary: 'One event with its hook executions', tags: ['events'], params: IdParams, response: responses({ 200: EventWithExecutionsSchema }) } },
    async (request) => eventWithExecutionsJson(await events.get(request.params.id)),
  );

  app.delete(
    '/events/:id',
    { config: { access: 'operator' }, schema: { summary: 'Delete a processed event and its executions', tags: ['events'], params: IdParams, response: responses({ 204: Type.Null() }) } },
    async (request, reply) => {
      await events.delete(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/events/:id/replay',
    {
      config: { access: 'operator' },
      schema: { summary: 'Publish a copy of an event (parent_id names the original)', tags: ['events'], params: IdParams, response: responses({ 201: Type.Object({ event: EventSchema }) }) },
    },
    async (request, reply) => reply.status(201).send({ event: eventJson(await events.replay(request.params.id)) }),
  );
}
