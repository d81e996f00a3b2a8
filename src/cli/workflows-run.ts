import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionRegistry } from '../actions/registry.js';
import type { WorkflowServices } from '../client/services.js';
import type { Engine } from '../engine.js';
import { errorMessage, HookflowError } from '../errors.js';
import type { JobRecord, JobStatus, WorkflowActionRecord, WorkflowStatus } from '../store/workflows.js';
import type { SpecFormat, WorkflowStatusView } from '../workflows/service.js';
import type { ValidationReport } from '../workflows/spec/validate.js';
import {
  isInvalidReport,
  jobDetailJson,
  jobJson,
  jobNamer,
  progressOf,
  statusJson,
  submittedJson,
  validationJson,
  workflowActionJson,
  workflowJson,
} from '../workflows/views.js';
import { PACKAGE_ROOT, type CliSession } from './context.js';
import { formatDuration, formatTime, truncate, type Colors, type Output } from './output.js';
import { parseParamAssignments } from './parse.js';
import { isTerminal } from '../workflows/job-states.js';
import { progressLine, STATE_ORDER } from './workflows.js';

/** What the `hookflow workflow …` commands do (declared in workflows.ts). */

function readSpec(file: string): string {
  try {
    return readFileSync(resolve(file), 'utf8');
  } catch (error) {
    throw new HookflowError('HF_ERR_NOT_FOUND', `cannot read workflow file ${file}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`, { where: resolve(file) });
  }
}

function readable(file: string): boolean {
  try {
    readFileSync(resolve(file));
    return true;
  } catch {
    return false;
  }
}

/**
 * The action catalogue without a store: built-ins (set_state/get_state for their meta only) and
 * the plugins of this package and HOOKFLOW_HOME/actions, so `validate` checks action params offline.
 */
async function offlineRegistry(home: string): Promise<ActionRegistry> {
  const [{ ActionRegistry }, { builtinActions }, { discoverActions }] = await Promise.all([
    import('../actions/registry.js'),
    import('../actions/builtin/index.js'),
    import('../actions/discovery.js'),
  ]);
  const noState = {
    get: () => Promise.reject(new HookflowError('HF_ERR_INVALID_ARGUMENT', 'no store: validation does not run actions')),
    set: () => Promise.reject(new HookflowError('HF_ERR_INVALID_ARGUMENT', 'no store: validation does not run actions')),
  };
  const registry = new ActionRegistry();
  for (const definition of builtinActions({ state: noState })) registry.register(definition, 'builtin');
  await discoverActions(registry, { projectRoot: PACKAGE_ROOT, home });
  return registry;
}

function printValidation(out: Output, report: ValidationReport, file: string, render: (report: ValidationReport, file: string) => string): void {
  if (out.json) return out.data(validationJson(report));
  out.line(render(report, file).replace(/\n$/, ''));
}

function statusWord(colors: Colors, status: WorkflowStatus): string {
  return status === 'completed' ? colors.green(status) : status === 'running' ? colors.cyan(status) : status === 'failed' ? colors.red(status) : colors.yellow(status);
}

function jobDuration(job: JobRecord): string {
  if (job.started_at === null) return '-';
  return formatDuration((job.ended_at ?? Date.now()) - job.started_at);
}

