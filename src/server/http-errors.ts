import { HookflowError, type HookflowErrorCode } from '../errors.js';

/** The one error body every route answers with. */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const STATUS: Record<HookflowErrorCode, number> = {
  HF_ERR_INVALID_EVENT_TYPE: 400,
  HF_ERR_INVALID_JSON: 400,
  HF_ERR_PAYLOAD_TOO_LARGE: 413,
  HF_ERR_INVALID_ARGUMENT: 400,
  HF_ERR_VALIDATION: 400,
  HF_ERR_NOT_FOUND: 404,
  HF_ERR_CONFLICT: 409,
  HF_ERR_INVALID_HOOK: 400,
  HF_ERR_INVALID_FILTER: 400,
  HF_ERR_INVALID_STORE_URL: 400,
  HF_ERR_UNAUTHORIZED: 401,
  HF_ERR_FORBIDDEN: 403,
  HF_ERR_RATE_LIMITED: 429,
  HF_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  HF_ERR_SHUTTING_DOWN: 503,
  HF_ERR_STORE: 503,
  // A hook's own failure is reported inside a 200 (hook test); reaching here means ours.
  HF_ERR_HOOK_TIMEOUT: 500,
  HF_ERR_HOOK_MEMORY: 500,
  HF_ERR_HOOK_FAILED: 500,
  HF_ERR_SECRET_KEY: 500,
  HF_ERR_REMOTE: 502,
  HF_ERR_INTERNAL: 500,
  // Another service an action called answered with an error.
  HF_ERR_SERVICE_INVOCATION: 502,
  HF_ERR_INVALID_ACTION: 400,
  HF_ERR_INVALID_PARAMS: 400,
  HF_ERR_UNKNOWN_ACTION: 404,
  // The action's own deadline, reported inside a run's result; here only if a route waited on it.
  HF_ERR_ACTION_TIMEOUT: 504,
  // A parameter or condition template that does not parse or render.
  HF_ERR_TEMPLATE: 400,
  HF_ERR_INVALID_WORKFLOW: 400,
  // sbatch/squeue/scancel failed: another system answered with an error.
  HF_ERR_SLURM: 502,
  HF_ERR_PROCESS_START: 500,
  HF_ERR_LAUNCHER_DIED: 500,
  HF_ERR_INVALID_PROGRAMS_CONFIG: 400,
  HF_ERR_PROGRAM_NOT_FOUND: 404,
  HF_ERR_PROGRAM_DISABLED: 400,
  HF_ERR_PROGRAM_DIRECTORY_NOT_FOUND: 500,
  HF_ERR_MAIN_FILE_NOT_FOUND: 500,
  HF_ERR_PROGRAM_NOT_EXECUTABLE: 500,
  HF_ERR_INVALID_PROGRAM_PARAMETERS: 400,
  HF_ERR_DOCKER_UNAVAILABLE: 503,
  HF_ERR_DOCKER: 500,
};

export function statusFor(code: HookflowErrorCode): number {
  return STATUS[code];
}

/** A JSON-safe copy of error details (no functions, no errors with stacks). */
function safeDetails(details: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(details, (_key, value: unknown) => (value instanceof Error ? value.message : value))) as Record<string, unknown>;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: ReadonlyArray<AjvProblem>;
  validationContext?: string;
}

type AjvProblem = { instancePath?: string; message?: string; params?: Record<string, unknown>; keyword?: string };

/**
 * One entry per field: a union of literals fails once per branch in Ajv, which people should
 * read as "must be one of a, b, c", not as three errors.
 */
function validationFields(context: string | undefined, problems: ReadonlyArray<AjvProblem>): Array<{ path: string; message: string }> {
  const byPath = new Map<string, AjvProblem[]>();
  for (const problem of problems) {
    const path = fieldPath(context, problem.instancePath, problem.params);
    byPath.set(path, [...(byPath.get(path) ?? []), problem]);
  }
  return [...byPath].map(([path, found]) => {
    const allowed = found.filter((problem) => problem.keyword === 'const').map((problem) => JSON.stringify(problem.params?.allowedValue));
    if (allowed.length > 0) return { path, message: `must be one of ${allowed.join(', ')}` };
    const specific = found.find((problem) => problem.keyword !== 'anyOf') ?? found[0];
    return { path, message: specific.keyword === 'additionalProperties' ? 'is not a known field' : (specific.message ?? 'is not valid') };
  });
}

function fieldPath(context: string | undefined, instancePath: string | undefined, params: Record<string, unknown> | undefined): string {
  const root = context ?? 'body';
  const parts = (instancePath ?? '').split('/').filter(Boolean);
  const missing = params?.missingProperty ?? params?.additionalProperty;
  if (typeof missing === 'string') parts.push(missing);
  return [root, ...parts].join('.');
}

/**
 * Turns anything a route threw into a status and the error body. Fastify's own errors (schema
 * validation, body limits, media types) get hookflow codes; anything unknown is a 500 whose
 * message says only that and names the request id: no stack, no internals.
 */
export function toErrorResponse(error: unknown, requestId: string): { status: number; body: ErrorBody; internal: boolean } {
  if (error instanceof HookflowError) {
    return { status: statusFor(error.code), body: { error: { code: error.code, message: error.message, details: safeDetails(error.details) } }, internal: false };
  }
  const fastify = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as FastifyLikeError;
  if (fastify.validation) {
    const fields = validationFields(fastify.validationContext, fastify.validation);
    const first = fields[0];
    return {
      status: 400,
      body: {
        error: {
          code: 'HF_ERR_VALIDATION',
          message: first ? `${first.path} ${first.message}` : 'the request is not valid',
          details: { fields, where: first?.path },
        },
      },
      internal: false,
    };
  }
  const mapped = mapFastifyCode(fastify.code);
  if (mapped) return { status: mapped.status, body: { error: { code: mapped.code, message: mapped.message ?? fastify.message, details: {} } }, internal: false };
  if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { status: fastify.statusCode, body: { error: { code: 'HF_ERR_INVALID_ARGUMENT', message: fastify.message, details: {} } }, internal: false };
  }
  return {
    status: 500,
    body: { error: { code: 'HF_ERR_INTERNAL', message: `internal error (request ${requestId}); the server log has the details`, details: { request_id: requestId } } },
    internal: true,
  };
}

function mapFastifyCode(code: string | undefined): { status: number; code: HookflowErrorCode; message?: string } | null {
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'HF_ERR_PAYLOAD_TOO_LARGE', message: 'the request body is larger than this server accepts' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'HF_ERR_UNSUPPORTED_MEDIA_TYPE', message: 'send the body as application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'HF_ERR_INVALID_JSON', message: 'the body is empty: send a JSON object' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'HF_ERR_INVALID_JSON' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'HF_ERR_INVALID_ARGUMENT', message: 'the Content-Length header does not match the body' };
    default:
      return null;
  }
}

export function httpError(code: HookflowErrorCode, message: string, details: Record<string, unknown> = {}): HookflowError {
  return new HookflowError(code, message, details);
}
