import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, type JsonObject, type WorkflowActionJson, type WorkflowJson } from '../api.js';
import { stateGroup } from '../components/graph.js';
import { Empty, ErrorNotice, JsonBlock, Loading, Time } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';

/** The pieces of the workflow pages that hold no state of their own: badges, actions, outputs. */

export function WorkflowBadge({ status }: { status: WorkflowJson['status'] }) {
  return <span class={`badge wf-badge job-${stateGroup(status)}`}>{status}</span>;
}

export function JobBadge({ status }: { status: string }) {
  return <span class={`badge wf-badge job-${stateGroup(status)}`}>{status}</span>;
}

export function FormatLabel({ format }: { format: WorkflowJson['format'] }) {
  return <span title={format === 'dag' ? 'a BudPipeline pipeline DAG: its jobs are steps' : 'a Torc workflow spec'}>{format === 'dag' ? 'pipeline DAG' : 'Torc'}</span>;
}

/** "2.4 s" between two ISO times, or since `from` while it runs. */
export function Elapsed({ from, to }: { from: string | null; to: string | null }) {
  if (!from) return <span class="muted">—</span>;
  const start = Date.parse(from);
  const end = to ? Date.parse(to) : Date.now();
  if (Number.isNaN(start) || Number.isNaN(end)) return <span class="muted">—</span>;
  const ms = Math.max(0, end - start);
  const text = ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 7_200_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`;
  return <span title={to ? undefined : 'still running'}>{to ? text : `${text}…`}</span>;
}

const TRIGGER_TEXT: Record<string, string> = {
  on_workflow_start: 'when the workflow starts',
  on_workflow_complete: 'when the workflow completes',
  on_jobs_ready: 'when all its jobs are ready',
  on_jobs_complete: 'when all its jobs are complete',
  on_worker_start: 'when a worker starts',
  on_worker_complete: 'when a worker finishes',
};

/** The workflow actions: trigger, type, selected jobs, count/required, state and each execution. */
export function ActionsTable({ actions }: { actions: WorkflowActionJson[] }) {
  if (actions.length === 0) return <Empty>This workflow has no actions.</Empty>;
  return (
    <div class="table-wrap">
      <table class="wf-actions">
        <thead>
          <tr>
            <th scope="col">Trigger</th>
            <th scope="col">Action</th>
            <th scope="col">Jobs</th>
            <th scope="col">Count</th>
            <th scope="col">State</th>
            <th scope="col">Executions</th>
          </tr>
        </thead>
        <tbody>
          {actions.map((action) => {
            const names = action.selected_jobs;
            return (
              <tr key={action.index} data-action-index={action.index}>
                <td>
                  <code>{action.trigger_type}</code>
                  <div class="muted small">
                    {TRIGGER_TEXT[action.trigger_type] ?? ''}
                    {action.persistent ? ' · once per worker' : ''}
                  </div>
                </td>
                <td>
                  <code>{action.action_type}</code>
                </td>
                <td>
                  {names.length === 0 ? (
                    <span class="muted">—</span>
                  ) : (
                    <span class="clip" title={names.join(', ')}>
                      {names.length > 3 ? `${names.slice(0, 3).join(', ')} +${names.length - 3}` : names.join(', ')}
                    </span>
                  )}
                </td>
                <td class="num" title="selected jobs counted so far / needed">
                  {action.trigger_count}/{action.required_triggers}
                </td>
                <td>
                  <span class={`badge wf-badge action-${action.status}`}>{action.status}</span>
                </td>
                <td>
                  {action.executions.length === 0 ? (
                    <span class="muted">none yet</span>
                  ) : (
                    <ul class="wf-executions">
                      {action.executions.map((execution, index) => (
                        <li key={index}>
                          <span class={`badge wf-badge ${execution.success === null ? 'job-running' : execution.success ? 'job-completed' : 'job-failed'}`}>
                            {execution.success === null ? 'running' : execution.success ? 'ok' : 'failed'}
                          </span>{' '}
                          <code class="small">{execution.worker_id}</code> <Time iso={execution.ended_at ?? execution.started_at} />
                          {execution.error ? <div class="error-text small">{execution.error}</div> : null}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A DAG's resolved `outputs`: asked for once it has ended (the server resolves them then). */
export function Outputs({ workflow }: { workflow: WorkflowJson }) {
  const ended = workflow.status !== 'running';
  const [outputs, setOutputs] = useState<JsonObject | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    setOutputs(null);
    setError(null);
    if (!ended) return;
    let current = true;
    api.workflowOutputs(workflow.id).then(
      (value) => current && setOutputs(value),
      (failure: unknown) => current && setError(toApiError(failure)),
    );
    return () => {
      current = false;
    };
  }, [workflow.id, workflow.run, ended]);
  if (!ended) return <Empty>Resolved when the pipeline ends.</Empty>;
  if (error) return <ErrorNotice error={error} what="Outputs" />;
  if (!outputs) return <Loading what="Loading outputs" />;
  if (Object.keys(outputs).length === 0) return <Empty>This pipeline declares no outputs.</Empty>;
  return <JsonBlock value={outputs} label="workflow outputs" />;
}