function executionsText(action: WorkflowActionRecord): { who: string; result: string } {
  if (action.executions.length === 0) return { who: '-', result: '-' };
  const who = [...new Set(action.executions.map((execution) => execution.worker_id))].join(', ');
  const result = action.executions
    .map((execution) =>
      execution.success === null ? 'running' : execution.success ? `ok${execution.result && Object.keys(execution.result).length > 0 ? ` ${JSON.stringify(execution.result)}` : ''}` : `failed: ${execution.error ?? 'unknown'}`,
    )
    .join('; ');
  return { who, result };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export interface SubmitFlags {
  param?: string[];
  format?: 'torc' | 'dag';
  watch?: boolean;
  wait?: boolean;
  worker: boolean;
}

/** The services of --url, or of the local store with its engine (for an in-process worker). */
async function withWorkflows(session: CliSession, command: Command, body: (workflows: WorkflowServices, out: Output, engine: Engine | null) => Promise<void>): Promise<void> {
  if (session.remoteUrl(command)) return session.withServices(command, (services, out) => body(services.workflows, out, null));
  return session.withEngine(command, async (engine, out) => body(await engine.workflows(), out, engine));
}

export async function validate(session: CliSession, file: string, flags: { showJobs?: boolean; format?: SpecFormat }, command: Command): Promise<void> {
  const text = readSpec(file);
  const { renderValidation, summarize } = await import('../workflows/spec/validate.js');
  if (session.remoteUrl(command)) {
    await session.withServices(command, async (services, out) => {
      const report = await services.workflows.validate(text, { file, format: flags.format, showJobs: flags.showJobs });
      printValidation(out, report, file, renderValidation);
      if (isInvalidReport(report)) session.exitCode = 1;
    });
    return;
  }
  const out = session.output(command);
  const { compileWorkflow } = await import('../workflows/spec/compile.js');
  const compiled = compileWorkflow(text, { file, format: flags.format ?? 'auto', actions: await offlineRegistry(session.engineOptions(command).home) });
  const report = summarize(compiled, { showJobs: flags.showJobs });
  printValidation(out, report, file, (shown, name) => renderValidation(shown, name, compiled.warnings));
  if (isInvalidReport(report)) session.exitCode = 1;
}

export async function graph(session: CliSession, target: string, flags: { format: 'mermaid' | 'dot'; specFormat?: SpecFormat }, command: Command): Promise<void> {
  if (readable(target)) {
    const out = session.output(command);
    const [{ compileWorkflow }, { renderGraph }, { renderValidation, summarize }] = await Promise.all([
      import('../workflows/spec/compile.js'),
      import('../workflows/graph.js'),
      import('../workflows/spec/validate.js'),
    ]);
    const compiled = compileWorkflow(readSpec(target), { file: target, format: flags.specFormat ?? 'auto', actions: await offlineRegistry(session.engineOptions(command).home) });
    if (!compiled.model) {
      out.line(renderValidation(summarize(compiled), target, compiled.warnings).replace(/\n$/, ''));
      session.exitCode = 1;
      return;
    }
    out.line(renderGraph(compiled.model, flags.format).replace(/\n$/, ''));
    return;
  }
  await session.withServices(command, async (services, out) => out.line((await services.workflows.graph(target, flags.format)).replace(/\n$/, '')));
}

export async function submit(session: CliSession, file: string, flags: SubmitFlags, command: Command): Promise<void> {
  const text = readSpec(file);
  const params = parseParamAssignments(flags.param ?? []);
  await withWorkflows(session, command, async (workflows, out, engine) => {
    const submitted = await workflows.submit({ text, file, format: flags.format ?? 'auto', params });
    const follow = flags.watch === true || flags.wait === true;
    const live = engine ? await workflows.workers() : null;
    const covered = live === null || live.some((worker) => worker.workflow_id === null || worker.workflow_id === submitted.id);
    if (!follow) {
      if (out.json) return out.data(submittedJson(submitted));
      out.line(`submitted workflow "${submitted.workflow.name}" as ${submitted.id} (run ${submitted.run_id}, ${submitted.workflow.job_count} job${submitted.workflow.job_count === 1 ? '' : 's'})`);
      out.note(`follow it with \`hookflow workflow status ${submitted.id}\`${covered ? '' : '; no worker is running: start one with `hookflow worker` or `hookflow serve`'}`);
      return;
    }
    if (!out.json) out.note(`submitted workflow "${submitted.workflow.name}" as ${submitted.id} (run ${submitted.run_id})`);
    // On a local store with nobody to run the jobs, this process runs them until the workflow ends.
    let local: LocalWorker | null = null;
    if (engine && !covered && flags.worker) {
      const worker = await engine.createWorker({ workflowId: submitted.id, maxParallelJobs: availableParallelism(), capacity: null, idleTimeoutMs: null });
      out.note(`no worker is running: running the jobs here (worker ${worker.id})`);
      local = { done: worker.run(), stop: () => worker.stop() };
    } else if (engine && !covered) {
      out.note('no worker is running: start one with `hookflow worker` or `hookflow serve`');
    }
    const final = await followWorkflow(session, out, workflows, submitted.id, flags.watch === true, local);
    if (final.status !== 'completed') session.exitCode = 1;
    if (out.json) return out.data({ ...submittedJson(submitted), status: final.status, counts: final.counts });
    out.line(`workflow ${submitted.id} ${statusWord(out.colors, final.status)}`);
  });
}

export async function list(session: CliSession, flags: { status?: WorkflowStatus; limit?: number }, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const list = await services.workflows.list({ status: flags.status, limit: flags.limit });
    if (out.json) return out.data(list.map(workflowJson));
    if (list.length === 0) return out.line('no workflows');
    out.table(
      ['ID', 'Name', 'Format', 'Status', 'Run', 'Jobs', 'Created', 'Ended'],
      list.map((entry) => [entry.id, truncate(entry.name, 40), entry.format, statusWord(out.colors, entry.status), entry.run, entry.job_count, formatTime(entry.created_at), formatTime(entry.ended_at)]),
    );
  });
}

