import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { HookflowError } from '../../errors.js';
import type { JsonObject } from '../../events/model.js';
import { JOB_STATUSES, WORKFLOW_STATUSES } from '../../store/workflows.js';
import { TRIGGER_TYPES, type JobModel } from '../../workflows/model.js';
import type { SpecFormat, WorkflowService } from '../../workflows/service.js';
import {
  actionExecutionJson,
  allocationJson,
  jobDetailJson,
  jobJson,
  isInvalidReport,
  jobNamer,
  logChunkJson,
  submittedJson,
  validationJson,
  workerJson,
  workflowActionJson,
  workflowJson,
} from '../../workflows/views.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { JsonObjectSchema, responses, STANDARD_ERRORS, Timestamp } from '../schemas.js';
import { parseAssignments } from '../../util/assignments.js';

/**
 * Workflows over HTTP: validate and submit specs (YAML or JSON bodies), inspect, cancel and
 * restart them, their jobs, logs, outputs and actions; workers and Slurm allocations. Every route
 * calls the engine's WorkflowService and answers with the views of src/workflows/views.ts, the
 * shapes the CLI's --json prints too.
 */

const Literals = <T extends string>(values: readonly T[], description?: string) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
const NullableType = <T>(type: string, description?: string) => Type.Unsafe<T | null>({ type: ['null', type], ...(description ? { description } : {}) });
const NullableString = (description?: string) => NullableType<string>('string', description);
const NullableInteger = (description?: string) => NullableType<number>('integer', description);
const NullableObject = (description?: string) => Type.Unsafe<JsonObject | null>({ type: ['null', 'object'], additionalProperties: true, ...(description ? { description } : {}) });

const SPEC_MEDIA_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml'];
const FORMATS = ['auto', 'torc', 'dag'] as const;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const JobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), job: Type.String({ minLength: 1, maxLength: 1024, description: 'the job index (`3` or `#3`) or its name (the first of that name)' }) });
const ActionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), index: Type.Integer({ minimum: 0 }) });

const SpecBody = Type.Union([Type.String({ description: 'the spec as YAML, JSON or JSON5 text (Content-Type application/yaml, text/yaml or application/x-yaml)' }), JsonObjectSchema], {
  description: 'The workflow spec: YAML text, the spec as a JSON object, or `{spec: TEXT | OBJECT, format?, params?, file?}`',
});
const SpecQuery = {
  format: Type.Optional(Literals(FORMATS, 'the spec format; default: detected from the content')),
  file: Type.Optional(Type.String({ maxLength: 1024, description: 'a file name for error positions (its extension hints the syntax)' })),
};
const SubmitQuery = Type.Object(
  {
    ...SpecQuery,
    param: Type.Optional(Type.Array(Type.String({ maxLength: 65_536 }), { maxItems: 1000, description: 'a DAG parameter as KEY=VALUE (the value is JSON when it parses); repeat for several' })),
  },
  { additionalProperties: false },
);
const ValidateQuery = Type.Object({ ...SpecQuery, show_jobs: Type.Optional(Type.Boolean({ description: 'list the expanded job names' })) }, { additionalProperties: false });

