import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HookflowError } from '../../errors.js';
import { registerSourceRoutes } from '../../sources/routes.js';
import { WebhookReceiver } from '../../sources/webhook-receiver.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { NameParam, responses } from '../schemas.js';

const WebhookConfig = Type.Object(
  {
    event_type: Type.Optional(Type.String({ description: 'the type of the event each delivery becomes' })),
    stack: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    verify: Type.Optional(Type.Union([Type.Literal('github'), Type.Literal('hmac'), Type.Literal('bearer')])),
    secret: Type.Optional(Type.String({ description: 'name of the hookflow secret with the shared key' })),
    signature_header: Type.Optional(Type.String({ description: 'hmac: header with t=<unix>,v1=<hex>; default x-hookflow-signature' })),
    tolerance_s: Type.Optional(Type.Integer({ description: 'hmac: oldest signed timestamp accepted, seconds; default 300' })),
    headers: Type.Optional(Type.Array(Type.String(), { description: 'request headers copied into data.headers' })),
  },
  { description: 'A delivery becomes an event: its body is the data, with the selected headers under data.headers' },
);

/**
 * Webhooks: `POST /webhooks/{name}` receives deliveries, checked by their own signature rather
 * than a token; `/webhook-endpoints` manages them.
 */
export async function webhookRoutes(app: HookflowApp, ctx: ServerContext): Promise<void> {
  registerSourceRoutes(app, ctx, {
    kind: 'webhook',
    noun: 'webhook endpoint',
    tag: 'webhooks',
    config: WebhookConfig,
    extra: { url: Type.String({ description: 'where deliveries are posted, relative to the server' }) },
  });

  const defaultJson = app.getDefaultJsonParser('error', 'error');
  const receiver = new WebhookReceiver({
    sources: ctx.engine.store.sources,
    revealSecret: (name) => ctx.engine.secrets.reveal(name),
    publish: (event) => ctx.engine.events.dispatch(event),
    unauthorized: (data) => ctx.securityEvent('security.unauthorized', data),
    // The app's JSON parser (prototype-poisoning checks included) is synchronous under its callback.
    parseJson: (text) => {
      let parsed: { error: Error | null; value: unknown } = { error: new Error('the JSON parser did not answer'), value: undefined };
      defaultJson(undefined as never, text, (error, value) => {
        parsed = { error, value };
      });
      if (parsed.error) throw parsed.error;
      return parsed.value;
    },
  });

  // A signature is over the bytes sent: this route alone reads its body raw, whatever its type.
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ctx.options.bodyLimit }, (_request, body, done) => done(null, body));
    scope.post(
      '/webhooks/:name',
      {
        config: {
          access: 'public',
          // Anyone may post here: the same per-client limit as publishing through POST /events.
          ...(ctx.options.publishRateLimit > 0 ? { rateLimit: { max: ctx.options.publishRateLimit, timeWindow: 60_000 } } : {}),
        },
        schema: {
          summary: 'Receive a webhook delivery (verified by its signature, not a token): answers 202 with the id of the event it became',
          tags: ['webhooks'],
          security: [],
          params: Type.Object({ name: NameParam }),
          response: responses({ 202: Type.Object({ event_id: Type.String() }) }),
        },
      },
      async (request, reply) => {
        const body = request.body === undefined || request.body === null ? Buffer.alloc(0) : request.body;
        if (!Buffer.isBuffer(body)) throw new HookflowError('HF_ERR_INTERNAL', 'the webhook body was not read raw');
        const answer = await receiver.receive({ name: request.params.name, headers: request.headers, body, ip: request.ip });
        return reply.status(202).send(answer);
      },
    );
  });
}