export async function status(session: CliSession, id: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const view = await services.workflows.status(id);
    if (out.json) return out.data(statusJson(view));
    const record = await services.workflows.get(id);
    const { total, finished } = progressOf(view.counts);
    const fields: Array<[string, string]> = [
      ['Workflow', view.id],
      ['Name', view.name],
      ['Format', record.format === 'dag' ? 'BudPipeline DAG' : 'Torc workflow'],
      ['Status', statusWord(out.colors, view.status)],
      ['Run', String(view.run)],
      ['Progress', `${finished}/${total} jobs finished`],
      ['Started', formatTime(record.started_at)],
      ['Ended', formatTime(record.ended_at)],
    ];
    if (record.error) fields.push(['Error', record.error]);
    out.fields(fields);
    const rows = STATE_ORDER.filter((status) => (view.counts[status] ?? 0) > 0).map((status) => [status, view.counts[status] ?? 0]);
    if (rows.length > 0) out.table(['State', 'Jobs'], rows);
  });
}

export async function jobs(session: CliSession, id: string, flags: { status?: JobStatus; offset?: number; limit?: number }, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const jobs = await services.workflows.jobs(id, { status: flags.status, offset: flags.offset, limit: flags.limit });
    if (out.json) return out.data(jobs.map(jobJson));
    if (jobs.length === 0) return out.line(flags.status ? `no ${flags.status} jobs` : 'no jobs');
    out.table(
      ['#', 'Name', 'Status', 'Exit', 'Attempts', 'Worker', 'Started', 'Duration'],
      jobs.map((job) => [job.index, truncate(job.name, 40), job.status, job.exit_code ?? '-', job.attempts, job.worker_id ?? '-', formatTime(job.started_at), jobDuration(job)]),
    );
  });
}

export async function job(session: CliSession, id: string, ref: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const job = await services.workflows.job(id, ref);
    if (out.json) return out.data(jobDetailJson(job));
    const fields: Array<[string, string]> = [
      ['Job', `#${job.index} ${job.name}`],
      ['Runs', job.spec.command ?? (job.spec.action ? `${job.spec.action} ${JSON.stringify(job.spec.params ?? {})}` : '-')],
      ['Status', job.status],
      ['Run', String(job.run)],
      ['Attempts', String(job.attempts)],
      ['Exit code', job.exit_code === null ? '-' : String(job.exit_code)],
      ['Worker', job.worker_id ?? '-'],
      ['Started', formatTime(job.started_at)],
      ['Ended', formatTime(job.ended_at)],
    ];
    if (job.error) fields.push(['Error', job.error]);
    if (job.outputs && Object.keys(job.outputs).length > 0) fields.push(['Outputs', JSON.stringify(job.outputs)]);
    if (job.stdout_tail) fields.push(['Stdout', job.stdout_tail.replace(/\n$/, '')]);
    if (job.stderr_tail) fields.push(['Stderr', job.stderr_tail.replace(/\n$/, '')]);
    out.fields(fields);
  });
}

