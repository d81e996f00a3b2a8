/**
 * `hookflow workflow validate`: the report of one workflow file, as JSON (exactly what `--json`
 * prints) and as text for people (`file:line:column: message` per problem, or a summary).
 */
import type { WorkflowFormat } from '../model.js';
import { compileWorkflow, type CompileOptions, type CompileResult } from './compile.js';
import type { SpecProblem } from './document.js';

export interface ValidationOptions extends CompileOptions {
  /** List the expanded job names (`--show-jobs`). */
  showJobs?: boolean;
}

export interface ActionSummary {
  trigger_type: string;
  action_type: string;
  /** How many jobs the action selects (0 for triggers that watch none). */
  selected_jobs: number;
}

export interface ValidSummary {
  name: string;
  format: WorkflowFormat;
  /** Jobs after expansion. */
  jobs: number;
  files: number;
  /** Topological levels of the job graph. */
  levels: number;
  actions: ActionSummary[];
  /** Only with showJobs. */
  job_names?: string[];
}

export interface InvalidReport {
  errors: SpecProblem[];
}

export type ValidationReport = ValidSummary | InvalidReport;

export function isInvalid(report: ValidationReport): report is InvalidReport {
  return 'errors' in report;
}

/** The report of a compiled workflow (compile once, keep its warnings, print this). */
export function summarize(compiled: CompileResult, options: { showJobs?: boolean } = {}): ValidationReport {
  const { model } = compiled;
  if (!model) return { errors: compiled.errors.map(({ message, line, column, path }) => ({ message, line, column, path })) };
  const summary: ValidSummary = {
    name: model.name,
    format: model.format,
    jobs: model.jobs.length,
    files: model.files.length,
    levels: model.levels.length,
    actions: model.actions.map((action) => ({ trigger_type: action.trigger_type, action_type: action.action_type, selected_jobs: action.selected_jobs.length })),
  };
  if (options.showJobs) summary.job_names = model.jobs.map((job) => job.name);
  return summary;
}

export function validateWorkflowText(text: string, options: ValidationOptions = {}): ValidationReport {
  return summarize(compileWorkflow(text, options), options);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The report for people; warnings (from compileWorkflow) are listed after the errors or the summary. */
export function renderValidation(report: ValidationReport, file: string, warnings: readonly SpecProblem[] = []): string {
  const lines: string[] = [];
  const warningLines = warnings.map((warning) => `${file}:${warning.line}:${warning.column}: warning: ${warning.message}`);
  if (isInvalid(report)) {
    for (const error of report.errors) lines.push(`${file}:${error.line}:${error.column}: ${error.message}`);
    lines.push(...warningLines);
    lines.push(`${file}: invalid (${plural(report.errors.length, 'problem')})`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`${file}: valid ${report.format === 'torc' ? 'Torc workflow' : 'BudPipeline DAG'} "${report.name}"`);
  lines.push(`  jobs:    ${report.jobs}`);
  lines.push(`  files:   ${report.files}`);
  lines.push(`  levels:  ${report.levels}`);
  lines.push(`  actions: ${report.actions.length}`);
  report.actions.forEach((action, index) => {
    lines.push(`    ${index + 1}. ${action.trigger_type} → ${action.action_type}${action.trigger_type === 'on_jobs_ready' || action.trigger_type === 'on_jobs_complete' ? ` (selects ${plural(action.selected_jobs, 'job')})` : ''}`);
  });
  if (report.job_names) {
    lines.push('  job names:');
    for (const name of report.job_names) lines.push(`    ${name}`);
  }
  lines.push(...warningLines);
  return `${lines.join('\n')}\n`;
}
