/**
 * Coded errors. Every rejection a person can see carries a stable code (HF_ERR_*), a message that
 * says what was wrong, and where possible where it was and what would be right.
 */
export type HookflowErrorCode =
  | 'HF_ERR_INVALID_EVENT_TYPE'
  | 'HF_ERR_INVALID_JSON'
  | 'HF_ERR_PAYLOAD_TOO_LARGE'
  | 'HF_ERR_INVALID_ARGUMENT'
  | 'HF_ERR_NOT_FOUND'
  | 'HF_ERR_CONFLICT'
  | 'HF_ERR_INVALID_HOOK'
  | 'HF_ERR_INVALID_FILTER'
  | 'HF_ERR_INVALID_STORE_URL'
  | 'HF_ERR_STORE'
  | 'HF_ERR_SECRET_KEY'
  | 'HF_ERR_HOOK_TIMEOUT'
  | 'HF_ERR_HOOK_MEMORY'
  | 'HF_ERR_HOOK_FAILED'
  | 'HF_ERR_SHUTTING_DOWN'
  | 'HF_ERR_UNAUTHORIZED'
  | 'HF_ERR_FORBIDDEN'
  | 'HF_ERR_RATE_LIMITED'
  | 'HF_ERR_REMOTE'
  | 'HF_ERR_VALIDATION'
  | 'HF_ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'HF_ERR_INTERNAL'
  | 'HF_ERR_INVALID_ACTION'
  | 'HF_ERR_INVALID_PARAMS'
  | 'HF_ERR_UNKNOWN_ACTION'
  | 'HF_ERR_ACTION_TIMEOUT'
  | 'HF_ERR_TEMPLATE'
  | 'HF_ERR_SERVICE_INVOCATION'
  | 'HF_ERR_INVALID_WORKFLOW'
  | 'HF_ERR_SLURM'
  | 'HF_ERR_PROCESS_START'
  | 'HF_ERR_LAUNCHER_DIED'
  | 'HF_ERR_INVALID_PROGRAMS_CONFIG'
  | 'HF_ERR_PROGRAM_NOT_FOUND'
  | 'HF_ERR_PROGRAM_DISABLED'
  | 'HF_ERR_PROGRAM_DIRECTORY_NOT_FOUND'
  | 'HF_ERR_MAIN_FILE_NOT_FOUND'
  | 'HF_ERR_PROGRAM_NOT_EXECUTABLE'
  | 'HF_ERR_INVALID_PROGRAM_PARAMETERS'
  | 'HF_ERR_DOCKER_UNAVAILABLE'
  | 'HF_ERR_DOCKER';

export interface ErrorDetails {
  /** Where the problem is: a field path (`data.task`), or `file:line:column`. */
  readonly where?: string;
  /** What would have been right, or a suggestion (`did you mean task.failed?`). */
  readonly hint?: string;
  readonly [key: string]: unknown;
}

export class HookflowError extends Error {
  readonly code: HookflowErrorCode;
  readonly details: ErrorDetails;

  constructor(code: HookflowErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'HookflowError';
    this.code = code;
    this.details = details;
  }

  /** The message with its place and hint, as a person should read it. */
  describe(): string {
    const where = this.details.where ? ` (at ${this.details.where})` : '';
    const hint = this.details.hint ? `: ${this.details.hint}` : '';
    return `${this.message}${where}${hint}`;
  }
}

export function isHookflowError(value: unknown): value is HookflowError {
  return value instanceof HookflowError;
}

export function errorMessage(value: unknown): string {
  if (value instanceof HookflowError) return value.describe();
  if (value instanceof Error) return value.message;
  return String(value);
}
