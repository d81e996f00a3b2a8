import type { Command } from 'commander';
import type { CliSession } from './context.js';
import { collect, duration, nonNegativeInt, positiveInt } from './parse.js';
import type { AddFlags } from './hooks-run.js';

const run = () => import('./hooks-run.js');

/** `hookflow hook …`: add, list, get, enable, disable, remove, history, test. */
export function registerHookCommands(program: Command, session: CliSession): void {
  const hook = program.command('hook').description('manage hooks: what runs when an event matches');

  hook
    .command('add')
    .description('add a hook from a file (.lua, .js/.ts, .yaml), or a commands hook from --command flags')
    .argument('[file]', 'hook file; its own metadata (name, events, stack…) is used unless a flag overrides it')
    .option('--name <name>', 'hook name (default: from the file)')
    .option('--event <type>', 'event type or pattern to react to (task.failed, task.*, *); repeat for several', collect)
    .option('--stack <stack>', 'only react to events of this stack')
    .option('--description <text>', 'what the hook is for')
    .option('--filter <expr>', 'only react when this expression over the event holds (data.task.exit_code != 0)')
    .option('--timeout <duration>', 'stop a run after this long (30s, 2m; a bare number is seconds)', duration)
    .option('--memory <mb>', 'memory limit of a Lua or JS run, in MiB', positiveInt)
    .option('--disabled', 'add the hook disabled')
    .option('--command <cmd>', 'a shell command of a commands hook; repeat for several, run in order', collect)
    .option('--cwd <dir>', 'working directory of a commands hook (default: the hookflow home)')
    .option('--retries <n>', 'retry a failed run this many times', nonNegativeInt)
    .option('--retry-backoff <duration>', 'wait before the first retry (doubles each time)', duration)
    .option('--action <type>', 'run this typed action (notification, http_request…) instead of code; see `hookflow actions list`')
    .option('--param <key=value>', 'a param of --action (JSON when it parses, else text; templates over event, env, secret); repeat for several', collect)
    .option('--params <json>', 'the params of --action as one JSON object (or @FILE); --param entries override it')
    .option('--replace', 'replace a hook of the same name')
    .action(async (file: string | undefined, flags: AddFlags, command: Command) => (await run()).add(session, file, flags, command));

  hook
    .command('list')
    .description('list hooks')
    .option('--stack <stack>', 'only hooks of this stack')
    .action(async (flags: { stack?: string }, command: Command) => (await run()).list(session, flags, command));

  hook
    .command('get')
    .description('show one hook')
    .argument('<name>', 'hook name')
    .action(async (name: string, _flags: unknown, command: Command) => (await run()).get(session, name, command));

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    hook
      .command(verb)
      .description(enabled ? 'enable a hook: it runs on matching events again' : 'disable a hook: it stays defined but does not run')
      .argument('<name>', 'hook name')
      .action(async (name: string, _flags: unknown, command: Command) => (await run()).setEnabled(session, name, enabled, command));
  }

  hook
    .command('remove')
    .description('remove a hook (its execution history stays with the events)')
    .argument('<name>', 'hook name')
    .action(async (name: string, _flags: unknown, command: Command) => (await run()).remove(session, name, command));

  hook
    .command('history')
    .description("a hook's executions, newest first")
    .argument('<name>', 'hook name')
    .option('--limit <n>', 'how many executions', positiveInt, 20)
    .option('--only-failed', 'only failed executions')
    .action(async (name: string, flags: { limit: number; onlyFailed?: boolean }, command: Command) => (await run()).history(session, name, flags, command));

  hook
    .command('test')
    .description('run a hook once on a synthetic event and show the result; records nothing')
    .argument('<name>', 'hook name')
    .option('--data <json>', 'event data: JSON, or @FILE (@- reads standard input)')
    .option('--type <type>', "event type (default: the hook's first exact type)")
    .option('--stack <stack>', "event stack (default: the hook's stack)")
    .action(async (name: string, flags: { data?: string; type?: string; stack?: string }, command: Command) => (await run()).test(session, name, flags, command));
}
