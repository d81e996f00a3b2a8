import { Type, type TSchema } from 'typebox';

/** Schemas shared by several route files. Timestamps are ISO-8601 strings (src/records-json.ts). */

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'HF_ERR_… code' }),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  },
  { $id: 'Error', description: 'Every error: a stable code, a message for people, details (field paths, hints)' },
);

/**
 * A nullable value. Null comes first on purpose: Ajv coerces types (query strings need it) and, in
 * a union, coerces into the first branch it tries, so `[String, Null]` would turn a JSON null
 * into "". Request schemas write their nullable unions the same way.
 */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([Type.Null(), schema]);

/**
 * A nullable string as one `type: ["null", "string"]`, not a union: fast-json-stringify picks a
 * union's branch by validating the value with Ajv on every answer, which costs more than the rest
 * of the serialisation.
 */
const NullableString = (options: { description?: string } = {}) => Type.Unsafe<string | null>({ type: ['null', 'string'], ...options });

/** An ISO-8601 time or null (no `format`: answers are not validated, only written). */
export const Timestamp = NullableString({ description: 'ISO-8601 time' });
export const JsonObjectSchema = Type.Record(Type.String(), Type.Unknown(), { description: 'any JSON object' });

export const ExecutionSchema = Type.Object({
  event_id: Type.Optional(Type.String()),
  hook_name: Type.String(),
  success: Type.Boolean(),
  output: Type.String(),
  error: NullableString(),
  duration_ms: Type.Number(),
  executed_at: Timestamp,
  attempt: Type.Integer(),
});

export const EventSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  stack: NullableString(),
  source: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('processing'), Type.Literal('completed'), Type.Literal('failed')]),
  data: JsonObjectSchema,
  error: NullableString(),
  attempts: Type.Integer(),
  created_at: Timestamp,
  processed_at: Timestamp,
  correlation_id: NullableString(),
  idempotency_key: NullableString(),
  parent_id: NullableString(),
});

export const EventWithExecutionsSchema = Type.Intersect([EventSchema, Type.Object({ executions: Type.Array(ExecutionSchema) })]);

export const HookSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  events: Type.Array(Type.String()),
  stack: NullableString(),
  filter: NullableString(),
  runtime: Type.Union([Type.Literal('lua'), Type.Literal('js'), Type.Literal('commands'), Type.Literal('action')]),
  source: NullableString(),
  commands: Nullable(Type.Array(Type.String())),
  cwd: NullableString(),
  action: NullableString(),
  params: Nullable(JsonObjectSchema),
  timeout_ms: Type.Number(),
  memory_mb: Type.Number(),
  enabled: Type.Boolean(),
  retry: Type.Object({ max_attempts: Type.Integer(), backoff_ms: Type.Number(), backoff_multiplier: Type.Number() }),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_run: Timestamp,
  run_count: Type.Integer(),
});

export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('operator'), Type.Literal('viewer')]);

/** Names in paths: what the services accept, checked before they are reached. */
export const NameParam = Type.String({ minLength: 1, maxLength: 256 });

/** The 4xx/5xx answers most routes can give, for the OpenAPI document. */
export const STANDARD_ERRORS = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  413: ErrorResponse,
  429: ErrorResponse,
  500: ErrorResponse,
  503: ErrorResponse,
} as const;

/** A route's responses: its own plus the standard errors. */
export function responses<T extends Record<number, TSchema>>(own: T): T & typeof STANDARD_ERRORS {
  return { ...STANDARD_ERRORS, ...own };
}
