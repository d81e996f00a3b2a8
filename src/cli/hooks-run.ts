import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { HookOverrides, HookTestResult } from '../hooks/service.js';
import type { JsonObject } from '../events/model.js';
import { parseEventData } from '../events/validate.js';
import type { HookRecord, RetryPolicy } from '../hooks/model.js';
import { parseParamAssignments, readEventData, UsageError } from './parse.js';
import type { CliSession } from './context.js';
import {
  compactJson,
  eventJson,
  executionJson,
  formatDuration,
  formatSuccess,
  formatTime,
  hookJson,
  truncate,
  type Output,
} from './output.js';

/** What the `hookflow hook …` commands do (declared in hooks.ts). */

export interface AddFlags {
  name?: string;
  event?: string[];
  stack?: string;
  description?: string;
  filter?: string;
  timeout?: number;
  memory?: number;
  disabled?: boolean;
  command?: string[];
  cwd?: string;
  retries?: number;
  retryBackoff?: number;
  replace?: boolean;
  action?: string;
  param?: string[];
  params?: string;
}

export async function add(session: CliSession, file: string | undefined, flags: AddFlags, command: Command): Promise<void> {
  if (file !== undefined && (flags.command || flags.action)) {
    throw new UsageError(`give a hook FILE or --${flags.command ? 'command' : 'action'}, not both`, 'a .yaml file lists its commands or its action itself');
  }
  if (flags.command && flags.action) throw new UsageError('give --command or --action, not both', 'a hook runs shell commands or one action');
  if ((flags.param || flags.params !== undefined) && !flags.action) {
    throw new UsageError('--param and --params belong to --action', 'e.g. hookflow hook add --name log-it --event task.failed --action log --param message="{{ event.type }}"');
  }
  if (file === undefined && !flags.command && !flags.action) {
    throw new UsageError('nothing to add', 'give a hook FILE (.lua, .js, .ts, .yaml), or --name N --event TYPE with --command CMD or --action TYPE');
  }
  if (file === undefined && !flags.name) {
    throw new UsageError(`a${flags.action ? 'n action' : ' commands'} hook defined by flags needs --name`, flags.action ? 'e.g. hookflow hook add --name notify --event task.failed --action log --param message=failed' : 'e.g. hookflow hook add --name notify --event task.failed --command "echo failed"');
  }
  const overrides = overridesFrom(flags);
  await session.withServices(command, async (services, out) => {
    const saved =
      flags.action !== undefined
        ? await services.hooks.addAction({ ...overrides, action: flags.action, params: actionParams(flags, services.maxEventBytes) }, { replace: flags.replace })
        : file === undefined
          ? await services.hooks.addCommands({ ...overrides, commands: flags.command ?? [] }, { replace: flags.replace })
          : await services.hooks.addFromFile(file, overrides, { replace: flags.replace });
    for (const warning of saved.warnings) out.warn(warning);
    if (out.json) return out.data(hookJson(saved.hook));
    out.line(`${flags.replace ? 'saved' : 'added'} hook ${out.colors.bold(saved.hook.name)}`);
    out.line();
    printHook(out, saved.hook);
  });
}

export async function list(session: CliSession, flags: { stack?: string }, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const hooks = await services.hooks.list(flags.stack);
    if (out.json) return out.data(hooks.map(hookJson));
    if (hooks.length === 0) {
      out.line(flags.stack ? `no hooks in stack ${flags.stack}` : 'no hooks yet: add one with `hookflow hook add FILE`');
      return;
    }
    out.table(
      ['Name', 'Events', 'Stack', 'Runtime', 'Enabled', 'Runs', 'Last Run'],
      hooks.map((h) => [h.name, h.events.join(', '), h.stack ?? '-', h.runtime, h.enabled ? '✅' : '⏸', h.run_count, formatTime(h.last_run)]),
    );
  });
}

export async function get(session: CliSession, name: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const found = await services.hooks.get(name);
    if (out.json) return out.data(hookJson(found));
    printHook(out, found);
  });
}

export async function setEnabled(session: CliSession, name: string, enabled: boolean, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const updated = await services.hooks.setEnabled(name, enabled);
    if (out.json) return out.data(hookJson(updated));
    out.line(`${enabled ? '✅ enabled' : '⏸ disabled'} hook ${updated.name}`);
  });
}

export async function remove(session: CliSession, name: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    await services.hooks.remove(name);
    if (out.json) return out.data({ removed: name });
    out.line(`removed hook ${name}`);
  });
}

export async function history(session: CliSession, name: string, flags: { limit: number; onlyFailed?: boolean }, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const executions = await services.hooks.history(name, { limit: flags.limit, onlyFailed: flags.onlyFailed === true });
    if (out.json) return out.data(executions.map((execution) => executionJson(execution, true)));
    if (executions.length === 0) {
      out.line(flags.onlyFailed ? `no failed executions of hook ${name}` : `hook ${name} has not run yet`);
      return;
    }
    out.table(
      ['Event', 'Status', 'Duration', 'Executed At', 'Attempt', 'Output', 'Error'],
      executions.map((execution) => [
        execution.event_id,
        formatSuccess(execution.success),
        formatDuration(execution.duration_ms),
        formatTime(execution.executed_at),
        execution.attempt,
        truncate(execution.output, 40),
        truncate(execution.error ?? '', 40),
      ]),
    );
  });
}