const Counts = Type.Record(Type.String(), Type.Integer(), { description: 'jobs per state' });
const WorkflowSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  format: Literals(['torc', 'dag']),
  status: Literals(WORKFLOW_STATUSES),
  run: Type.Integer(),
  user: NullableString(),
  description: NullableString(),
  params: JsonObjectSchema,
  outputs: NullableObject('the DAG outputs, resolved when it ends'),
  output_dir: Type.String(),
  created_by: NullableString(),
  job_count: Type.Integer(),
  error: NullableString(),
  created_at: Timestamp,
  updated_at: Timestamp,
  started_at: Timestamp,
  ended_at: Timestamp,
});
const WorkflowWithCounts = Type.Intersect([WorkflowSchema, Type.Object({ counts: Counts })]);
const Submitted = Type.Object({ id: Type.String(), run_id: Type.Integer() });
const ValidSummary = Type.Object({
  name: Type.String(),
  format: Literals(['torc', 'dag']),
  jobs: Type.Integer({ description: 'jobs after expansion' }),
  files: Type.Integer(),
  levels: Type.Integer({ description: 'topological levels of the job graph' }),
  actions: Type.Array(Type.Object({ trigger_type: Type.String(), action_type: Type.String(), selected_jobs: Type.Integer({ description: 'how many jobs it selects' }) })),
  job_names: Type.Optional(Type.Array(Type.String())),
});
const JobSchemaFields = {
  index: Type.Integer(),
  name: Type.String(),
  status: Literals(JOB_STATUSES),
  exit_code: NullableInteger(),
  attempts: Type.Integer(),
  worker_id: NullableString(),
  started_at: Timestamp,
  ended_at: Timestamp,
  run: Type.Integer(),
  error: NullableString(),
  depends_on: Type.Array(Type.Integer(), { description: 'indexes of the jobs it waits for' }),
};
const JobSchema = Type.Object(JobSchemaFields);
const JobDetailSchema = Type.Object({
  ...JobSchemaFields,
  workflow_id: Type.String(),
  step_id: NullableString('the DAG step id'),
  ready_at: Timestamp,
  lease_expires_at: Timestamp,
  outputs: NullableObject(),
  stdout_tail: NullableString(),
  stderr_tail: NullableString(),
  cancel_requested: Type.Boolean(),
  spec: Type.Unsafe<JobModel>({ type: 'object', additionalProperties: true, description: 'what the job runs, as compiled (src/workflows/model.ts JobModel)' }),
});
const ExecutionSchema = Type.Object({
  id: Type.String(),
  run: Type.Integer(),
  worker_id: Type.String(),
  success: Type.Unsafe<boolean | null>({ type: ['null', 'boolean'], description: 'null while it runs' }),
  result: NullableObject(),
  error: NullableString(),
  started_at: Timestamp,
  ended_at: Timestamp,
});
const ActionSchema = Type.Object({
  index: Type.Integer(),
  trigger_type: Literals(TRIGGER_TYPES),
  action_type: Type.String(),
  persistent: Type.Boolean(),
  selected_jobs: Type.Array(Type.String(), { description: 'names of the selected jobs' }),
  selected_job_indexes: Type.Array(Type.Integer()),
  required_triggers: Type.Integer(),
  trigger_count: Type.Integer(),
  status: Literals(['waiting', 'pending', 'running', 'done', 'failed']),
  fields: JsonObjectSchema,
  executions: Type.Array(ExecutionSchema),
});
const WorkerSchema = Type.Object({
  id: Type.String(),
  host: Type.String(),
  pid: Type.Integer(),
  workflow_id: NullableString(),
  running_jobs: Type.Array(Type.String()),
  max_parallel_jobs: NullableInteger(),
  started_at: Timestamp,
  heartbeat_at: Timestamp,
});
const AllocationSchema = Type.Object({
  id: Type.String({ description: "the scheduler's job id" }),
  workflow_id: Type.String(),
  action_index: NullableInteger(),
  scheduler: Type.String(),
  state: Literals(['queued', 'running', 'completed', 'failed', 'canceled']),
  native_state: NullableString(),
  nodes: Type.Integer(),
  script_path: NullableString(),
  submitted_at: Timestamp,
  updated_at: Timestamp,
});

/** `KEY=VALUE` pairs (from `?param=`): the value as JSON when it parses, else the text. */
export function paramsFromAssignments(assignments: readonly string[], where = 'query.param'): JsonObject {
  return parseAssignments(assignments, (assignment) => {
    throw new HookflowError('HF_ERR_VALIDATION', `"${assignment}" is not KEY=VALUE`, { where, hint: 'e.g. ?param=count=3&param=name=demo' });
  });
}

interface SpecInput {
  text: string;
  file?: string;
  format: SpecFormat;
  params: JsonObject;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The spec a request carries: a YAML body is the text itself; a JSON body is the spec (its raw text
 * is kept, so problems are placed at its real line:column) unless it has a `spec` key, in which
 * case it is `{spec, format?, params?, file?}`.
 */
function specInput(body: unknown, rawJson: string | undefined, query: { format?: SpecFormat; file?: string; param?: string[] }): SpecInput {
  const queryParams = paramsFromAssignments(query.param ?? []);
  if (typeof body === 'string') return { text: body, file: query.file, format: query.format ?? 'auto', params: queryParams };
  if (!isObject(body)) throw new HookflowError('HF_ERR_VALIDATION', 'send the workflow spec as the body', { where: 'body', hint: 'YAML with Content-Type application/yaml, or JSON' });
  if (!('spec' in body)) return { text: rawJson ?? JSON.stringify(body, null, 2), file: query.file, format: query.format ?? 'auto', params: queryParams };
  const { spec, format, params, file, ...rest } = body;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new HookflowError('HF_ERR_VALIDATION', `body.${unknown[0]} is not a known field`, { where: `body.${unknown[0]}`, hint: 'a body with `spec` takes spec, format, params and file' });
  }
  if (typeof spec !== 'string' && !isObject(spec)) throw new HookflowError('HF_ERR_VALIDATION', 'body.spec must be the spec text or the spec object', { where: 'body.spec' });
  if (format !== undefined && (typeof format !== 'string' || !(FORMATS as readonly string[]).includes(format))) {
    throw new HookflowError('HF_ERR_VALIDATION', 'body.format must be one of "auto", "torc", "dag"', { where: 'body.format' });
  }
  if (params !== undefined && !isObject(params)) throw new HookflowError('HF_ERR_VALIDATION', 'body.params must be an object of parameter values', { where: 'body.params' });
  if (file !== undefined && typeof file !== 'string') throw new HookflowError('HF_ERR_VALIDATION', 'body.file must be a file name', { where: 'body.file' });
  return {
    text: typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2),
    file: file ?? query.file,
    format: (format as SpecFormat | undefined) ?? query.format ?? 'auto',
    params: { ...queryParams, ...((params as JsonObject | undefined) ?? {}) },
  };
}

