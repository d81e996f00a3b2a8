import { open as openFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HookflowError } from '../errors.js';
import type { JsonObject, JsonValue, NewEvent } from '../events/model.js';
import { newId } from '../events/ids.js';
import type { ActionRegistry } from '../actions/registry.js';
import type { ProcessInfo, Store } from '../store/store.js';
import type { AllocationRecord, JobRecord, JobStatus, WorkflowActionRecord, WorkflowRecord, WorkflowStatus } from '../store/workflows.js';
import { renderGraph } from './graph.js';
import type { EndingHooks } from './ending.js';
import { ChangePublisher } from './publisher.js';
import { compileWorkflow, submitParameters } from './spec/compile.js';
import { validateWorkflowText, type ValidationReport } from './spec/validate.js';
import { jobLogStem, safeName } from './paths.js';
import { isWorkflowEnded } from './job-states.js';

/**
 * Workflows as a service: validate, submit, inspect, cancel, restart. The CLI (locally or through
 * the API), the HTTP routes and the UI all call this; none holds workflow logic of its own.
 */

export type SpecFormat = 'auto' | 'torc' | 'dag';

export interface SubmitInput {
  text: string;
  /** Named in error positions. */
  file?: string;
  format?: SpecFormat;
  params?: Record<string, JsonValue>;
  createdBy?: string | null;
}

export interface WorkflowStatusView {
  id: string;
  name: string;
  status: WorkflowStatus;
  run: number;
  counts: Partial<Record<JobStatus, number>>;
}

export interface WorkerView {
  id: string;
  host: string;
  pid: number;
  workflow_id: string | null;
  running_jobs: string[];
  max_parallel_jobs: number | null;
  started_at: number;
  heartbeat_at: number;
}

export interface LogChunk {
  path: string;
  /** Where the next read starts (for --follow). */
  offset: number;
  text: string;
}

export interface WorkflowServiceOptions {
  store: Store;
  publish: (event: NewEvent) => Promise<unknown>;
  registry: () => Promise<ActionRegistry>;
  /** Workflows keep their logs and run their commands under `<workflowsDir>/<id>`. */
  workflowsDir: string;
  ending?: EndingHooks;
  cancelAllocations?: (query: { workflowId?: string; ids?: string[]; onlyQueued: boolean }) => Promise<AllocationRecord[]>;
  refreshAllocations?: (workflowId?: string) => Promise<unknown>;
}

const MAX_JOBS_PAGE = 100_000;

function notFound(id: string): HookflowError {
  return new HookflowError('HF_ERR_NOT_FOUND', `no workflow with id ${id}`, { hint: 'list them with `hookflow workflow list`' });
}

export class WorkflowService {
  private readonly publisher: ChangePublisher;

  constructor(private readonly options: WorkflowServiceOptions) {
    this.publisher = new ChangePublisher(options.store, options.publish, options.ending);
  }

  private get workflows() {
    return this.options.store.workflows;
  }

  async validate(text: string, options: { file?: string; format?: SpecFormat; showJobs?: boolean } = {}): Promise<ValidationReport> {
    return validateWorkflowText(text, { file: options.file, format: options.format ?? 'auto', showJobs: options.showJobs ?? false, actions: await this.options.registry() });
  }

  async submit(input: SubmitInput): Promise<{ id: string; run_id: number; workflow: WorkflowRecord }> {
    const compiled = compileWorkflow(input.text, { file: input.file, format: input.format ?? 'auto', actions: await this.options.registry() });
    if (!compiled.model || compiled.errors.length > 0) {
      const first = compiled.errors[0];
      const file = input.file ?? '<workflow>';
      throw new HookflowError('HF_ERR_INVALID_WORKFLOW', `${file} is not a valid workflow: ${compiled.errors.length} problem(s), the first: ${first?.message ?? 'unknown'}`, {
        where: first ? `${file}:${first.line}:${first.column}` : file,
        hint: 'run `hookflow workflow validate FILE` to see every problem',
        problems: compiled.errors,
      });
    }
    const model = compiled.model;
    const { values, errors } = submitParameters(model, input.params ?? {});
    if (errors.length > 0) {
      throw new HookflowError('HF_ERR_INVALID_PARAMS', errors.map((problem) => problem.message).join('; '), { where: 'params', problems: errors });
    }
    const now = Date.now();
    const id = newId(now);
    const { workflow, change } = await this.workflows.createWorkflow({
      id,
      model,
      params: values,
      output_dir: resolve(join(this.options.workflowsDir, id)),
      created_by: input.createdBy ?? null,
      now,
    });
    await this.options.publish({
      type: 'workflow.submitted',
      data: { workflow_id: id, run_id: workflow.run, name: workflow.name, status: workflow.status, format: model.format, jobs: model.jobs.length },
      source: 'workflow',
      correlation_id: id,
    });
    await this.publisher.publish(change);
    return { id, run_id: workflow.run, workflow };
  }

