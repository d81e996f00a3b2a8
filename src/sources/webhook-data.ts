import { HookflowError } from '../errors.js';
import type { JsonObject, JsonValue } from '../events/model.js';
import type { RequestHeaders } from './webhook-verify.js';

/**
 * A webhook delivery as an event's data. Pure: `parseJson` is the app's JSON parser (with its
 * prototype-poisoning checks), given by the route.
 *
 * - JSON (`application/json`, `application/*+json`): an object is the data as is; any other
 *   JSON value goes under `body`.
 * - `application/x-www-form-urlencoded`: an object of the fields (a repeated field is a list).
 * - anything else: `{body: text}`, or `{body: base64, body_encoding: "base64"}` when not UTF-8.
 *
 * The selected request headers go under `headers`; a payload's own top-level `headers` field is
 * kept as `body_headers`.
 */
export function deliveryData(
  contentType: string | undefined,
  body: Buffer,
  headers: RequestHeaders,
  selected: readonly string[],
  parseJson: (text: string) => unknown,
): JsonObject {
  const payload = payloadOf(mediaType(contentType), body, parseJson);
  const { headers: ownHeaders, ...rest } = payload;
  const data: JsonObject = ownHeaders === undefined ? rest : { ...rest, body_headers: ownHeaders };
  data.headers = selectedHeaders(headers, selected);
  return data;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function payloadOf(type: string, body: Buffer, parseJson: (text: string) => unknown): JsonObject {
  if (body.length === 0) return {};
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) {
    let value: unknown;
    try {
      value = parseJson(body.toString('utf8'));
    } catch (error) {
      throw new HookflowError('HF_ERR_INVALID_JSON', `the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { where: 'body' });
    }
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : { body: value as JsonValue };
  }
  if (type === 'application/x-www-form-urlencoded') return formFields(body.toString('utf8'));
  return textBody(body);
}

function formFields(text: string): JsonObject {
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [key, value] of new URLSearchParams(text)) {
    const seen = fields[key];
    fields[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return { ...fields };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function textBody(body: Buffer): JsonObject {
  try {
    return { body: UTF8.decode(body) };
  } catch {
    return { body: body.toString('base64'), body_encoding: 'base64' };
  }
}

function selectedHeaders(headers: RequestHeaders, selected: readonly string[]): JsonObject {
  const chosen: JsonObject = {};
  for (const name of selected) {
    const value = headers[name];
    if (value !== undefined) chosen[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return chosen;
}
