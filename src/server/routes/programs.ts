import { Type } from 'typebox';
import { HookflowError } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../events/model.js';
import { activeContainers, containerLogsByImage } from '../../programs/docker-info.js';
import { isFinished } from '../../programs/execution-states.js';
import type { ExecutionStreamMessage } from '../../programs/service.js';
import {
  concurrentJson,
  configuredImages,
  executionJson,
  executionLogsJson,
  infoJson,
  programJson,
  programsConfigJson,
  statsJson,
} from '../../programs/views.js';
import { EXECUTION_STATUSES, type ExecutionStatus } from '../../store/programs.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { sseComment, sseText } from '../live/sse.js';
import { JsonObjectSchema, responses } from '../schemas.js';

/**
 * Programs over HTTP, PyExecutorHub-compatible: its paths, bodies and answer shapes (its cron
 * client works unchanged), every route behind auth. Each calls the engine's ProgramService and
 * answers with src/programs/views.ts, the shapes the CLI's --json prints too.
 */

const Loose = (properties: Parameters<typeof Type.Object>[0], description?: string) =>
  Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });
const NullableString = Type.Unsafe<string | null>({ type: ['null', 'string'] });
const NullableNumber = Type.Unsafe<number | null>({ type: ['null', 'number'] });

const ProgramSchema = Loose({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  type: Type.String({ description: 'script or bot' }),
  enabled: Type.Boolean(),
  parameters: NullableString,
  docker_image: NullableString,
  runner: NullableString,
});
const ExecutionSchema = Loose(
  {
    execution_id: Type.String(),
    program_id: Type.String(),
    status: Type.String({ enum: [...EXECUTION_STATUSES] }),
    output: Type.String(),
    error: Type.String({ description: 'stderr, then why hookflow stopped it (e.g. "Execution exceeded time limit")' }),
    start_time: NullableString,
    end_time: NullableString,
    duration_seconds: NullableNumber,
    exit_code: NullableNumber,
  },
  'An execution (PyExecutorHub fields first; see docs/programs.md)',
);
/**
 * A request parameter. No `type` on purpose: Ajv coerces types, and in a union coerces into the
 * first branch that takes the value (`[Null, String, …]` turned false, 0 and "" into null and 3
 * into "3"); a type array would be a union Ajv's strict mode warns about. The service refuses
 * objects and arrays (src/programs/service.ts checkParameters).
 */