  async get(id: string): Promise<WorkflowRecord> {
    const workflow = await this.workflows.getWorkflow(id);
    if (!workflow) throw notFound(id);
    return workflow;
  }

  list(query: { status?: WorkflowStatus; before?: string; limit?: number } = {}): Promise<WorkflowRecord[]> {
    return this.workflows.listWorkflows({ status: query.status, before: query.before, limit: Math.min(Math.max(1, query.limit ?? 50), 1000) });
  }

  async status(id: string): Promise<WorkflowStatusView> {
    const workflow = await this.get(id);
    return { id, name: workflow.name, status: workflow.status, run: workflow.run, counts: await this.workflows.countJobs(id) };
  }

  async jobs(id: string, query: { status?: JobStatus; offset?: number; limit?: number } = {}): Promise<JobRecord[]> {
    await this.get(id);
    return this.workflows.listJobs(id, { status: query.status, offset: Math.max(0, query.offset ?? 0), limit: Math.min(Math.max(1, query.limit ?? MAX_JOBS_PAGE), MAX_JOBS_PAGE) });
  }

  /** A job by its index (`#3` or `3`) or its name (the first of that name). */
  async job(id: string, ref: string): Promise<JobRecord> {
    await this.get(id);
    const byIndex = /^#?(\d+)$/.exec(ref);
    if (byIndex) {
      const job = await this.workflows.getJob(id, Number(byIndex[1]));
      if (job) return job;
    }
    const [job] = await this.workflows.listJobs(id, { name: ref, offset: 0, limit: 1 });
    if (!job) throw new HookflowError('HF_ERR_NOT_FOUND', `workflow ${id} has no job "${ref}"`, { hint: 'list them with `hookflow workflow jobs ID`' });
    return job;
  }

  /** Where a job's logs are (the worker writes them there). */
  async logPaths(id: string, ref: string): Promise<{ job: JobRecord; stdout: string; stderr: string; log: string }> {
    const workflow = await this.get(id);
    const job = await this.job(id, ref);
    // The worker that ran it says where (its --output-dir); before it ran, the workflow's own place.
    const base = job.log_dir ? join(job.log_dir, `${job.index}-${safeName(job.name)}`) : jobLogStem(workflow.output_dir, job.run, job.index, job.name);
    return { job, stdout: `${base}.o`, stderr: `${base}.e`, log: `${base}.log` };
  }

