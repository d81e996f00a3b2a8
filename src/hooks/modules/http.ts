import type { JsonValue } from '../../events/model.js';

/** Real HTTP requests for hooks (Sloth Runner's module only printed). */
export interface HttpRequestOptions {
  headers?: Record<string, string>;
  /** A string is sent as is; anything else is sent as JSON with a JSON content type. */
  body?: string | JsonValue;
  query?: Record<string, string>;
  timeout_ms?: number;
}

export interface HttpResponse {
  status_code: number;
  body: string;
  headers: Record<string, string>;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

export async function httpRequest(
  method: string,
  url: string,
  options: HttpRequestOptions = {},
  signal?: AbortSignal,
): Promise<HttpResponse> {
  const target = new URL(url);
  for (const [key, value] of Object.entries(options.query ?? {})) target.searchParams.set(key, value);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body: string | undefined;
  if (options.body !== undefined && options.body !== null) {
    if (typeof options.body === 'string') body = options.body;
    else {
      body = JSON.stringify(options.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
  }
  const timeout = AbortSignal.timeout(options.timeout_ms ?? DEFAULT_HTTP_TIMEOUT_MS);
  const response = await fetch(target, {
    method: method.toUpperCase(),
    headers,
    body,
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  }).catch((error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new Error(`http ${method.toUpperCase()} ${target.href} timed out or was aborted`);
    }
    throw new Error(`http ${method.toUpperCase()} ${target.href} failed${cause || `: ${String(error)}`}`);
  });
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    responseHeaders[key] = value;
  });
  return { status_code: response.status, body: await response.text(), headers: responseHeaders };
}
