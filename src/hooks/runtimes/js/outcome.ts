/**
 * How a hook's return value or thrown error becomes a run result. Pure, so the rules have one
 * table of tests: `false`, a throw or `{ok: false, message}` fail; a string or `{ok: true, message}`
 * succeed with that message; anything else succeeds.
 */
import type { HookRunResult } from '../../model.js';

export function outcomeOfReturn(value: unknown, logLines: readonly string[], hookName: string): HookRunResult {
  if (value === false) {
    return { success: false, output: joinOutput(null, logLines), error: `hook ${hookName} returned false` };
  }
  if (typeof value === 'string') return { success: true, output: joinOutput(value, logLines), error: null };
  if (isOkObject(value)) {
    const message = typeof value.message === 'string' && value.message !== '' ? value.message : null;
    if (value.ok === false) {
      return { success: false, output: joinOutput(message, logLines), error: message ?? `hook ${hookName} returned ok: false` };
    }
    return { success: true, output: joinOutput(message, logLines), error: null };
  }
  return { success: true, output: joinOutput(null, logLines), error: null };
}

export function outcomeOfError(error: unknown, logLines: readonly string[]): HookRunResult {
  return { success: false, output: joinOutput(null, logLines), error: describeThrown(error) };
}

/** `TypeError: x is not a function`, but a plain Error is just its message. */
export function describeThrown(error: unknown): string {
  if (error instanceof Error) {
    const message = error.message || '(no message)';
    return error.name && error.name !== 'Error' && !message.startsWith(`${error.name}:`) && !/^HF_ERR_/.test(message)
      ? `${error.name}: ${message}`
      : message;
  }
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

function isOkObject(value: unknown): value is { ok: unknown; message?: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'ok' in value && typeof value.ok === 'boolean';
}

function joinOutput(message: string | null, logLines: readonly string[]): string {
  if (logLines.length === 0) return message ?? '';
  return message ? `${message}\n${logLines.join('\n')}` : logLines.join('\n');
}
