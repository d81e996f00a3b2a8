import { STATUS_CODES } from 'node:http';
import type { JsonObject, JsonValue } from '../../events/model.js';
import { httpRequest } from '../../hooks/modules/http.js';
import { defineAction } from '../model.js';
import { errorDetail, headerProblems, headerRecord, parseBody } from './values.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const BODILESS = new Set(['GET', 'HEAD']);
export const MAX_HTTP_TIMEOUT_SECONDS = 300;

/**
 * One HTTP request. Outputs are the same on every path (status_code 0, body null and headers {}
 * when no answer came), so later steps can read them whatever happened; an answer of 400 or more
 * is a failure whose error names the status and the answer's own detail.
 */
export const httpRequestAction = defineAction({
  meta: {
    type: 'http_request',
    version: '1.0.0',
    name: 'HTTP Request',
    description:
      'Sends an HTTP request and returns the status code, the body (parsed when the answer is JSON) and the headers. An answer of 400 or more fails the step (outputs still set); with include_metadata the outputs also say how long it took.',
    category: 'Integration',
    icon: 'globe',
    color: '#8b5cf6',
    executionMode: 'sync',
    timeoutSeconds: MAX_HTTP_TIMEOUT_SECONDS + 10,
    idempotent: false,
    params: [
      {
        name: 'url',
        label: 'URL',
        type: 'string',
        required: true,
        description: 'Where to send the request.',
        placeholder: 'https://api.example.com/endpoint',
        validation: { pattern: '^https?://', patternMessage: 'must start with http:// or https://' },
      },
      { name: 'method', label: 'Method', type: 'select', default: 'GET', options: HTTP_METHODS.map((method) => ({ label: method, value: method })) },
      { name: 'headers', label: 'Headers', type: 'json', description: 'Request headers as {name: value}.' },
      { name: 'body', label: 'Body', type: 'json', description: 'The request body: an object or list is sent as JSON, a string as it is. Not with GET or HEAD.' },
      { name: 'timeout_seconds', label: 'Timeout (seconds)', type: 'number', default: 30, description: 'How long to wait for the answer.', validation: { min: 0.1, max: MAX_HTTP_TIMEOUT_SECONDS } },
      { name: 'include_metadata', label: 'Include metadata', type: 'boolean', default: false, description: 'Add outputs.metadata: {url, method, elapsed_ms, size_bytes, content_type}.' },
    ],
    outputs: [
      { name: 'status_code', type: 'integer', description: 'The HTTP status (0 when no answer came)' },
      { name: 'body', type: 'any', description: 'The answer body: parsed when its content type is JSON, else text; null when empty' },
      { name: 'headers', type: 'object', description: 'The answer headers (lowercase names)' },
      { name: 'ok', type: 'boolean', description: 'True when the status is below 400' },
      { name: 'metadata', type: 'object', description: 'With include_metadata: url, method, elapsed_ms, size_bytes, content_type; else null' },
    ],
    examples: [
      { title: 'Fetch JSON', params: { url: 'https://api.example.com/status' } },
      { title: 'Post JSON', params: { url: 'https://api.example.com/items', method: 'POST', headers: { authorization: 'Bearer {{ secret.API_TOKEN }}' }, body: { name: '{{ params.name }}' } } },
    ],
  },
  validateParams(params) {
    const problems = headerProblems(params.headers, 'headers');
    const method = String(params.method ?? 'GET').toUpperCase();
    if (params.body !== undefined && params.body !== null && BODILESS.has(method)) problems.push({ field: 'body', message: `is not sent with ${method}: use POST, PUT, PATCH or DELETE` });
    return problems;
  },
  async execute(ctx) {
    const url = String(ctx.params.url);
    const method = String(ctx.params.method).toUpperCase();
    const timeoutSeconds = Number(ctx.params.timeout_seconds);
    const includeMetadata = ctx.params.include_metadata === true;
    const body = ctx.params.body;
    const started = performance.now();
    const metadata = (contentType: string | null, size: number): JsonValue =>
      includeMetadata ? { url, method, elapsed_ms: Math.round((performance.now() - started) * 10) / 10, size_bytes: size, content_type: contentType } : null;
    try {
      const response = await httpRequest(
        method,
        url,
        { headers: headerRecord(ctx.params.headers), body: body === undefined || body === null || BODILESS.has(method) ? undefined : body, timeout_ms: timeoutSeconds * 1000 },
        ctx.signal,
      );
      const contentType = response.headers['content-type'] ?? null;
      const parsed = parseBody(response.body, contentType ?? undefined);
      const ok = response.status_code < 400;
      const outputs: JsonObject = { status_code: response.status_code, body: parsed, headers: response.headers, ok, metadata: metadata(contentType, Buffer.byteLength(response.body)) };
      ctx.log.info(`${method} ${url} → ${response.status_code}`);
      if (ok) return { success: true, outputs };
      const detail = errorDetail(parsed);
      return { success: false, outputs, error: `HTTP ${response.status_code} ${STATUS_CODES[response.status_code] ?? ''}`.trimEnd() + ` from ${method} ${url}${detail ? `: ${detail}` : ''}` };
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const message = (error as Error).message;
      const timedOut = /timed out or was aborted/.test(message);
      return {
        success: false,
        outputs: { status_code: 0, body: null, headers: {}, ok: false, metadata: metadata(null, 0) },
        error: timedOut ? `${method} ${url} timed out after ${timeoutSeconds} s` : message,
      };
    }
  },
});