/** Deeper than this a JSON spec body is refused (the app-wide parser's guard, for this scope's own). */
const MAX_SPEC_DEPTH = 64;

function deeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const next = stack.pop() as { value: unknown; depth: number };
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value)) stack.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

export async function workflowRoutes(app: HookflowApp, ctx: ServerContext): Promise<void> {
  const service = (): Promise<WorkflowService> => ctx.engine.workflows();
  const pageLimit = (limit: number | undefined, fallback: number) => Math.min(limit ?? fallback, ctx.options.maxPageSize);

  // Spec bodies: YAML as raw text, JSON with its raw text kept for line:column (this scope only).
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const rawJson = new WeakMap<FastifyRequest, string>();
    const defaultJson = scope.getDefaultJsonParser('error', 'error');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: ctx.options.bodyLimit }, (request, body, done) => {
      defaultJson(request, body as string, (error, value) => {
        if (error) return done(new HookflowError('HF_ERR_INVALID_JSON', `the body is not valid JSON: ${error.message}`, { where: 'body' }), undefined);
        if (deeperThan(value, MAX_SPEC_DEPTH)) return done(new HookflowError('HF_ERR_INVALID_JSON', `the body is nested more than ${MAX_SPEC_DEPTH} levels deep`, { where: 'body' }), undefined);
        rawJson.set(request, body as string);
        done(null, value);
      });
    });
    scope.addContentTypeParser(SPEC_MEDIA_TYPES, { parseAs: 'string', bodyLimit: ctx.options.bodyLimit }, (_request, body, done) => done(null, body));

    scope.post(
      '/workflows/validate',
      {
        config: { access: 'operator' },
        schema: {
          summary: 'Validate a workflow spec (Torc or BudPipeline DAG): its expanded counts, or 400 HF_ERR_INVALID_WORKFLOW with every problem in details.problems',
          tags: ['workflows'],
          consumes: ['application/json', ...SPEC_MEDIA_TYPES],
          querystring: ValidateQuery,
          body: SpecBody,
          response: responses({ 200: ValidSummary }),
        },
      },
      async (request) => {
        const input = specInput(request.body, rawJson.get(request), request.query);
        const report = validationJson(await (await service()).validate(input.text, { file: input.file, format: input.format, showJobs: request.query.show_jobs === true }));
        if (isInvalidReport(report)) {
          const first = report.errors[0];
          const file = input.file ?? '<workflow>';
          throw new HookflowError('HF_ERR_INVALID_WORKFLOW', `${file} is not a valid workflow: ${report.errors.length} problem(s), the first: ${first?.message ?? 'unknown'}`, {
            where: first ? `${file}:${first.line}:${first.column}` : file,
            problems: report.errors,
          });
        }
        return report;
      },
    );

    scope.post(
      '/workflows',
      {
        config: { access: 'operator' },
        schema: {
          summary: 'Submit a workflow: validated, stored with its jobs, and run by the workers (an invalid spec is 400 HF_ERR_INVALID_WORKFLOW, every problem in details.problems)',
          tags: ['workflows'],
          consumes: ['application/json', ...SPEC_MEDIA_TYPES],
          querystring: SubmitQuery,
          body: SpecBody,
          response: responses({ 201: Submitted }),
        },
      },
      async (request, reply) => {
        const input = specInput(request.body, rawJson.get(request), request.query);
        const submitted = await (await service()).submit({ text: input.text, file: input.file, format: input.format, params: input.params, createdBy: request.principal?.name ?? null });
        return reply.status(201).send(submittedJson(submitted));
      },
    );
  });

  app.get(
    '/workflows',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'List workflows, newest first, each with its job counts per state',
        tags: ['workflows'],
        querystring: Type.Object(
          {
            status: Type.Optional(Literals(WORKFLOW_STATUSES)),
            before: Type.Optional(Type.String({ maxLength: 64, description: 'cursor: next_cursor of the previous page' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: Type.Object({ workflows: Type.Array(WorkflowWithCounts), next_cursor: NullableString() }) }),
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit, 50);
      const workflowService = await service();
      const workflows = await workflowService.list({ status: request.query.status, before: request.query.before, limit });
      // Counts per row: the list page shows progress bars without a request per workflow.
      const rows = await Promise.all(workflows.map(async (workflow) => ({ ...workflowJson(workflow), counts: { ...(await workflowService.status(workflow.id)).counts } })));
      return { workflows: rows, next_cursor: workflows.length === limit ? (workflows.at(-1)?.id ?? null) : null };
    },
  );

  app.get(
    '/workflows/:id',
    { config: { access: 'viewer' }, schema: { summary: 'One workflow with its job counts per state', tags: ['workflows'], params: IdParams, response: responses({ 200: WorkflowWithCounts }) } },
    async (request) => {
      const workflows = await service();
      const workflow = await workflows.get(request.params.id);
      const { counts } = await workflows.status(request.params.id);
      return { ...workflowJson(workflow), counts: { ...counts } };
    },
  );

  app.delete(
    '/workflows/:id',
    { config: { access: 'operator' }, schema: { summary: 'Delete an ended workflow with its jobs, actions and allocations', tags: ['workflows'], params: IdParams, response: responses({ 204: Type.Null() }) } },
    async (request, reply) => {
      const outcome = await ctx.engine.store.workflows.deleteWorkflow(request.params.id);
      if (outcome === 'not_found') throw new HookflowError('HF_ERR_NOT_FOUND', `no workflow with id ${request.params.id}`);
      if (outcome === 'running') throw new HookflowError('HF_ERR_CONFLICT', `workflow ${request.params.id} is still running`, { hint: 'cancel it first (POST /workflows/{id}/cancel)' });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/workflows/:id/jobs',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "A workflow's jobs in index order",
        tags: ['workflows'],
        params: IdParams,
        querystring: Type.Object(
          {
            status: Type.Optional(Literals(JOB_STATUSES)),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'default and most: the server’s page size (1000)' })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: Type.Object({ jobs: Type.Array(JobSchema) }) }),
      },
    },
    async (request) => {
      const { status, offset } = request.query;
      const jobs = await (await service()).jobs(request.params.id, { status, offset, limit: pageLimit(request.query.limit, ctx.options.maxPageSize) });
      return { jobs: jobs.map(jobJson) };
    },
  );

  app.get(
    '/workflows/:id/jobs/:job',
    { config: { access: 'viewer' }, schema: { summary: 'One job: its spec, outputs, error and log tails', tags: ['workflows'], params: JobParams, response: responses({ 200: JobDetailSchema }) } },
    async (request) => jobDetailJson(await (await service()).job(request.params.id, request.params.job)),
  );

  app.get(
    '/workflows/:id/jobs/:job/logs',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "A job's log from an offset (stdout or stderr of a command; the action log of an action job): read on from the answer's offset to follow it",
        tags: ['workflows'],
        params: JobParams,
        querystring: Type.Object(
          {
            stream: Type.Optional(Literals(['stdout', 'stderr'] as const)),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
            max_bytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 16 * 1024 * 1024 })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: Type.Object({ offset: Type.Integer({ description: 'where the next read starts' }), text: Type.String() }) }),
      },
    },
    async (request) => {
      const { stream, offset, max_bytes: maxBytes } = request.query;
      return logChunkJson(await (await service()).logs(request.params.id, request.params.job, { stream, offset, maxBytes }));
    },
  );

  app.get(
    '/workflows/:id/outputs',
    {
      config: { access: 'viewer' },
      schema: { summary: "A pipeline DAG's resolved outputs (once it has ended)", tags: ['workflows'], params: IdParams, response: responses({ 200: JsonObjectSchema }) },
    },
    async (request) => (await service()).outputs(request.params.id),
  );

  app.get(
    '/workflows/:id/actions',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "A workflow's actions: trigger, selected jobs, trigger count, state and executions",
        tags: ['workflows'],
        params: IdParams,
        response: responses({ 200: Type.Object({ actions: Type.Array(ActionSchema) }) }),
      },
    },
    async (request) => {
      const workflows = await service();
      const actions = await workflows.actions(request.params.id);
      const selected = actions.some((action) => action.selected_jobs.length > 0);
      const names = jobNamer(selected ? await workflows.jobs(request.params.id) : []);
      return { actions: actions.map((action) => workflowActionJson(action, names)) };
    },
  );

  app.post(
    '/workflows/:id/actions/:index/claim',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Claim a pending action for a worker: 200 with its execution, or 409 {"claimed": false} when another claimed it',
        tags: ['workflows'],
        params: ActionParams,
        body: Type.Object({ worker_id: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
        // Torc's answer to a second claimer: 409 with `{"claimed": false}`, not the error shape.
        response: { ...STANDARD_ERRORS, 200: Type.Object({ claimed: Type.Literal(true), execution: ExecutionSchema }), 409: Type.Object({ claimed: Type.Literal(false) }) },
      },
    },
    async (request, reply) => {
      await (await service()).get(request.params.id);
      const claimed = await ctx.engine.store.workflows.claimAction(request.params.id, request.params.index, request.body.worker_id, Date.now());
      if (!claimed) return reply.status(409).send({ claimed: false as const });
      return { claimed: true as const, execution: actionExecutionJson(claimed.execution) };
    },
  );

  app.get(
    '/workflows/:id/graph',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "The workflow's job graph as Mermaid or Graphviz dot text, coloured by job state",
        tags: ['workflows'],
        params: IdParams,
        querystring: Type.Object({ format: Type.Optional(Literals(['mermaid', 'dot'] as const)) }, { additionalProperties: false }),
        produces: ['text/plain'],
        response: responses({ 200: Type.String() }),
      },
    },
    async (request, reply) => {
      const text = await (await service()).graph(request.params.id, request.query.format ?? 'mermaid');
      return reply.type('text/plain; charset=utf-8').send(text);
    },
  );

  app.post(
    '/workflows/:id/cancel',
    {
      config: { access: 'operator' },
      schema: { summary: 'Cancel a running workflow: running jobs are stopped, the rest canceled', tags: ['workflows'], params: IdParams, response: responses({ 200: WorkflowSchema }) },
    },
    async (request) => workflowJson(await (await service()).cancel(request.params.id)),
  );

  app.post(
    '/workflows/:id/restart',
    {
      config: { access: 'operator' },
      schema: {
        summary: 'Run an ended workflow again as a new run: all its jobs, or (failed_only) only those that failed, were canceled or did not run',
        tags: ['workflows'],
        params: IdParams,
        body: Type.Object({ failed_only: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
        response: responses({ 200: Submitted }),
      },
    },
    async (request) => submittedJson(await (await service()).restart(request.params.id, { failedOnly: (request.body ?? {}).failed_only ?? false })),
  );

  app.get(
    '/workers',
    {
      config: { access: 'viewer' },
      schema: { summary: 'Live workers: host, workflow, running jobs, last heartbeat', tags: ['workflows'], response: responses({ 200: Type.Object({ workers: Type.Array(WorkerSchema) }) }) },
    },
    async () => ({ workers: (await (await service()).workers()).map(workerJson) }),
  );

  app.get(
    '/slurm/allocations',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'Slurm allocations submitted by schedule_nodes actions, with their states',
        tags: ['workflows'],
        querystring: Type.Object(
          { workflow_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })) },
          { additionalProperties: false },
        ),
        response: responses({ 200: Type.Object({ allocations: Type.Array(AllocationSchema) }) }),
      },
    },
    async (request) => ({ allocations: (await (await service()).allocations({ workflowId: request.query.workflow_id, limit: request.query.limit })).map(allocationJson) }),
  );

  app.post(
    '/slurm/allocations/cancel',
    {
      config: { access: 'operator' },
      schema: {
        summary: "Cancel Slurm allocations: these ids, or every one of a workflow's",
        tags: ['workflows'],
        body: Type.Object(
          {
            ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 1000 })),
            workflow_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: responses({ 200: Type.Object({ allocations: Type.Array(AllocationSchema) }) }),
      },
    },
    async (request) => {
      const { ids, workflow_id: workflowId } = request.body;
      if (ids === undefined && workflowId === undefined) throw new HookflowError('HF_ERR_VALIDATION', 'name the allocations: `ids`, or `workflow_id` for all of a workflow’s', { where: 'body' });
      return { allocations: (await (await service()).cancelAllocations({ ids, workflowId })).map(allocationJson) };
    },
  );
}
