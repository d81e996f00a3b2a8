import { Type } from 'typebox';
import { HookflowError } from '../../errors.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { isEventId } from '../live/event-ids.js';
import { parseStreamFilter } from '../live/filter.js';
import { responses } from '../schemas.js';

const StreamQuery = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 1024, description: 'type pattern(s), comma-separated: task.*,hook.failed' })),
    stack: Type.Optional(Type.String({ maxLength: 128 })),
    last_event_id: Type.Optional(Type.String({ maxLength: 64, description: 'resume after this event id (as the Last-Event-ID header)' })),
    access_token: Type.Optional(Type.String({ maxLength: 4096, description: 'the bearer token, for EventSource, which cannot send headers' })),
  },
  { additionalProperties: false },
);

const EVENT_STREAM = Type.String({
  description:
    'text/event-stream. Frames: `event: event.published` (id: the event id; data: the event), `event: event.processed` ' +
    '(data: the event with its hook executions), `event: hook.started` (data: event_id, hook_name, started_at, event_type, stack), ' +
    '`event: replay.truncated` (a resume missed more than could be replayed). Comments every 15 s keep it open.',
});

function lastEventIdOf(header: string | undefined, query: string | undefined): string | null {
  const value = header ?? query;
  if (value === undefined || value === '') return null;
  if (!isEventId(value)) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `"${value.slice(0, 64)}" is not an event id`, {
      where: header !== undefined ? 'headers.last-event-id' : 'query.last_event_id',
      hint: 'send the id of the last event.published frame received',
    });
  }
  return value;
}

/** `GET /stream`: events and hook runs as they happen (Server-Sent Events); see src/server/live/. */
export function streamRoutes(app: HookflowApp, ctx: ServerContext): void {
  // Before the server waits for open requests to end: streams never would.
  app.addHook('preClose', async () => ctx.live.close());

  app.get(
    '/stream',
    {
      config: { access: 'viewer', queryToken: true },
      schema: {
        summary: 'Live events and hook runs (Server-Sent Events), filterable by type pattern and stack, resumable with Last-Event-ID',
        tags: ['events'],
        querystring: StreamQuery,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 64 })) }),
        response: responses({ 200: EVENT_STREAM }),
      },
    },
    async (request, reply) => {
      const filter = parseStreamFilter(request.query);
      const lastEventId = lastEventIdOf(request.headers['last-event-id'], request.query.last_event_id);
      ctx.live.admit();
      // From here the response is the stream's: Fastify neither serialises nor ends it.
      reply.hijack();
      await ctx.live.connect(reply.raw, { filter, lastEventId, headers: { 'x-request-id': request.id } });
    },
  );
}
