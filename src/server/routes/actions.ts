import { Type } from 'typebox';
import { WaitService } from '../../actions/waits.js';
import type { WaitRecord } from '../../store/waits.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { JsonObjectSchema, responses } from '../schemas.js';

const Summary = Type.Object({
  type: Type.String(),
  version: Type.String(),
  name: Type.String(),
  description: Type.String(),
  category: Type.String(),
  icon: Type.Union([Type.Null(), Type.String()]),
  color: Type.Union([Type.Null(), Type.String()]),
  executionMode: Type.String(),
  source: Type.String(),
});
const TypeParams = Type.Object({ type: Type.String({ minLength: 1, maxLength: 128 }) });
const RunAnswer = Type.Object({
  success: Type.Boolean(),
  status: Type.String(),
  outputs: JsonObjectSchema,
  error: Type.Union([Type.Null(), Type.String()]),
  warnings: Type.Array(Type.String()),
  log: Type.Array(Type.String()),
  duration_ms: Type.Number(),
  awaiting_event: Type.Boolean(),
  external_workflow_id: Type.Union([Type.Null(), Type.String()]),
  wait_id: Type.Union([Type.Null(), Type.String()]),
});

const Wait = Type.Object({
  id: Type.String(),
  action_type: Type.String(),
  correlation_id: Type.String(),
  owner_kind: Type.String(),
  owner_id: Type.Union([Type.Null(), Type.String()]),
  status: Type.String(),
  outputs: JsonObjectSchema,
  progress: Type.Union([Type.Null(), Type.Number()]),
  eta_minutes: Type.Union([Type.Null(), Type.Number()]),
  error: Type.Union([Type.Null(), Type.String()]),
  deadline: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
});

function waitJson(wait: WaitRecord) {
  return {
    id: wait.id,
    action_type: wait.action_type,
    correlation_id: wait.correlation_id,
    owner_kind: wait.owner_kind,
    owner_id: wait.owner_id,
    status: wait.status,
    outputs: wait.outputs,
    progress: wait.progress,
    eta_minutes: wait.eta_minutes,
    error: wait.error,
    deadline: new Date(wait.deadline).toISOString(),
    created_at: new Date(wait.created_at).toISOString(),
    updated_at: new Date(wait.updated_at).toISOString(),
  };
}

/** Longest a `?wait=true` run holds the request open for an event-driven action. */
const MAX_WAIT_MS = 10 * 60_000;

/** Typed actions: the catalogue with each action's params as JSON Schema, and one-off runs. */
export function actionRoutes(app: HookflowApp, ctx: ServerContext): void {
  app.get(
    '/actions',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Every action (built-ins and plugins), by category',
        tags: ['actions'],
        querystring: Type.Object({ category: Type.Optional(Type.String({ maxLength: 128 })) }, { additionalProperties: false }),
        response: responses({
          200: Type.Object({ actions: Type.Array(Summary), categories: Type.Array(Type.String()), plugin_failures: Type.Array(Type.Object({ source: Type.String(), error: Type.String() })) }),
        }),
      },
    },
    async (request) => {
      const service = await ctx.engine.actions();
      return { actions: service.list(request.query.category), categories: service.categories(), plugin_failures: service.discovery.failed };
    },
  );

  app.get(
    '/actions/:type',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "An action's meta and its params as JSON Schema (for forms and validation)",
        tags: ['actions'],
        params: TypeParams,
        response: responses({ 200: Type.Object({ meta: Type.Unknown(), source: Type.String(), schema: Type.Unknown() }) }),
      },
    },
    async (request) => (await ctx.engine.actions()).describe(request.params.type),
  );

  app.post(
    '/actions/:type/run',
    {
      config: { access: 'operator' },
      schema: {
        summary:
          'Run an action once; answers with its outcome (an invalid param is a failed outcome naming every field). An event-driven action parks a wait (wait_id) that the server completes when its event arrives; ?wait=true answers only then (at most 10 min).',
        tags: ['actions'],
        params: TypeParams,
        querystring: Type.Object({ wait: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        body: Type.Object(
          { params: Type.Optional(JsonObjectSchema), timeout_seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 86_400 })), strict: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: responses({ 200: RunAnswer }),
      },
    },
    async (request) => {
      const service = await ctx.engine.actions();
      const params = (request.body.params ?? {}) as never;
      let outcome = await service.run(request.params.type, { params, timeoutSeconds: request.body.timeout_seconds, strictOutputs: request.body.strict });
      let waitId: string | null = null;
      if (outcome.awaitingEvent) {
        const waits = new WaitService(ctx.engine.store);
        const wait = await waits.park({ outcome, actionType: request.params.type, params, owner: { kind: 'api', id: request.principal?.name ?? null } });
        waitId = wait.id;
        if (request.query.wait) {
          // Past the cap the answer says `running` with the wait id: GET /waits/{id} follows it.
          const ended = await waits.waitFor(wait.id, { signal: AbortSignal.timeout(Math.min(MAX_WAIT_MS, Math.max(0, wait.deadline - Date.now()) + 5_000)) }).catch(() => null);
          if (ended && ended.status !== 'waiting') {
            outcome = { ...outcome, status: ended.status, success: ended.status === 'completed', outputs: ended.outputs, error: ended.error, awaitingEvent: false };
          }
        }
      }
      return {
        success: outcome.success,
        status: outcome.status,
        outputs: outcome.outputs,
        error: outcome.error,
        warnings: outcome.warnings,
        log: outcome.log,
        duration_ms: Math.round(outcome.durationMs * 100) / 100,
        awaiting_event: outcome.awaitingEvent,
        external_workflow_id: outcome.externalWorkflowId,
        wait_id: waitId,
      };
    },
  );

  app.get(
    '/waits/:id',
    {
      config: { access: 'viewer' },
      schema: { summary: 'A parked event-driven step: its status, progress and outputs', tags: ['actions'], params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }), response: responses({ 200: Wait }) },
    },
    async (request) => waitJson(await new WaitService(ctx.engine.store).get(request.params.id)),
  );
}
