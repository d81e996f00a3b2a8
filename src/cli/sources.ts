import { resolve } from 'node:path';
import type { Command } from 'commander';
import { MAX_PAYLOAD_BYTES, type ScheduleConfig, type WatcherConfig, type WebhookConfig } from '../sources/config.js';
import { sourceJson, webhookPath } from '../sources/json.js';
import { remoteSources } from '../sources/remote.js';
import { sourceServiceFor, type SourceOperations, type SourceView } from '../sources/service.js';
import type { SourceKind } from '../store/sources.js';
import type { CliSession } from './context.js';
import { formatTime, type Output } from './output.js';
import { parseEventData } from '../events/validate.js';
import { collect, duration, readEventData, UsageError } from './parse.js';

/**
 * `hookflow schedule …`, `hookflow watch …`, `hookflow webhook …`: event sources kept in the
 * store (or on the server given by --url), run by every `hookflow serve` sharing it.
 */
export function registerSourceCommands(program: Command, session: CliSession): void {
  registerScheduleCommands(program, session);
  registerWatchCommands(program, session);
  registerWebhookCommands(program, session);
}

/** The sources of the server named by --url / HOOKFLOW_URL, or else of the local store. */
async function withSources(session: CliSession, command: Command, body: (sources: SourceOperations, out: Output) => Promise<void>): Promise<void> {
  const url = session.remoteUrl(command);
  if (url) return body(remoteSources(session.apiClient(command, url)), session.output(command));
  await session.withEngine(command, (engine, out) => body(sourceServiceFor(engine, 'cli'), out));
}

interface CommonFlags {
  stack?: string;
  disabled?: boolean;
  replace?: boolean;
}

