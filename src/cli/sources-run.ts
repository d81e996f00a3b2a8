import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseEventData } from '../events/validate.js';
import type { ScheduleConfig, WatcherConfig, WebhookConfig } from '../sources/config.js';
import { sourceJson, webhookPath } from '../sources/json.js';
import type { SourceOperations, SourceView } from '../sources/service.js';
import type { SourceKind } from '../store/sources.js';
import type { CliSession } from './context.js';
import { formatTime, type Output } from './output.js';
import { readEventData, UsageError } from './parse.js';

/** What `hookflow schedule …`, `hookflow watch …` and `hookflow webhook …` do (declared in sources.ts). */

/**
 * The sources of the server named by --url / HOOKFLOW_URL, or else of the local store. Their
 * modules (the local one validates with croner and minimatch) are loaded only here.
 */
async function withSources(session: CliSession, command: Command, body: (sources: SourceOperations, out: Output) => Promise<void>): Promise<void> {
  const url = session.remoteUrl(command);
  if (url) {
    const client = await session.apiClient(command, url);
    const { remoteSources } = await import('../sources/remote.js');
    return body(remoteSources(client), session.output(command));
  }
  const { sourceServiceFor } = await import('../sources/service.js');
  await session.withEngine(command, (engine, out) => body(sourceServiceFor(engine, 'cli'), out));
}

export interface CommonFlags {
  stack?: string;
  disabled?: boolean;
  replace?: boolean;
}

/** add: save, warn, and print the saved source (or its JSON). */
async function save(
  session: CliSession,
  command: Command,
  kind: SourceKind,
  name: string,
  config: Record<string, unknown>,
  flags: CommonFlags,
  describe: (out: Output, source: SourceView) => void,
): Promise<void> {
  await withSources(session, command, async (sources, out) => {
    const saved = await sources.save(kind, { name, enabled: flags.disabled ? false : undefined, config }, { replace: flags.replace });
    for (const warning of saved.warnings) out.warn(warning);
    if (out.json) return out.data(sourceJson(saved.source));
    describe(out, saved.source);
  });
}

// ── list, remove, enable, disable: the same for every kind ──────────────────────────────────

export async function list(session: CliSession, kind: SourceKind, empty: string, command: Command): Promise<void> {
  await withSources(session, command, async (sources, out) => {
    const listed = await sources.list(kind);
    if (out.json) return out.data(listed.map(sourceJson));
    if (listed.length === 0) return out.line(empty);
    TABLES[kind](out, listed);
  });
}

export async function remove(session: CliSession, kind: SourceKind, noun: string, name: string, command: Command): Promise<void> {
  await withSources(session, command, async (sources, out) => {
    await sources.remove(kind, name);
    if (out.json) return out.data({ removed: name });
    out.line(`${noun} ${name} removed`);
  });
}

export async function setEnabled(session: CliSession, kind: SourceKind, noun: string, name: string, enabled: boolean, command: Command): Promise<void> {
  await withSources(session, command, async (sources, out) => {
    const source = await sources.setEnabled(kind, name, enabled);
    if (out.json) return out.data(sourceJson(source));
    out.line(`${noun} ${name} ${enabled ? 'enabled' : 'disabled'}`);
  });
}

const onOff = (enabled: boolean) => (enabled ? '✅' : '⏸');

/** The table `list` prints for each kind. */
const TABLES: Record<SourceKind, (out: Output, sources: SourceView[]) => void> = {
  schedule: (out, schedules) =>
    out.table(
      ['Name', 'Cron', 'Time Zone', 'Event', 'Enabled', 'Next Run', 'Last Run'],
      schedules.map((source) => {
        const config = source.config as unknown as ScheduleConfig;
        return [source.name, config.cron, config.timezone ?? 'local', config.event_type, onOff(source.enabled), formatTime(source.next_run ?? null), formatTime(source.last_run ?? null)];
      }),
    ),
  watcher: (out, watchers) =>
    out.table(
      ['Name', 'Paths', 'Patterns', 'Ignore', 'Recursive', 'Debounce', 'Enabled'],
      watchers.map((source) => {
        const config = source.config as unknown as WatcherConfig;
        return [source.name, config.paths.join('\n'), config.patterns.join(', '), config.ignore.join(', ') || '-', config.recursive ? 'yes' : 'no', `${config.debounce_ms}ms`, onOff(source.enabled)];
      }),
    ),
  webhook: (out, webhooks) =>
    out.table(
      ['Name', 'Path', 'Event', 'Verify', 'Secret', 'Enabled'],
      webhooks.map((source) => {
        const config = source.config as unknown as WebhookConfig;
        return [source.name, webhookPath(source.name), config.event_type, config.verify, config.secret, onOff(source.enabled)];
      }),
    ),
};