  /**
   * A job's log from `offset`: stdout for a command (stderr with stream), the action log for an
   * action job. Missing files read as empty (the job has not started yet).
   */
  async logs(id: string, ref: string, options: { stream?: 'stdout' | 'stderr'; offset?: number; maxBytes?: number } = {}): Promise<LogChunk> {
    const paths = await this.logPaths(id, ref);
    const path = paths.job.spec.command === null ? paths.log : options.stream === 'stderr' ? paths.stderr : paths.stdout;
    const offset = Math.max(0, options.offset ?? 0);
    const maxBytes = Math.min(options.maxBytes ?? 1024 * 1024, 16 * 1024 * 1024);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return { path, offset, text: '' };
    }
    if (size <= offset) return { path, offset: size < offset ? 0 : offset, text: '' };
    const length = Math.min(size - offset, maxBytes);
    const handle = await openFile(path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return { path, offset: offset + bytesRead, text: buffer.subarray(0, bytesRead).toString('utf8') };
    } finally {
      await handle.close();
    }
  }

  async outputs(id: string): Promise<JsonObject> {
    const workflow = await this.get(id);
    if (workflow.format !== 'dag') throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `workflow ${id} is a Torc workflow: only pipeline DAGs have outputs`);
    if (!isWorkflowEnded(workflow.status)) throw new HookflowError('HF_ERR_CONFLICT', `workflow ${id} is still ${workflow.status}: its outputs are resolved when it ends`, { hint: 'wait with `hookflow workflow status ID` or submit --wait' });
    return workflow.outputs ?? {};
  }

  async cancel(id: string): Promise<WorkflowRecord> {
    const workflow = await this.get(id);
    if (isWorkflowEnded(workflow.status)) throw new HookflowError('HF_ERR_CONFLICT', `workflow ${id} already ended (${workflow.status})`);
    const change = await this.workflows.cancelWorkflow(id, Date.now());
    if (change) await this.publisher.publish(change);
    return this.get(id);
  }

  async restart(id: string, options: { failedOnly: boolean }): Promise<{ id: string; run_id: number }> {
    const workflow = await this.get(id);
    if (!isWorkflowEnded(workflow.status)) throw new HookflowError('HF_ERR_CONFLICT', `workflow ${id} is still ${workflow.status}`, { hint: 'cancel it first, or wait for it to end' });
    const change = await this.workflows.restartWorkflow(id, { failedOnly: options.failedOnly, now: Date.now() });
    if (!change) throw new HookflowError('HF_ERR_CONFLICT', `workflow ${id} could not be restarted (it changed meanwhile)`);
    await this.publisher.publish(change);
    return { id, run_id: change.run };
  }

  async actions(id: string): Promise<WorkflowActionRecord[]> {
    await this.get(id);
    return this.workflows.listActions(id);
  }

  async graph(id: string, format: 'mermaid' | 'dot'): Promise<string> {
    const model = await this.workflows.getWorkflowModel(id);
    if (!model) throw notFound(id);
    const jobs = await this.workflows.listJobs(id, { offset: 0, limit: MAX_JOBS_PAGE });
    return renderGraph(model, format, new Map(jobs.map((job) => [job.index, job.status])));
  }

  /** Workers whose heartbeat is recent. */
  async workers(maxAgeMs = 60_000): Promise<WorkerView[]> {
    const processes = await this.options.store.listLiveProcesses('worker', maxAgeMs);
    return processes.map((info: ProcessInfo) => ({
      id: info.id,
      host: info.host,
      pid: info.pid,
      workflow_id: typeof info.info.workflow_id === 'string' ? info.info.workflow_id : null,
      running_jobs: Array.isArray(info.info.running_jobs) ? info.info.running_jobs.filter((name): name is string => typeof name === 'string') : [],
      max_parallel_jobs: typeof info.info.max_parallel_jobs === 'number' ? info.info.max_parallel_jobs : null,
      started_at: info.started_at,
      heartbeat_at: info.heartbeat_at,
    }));
  }

  async allocations(query: { workflowId?: string; limit?: number } = {}): Promise<AllocationRecord[]> {
    await this.options.refreshAllocations?.(query.workflowId);
    return this.workflows.listAllocations({ workflow_id: query.workflowId, limit: Math.min(query.limit ?? 200, 1000) });
  }

  async cancelAllocations(query: { workflowId?: string; ids?: string[] }): Promise<AllocationRecord[]> {
    if (!this.options.cancelAllocations) throw new HookflowError('HF_ERR_INVALID_ARGUMENT', 'Slurm is not available here (no sbatch/scancel on PATH)');
    return this.options.cancelAllocations({ ...query, onlyQueued: false });
  }

  /** Resolves when the workflow has ended; `onUpdate` sees its status at every poll. */
  async waitForEnd(id: string, options: { signal?: AbortSignal; pollMs?: number; onUpdate?: (status: WorkflowStatusView) => void } = {}): Promise<WorkflowStatusView> {
    const pollMs = options.pollMs ?? 250;
    for (;;) {
      const status = await this.status(id);
      options.onUpdate?.(status);
      if (isWorkflowEnded(status.status)) return status;
      if (options.signal?.aborted) throw new HookflowError('HF_ERR_SHUTTING_DOWN', 'stopped waiting for the workflow');
      await new Promise((done) => setTimeout(done, pollMs));
    }
  }
}