export async function test(session: CliSession, name: string, flags: { data?: string; type?: string; stack?: string }, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const data = await readEventData(flags.data, services.maxEventBytes, () => session.readStdin());
    const tested = await services.hooks.test(name, { data, type: flags.type, stack: flags.stack });
    if (!tested.result.success) session.exitCode = 1;
    if (out.json) return out.data({ ...tested, event: eventJson(tested.event) });
    printTestResult(out, tested);
  });
}

/** --params (JSON or @FILE) with --param entries over it. */
function actionParams(flags: AddFlags, maxBytes: number): JsonObject {
  let base: JsonObject = {};
  if (flags.params !== undefined) {
    let text = flags.params;
    if (text.startsWith('@')) {
      try {
        text = readFileSync(resolve(text.slice(1)), 'utf8');
      } catch (error) {
        throw new UsageError(`cannot read --params file ${text.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    base = parseEventData(text, { maxBytes, where: '--params' });
  }
  return { ...base, ...parseParamAssignments(flags.param ?? []) };
}

function overridesFrom(flags: AddFlags): HookOverrides {
  const retry: Partial<RetryPolicy> = {};
  if (flags.retries !== undefined) retry.max_attempts = flags.retries + 1;
  if (flags.retryBackoff !== undefined) retry.backoff_ms = flags.retryBackoff;
  return {
    name: flags.name,
    events: flags.event,
    stack: flags.stack,
    description: flags.description,
    filter: flags.filter,
    timeout_ms: flags.timeout,
    memory_mb: flags.memory,
    enabled: flags.disabled ? false : undefined,
    cwd: flags.cwd === undefined ? undefined : resolve(flags.cwd),
    retry: Object.keys(retry).length > 0 ? retry : undefined,
  };
}

function printHook(out: Output, hook: HookRecord): void {
  const fields: Array<[string, string]> = [
    ['Hook', hook.name],
    ['Description', hook.description || '-'],
    ['Events', hook.events.join(', ')],
    ['Stack', hook.stack ?? '- (any stack)'],
    ['Filter', hook.filter ?? '-'],
    ['Runtime', hook.runtime],
    ['Source', hook.source ?? '- (defined by flags)'],
  ];
  if (hook.runtime === 'commands') fields.push(['Cwd', hook.cwd ?? '- (the hookflow home)']);
  if (hook.runtime === 'action') fields.push(['Action', hook.action ?? '-'], ['Params', compactJson(hook.params ?? {})]);
  fields.push(
    ['Timeout', formatDuration(hook.timeout_ms)],
    ...(hook.runtime === 'commands' || hook.runtime === 'action' ? [] : [['Memory', `${hook.memory_mb} MiB`] as [string, string]]),
    [
      'Retry',
      hook.retry.max_attempts > 1
        ? `${hook.retry.max_attempts - 1} time(s), first after ${formatDuration(hook.retry.backoff_ms)}, ×${hook.retry.backoff_multiplier} each`
        : 'no',
    ],
    ['Enabled', hook.enabled ? '✅ yes' : '⏸ no'],
    ['Runs', String(hook.run_count)],
    ['Last run', formatTime(hook.last_run)],
    ['Created', formatTime(hook.created_at)],
    ['Updated', formatTime(hook.updated_at)],
  );
  out.fields(fields);
  if (hook.commands) {
    out.line(out.colors.bold('Commands:'));
    for (const line of hook.commands) out.line(`  ${line}`);
  }
}

function printTestResult(out: Output, tested: HookTestResult): void {
  const { result, event, dry_run: dryRun } = tested;
  out.fields([
    ['Hook', tested.hook],
    ['Event', `${event.type}${event.stack ? ` [${event.stack}]` : ''} (synthetic ${event.id})`],
    ['Result', formatSuccess(result.success)],
    ['Duration', formatDuration(tested.duration_ms)],
  ]);
  if (result.output) {
    out.line(out.colors.bold('Output:'));
    out.line(indent(result.output));
  }
  if (result.error) {
    out.line(out.colors.bold('Error:'));
    out.line(out.colors.red(indent(result.error)));
  }
  if (dryRun.dispatched.length > 0) {
    out.line(out.colors.bold('Would dispatch (not published):'));
    for (const event of dryRun.dispatched) out.line(`  ${event.type}${event.stack ? ` [${event.stack}]` : ''} ${compactJson(event.data)}`);
  }
  if (dryRun.state.length > 0) {
    out.line(out.colors.bold('Would write state (not written):'));
    for (const write of dryRun.state) out.line(`  ${write.op} ${write.key}${write.value === undefined ? '' : ` = ${compactJson(write.value)}`}`);
  }
  if (dryRun.dispatched.length === 0 && dryRun.state.length === 0) out.line(out.colors.dim('(no events dispatched, no state written)'));
}

function indent(text: string): string {
  return text
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