function addCommonOptions(command: Command, noun: string): Command {
  return command
    .option('--stack <stack>', 'the stack of the events it publishes')
    .option('--disabled', `add the ${noun} disabled`)
    .option('--replace', `replace a ${noun} of the same name`);
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

/** list, remove, enable, disable: the same for every kind. */
function registerManagement(parent: Command, session: CliSession, kind: SourceKind, noun: string, table: (out: Output, sources: SourceView[]) => void, empty: string): void {
  parent
    .command('list')
    .description(`list ${noun}s`)
    .action(async (_flags: unknown, command: Command) => {
      await withSources(session, command, async (sources, out) => {
        const listed = await sources.list(kind);
        if (out.json) return out.data(listed.map(sourceJson));
        if (listed.length === 0) return out.line(empty);
        table(out, listed);
      });
    });

  parent
    .command('remove')
    .alias('rm')
    .description(`remove a ${noun}`)
    .argument('<name>', `${noun} name`)
    .action(async (name: string, _flags: unknown, command: Command) => {
      await withSources(session, command, async (sources, out) => {
        await sources.remove(kind, name);
        if (out.json) return out.data({ removed: name });
        out.line(`${noun} ${name} removed`);
      });
    });

  for (const enabled of [true, false]) {
    parent
      .command(enabled ? 'enable' : 'disable')
      .description(enabled ? `enable a ${noun}` : `disable a ${noun}: it stays defined but publishes nothing`)
      .argument('<name>', `${noun} name`)
      .action(async (name: string, _flags: unknown, command: Command) => {
        await withSources(session, command, async (sources, out) => {
          const source = await sources.setEnabled(kind, name, enabled);
          if (out.json) return out.data(sourceJson(source));
          out.line(`${noun} ${name} ${enabled ? 'enabled' : 'disabled'}`);
        });
      });
  }
}

const onOff = (enabled: boolean) => (enabled ? '✅' : '⏸');

// ── schedules ───────────────────────────────────────────────────────────────────────────────

interface ScheduleFlags extends CommonFlags {
  cron: string;
  timezone?: string;
  event?: string;
  payload?: string;
  catchUp?: boolean;
}

function registerScheduleCommands(program: Command, session: CliSession): void {
  const schedule = program.command('schedule').alias('schedules').description('cron schedules that publish events (run by `hookflow serve`)');

  addCommonOptions(
    schedule
      .command('add')
      .description('add a schedule: every tick publishes schedule.triggered {schedule, payload, scheduled_at} (or --event TYPE)')
      .argument('<name>', 'schedule name')
      .requiredOption('--cron <expr>', 'cron expression: 5 fields, 6 with seconds first ("*/10 * * * * *"), or @hourly, @daily…')
      .option('--timezone <tz>', 'IANA time zone the expression is read in (default: the server\'s)')
      .option('--event <type>', 'publish this event type instead of schedule.triggered')
      .option('--payload <json>', 'a JSON object published with every tick (@FILE reads a file, @- standard input)')
      .option('--catch-up', 'after downtime, run once for the missed ticks (they are always reported as schedule.missed)'),
    'schedule',
  ).action(async (name: string, flags: ScheduleFlags, command: Command) => {
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
  });

  registerManagement(
    schedule,
    session,
    'schedule',
    'schedule',
    (out, schedules) =>
      out.table(
        ['Name', 'Cron', 'Time Zone', 'Event', 'Enabled', 'Next Run', 'Last Run'],
        schedules.map((source) => {
          const config = source.config as unknown as ScheduleConfig;
          return [source.name, config.cron, config.timezone ?? 'local', config.event_type, onOff(source.enabled), formatTime(source.next_run ?? null), formatTime(source.last_run ?? null)];
        }),
      ),
    'no schedules yet: add one with `hookflow schedule add NAME --cron "0 3 * * *"`',
  );
}

// ── file watchers ───────────────────────────────────────────────────────────────────────────

interface WatchFlags extends CommonFlags {
  pattern?: string[];
  ignore?: string[];
  recursive: boolean;
  debounce?: number;
}

function registerWatchCommands(program: Command, session: CliSession): void {
  const watch = program.command('watch').alias('watchers').description('file watchers that publish file.* and dir.* events (run by `hookflow serve`)');

  addCommonOptions(
    watch
      .command('add')
      .description('watch paths: publishes file.created|modified|deleted|renamed and dir.created|deleted with {path, watcher}')
      .argument('<name>', 'watcher name')
      .argument('<paths...>', 'directories or files to watch (relative ones are made absolute here)')
      .option('--pattern <glob>', 'only paths matching this glob below a watched path ("*.log", "reports/**"); repeat for several', collect)
      .option('--ignore <glob>', 'leave out paths matching this glob (and do not descend into such directories); repeat for several', collect)
      .option('--no-recursive', 'only the direct entries of each directory')
      .option('--debounce <duration>', 'changes to one path this close make one event (default 200ms)', duration),
    'watcher',
  ).action(async (name: string, paths: string[], flags: WatchFlags, command: Command) => {
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
  });

  registerManagement(
    watch,
    session,
    'watcher',
    'watcher',
    (out, watchers) =>
      out.table(
        ['Name', 'Paths', 'Patterns', 'Ignore', 'Recursive', 'Debounce', 'Enabled'],
        watchers.map((source) => {
          const config = source.config as unknown as WatcherConfig;
          return [source.name, config.paths.join('\n'), config.patterns.join(', '), config.ignore.join(', ') || '-', config.recursive ? 'yes' : 'no', `${config.debounce_ms}ms`, onOff(source.enabled)];
        }),
      ),
    'no watchers yet: add one with `hookflow watch add NAME /path/to/dir`',
  );
}

// ── webhooks ────────────────────────────────────────────────────────────────────────────────

interface WebhookFlags extends CommonFlags {
  event: string;
  verify: string;
  secret: string;
  header?: string[];
  signatureHeader?: string;
  tolerance?: number;
}

function registerWebhookCommands(program: Command, session: CliSession): void {
  const webhook = program.command('webhook').alias('webhooks').description('webhook endpoints: POST /webhooks/NAME becomes an event');

  addCommonOptions(
    webhook
      .command('add')
      .description('add a webhook endpoint at POST /webhooks/NAME; set its secret first with `hookflow secret set SECRET`')
      .argument('<name>', 'webhook name (the last part of its URL)')
      .requiredOption('--event <type>', 'the type of the event each delivery becomes (github.push)')
      .requiredOption('--verify <scheme>', 'github (X-Hub-Signature-256), hmac (X-Hookflow-Signature: t=…,v1=…) or bearer (Authorization: Bearer SECRET)')
      .requiredOption('--secret <name>', 'the hookflow secret holding the shared key')
      .option('--header <name>', 'a request header copied into data.headers; repeat for several (default x-github-event, x-github-delivery, user-agent)', collect)
      .option('--signature-header <name>', 'hmac: the header with the signature (default x-hookflow-signature)')
      .option('--tolerance <duration>', 'hmac: refuse deliveries signed longer ago than this (default 5m)', duration),
    'webhook',
  ).action(async (name: string, flags: WebhookFlags, command: Command) => {
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
  });

  registerManagement(
    webhook,
    session,
    'webhook',
    'webhook',
    (out, webhooks) =>
      out.table(
        ['Name', 'Path', 'Event', 'Verify', 'Secret', 'Enabled'],
        webhooks.map((source) => {
          const config = source.config as unknown as WebhookConfig;
          return [source.name, webhookPath(source.name), config.event_type, config.verify, config.secret, onOff(source.enabled)];
        }),
      ),
    'no webhooks yet: add one with `hookflow webhook add NAME --event TYPE --verify github --secret SECRET`',
  );
}