// ── schedules ───────────────────────────────────────────────────────────────────────────────

export interface ScheduleFlags extends CommonFlags {
  cron: string;
  timezone?: string;
  event?: string;
  payload?: string;
  catchUp?: boolean;
}

export async function addSchedule(session: CliSession, name: string, flags: ScheduleFlags, command: Command): Promise<void> {
  const { MAX_PAYLOAD_BYTES } = await import('../sources/config.js');
  const payload =
    flags.payload === undefined || flags.payload.startsWith('@')
      ? await readEventData(flags.payload, MAX_PAYLOAD_BYTES, () => session.readStdin())
      : parseEventData(flags.payload, { maxBytes: MAX_PAYLOAD_BYTES, where: '--payload' });
  const config = { cron: flags.cron, timezone: flags.timezone, event_type: flags.event, payload, stack: flags.stack, catch_up: flags.catchUp === true };
  await save(session, command, 'schedule', name, config, flags, (out, source) => {
    const saved = source.config as unknown as ScheduleConfig;
    out.line(`${flags.replace ? 'saved' : 'added'} schedule ${out.colors.bold(source.name)}: ${saved.cron}${saved.timezone ? ` (${saved.timezone})` : ''} → ${saved.event_type}`);
    out.line(source.enabled ? `next run ${formatTime(source.next_run ?? null)}` : 'disabled: enable it with `hookflow schedule enable ' + source.name + '`');
  });
}

// ── file watchers ───────────────────────────────────────────────────────────────────────────

export interface WatchFlags extends CommonFlags {
  pattern?: string[];
  ignore?: string[];
  recursive: boolean;
  debounce?: number;
}

export async function addWatcher(session: CliSession, name: string, paths: string[], flags: WatchFlags, command: Command): Promise<void> {
  const config = {
    paths: paths.map((path) => resolve(path)),
    patterns: flags.pattern,
    ignore: flags.ignore,
    recursive: flags.recursive,
    debounce_ms: flags.debounce,
    stack: flags.stack,
  };
  await save(session, command, 'watcher', name, config, flags, (out, source) => {
    const saved = source.config as unknown as WatcherConfig;
    out.line(`${flags.replace ? 'saved' : 'added'} watcher ${out.colors.bold(source.name)}: ${saved.paths.join(', ')} (${saved.patterns.join(', ')}${saved.recursive ? '' : ', not recursive'})`);
  });
}

// ── webhooks ────────────────────────────────────────────────────────────────────────────────

export interface WebhookFlags extends CommonFlags {
  event: string;
  verify: string;
  secret: string;
  header?: string[];
  signatureHeader?: string;
  tolerance?: number;
}

export async function addWebhook(session: CliSession, name: string, flags: WebhookFlags, command: Command): Promise<void> {
  if (flags.verify !== 'hmac' && (flags.signatureHeader !== undefined || flags.tolerance !== undefined)) {
    throw new UsageError('--signature-header and --tolerance only apply to --verify hmac');
  }
  const config = {
    event_type: flags.event,
    verify: flags.verify,
    secret: flags.secret,
    headers: flags.header,
    signature_header: flags.signatureHeader,
    tolerance_s: flags.tolerance === undefined ? undefined : Math.max(1, Math.round(flags.tolerance / 1000)),
    stack: flags.stack,
  };
  await save(session, command, 'webhook', name, config, flags, (out, source) => {
    const saved = source.config as unknown as WebhookConfig;
    out.line(`${flags.replace ? 'saved' : 'added'} webhook ${out.colors.bold(source.name)}: POST ${webhookPath(source.name)} → ${saved.event_type} (verified by ${saved.verify}, secret ${saved.secret})`);
  });
}
