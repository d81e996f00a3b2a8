import type { Command } from 'commander';
import type { JsonObject } from '../events/model.js';
import { parseEventData } from '../events/validate.js';
import type { ActionOutcome, ParamDefinition } from '../actions/model.js';
import type { CliSession } from './context.js';
import type { Output } from './output.js';
import { parseParamAssignments } from './parse.js';

/** What the `hookflow actions …` commands do (declared in actions.ts). */

function printOutcome(out: Output, outcome: ActionOutcome): void {
  const icon = outcome.success ? out.colors.green('✅') : out.colors.red('❌');
  out.line(`${icon} ${outcome.status} in ${Math.round(outcome.durationMs)} ms`);
  for (const line of outcome.log) out.line(`  ${line}`);
  if (Object.keys(outcome.outputs).length > 0) {
    out.table(['Output', 'Value'], Object.entries(outcome.outputs).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]), [null, 80]);
  }
  if (outcome.error) out.error(outcome.error);
  for (const warning of outcome.warnings) out.warn(warning);
}

function paramRow(param: ParamDefinition): string[] {
  const rules = [
    param.validation?.min !== undefined ? `≥ ${param.validation.min}` : '',
    param.validation?.max !== undefined ? `≤ ${param.validation.max}` : '',
    param.validation?.pattern ? `/${param.validation.pattern}/` : '',
    param.options ? param.options.map((option) => JSON.stringify(option.value)).join(' | ') : '',
    param.showWhen ? `when ${param.showWhen.param} ${param.showWhen.equals !== undefined ? `= ${JSON.stringify(param.showWhen.equals)}` : `≠ ${JSON.stringify(param.showWhen.notEquals)}`}` : '',
  ].filter(Boolean);
  return [param.name, param.type, param.required ? 'yes' : '', param.default === undefined ? '' : JSON.stringify(param.default), [param.description ?? '', ...rules].filter(Boolean).join('; ')];
}

export async function list(session: CliSession, flags: { category?: string }, command: Command): Promise<void> {
  await session.withEngine(command, async (engine, out) => {
    const service = await engine.actions();
    const list = service.list(flags.category);
    if (out.json) return out.data(list);
    out.table(
      ['Type', 'Category', 'Mode', 'Source', 'Description'],
      list.map((action) => [`${action.icon ?? ''} ${action.type}`.trim(), action.category, action.executionMode, action.source === 'builtin' ? 'builtin' : action.source, action.description]),
      [null, null, null, 30, 60],
    );
    for (const failure of service.discovery.failed) out.warn(`plugin ${failure.source} did not load: ${failure.error}`);
  });
}

export async function describe(session: CliSession, type: string, command: Command): Promise<void> {
  await session.withEngine(command, async (engine, out) => {
    const { meta, source, schema } = (await engine.actions()).describe(type);
    if (out.json) return out.data({ meta, source, schema });
    out.line(`${out.colors.bold(`${meta.icon ?? ''} ${meta.name}`.trim())} (${meta.type} ${meta.version}, ${meta.category}, ${meta.executionMode}${source === 'builtin' ? '' : `, from ${source}`})`);
    out.line(meta.description);
    out.line();
    if (meta.params.length > 0) out.table(['Param', 'Type', 'Required', 'Default', 'Description'], meta.params.map(paramRow), [null, null, null, 20, 60]);
    else out.line('no params');
    out.line();
    if (meta.outputs.length > 0) out.table(['Output', 'Type', 'Description'], meta.outputs.map((output) => [output.name, output.type, output.description ?? '']));
    const example = meta.examples?.[0];
    if (example) {
      const flags = Object.entries(example.params).map(([key, value]) => `--param ${key}=${JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value))}`);
      out.line();
      out.line(`example (${example.title}):`);
      out.line(`  hookflow actions run ${meta.type} ${flags.join(' ')}`);
    }
  });
}

export async function runAction(session: CliSession, type: string, flags: { param?: string[]; params?: string; timeout?: number; strict?: boolean }, command: Command): Promise<void> {
  await session.withEngine(command, async (engine, out) => {
    let base: JsonObject = {};
    if (flags.params !== undefined) {
      const text = flags.params.startsWith('@') ? (await import('node:fs')).readFileSync(flags.params.slice(1), 'utf8') : flags.params;
      base = parseEventData(text, { maxBytes: engine.dispatcher.maxEventBytes, where: '--params' });
    }
    const params = { ...base, ...parseParamAssignments(flags.param ?? []) };
    const service = await engine.actions();
    const started = await service.run(type, { params, timeoutSeconds: flags.timeout === undefined ? undefined : flags.timeout / 1000, strictOutputs: flags.strict });
    if (started.awaitingEvent && !out.json) out.line(out.colors.dim(`waiting for an event with workflow id ${started.externalWorkflowId} until ${new Date(started.deadline ?? Date.now()).toISOString()}…`));
    // An event-driven action waits here for its event (or its deadline), routed by this process.
    const { settleOutcome } = await import('../actions/waits.js');
    const outcome = await settleOutcome(started, {
      store: engine.store,
      actions: async () => (await engine.loadActions()).registry,
      publish: (event) => engine.events.dispatch(event),
      actionType: type,
      params,
      owner: { kind: 'cli', id: null },
      onLog: (line) => started.log.push(line),
    });
    if (!outcome.success) session.exitCode = 1;
    if (out.json) return out.data({ success: outcome.success, status: outcome.status, outputs: outcome.outputs, error: outcome.error });
    printOutcome(out, outcome);
  });
}
