import { isAbsolute, normalize } from 'node:path';
import { Cron } from 'croner';
import { Minimatch } from 'minimatch';
import { HookflowError } from '../errors.js';
import type { JsonObject } from '../events/model.js';
import { checkEventData, validateEventType, validateStack } from '../events/validate.js';
import type { SourceKind } from '../store/sources.js';

/**
 * The configuration of each kind of event source, and pure validators for it. A validator takes
 * what a person sent (a JSON body, CLI flags) and returns the configuration as stored, defaults
 * filled in; every rejection names the field and says what would be right.
 */

export const WEBHOOK_SCHEMES = ['github', 'hmac', 'bearer'] as const;
export type WebhookScheme = (typeof WEBHOOK_SCHEMES)[number];

export interface WebhookConfig {
  /** The type of the event each delivery becomes. */
  event_type: string;
  stack: string | null;
  /** How a delivery proves it comes from the sender: see src/sources/webhook-verify.ts. */
  verify: WebhookScheme;
  /** The name of the hookflow secret holding the shared key (`hookflow secret set NAME`). */
  secret: string;
  /** hmac only: the header carrying `t=<unix seconds>,v1=<hex>`. */
  signature_header?: string;
  /** hmac only: how old (or how far ahead) a signed timestamp may be, in seconds. */
  tolerance_s?: number;
  /** Request headers copied into the event's data (`data.headers`), lowercase. */
  headers: string[];
}

export interface ScheduleConfig {
  /** 5 fields (minute precision), 6 with seconds first, or a nickname like `@hourly`. */
  cron: string;
  /** IANA time zone the cron expression is read in; null is the server's local time. */
  timezone: string | null;
  event_type: string;
  payload: JsonObject;
  stack: string | null;
  /** After downtime, run once for the missed ticks (besides reporting schedule.missed). */
  catch_up: boolean;
}

export interface WatcherConfig {
  /** Absolute paths (directories or files) on the server's machine. */
  paths: string[];
  /** Globs matched against the path relative to its watched root; a glob without `/` matches the file name. */
  patterns: string[];
  ignore: string[];
  recursive: boolean;
  /** Changes to one path within this window make one event. */
  debounce_ms: number;
  stack: string | null;
}

export const DEFAULT_WEBHOOK_HEADERS: readonly string[] = ['x-github-event', 'x-github-delivery', 'user-agent'];
export const DEFAULT_SIGNATURE_HEADER = 'x-hookflow-signature';
export const DEFAULT_TOLERANCE_S = 300;
export const SCHEDULE_TRIGGERED = 'schedule.triggered';
export const DEFAULT_DEBOUNCE_MS = 200;
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** Headers that carry credentials: copying them into an event would store the secret. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-hub-signature', 'x-hub-signature-256']);

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

function invalid(where: string, message: string, hint?: string): HookflowError {
  return new HookflowError('HF_ERR_VALIDATION', `${where}: ${message}`, { where, hint });
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** A source's name: it is part of a URL (`/webhooks/NAME`) and of CLI commands. */
export function validateSourceName(name: unknown, where = 'name'): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalid(where, `${typeof name === 'string' ? JSON.stringify(name) : kindOf(name)} is not a valid name`, 'use 1-128 letters, digits, _ . - starting with a letter or digit, like "github-push"');
  }
  return name;
}

/** The fields of an input object, refusing any this kind does not know (with the known ones in the hint). */
function fields(input: unknown, kind: string, known: readonly string[]): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('config', `the ${kind} configuration must be an object, not ${kindOf(input)}`);
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) throw invalid(key, `is not a field of a ${kind}`, `the fields are ${known.join(', ')}`);
  }
  return record;
}

function requiredString(record: Record<string, unknown>, key: string, hint: string): string {
  const value = record[key];
  if (value === undefined || value === null || value === '') throw invalid(key, 'is required', hint);
  if (typeof value !== 'string') throw invalid(key, `must be a string, not ${kindOf(value)}`, hint);
  return value;
}

