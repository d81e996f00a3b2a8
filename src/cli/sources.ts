import type { Command } from 'commander';
import type { SourceKind } from '../store/sources.js';
import type { CliSession } from './context.js';
import { collect, duration } from './parse.js';
import type { ScheduleFlags, WatchFlags, WebhookFlags } from './sources-run.js';

const run = () => import('./sources-run.js');

/**
 * `hookflow schedule …`, `hookflow watch …`, `hookflow webhook …`: event sources kept in the
 * store (or on the server given by --url), run by every `hookflow serve` sharing it.
 */
export function registerSourceCommands(program: Command, session: CliSession): void {
  registerScheduleCommands(program, session);
  registerWatchCommands(program, session);
  registerWebhookCommands(program, session);
}

function addCommonOptions(command: Command, noun: string): Command {
  return command
    .option('--stack <stack>', 'the stack of the events it publishes')
    .option('--disabled', `add the ${noun} disabled`)
    .option('--replace', `replace a ${noun} of the same name`);
}

/** list, remove, enable, disable: the same for every kind. */
function registerManagement(parent: Command, session: CliSession, kind: SourceKind, noun: string, empty: string): void {
  parent
    .command('list')
    .description(`list ${noun}s`)
    .action(async (_flags: unknown, command: Command) => (await run()).list(session, kind, empty, command));

  parent
    .command('remove')
    .alias('rm')
    .description(`remove a ${noun}`)
    .argument('<name>', `${noun} name`)
    .action(async (name: string, _flags: unknown, command: Command) => (await run()).remove(session, kind, noun, name, command));

  for (const enabled of [true, false]) {
    parent
      .command(enabled ? 'enable' : 'disable')
      .description(enabled ? `enable a ${noun}` : `disable a ${noun}: it stays defined but publishes nothing`)
      .argument('<name>', `${noun} name`)
      .action(async (name: string, _flags: unknown, command: Command) => (await run()).setEnabled(session, kind, noun, name, enabled, command));
  }
}

// ── schedules ───────────────────────────────────────────────────────────────────────────────

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
  ).action(async (name: string, flags: ScheduleFlags, command: Command) => (await run()).addSchedule(session, name, flags, command));

  registerManagement(schedule, session, 'schedule', 'schedule', 'no schedules yet: add one with `hookflow schedule add NAME --cron "0 3 * * *"`');
}

// ── file watchers ───────────────────────────────────────────────────────────────────────────

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
  ).action(async (name: string, paths: string[], flags: WatchFlags, command: Command) => (await run()).addWatcher(session, name, paths, flags, command));

  registerManagement(watch, session, 'watcher', 'watcher', 'no watchers yet: add one with `hookflow watch add NAME /path/to/dir`');
}

// ── webhooks ────────────────────────────────────────────────────────────────────────────────

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
  ).action(async (name: string, flags: WebhookFlags, command: Command) => (await run()).addWebhook(session, name, flags, command));

  registerManagement(webhook, session, 'webhook', 'webhook', 'no webhooks yet: add one with `hookflow webhook add NAME --event TYPE --verify github --secret SECRET`');
}
