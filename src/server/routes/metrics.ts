import { Type } from 'typebox';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { responses } from '../schemas.js';

/**
 * `GET /metrics` (Prometheus text) and the timing of every HTTP request. The metrics are open
 * when `metrics_auth` is off (a scraper on a private network); that is decided here, once.
 */
export function metricsRoutes(app: HookflowApp, ctx: ServerContext): void {
  const { metrics } = ctx;

  app.addHook('onResponse', async (request, reply) => {
    // A stream's duration is how long someone watched, not how fast we answered.
    const type = reply.raw.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('text/event-stream')) return;
    metrics.observeHttp(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', async () => metrics.close());

  app.get(
    '/metrics',
    {
      config: { access: ctx.options.metricsAuth ? 'viewer' : 'public' },
      schema: {
        summary: 'Prometheus metrics: events, hook runs and durations, queue depth, dispatch and store latency, HTTP, process',
        tags: ['server'],
        ...(ctx.options.metricsAuth ? {} : { security: [] }),
        response: responses({ 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) }),
      },
    },
    async (_request, reply) => {
      const text = await metrics.render();
      return reply.type(metrics.contentType).send(text);
    },
  );
}
