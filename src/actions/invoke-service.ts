import { HookflowError } from '../errors.js';
import type { JsonValue } from '../events/model.js';
import type { ActionServices } from './executor.js';
import type { InvokeServiceOptions } from './model.js';
import { errorDetail, parseBody } from './builtin/values.js';

/**
 * BudPipeline's service invocation for actions (`ctx.invokeService`): JSON to a service named by
 * an app id, through a Dapr sidecar (`{DAPR_HTTP_ENDPOINT}/v1.0/invoke/{app}/method/{path}`,
 * with `dapr-api-token` when DAPR_API_TOKEN is set), or straight to a base URL configured for
 * that app id (`baseUrls`, or `HOOKFLOW_SERVICE_<APP_ID>_URL`). An answer of 400 or more is a
 * ServiceInvocationError carrying the status and the body's detail/message/error.
 */

export type ServiceInvoker = ActionServices['invokeService'];

export interface ServiceInvokerOptions {
  /** Where DAPR_HTTP_ENDPOINT, DAPR_HTTP_PORT, DAPR_API_TOKEN and HOOKFLOW_SERVICE_*_URL are read (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** A base URL per app id; wins over the environment. */
  baseUrls?: Readonly<Record<string, string>>;
  /** When the call does not say (the action runner always does). */
  defaultTimeoutSeconds?: number;
}

/** The options a call may carry beyond the contract's: a signal to cancel it. */
export type InvokeOptions = InvokeServiceOptions & { signal?: AbortSignal };

export const DEFAULT_DAPR_ENDPOINT = 'http://localhost:3500';
export const DEFAULT_INVOKE_TIMEOUT_SECONDS = 60;

export class ServiceInvocationError extends HookflowError {
  /** The HTTP status, 0 when no answer came. */
  readonly status: number;
  /** The answer's body (parsed when JSON), null when none. */
  readonly body: JsonValue;

  constructor(message: string, status: number, body: JsonValue, hint?: string) {
    super('HF_ERR_SERVICE_INVOCATION', message, hint ? { hint } : {});
    this.name = 'ServiceInvocationError';
    this.status = status;
    this.body = body;
  }
}

export interface ServiceTarget {
  url: URL;
  via: 'dapr' | 'base_url';
  headers: Record<string, string>;
}

const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `HOOKFLOW_SERVICE_<APP_ID>_URL`, the app id upper-cased with anything else than letters and digits as `_`. */
export function serviceUrlVariable(appId: string): string {
  return `HOOKFLOW_SERVICE_${appId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

/** Where a call goes, and with which extra headers. Pure: throws on an unusable app id or path. */
export function serviceTarget(appId: string, methodPath: string, query: InvokeServiceOptions['query'], options: ServiceInvokerOptions = {}): ServiceTarget {
  const env = options.env ?? process.env;
  if (!APP_ID.test(appId)) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `app id ${JSON.stringify(appId)} is not valid`, { hint: 'use letters, digits, ".", "_" and "-" (a Dapr app id)' });
  }
  const path = methodPath.replace(/^\/+/, '');
  if (path.split(/[?#]/)[0].split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `method path ${JSON.stringify(methodPath)} may not contain "." or ".." segments`);
  }
  const base = options.baseUrls?.[appId] ?? env[serviceUrlVariable(appId)];
  let target: ServiceTarget;
  if (base) {
    if (!URL.canParse(base)) throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `the base URL for app ${appId} is not a URL: ${base}`, { hint: `fix ${serviceUrlVariable(appId)} or the baseUrls entry` });
    target = { url: new URL(`${base.replace(/\/+$/, '')}/${path}`), via: 'base_url', headers: {} };
  } else {
    const endpoint = env.DAPR_HTTP_ENDPOINT || (env.DAPR_HTTP_PORT ? `http://localhost:${env.DAPR_HTTP_PORT}` : DEFAULT_DAPR_ENDPOINT);
    if (!URL.canParse(endpoint)) throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `DAPR_HTTP_ENDPOINT is not a URL: ${endpoint}`);
    // The token is for the sidecar only: it never goes to a configured base URL.
    const headers: Record<string, string> = env.DAPR_API_TOKEN ? { 'dapr-api-token': env.DAPR_API_TOKEN } : {};
    target = { url: new URL(`${endpoint.replace(/\/+$/, '')}/v1.0/invoke/${encodeURIComponent(appId)}/method/${path}`), via: 'dapr', headers };
  }
  for (const [key, value] of Object.entries(query ?? {})) target.url.searchParams.set(key, String(value));
  return target;
}

function readBody(text: string, contentType: string | null): JsonValue {
  const parsed = parseBody(text, contentType ?? undefined);
  if (typeof parsed !== 'string' || contentType) return parsed;
  // No content type at all: JSON-looking text is read as JSON (services behind proxies lose it).
  try {
    return JSON.parse(parsed) as JsonValue;
  } catch {
    return parsed;
  }
}

/** An `invokeService` for ActionServices; see the module comment. */
export function createServiceInvoker(options: ServiceInvokerOptions = {}): ServiceInvoker {
  return async (appId: string, methodPath: string, call: InvokeOptions = {}) => {
    const target = serviceTarget(appId, methodPath, call.query, options);
    const method = (call.method ?? (call.data !== undefined ? 'POST' : 'GET')).toUpperCase();
    const timeoutSeconds = call.timeoutSeconds ?? options.defaultTimeoutSeconds ?? DEFAULT_INVOKE_TIMEOUT_SECONDS;
    const what = `${method} ${appId}/${methodPath.replace(/^\/+/, '')}`;
    const timeout = AbortSignal.timeout(Math.max(1, Math.round(timeoutSeconds * 1000)));
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', ...target.headers };
    let body: string | undefined;
    if (call.data !== undefined && method !== 'GET' && method !== 'HEAD') {
      body = JSON.stringify(call.data);
      headers['content-type'] = 'application/json';
    }
    let text: string;
    let response: Response;
    try {
      response = await fetch(target.url, { method, headers, body, signal });
      text = await response.text();
    } catch (error) {
      if (timeout.aborted) throw new ServiceInvocationError(`${what} did not answer within ${timeoutSeconds} s`, 0, null);
      if (call.signal?.aborted) throw new ServiceInvocationError(`${what} was cancelled`, 0, null);
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      const hint = target.via === 'dapr' ? `is a Dapr sidecar listening at ${target.url.origin}? Or set ${serviceUrlVariable(appId)} to call the service directly` : undefined;
      throw new ServiceInvocationError(`${what} failed: ${cause}`, 0, null, hint);
    }
    const parsed = readBody(text, response.headers.get('content-type'));
    if (response.status >= 400) {
      const detail = errorDetail(parsed);
      throw new ServiceInvocationError(`${what} answered ${response.status}${detail ? `: ${detail}` : ''}`, response.status, parsed);
    }
    return parsed;
  };
}