const ParameterValue = Type.Unknown({ description: 'a string, number, boolean or null' });
const ExecuteBody = Type.Object(
  {
    program_id: Type.String({ minLength: 1, maxLength: 256 }),
    parameters: Type.Optional(Type.Record(Type.String(), ParameterValue, { description: 'each becomes PARAM_<KEY upper-cased>' })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object(
  {
    program_id: Type.Optional(Type.String({ maxLength: 256 })),
    status: Type.Optional(Type.String({ enum: [...EXECUTION_STATUSES] })),
    trigger: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);
const CleanupQuery = Type.Object(
  {
    older_than_days: Type.Optional(Type.Number({ minimum: 0, description: 'only executions that ended more than this many days ago' })),
    keep_last: Type.Optional(Type.Integer({ minimum: 0, description: 'keep the newest N finished executions' })),
    program_id: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
const StreamQuery = Type.Object({ access_token: Type.Optional(Type.String({ maxLength: 4096 })) }, { additionalProperties: false });

const Count = Type.Integer({ minimum: 0 });
const LogsSchema = Loose({
  execution_id: Type.String(),
  program_id: Type.String(),
  status: Type.String({ enum: [...EXECUTION_STATUSES] }),
  start_time: NullableString,
  end_time: NullableString,
  duration_seconds: NullableNumber,
  output: Type.String(),
  error: Type.String(),
  output_lines: Count,
  error_lines: Count,
});
const ByStatusSchema = Type.Record(Type.String(), Type.Array(Type.Object({ name: Type.String(), total: Count })), {
  description: '{STATUS: [{name, total}]}, each list sorted by total (descending), then name',
});
const StatsSchema = Loose({
  total: Count,
  by_status: ByStatusSchema,
  recent_executions: Type.Array(Loose({ execution_id: Type.String(), program_id: Type.String(), status: Type.String(), start_time: NullableString, end_time: NullableString, duration_seconds: NullableNumber })),
  max_executions: NullableNumber,
  concurrent_executions: Count,
});
const ConcurrentSchema = Loose({
  concurrent_count: Count,
  max_concurrent: Count,
  running_executions: Type.Array(Loose({ execution_id: Type.String(), program_id: Type.String(), start_time: NullableString, duration_seconds: NullableNumber })),
  queued_count: Count,
});
const InfoSchema = Loose({
  total_executions: Count,
  queued_executions: Count,
  running_executions: Count,
  completed_executions: Count,
  failed_executions: Count,
  timeout_executions: Count,
  canceled_executions: Count,
  max_concurrent_executions: Count,
});
const ImageSchema = Loose({
  repository: Type.String(),
  tag: Type.String(),
  image_id: Type.String(),
  size: Type.String(),
  created_at: Type.String(),
  full_name: Type.String(),
  source: Type.String({ description: 'script, bot (then script_id or bot_id) or default' }),
});
const ImagesSchema = Loose({ total_images: Count, images: Type.Array(ImageSchema) });
const ImageSearchSchema = Loose({ search_term: Type.String(), total_images: Count, images: Type.Array(ImageSchema) });
const ContainersSchema = Loose({
  total_containers: Count,
  containers: Type.Array(Loose({ container_id: Type.String(), image: Type.String(), status: Type.String(), name: Type.String() })),
});
const ContainerLogsSchema = Loose({
  image_name: Type.String(),
  containers: Type.Array(Loose({ container_id: Type.String(), stdout: Type.String(), stderr: Type.String(), logs_lines: Count })),
  total_containers: Count,
  message: Type.String(),
});
const ImageParams = Type.Object({ image: Type.String({ minLength: 1, maxLength: 256, description: 'an image name; one with slashes (ghcr.io/org/app:1) as is or with %2F' }) });
const SearchParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 256, description: 'part of an image name, case-insensitive' }) });
/** A wildcard route's rest of the path (image names may hold slashes), hidden from the OpenAPI document. */
const RestParams = Type.Object({ '*': Type.String({ maxLength: 256 }) });

export function programRoutes(app: HookflowApp, ctx: ServerContext): void {
  const programs = () => ctx.engine.programs();
  /** Open execution streams: ended before the server waits for open requests (they never would end). */
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  app.get(
    '/programs',
    { config: { access: 'viewer' }, schema: { summary: 'The enabled programs of config.yaml, scripts before bots', tags: ['programs'], response: responses({ 200: Type.Array(ProgramSchema) }) } },
    async () => {
      const service = await programs();
      const config = service.config();
      return service.programs().map((program) => programJson(program, config) as JsonObject);
    },
  );

  app.get(
    '/programs/config',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "config.yaml's state: the file, its programs, and the problems of its last edit (the last good configuration stays in force)",
        tags: ['programs'],
        response: responses({ 200: JsonObjectSchema }),
      },
    },
    async () => {
      const service = await programs();
      return programsConfigJson(service.config(), service.programs().length, service.catalog.lastProblems());
    },
  );

  const execute = async (body: { program_id: string; parameters?: Record<string, unknown> }, requestedBy: string | null) => {
    const service = await programs();
    const execution = await service.submit({ program_id: body.program_id, parameters: body.parameters as Record<string, JsonValue> | undefined, trigger: 'api', requested_by: requestedBy });
    return executionJson(execution, { queue_position: await service.queuePosition(execution.id) });
  };
  for (const path of ['/execute', '/executions'] as const) {
    app.post(
      path,
      {
        config: { access: 'operator' },
        schema: {
          summary: 'Run a program: the execution is stored queued and starts when a slot is free (404 unknown program, 400 disabled)',
          tags: ['programs'],
          body: ExecuteBody,
          response: responses({ 200: ExecutionSchema }),
        },
      },
      async (request) => execute(request.body, request.principal?.name ?? null),
    );
  }

  app.get(
    '/executions',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Executions, newest first, filtered by program, status or trigger',
        tags: ['programs'],
        querystring: ListQuery,
        response: responses({ 200: Loose({ total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer(), executions: Type.Array(ExecutionSchema) }) }),
      },
    },
    async (request) => {
      const service = await programs();
      const limit = Math.min(request.query.limit ?? 50, ctx.options.maxPageSize);
      const offset = request.query.offset ?? 0;
      const { executions, total } = await service.list({
        program_id: request.query.program_id,
        status: request.query.status as ExecutionStatus | undefined,
        trigger: request.query.trigger,
        limit,
        offset,
      });
      return { total, limit, offset, executions: executions.map((execution) => executionJson(execution)) };
    },
  );

  app.get(
    '/executions/info',
    { config: { access: 'viewer' }, schema: { summary: 'Execution counts and the limits in force', tags: ['programs'], response: responses({ 200: InfoSchema }) } },
    async () => {
      const service = await programs();
      return infoJson(await service.counts(), service.config());
    },
  );

  app.get(
    '/executions/stats',
    {
      config: { access: 'viewer' },
      schema: { summary: 'Executions by status and program (sorted by total, then name), recent executions, concurrency', tags: ['programs'], response: responses({ 200: StatsSchema }) },
    },
    async () => {
      const service = await programs();
      const [counts, recent] = await Promise.all([service.counts(), service.list({ limit: 10 })]);
      return statsJson(counts, recent.executions, service.config());
    },
  );

  app.get(
    '/executions/concurrent',
    { config: { access: 'viewer' }, schema: { summary: 'Running executions against the concurrency limit', tags: ['programs'], response: responses({ 200: ConcurrentSchema }) } },
    async () => {
      const service = await programs();
      const [running, queued] = await Promise.all([service.running(), service.list({ status: 'queued', limit: 1 })]);
      return concurrentJson(running, queued.total, service.config());
    },
  );

  app.delete(
    '/executions/cleanup',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Delete finished executions: all of them, or those older than older_than_days, or all but the newest keep_last (queued and running ones stay)',
        tags: ['programs'],
        querystring: CleanupQuery,
        response: responses({ 200: Type.Object({ message: Type.String(), deleted_count: Type.Integer() }) }),
      },
    },
    async (request) => {
      const service = await programs();
      const { older_than_days: days, keep_last: keepLast, program_id: programId } = request.query;
      const deleted = await service.cleanup({
        endedBefore: days !== undefined ? Date.now() - days * 86_400_000 : keepLast !== undefined ? null : Date.now() + 1,
        keepLast: keepLast ?? null,
        program_id: programId ?? null,
      });
      return { message: `deleted ${deleted} finished execution${deleted === 1 ? '' : 's'}`, deleted_count: deleted };
    },
  );

  app.get(
    '/executions/:id',
    { config: { access: 'viewer' }, schema: { summary: 'One execution: status, output, error, times', tags: ['programs'], params: IdParams, response: responses({ 200: ExecutionSchema }) } },
    async (request) => {
      const service = await programs();
      const execution = await service.require(request.params.id);
      return executionJson(execution, { queue_position: execution.status === 'queued' ? await service.queuePosition(execution.id) : null });
    },
  );

  app.get(
    '/executions/:id/logs',
    {
      config: { access: 'viewer' },
      schema: { summary: "An execution's output and error with timing and line counts", tags: ['programs'], params: IdParams, response: responses({ 200: LogsSchema }) },
    },
    async (request) => executionLogsJson(await (await programs()).require(request.params.id)),
  );

  app.post(
    '/executions/:id/cancel',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Cancel a queued execution, or stop a running one (its act_after still runs); 409 when it already ended',
        tags: ['programs'],
        params: IdParams,
        response: responses({ 200: ExecutionSchema }),
      },
    },
    async (request) => executionJson(await (await programs()).cancel(request.params.id, `canceled by ${request.principal?.name ?? 'a request'}`)),
  );

  app.get(
    '/executions/:id/stream',
    {
      config: { access: 'viewer', queryToken: true },
      schema: {
        summary:
          'Live output (Server-Sent Events): `event: status` with the execution as it is, `event: output` {stream, text} frames as the program prints, ' +
          'then `event: status` with its final record, and the stream ends',
        tags: ['programs'],
        params: IdParams,
        querystring: StreamQuery,
        response: responses({ 200: Type.String({ description: 'text/event-stream' }) }),
      },
    },
    async (request, reply) => {
      const service = await programs();
      // Before the stream starts, so an unknown id is a plain 404.
      const current = await service.require(request.params.id);
      reply.hijack();
      const res = reply.raw;
      res.socket?.setNoDelay(true);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      res.write(sseComment('connected'));
      // Every stream starts with the execution as it is (a finished one's final status comes after its output).
      let lastStatus: string | null = null;
      if (!isFinished(current.status)) {
        res.write(sseText('status', executionJson(current)));
        lastStatus = current.status;
      }
      let ended = false;
      let stop: (() => void) | null = null;
      const keepAlive = setInterval(() => res.write(sseComment('keep-alive')), 15_000);
      keepAlive.unref();
      const end = () => {
        if (ended) return;
        ended = true;
        streams.delete(end);
        clearInterval(keepAlive);
        stop?.();
        res.end();
      };
      streams.add(end);
      res.once('close', end);
      try {
        stop = await service.follow(request.params.id, (message: ExecutionStreamMessage) => {
          if (ended) return;
          if (message.type === 'output') {
            res.write(sseText('output', { stream: message.stream, text: message.text }));
            return;
          }
          const { status } = message.execution;
          if (status === lastStatus) return;
          lastStatus = status;
          res.write(sseText('status', executionJson(message.execution)));
          if (isFinished(status)) end();
        });
      } catch (error) {
        // Deleted between the check and the follow: say so in the stream, whose status line is sent.
        if (!ended) res.write(sseText('error', { message: error instanceof Error ? error.message : String(error) }));
        end();
        return;
      }
      if (ended) stop();
    },
  );

  app.get(
    '/containers/active',
    { config: { access: 'viewer' }, schema: { summary: "The Docker engine's running containers", tags: ['programs'], response: responses({ 200: ContainersSchema }) } },
    async () => (await activeContainers()) as unknown as JsonObject,
  );

  const containerLogs = async (image: string) => (await containerLogsByImage(image)) as unknown as JsonObject;
  app.get(
    '/containers/logs/:image',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Logs of the running containers of an image (`/containers/logs/python:3.11-slim`)',
        tags: ['programs'],
        params: ImageParams,
        response: responses({ 200: ContainerLogsSchema }),
      },
    },
    async (request) => containerLogs(request.params.image),
  );
  app.get(
    '/containers/logs/*',
    { config: { access: 'viewer' }, schema: { hide: true, params: RestParams, response: responses({ 200: ContainerLogsSchema }) } },
    async (request) => {
      const image = request.params['*'];
      if (!image) throw new HookflowError('HF_ERR_INVALID_ARGUMENT', 'name an image: /containers/logs/IMAGE', { where: 'path' });
      return containerLogs(image);
    },
  );

  app.get(
    '/images/available',
    { config: { access: 'viewer' }, schema: { summary: 'The Docker images config.yaml names (PyExecutorHub: from the configuration)', tags: ['programs'], response: responses({ 200: ImagesSchema }) } },
    async () => {
      const images = configuredImages((await programs()).config());
      return { total_images: images.length, images };
    },
  );

  const searchImages = async (term: string) => {
    const images = configuredImages((await programs()).config()).filter((image) => image.full_name.toLowerCase().includes(term.toLowerCase()));
    return { search_term: term, total_images: images.length, images };
  };
  app.get(
    '/images/search/:name',
    {
      config: { access: 'viewer' },
      schema: { summary: 'The configured images whose name contains the term', tags: ['programs'], params: SearchParams, response: responses({ 200: ImageSearchSchema }) },
    },
    async (request) => searchImages(request.params.name),
  );
  app.get(
    '/images/search/*',
    { config: { access: 'viewer' }, schema: { hide: true, params: RestParams, response: responses({ 200: ImageSearchSchema }) } },
    async (request) => searchImages(request.params['*']),
  );
}