function optionalBoolean(record: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = record[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(key, `must be true or false, not ${kindOf(value)}`);
  return value;
}

function optionalInteger(record: Record<string, unknown>, key: string, fallback: number, min: number, max: number, unit: string): number {
  const value = record[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(key, `must be a whole number of ${unit} from ${min} to ${max}, not ${kindOf(value)}`);
  }
  return value;
}

function stringList(record: Record<string, unknown>, key: string, fallback: readonly string[] | null, max: number, hint: string): string[] {
  const value = record[key];
  if (value === undefined && fallback !== null) return [...fallback];
  if (!Array.isArray(value)) throw invalid(key, value === undefined ? 'is required' : `must be a list of strings, not ${kindOf(value)}`, hint);
  if (value.length > max) throw invalid(key, `has ${value.length} entries: at most ${max} are allowed`);
  return value.map((item: unknown, index) => {
    if (typeof item !== 'string' || item.length === 0) throw invalid(`${key}[${index}]`, `must be a non-empty string, not ${kindOf(item)}`, hint);
    return item;
  });
}

function eventType(record: Record<string, unknown>, fallback: string | null): string {
  const value = record.event_type;
  if ((value === undefined || value === null) && fallback !== null) return fallback;
  if (value === undefined || value === null) throw invalid('event_type', 'is required', 'name the type of the events, like "github.push"');
  try {
    return validateEventType(value, 'event_type');
  } catch (error) {
    if (error instanceof HookflowError) throw invalid('event_type', error.message, error.details.hint);
    throw error;
  }
}

function stack(record: Record<string, unknown>): string | null {
  try {
    return validateStack(record.stack ?? null, 'stack');
  } catch (error) {
    if (error instanceof HookflowError) throw invalid('stack', error.message, error.details.hint);
    throw error;
  }
}

/** A secret's name, as `hookflow secret set` accepts it. */
function secretName(record: Record<string, unknown>): string {
  const hint = 'name a hookflow secret holding the shared key: `hookflow secret set NAME`, then --secret NAME';
  const value = requiredString(record, 'secret', hint);
  if (!/^[A-Za-z0-9_.:/-]{1,256}$/.test(value)) throw invalid('secret', `${JSON.stringify(value)} is not a secret name`, hint);
  return value;
}

function headerName(value: string, where: string): string {
  const lower = value.toLowerCase();
  if (!HEADER_NAME.test(lower)) throw invalid(where, `${JSON.stringify(value)} is not an HTTP header name`, 'like "x-github-event"');
  return lower;
}

const WEBHOOK_FIELDS = ['event_type', 'stack', 'verify', 'secret', 'signature_header', 'tolerance_s', 'headers'] as const;

export function validateWebhookConfig(input: unknown): WebhookConfig {
  const record = fields(input, 'webhook', WEBHOOK_FIELDS);
  const verify = record.verify;
  if (!WEBHOOK_SCHEMES.includes(verify as WebhookScheme)) {
    throw invalid(
      'verify',
      verify === undefined ? 'is required' : `${kindOf(verify)} is not a verification scheme`,
      'use github (X-Hub-Signature-256), hmac (a signed timestamp header) or bearer (a shared secret in Authorization)',
    );
  }
  const scheme = verify as WebhookScheme;
  if (scheme !== 'hmac') {
    for (const key of ['signature_header', 'tolerance_s'] as const) {
      if (record[key] !== undefined) throw invalid(key, `only applies to verify "hmac", not "${scheme}"`);
    }
  }
  const signatureHeader =
    scheme === 'hmac'
      ? headerName(record.signature_header === undefined ? DEFAULT_SIGNATURE_HEADER : requiredString(record, 'signature_header', 'like "x-hookflow-signature"'), 'signature_header')
      : undefined;
  const headers = stringList(record, 'headers', DEFAULT_WEBHOOK_HEADERS, 50, 'header names, like ["x-github-event"]').map((name, index) => {
    const lower = headerName(name, `headers[${index}]`);
    if (SECRET_HEADERS.has(lower) || lower === signatureHeader) {
      throw invalid(`headers[${index}]`, `${lower} carries the webhook's credentials and is never copied into events`, 'leave it out');
    }
    return lower;
  });
  return {
    event_type: eventType(record, null),
    stack: stack(record),
    verify: scheme,
    secret: secretName(record),
    ...(scheme === 'hmac'
      ? { signature_header: signatureHeader, tolerance_s: optionalInteger(record, 'tolerance_s', DEFAULT_TOLERANCE_S, 1, 86_400, 'seconds') }
      : {}),
    headers: [...new Set(headers)],
  };
}

/** The time zone, checked against the runtime's IANA database. */
export function validateTimezone(value: unknown, where = 'timezone'): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalid(where, `must be a string, not ${kindOf(value)}`);
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw invalid(where, `${JSON.stringify(value)} is not a time zone`, 'use an IANA name like "Europe/Paris", "America/New_York" or "UTC"');
  }
}

/** A croner job for a cron expression, never started: it only computes run times. */
export function cronFor(cron: string, timezone: string | null): Cron {
  return new Cron(cron, { timezone: timezone ?? undefined, paused: true });
}

