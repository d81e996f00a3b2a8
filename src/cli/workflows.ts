import { Option, type Command } from 'commander';
import type { JobStatus, WorkflowStatus } from '../store/workflows.js';
import { JOB_STATUSES, WORKFLOW_STATUSES } from '../store/workflows.js';
import type { SpecFormat, WorkflowStatusView } from '../workflows/service.js';
import { progressOf, type JobCounts } from '../workflows/views.js';
import type { CliSession } from './context.js';
import type { Colors } from './output.js';
import { collect, nonNegativeInt, positiveInt } from './parse.js';
import type { SubmitFlags } from './workflows-run.js';

const run = () => import('./workflows-run.js');

/**
 * `hookflow workflow …`: validate, graph, submit (and watch), inspect, cancel and restart
 * workflows. Every command but validate and graph-of-a-file goes through the WorkflowService,
 * locally or through the API with --url; validate and graph of a file need no store at all.
 */

const FORMAT_OPTION = () => new Option('--format <format>', 'the spec format (default: detected from the content)').choices(['torc', 'dag']);

/** The order states are listed in: how far along a job is. */
export const STATE_ORDER: readonly JobStatus[] = ['uninitialized', 'blocked', 'ready', 'retrying', 'pending', 'running', 'completed', 'failed', 'timeout', 'canceled', 'terminated', 'skipped', 'disabled'];

function countsText(colors: Colors, counts: JobCounts): string {
  const paint = (status: JobStatus, text: string) =>
    status === 'completed' ? colors.green(text) : status === 'failed' || status === 'timeout' ? colors.red(text) : status === 'running' ? colors.cyan(text) : status === 'canceled' || status === 'terminated' ? colors.yellow(text) : text;
  return STATE_ORDER.filter((status) => (counts[status] ?? 0) > 0)
    .map((status) => paint(status, `${status} ${counts[status]}`))
    .join(' · ');
}

/** `name ████░░░░ 12/40 30%  running 2 · completed 12`: one line of a workflow's progress. */
export function progressLine(colors: Colors, view: WorkflowStatusView, width = 24): string {
  const { total, finished } = progressOf(view.counts);
  const filled = total === 0 ? width : Math.round((finished / total) * width);
  const percent = total === 0 ? 100 : Math.floor((finished / total) * 100);
  const bar = colors.green('█'.repeat(filled)) + colors.dim('░'.repeat(width - filled));
  return `${view.name} ${bar} ${finished}/${total} ${String(percent).padStart(3)}%  ${view.status}${total > 0 ? `  ${countsText(colors, view.counts)}` : ''}`;
}

export function registerWorkflowCommands(program: Command, session: CliSession): void {
  const workflow = program.command('workflow').alias('workflows').description('workflows (Torc specs and BudPipeline DAGs): validate, submit, watch, inspect, cancel, restart');

  workflow
    .command('validate')
    .description('check a workflow file without storing it: every problem with its file:line:column, or the expanded counts')
    .argument('<file>')
    .option('--show-jobs', 'list the expanded job names')
    .addOption(FORMAT_OPTION())
    .action(async (file: string, flags: { showJobs?: boolean; format?: SpecFormat }, command: Command) => (await run()).validate(session, file, flags, command));

  workflow
    .command('graph')
    .description("a workflow's job graph as Mermaid or Graphviz dot: of a file (compiled here), or of a submitted workflow by id (coloured by job state)")
    .argument('<file-or-id>')
    .addOption(new Option('--format <format>', 'graph language').choices(['mermaid', 'dot']).default('mermaid'))
    .addOption(new Option('--spec-format <format>', 'the spec format of a file (default: detected)').choices(['torc', 'dag']))
    .action(async (target: string, flags: { format: 'mermaid' | 'dot'; specFormat?: SpecFormat }, command: Command) => (await run()).graph(session, target, flags, command));

  workflow
    .command('submit')
    .description('validate and store a workflow; its jobs run on workers (`hookflow worker`, `hookflow serve`)')
    .argument('<file>')
    .option('--param <key=value>', 'a DAG parameter (the value is JSON when it parses, else text); repeat for several', collect)
    .addOption(FORMAT_OPTION())
    .option('--watch', 'show a live progress bar and per-state counts until the workflow ends; exit 1 unless it completed')
    .option('--wait', 'return when the workflow ends; exit 0 only if it completed')
    .option('--no-worker', 'with --wait/--watch on a local store: never run the jobs in this process (by default they run here when no worker is running)')
    .action(async (file: string, flags: SubmitFlags, command: Command) => (await run()).submit(session, file, flags, command));

  workflow
    .command('list')
    .description('workflows, newest first')
    .addOption(new Option('--status <status>', 'only workflows in this state').choices([...WORKFLOW_STATUSES]))
    .option('--limit <n>', 'at most this many (default 50)', positiveInt)
    .action(async (flags: { status?: WorkflowStatus; limit?: number }, command: Command) => (await run()).list(session, flags, command));

  workflow
    .command('status')
    .description("a workflow's state and how many jobs are in each state")
    .argument('<id>')
    .action(async (id: string, _flags: unknown, command: Command) => (await run()).status(session, id, command));

  workflow
    .command('jobs')
    .description("a workflow's jobs: state, exit code, attempts, worker, times")
    .argument('<id>')
    .addOption(new Option('--status <status>', 'only jobs in this state').choices([...JOB_STATUSES]))
    .option('--offset <n>', 'skip this many', nonNegativeInt)
    .option('--limit <n>', 'at most this many', positiveInt)
    .action(async (id: string, flags: { status?: JobStatus; offset?: number; limit?: number }, command: Command) => (await run()).jobs(session, id, flags, command));

  workflow
    .command('job')
    .description('one job: what it runs, its state, error, outputs and the tails of its logs')
    .argument('<id>')
    .argument('<job>', 'the job index or name')
    .action(async (id: string, ref: string, _flags: unknown, command: Command) => (await run()).job(session, id, ref, command));

  workflow
    .command('logs')
    .description("a job's output (stdout, or stderr with --stderr; the action log of an action job)")
    .argument('<id>')
    .argument('<job>', 'the job index or name')
    .option('--stderr', 'standard error instead of standard output')
    .option('--follow', 'keep printing new output until the job ends')
    .action(async (id: string, ref: string, flags: { stderr?: boolean; follow?: boolean }, command: Command) => (await run()).logs(session, id, ref, flags, command));

  workflow
    .command('outputs')
    .description("a pipeline DAG's resolved outputs (once it has ended)")
    .argument('<id>')
    .action(async (id: string, _flags: unknown, command: Command) => (await run()).outputs(session, id, command));

  workflow
    .command('cancel')
    .description('cancel a running workflow: running jobs are stopped (SIGTERM, then SIGKILL), the rest canceled')
    .argument('<id>')
    .action(async (id: string, _flags: unknown, command: Command) => (await run()).cancel(session, id, command));

  workflow
    .command('restart')
    .description('run an ended workflow again as a new run: all its jobs, or only those that did not complete')
    .argument('<id>')
    .option('--failed-only', 'only the jobs that failed, were canceled or did not run')
    .action(async (id: string, flags: { failedOnly?: boolean }, command: Command) => (await run()).restart(session, id, flags, command));

  workflow
    .command('actions')
    .description("a workflow's actions: trigger, selected jobs, trigger count, state, who ran them and their result")
    .argument('<id>')
    .action(async (id: string, _flags: unknown, command: Command) => (await run()).actions(session, id, command));
}