export async function logs(session: CliSession, id: string, ref: string, flags: { stderr?: boolean; follow?: boolean }, command: Command): Promise<void> {
  await session.withServices(command, async (services) => {
    const stream = flags.stderr ? 'stderr' : 'stdout';
    let offset = 0;
    for (;;) {
      const chunk = await services.workflows.logs(id, ref, { stream, offset });
      if (chunk.text.length > 0) session.io.stdout.write(chunk.text);
      offset = chunk.offset;
      if (!flags.follow) return;
      if (chunk.text.length > 0) continue;
      const job = await services.workflows.job(id, ref);
      if (isTerminal(job.status)) {
        const rest = await services.workflows.logs(id, ref, { stream, offset });
        if (rest.text.length > 0) session.io.stdout.write(rest.text);
        return;
      }
      if (session.io.shutdown?.aborted) return;
      await sleep(300);
    }
  });
}

export async function outputs(session: CliSession, id: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const outputs = await services.workflows.outputs(id);
    if (out.json) return out.data(outputs);
    const entries = Object.entries(outputs);
    if (entries.length === 0) return out.line('no outputs');
    out.table(['Output', 'Value'], entries.map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]), [null, 80]);
  });
}

export async function cancel(session: CliSession, id: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const canceled = await services.workflows.cancel(id);
    if (out.json) return out.data(workflowJson(canceled));
    out.line(`workflow ${id} ${statusWord(out.colors, canceled.status)}`);
  });
}

export async function restart(session: CliSession, id: string, flags: { failedOnly?: boolean }, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const restarted = await services.workflows.restart(id, { failedOnly: flags.failedOnly === true });
    if (out.json) return out.data(submittedJson(restarted));
    out.line(`workflow ${id}: run ${restarted.run_id} started${flags.failedOnly ? ' (failed jobs only)' : ''}`);
  });
}

export async function actions(session: CliSession, id: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const actions = await services.workflows.actions(id);
    const names = jobNamer(actions.some((action) => action.selected_jobs.length > 0) ? await services.workflows.jobs(id) : []);
    if (out.json) return out.data(actions.map((action) => workflowActionJson(action, names)));
    if (actions.length === 0) return out.line('no actions');
    out.table(
      ['#', 'Trigger', 'Action', 'Selected jobs', 'Count', 'State', 'Ran by', 'Result'],
      actions.map((action) => {
        const { who, result } = executionsText(action);
        const selected = action.selected_jobs.length === 0 ? '-' : truncate(action.selected_jobs.map(names).join(', '), 40);
        return [
          action.index,
          action.trigger_type,
          `${action.action_type}${action.persistent ? ' (per worker)' : ''}`,
          selected,
          `${action.trigger_count}/${action.required_triggers}`,
          action.status,
          who,
          truncate(result, 60),
        ];
      }),
    );
  });
}

/** A worker this process runs for the workflow it submitted. */
interface LocalWorker {
  done: Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Waits for the end of a workflow: with `watch`, a progress line redrawn in place on a terminal
 * (one line per change otherwise). With a local worker its end is awaited too (it still runs
 * on_workflow_complete actions); its failure ends the wait, and leaving early stops it.
 */
async function followWorkflow(session: CliSession, out: Output, workflows: WorkflowServices, id: string, watch: boolean, worker: LocalWorker | null): Promise<WorkflowStatusView> {
  const tty = session.io.isTTY && !out.json;
  const write = (text: string) => (out.json ? session.io.stderr.write(text) : session.io.stdout.write(text));
  let last = '';
  const show = (view: WorkflowStatusView) => {
    if (!watch) return;
    const line = progressLine(out.colors, view);
    if (line === last) return;
    last = line;
    write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  const abort = new AbortController();
  const stop = () => abort.abort();
  session.io.shutdown?.addEventListener('abort', stop, { once: true });
  let workerEnded = false;
  try {
    const waiting = workflows.waitForEnd(id, { onUpdate: show, signal: abort.signal, pollMs: 250 });
    if (!worker) return await waiting;
    // A worker that fails (or stops) before the workflow ends ends the wait with its error.
    const workerEnd = worker.done.then(
      () => {
        workerEnded = true;
        return new Promise<never>(() => undefined);
      },
      (error: unknown) => {
        workerEnded = true;
        throw error;
      },
    );
    const final = await Promise.race([waiting, workerEnd]);
    await worker.done;
    workerEnded = true;
    return final;
  } finally {
    session.io.shutdown?.removeEventListener('abort', stop);
    if (worker && !workerEnded) {
      await worker.stop();
      await worker.done.catch(() => undefined);
    }
    if (watch && tty && last) write('\n');
  }
}