export function validateCron(value: unknown, timezone: string | null, where = 'cron'): string {
  const hint = 'use 5 fields (minute hour day month weekday), 6 with seconds first ("*/10 * * * * *"), or @hourly, @daily, @weekly…';
  if (typeof value !== 'string' || value.trim() === '') throw invalid(where, value === undefined ? 'is required' : `must be a cron expression, not ${kindOf(value)}`, hint);
  const cron = value.trim().replace(/\s+/g, ' ');
  let next: Date | null;
  try {
    next = cronFor(cron, timezone).nextRun();
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, '');
    throw invalid(where, `${JSON.stringify(cron)} is not a cron expression: ${reason}`, hint);
  }
  if (next === null) throw invalid(where, `${JSON.stringify(cron)} never fires`, 'check the day and month fields (there is no February 30)');
  return cron;
}

const SCHEDULE_FIELDS = ['cron', 'timezone', 'event_type', 'payload', 'stack', 'catch_up'] as const;

export function validateScheduleConfig(input: unknown): ScheduleConfig {
  const record = fields(input, 'schedule', SCHEDULE_FIELDS);
  const timezone = validateTimezone(record.timezone);
  let payload: JsonObject = {};
  if (record.payload !== undefined && record.payload !== null) {
    if (typeof record.payload !== 'object' || Array.isArray(record.payload)) {
      throw invalid('payload', `must be a JSON object, not ${kindOf(record.payload)}`, 'like {"target": "db"}');
    }
    payload = checkEventData(record.payload, { maxBytes: MAX_PAYLOAD_BYTES, where: 'payload' });
  }
  return {
    cron: validateCron(record.cron, timezone),
    timezone,
    event_type: eventType(record, SCHEDULE_TRIGGERED),
    payload,
    stack: stack(record),
    catch_up: optionalBoolean(record, 'catch_up', false),
  };
}

function validateGlob(pattern: string, where: string): string {
  if (pattern.startsWith('/')) throw invalid(where, `${JSON.stringify(pattern)} is absolute`, 'patterns match the path below a watched path: "*.log", "src/**/*.ts"');
  let glob: Minimatch;
  try {
    glob = new Minimatch(pattern, { dot: true, matchBase: true });
  } catch (error) {
    throw invalid(where, `${JSON.stringify(pattern)} is not a usable glob: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (glob.comment) throw invalid(where, `${JSON.stringify(pattern)} starts with # and would match nothing`, 'escape it as "[#]…"');
  if (glob.negate) throw invalid(where, `${JSON.stringify(pattern)} is a negation`, 'put what to leave out in ignore instead');
  return pattern;
}

const WATCHER_FIELDS = ['paths', 'patterns', 'ignore', 'recursive', 'debounce_ms', 'stack'] as const;

export function validateWatcherConfig(input: unknown): WatcherConfig {
  const record = fields(input, 'watcher', WATCHER_FIELDS);
  const pathHint = 'absolute paths on the server, like ["/srv/uploads"]';
  const paths = stringList(record, 'paths', null, 100, pathHint).map((path, index) => {
    if (!isAbsolute(path)) throw invalid(`paths[${index}]`, `${JSON.stringify(path)} is not absolute`, pathHint);
    const normalised = normalize(path);
    return normalised.length > 1 ? normalised.replace(/[/\\]+$/, '') : normalised;
  });
  if (paths.length === 0) throw invalid('paths', 'is empty', pathHint);
  const globHint = 'globs like "*.log" or "reports/**"';
  const patterns = stringList(record, 'patterns', ['**'], 100, globHint).map((pattern, index) => validateGlob(pattern, `patterns[${index}]`));
  if (patterns.length === 0) throw invalid('patterns', 'is empty', 'leave it out to match everything, or give globs like "*.log"');
  return {
    paths: [...new Set(paths)],
    patterns,
    ignore: stringList(record, 'ignore', [], 100, globHint).map((pattern, index) => validateGlob(pattern, `ignore[${index}]`)),
    recursive: optionalBoolean(record, 'recursive', true),
    debounce_ms: optionalInteger(record, 'debounce_ms', DEFAULT_DEBOUNCE_MS, 0, 60_000, 'milliseconds'),
    stack: stack(record),
  };
}

export interface SourceConfigs {
  webhook: WebhookConfig;
  schedule: ScheduleConfig;
  watcher: WatcherConfig;
}

const VALIDATORS: { [K in SourceKind]: (input: unknown) => SourceConfigs[K] } = {
  webhook: validateWebhookConfig,
  schedule: validateScheduleConfig,
  watcher: validateWatcherConfig,
};

export function validateSourceConfig<K extends SourceKind>(kind: K, input: unknown): SourceConfigs[K] {
  return VALIDATORS[kind](input);
}
