import { Type, type Static } from 'typebox';
import { HookflowError } from '../../errors.js';
import type { JsonObject } from '../../events/model.js';
import { eventJson, executionJson, hookJson } from '../../records-json.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { EventSchema, ExecutionSchema, HookSchema, JsonObjectSchema, NameParam, responses } from '../schemas.js';

const NameParams = Type.Object({ name: NameParam });

const HookBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    runtime: Type.Union([Type.Literal('lua'), Type.Literal('js'), Type.Literal('ts'), Type.Literal('commands'), Type.Literal('action')], {
      description: 'lua and js/ts take `script`; commands take `commands`, or `script` holding a commands YAML file; action takes `action` and `params`',
    }),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'the action type of an action hook (notification, http_request…)' })),
    params: Type.Optional(JsonObjectSchema),
    script: Type.Optional(Type.String({ maxLength: 1024 * 1024, description: 'the script text: saved as HOOKFLOW_HOME/hooks/NAME.EXT' })),
    commands: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 10_000 }), { maxItems: 100 })),
    events: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 100 })),
    stack: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 128 })])),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    filter: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 4000 })])),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 3_600_000 })),
    memory_mb: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536 })),
    enabled: Type.Optional(Type.Boolean()),
    cwd: Type.Optional(Type.String({ maxLength: 4096 })),
    retry: Type.Optional(
      Type.Object(
        {
          max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          backoff_ms: Type.Optional(Type.Integer({ minimum: 0 })),
          backoff_multiplier: Type.Optional(Type.Number({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    replace: Type.Optional(Type.Boolean({ description: 'replace a hook of the same name (PUT does this)' })),
  },
  { additionalProperties: false },
);

const SavedHookAnswer = Type.Object({ hook: HookSchema, warnings: Type.Array(Type.String()) });
const TestBody = Type.Object(
  { data: Type.Optional(JsonObjectSchema), type: Type.Optional(Type.String({ maxLength: 128 })), stack: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 128 })])) },
  { additionalProperties: false },
);
const TestAnswer = Type.Object({
  hook: Type.String(),
  event: EventSchema,
  success: Type.Boolean(),
  output: Type.String(),
  error: Type.Union([Type.Null(), Type.String()]),
  duration_ms: Type.Number(),
  dry_run: Type.Unknown(),
});

export function hookRoutes(app: HookflowApp, ctx: ServerContext): void {
  const { hooks } = ctx.engine;

  app.get(
    '/hooks',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'List hooks',
        tags: ['hooks'],
        querystring: Type.Object({ stack: Type.Optional(Type.String({ maxLength: 128 })) }, { additionalProperties: false }),
        response: responses({ 200: Type.Object({ hooks: Type.Array(HookSchema) }) }),
      },
    },
    async (request) => ({ hooks: (await hooks.list(request.query.stack)).map(hookJson) }),
  );

  const save = (replace: boolean) => async (body: Static<typeof HookBody>) => {
    const { script, runtime, replace: replaceFlag, commands, action, params, ...overrides } = body;
    const options = { replace: replace || replaceFlag === true };
    if (runtime === 'action' && script === undefined) {
      if (action === undefined) throw new HookflowError('HF_ERR_VALIDATION', 'an action hook needs `action`', { where: 'body.action', hint: 'e.g. "action": "notification"' });
      const saved = await hooks.addAction({ ...overrides, action, params: params as JsonObject | undefined }, options);
      return { hook: hookJson(saved.hook), warnings: saved.warnings };
    }
    if (action !== undefined || params !== undefined) {
      throw new HookflowError('HF_ERR_VALIDATION', '`action` and `params` belong to an action hook', { where: 'body.runtime', hint: 'set "runtime": "action"' });
    }
    const saved =
      script !== undefined
        ? await hooks.addFromScript(body.name, runtime === 'action' ? 'commands' : runtime, script, overrides, options)
        : await hooks.addCommands({ ...overrides, commands: commands ?? [] }, options);
    return { hook: hookJson(saved.hook), warnings: saved.warnings };
  };

  app.post(
    '/hooks',
    { config: { access: 'operator' }, schema: { summary: 'Add a hook', tags: ['hooks'], body: HookBody, response: responses({ 201: SavedHookAnswer }) } },
    async (request, reply) => reply.status(201).send(await save(false)(request.body)),
  );

  app.put(
    '/hooks/:name',
    {
      config: { access: 'operator' },
      schema: { summary: 'Add or replace a hook', tags: ['hooks'], params: NameParams, body: HookBody, response: responses({ 200: SavedHookAnswer }) },
    },
    async (request) => save(true)({ ...request.body, name: request.params.name }),
  );

  app.get(
    '/hooks/:name',
    { config: { access: 'viewer' }, schema: { summary: 'One hook', tags: ['hooks'], params: NameParams, response: responses({ 200: HookSchema }) } },
    async (request) => hookJson(await hooks.get(request.params.name)),
  );

  app.get(
    '/hooks/:name/source',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "A hook's script or commands, for reading",
        tags: ['hooks'],
        params: NameParams,
        response: responses({ 200: Type.Object({ name: Type.String(), runtime: Type.String(), language: Type.String(), path: Type.Union([Type.Null(), Type.String()]), text: Type.String() }) }),
      },
    },
    async (request) => hooks.source(request.params.name),
  );

  app.delete(
    '/hooks/:name',
    { config: { access: 'operator' }, schema: { summary: 'Remove a hook', tags: ['hooks'], params: NameParams, response: responses({ 204: Type.Null() }) } },
    async (request, reply) => {
      await hooks.remove(request.params.name);
      return reply.status(204).send(null);
    },
  );

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post(
      `/hooks/:name/${verb}`,
      { config: { access: 'operator' }, schema: { summary: `${verb === 'enable' ? 'Enable' : 'Disable'} a hook`, tags: ['hooks'], params: NameParams, response: responses({ 200: HookSchema }) } },
      async (request) => hookJson(await hooks.setEnabled(request.params.name, enabled)),
    );
  }

  app.get(
    '/hooks/:name/history',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "A hook's executions, newest first",
        tags: ['hooks'],
        params: NameParams,
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })), only_failed: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: responses({ 200: Type.Object({ executions: Type.Array(ExecutionSchema) }) }),
      },
    },
    async (request) => ({
      executions: (await hooks.history(request.params.name, { limit: request.query.limit, onlyFailed: request.query.only_failed })).map((execution) => executionJson(execution, true)),
    }),
  );

  app.post(
    '/hooks/:name/test',
    {
      config: { access: 'operator' },
      schema: { summary: 'Run a hook once on a synthetic event; records nothing', tags: ['hooks'], params: NameParams, body: TestBody, response: responses({ 200: TestAnswer }) },
    },
    async (request) => {
      const body = request.body ?? {};
      const outcome = await hooks.test(request.params.name, { data: body.data as JsonObject | undefined, type: body.type, stack: body.stack });
      return {
        hook: outcome.hook,
        event: eventJson(outcome.event),
        success: outcome.result.success,
        output: outcome.result.output,
        error: outcome.result.error,
        duration_ms: outcome.duration_ms,
        dry_run: outcome.dry_run,
      };
    },
  );
}
