import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, roleAllows, type ApiError, type Role, type WorkflowActionJson, type WorkflowJobJson, type WorkflowJson } from '../api.js';
import { DagGraph, JOB_STATES, LevelSummary, StateLegend, type GraphJob } from '../components/graph.js';
import { dependenciesFromDot, dependencyLevels, levelCounts } from '../components/graph-layout.js';
import { notify } from '../components/notify.js';
import { Empty, ErrorNotice, Field, Loading, PageHeader, Time } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';
import { href, navigate, type Route } from '../router.js';
import { JobPanel } from './workflow-job.js';
import { useWorkflowRefresh } from './workflow-live.js';
import { ActionsTable, Elapsed, FormatLabel, JobBadge, Outputs, WorkflowBadge } from './workflow-parts.js';
import './workflows.css';

/** Up to this many jobs the graph shows every job; above, the jobs per level. */
export const DRAW_LIMIT = 300;
/** Up to this many jobs every job's state is fetched on each update (the level counts need them). */
const FETCH_ALL_LIMIT = 20_000;
const TABLE_PAGE = 100;
/** The server's largest page of jobs (its maxPageSize). */
const SERVER_PAGE = 1000;

interface Loaded {
  workflow: WorkflowJson;
  /** Every job, when the workflow is small enough to fetch them all. */
  jobs: WorkflowJobJson[] | null;
  actions: WorkflowActionJson[] | null;
  actionsError: ApiError | null;
}

/** Every job of a workflow, a server page at a time. */
async function allJobs(id: string, total: number): Promise<WorkflowJobJson[]> {
  const jobs: WorkflowJobJson[] = [];
  for (;;) {
    const { jobs: page } = await api.workflowJobs(id, { offset: jobs.length, limit: SERVER_PAGE });
    jobs.push(...page);
    // A server with a smaller page size answers shorter pages: go on until every job is here.
    if (page.length === 0 || jobs.length >= total) return jobs;
  }
}

/** Jobs' dependencies: from the jobs view when it has them, else once from the graph's dot text. */
async function dependenciesOf(id: string, jobs: WorkflowJobJson[]): Promise<Map<number, number[]>> {
  if (jobs.length === 0 || jobs.every((job) => Array.isArray(job.depends_on))) return new Map(jobs.map((job) => [job.index, job.depends_on ?? []]));
  return dependenciesFromDot(await api.workflowGraph(id, 'dot'));
}

/** The workflow, its jobs and actions, loaded again whenever the live stream says something changed. */
function useWorkflowData(id: string) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [deps, setDeps] = useState<Map<number, number[]> | null>(null);
  const [version, setVersion] = useState(0);
  const depsRef = useRef<{ id: string; deps: Promise<Map<number, number[]>> } | null>(null);
  const current = useRef(id);
  current.current = id;

  const refresh = async () => {
    const mine = id;
    try {
      const workflow = await api.workflow(mine);
      const [jobs, actions] = await Promise.all([
        workflow.job_count <= FETCH_ALL_LIMIT ? allJobs(mine, workflow.job_count) : Promise.resolve(null),
        api.workflowActions(mine).then(
          (answer) => ({ actions: answer.actions, actionsError: null }),
          (failure: unknown) => ({ actions: null, actionsError: toApiError(failure) }),
        ),
      ]);
      if (current.current !== mine) return;
      if (jobs && (!depsRef.current || depsRef.current.id !== mine)) {
        const pending = dependenciesOf(mine, jobs);
        depsRef.current = { id: mine, deps: pending };
        pending.then(
          (value) => current.current === mine && setDeps(value),
          () => {
            depsRef.current = null;
          },
        );
      }
      setLoaded({ workflow, jobs, ...actions });
      setError(null);
      setVersion((value) => value + 1);
    } catch (failure) {
      if (current.current === mine) setError(toApiError(failure));
    }
  };

  useEffect(() => {
    setLoaded(null);
    setError(null);
    setDeps(null);
    depsRef.current = null;
    void refresh();
  }, [id]);
  // A big workflow is many pages of jobs to read again: not more than every 2 s.
  const gapMs = (loaded?.workflow.job_count ?? 0) > DRAW_LIMIT ? 2000 : 150;
  useWorkflowRefresh(id, refresh, { active: loaded?.workflow.status === 'running' || loaded === null, gapMs });
  return { loaded, error, deps, version, refresh };
}

/** The jobs as a table: all of them filtered here, or a page at a time from the server when too many. */
function JobsTable({ workflowId, jobs, total, version, selected, onSelect }: { workflowId: string; jobs: WorkflowJobJson[] | null; total: number; version: number; selected: number | null; onSelect: (index: number) => void }) {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<WorkflowJobJson[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => setOffset(0), [status, workflowId]);
  useEffect(() => {
    if (jobs) return;
    let current = true;
    api.workflowJobs(workflowId, { status: status || undefined, offset, limit: TABLE_PAGE }).then(
      (answer) => {
        if (!current) return;
        setPage(answer.jobs);
        setError(null);
      },
      (failure: unknown) => current && setError(toApiError(failure)),
    );
    return () => {
      current = false;
    };
  }, [workflowId, jobs === null, status, offset, version]);

  const filtered = jobs ? (status ? jobs.filter((job) => job.status === status) : jobs) : null;
  const rows = filtered ? filtered.slice(offset, offset + TABLE_PAGE) : page;
  const more = filtered ? offset + TABLE_PAGE < filtered.length : (page?.length ?? 0) === TABLE_PAGE;
  const count = filtered ? filtered.length : total;

  return (
    <>
      <div class="filters">
        <Field label="Status">
          <select name="job-status" value={status} onChange={(event) => setStatus(event.currentTarget.value)}>
            <option value="">any</option>
            {JOB_STATES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {error ? (
        <ErrorNotice error={error} what="Jobs" />
      ) : !rows ? (
        <Loading what="Loading jobs" />
      ) : rows.length === 0 ? (
        <Empty>{status ? `No ${status} jobs.` : 'No jobs.'}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="wf-jobs">
            <thead>
              <tr>
                <th scope="col" class="num wide-only">#</th>
                <th scope="col">Job</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Exit</th>
                <th scope="col" class="num wide-only">Attempts</th>
                <th scope="col" class="wide-only">Worker</th>
                <th scope="col" class="wide-only">Started</th>
                <th scope="col">Took</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((job) => (
                <tr key={job.index} data-job-row={job.name} class={selected === job.index ? 'selected' : undefined}>
                  <td class="num wide-only">{job.index}</td>
                  <td>
                    <a
                      href={href(['workflows', workflowId], { job: String(job.index) })}
                      onClick={(event) => {
                        event.preventDefault();
                        onSelect(job.index);
                      }}
                    >
                      {job.name}
                    </a>
                  </td>
                  <td>
                    <JobBadge status={job.status} />
                  </td>
                  <td class="num">{job.exit_code ?? <span class="muted">—</span>}</td>
                  <td class="num wide-only">{job.attempts}</td>
                  <td class="wide-only">{job.worker_id ? <code class="clip small">{job.worker_id}</code> : <span class="muted">—</span>}</td>
                  <td class="wide-only">
                    <Time iso={job.started_at} />
                  </td>
                  <td>
                    <Elapsed from={job.started_at} to={job.ended_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {offset > 0 || more ? (
        <p class="row-actions pager">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - TABLE_PAGE))}>
            Previous
          </button>
          <span class="muted small">
            {rows && rows.length > 0 ? `${(offset + 1).toLocaleString()}–${(offset + rows.length).toLocaleString()}` : ''}
            {filtered ? ` of ${count.toLocaleString()}` : ''}
          </span>
          <button type="button" disabled={!more} onClick={() => setOffset(offset + TABLE_PAGE)}>
            Next
          </button>
        </p>
      ) : null}
    </>
  );
}

/** Cancel a running workflow; restart an ended one (its failed jobs, or all): operators. */
function Controls({ workflow, onDone }: { workflow: WorkflowJson; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const act = async (what: string, done: string, call: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await call();
      notify(done);
      onDone();
    } catch (failure) {
      notify(`${what} failed: ${toApiError(failure).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  if (workflow.status === 'running') {
    return (
      <button
        type="button"
        class="button-danger"
        disabled={busy}
        onClick={() => {
          if (confirm(`Cancel workflow ${workflow.name}? Running jobs are stopped, the others canceled.`)) void act('Cancel', `Canceled ${workflow.name}`, () => api.cancelWorkflow(workflow.id));
        }}
      >
        Cancel
      </button>
    );
  }
  const failedish = ['failed', 'canceled', 'terminated', 'timeout', 'skipped'].reduce((sum, state) => sum + ((workflow.counts as Record<string, number> | undefined)?.[state] ?? 0), 0);
  return (
    <>
      <button
        type="button"
        class="button-primary"
        disabled={busy || failedish === 0}
        title={failedish === 0 ? 'no failed, canceled or skipped jobs to run again' : 'run the failed, canceled and skipped jobs again as a new run'}
        onClick={() => void act('Restart', `Restarted the failed jobs of ${workflow.name}`, () => api.restartWorkflow(workflow.id, true))}
      >
        Restart failed
      </button>
      <button
        type="button"
        disabled={busy}
        title="run every job again as a new run"
        onClick={() => {
          if (confirm(`Run every job of ${workflow.name} again?`)) void act('Restart', `Restarted every job of ${workflow.name}`, () => api.restartWorkflow(workflow.id, false));
        }}
      >
        Restart all
      </button>
    </>
  );
}

function Facts({ workflow }: { workflow: WorkflowJson }) {
  return (
    <dl class="facts">
      <dt>Status</dt>
      <dd>
        <WorkflowBadge status={workflow.status} /> {workflow.run > 1 ? <span class="muted">run {workflow.run}</span> : null}
      </dd>
      <dt>ID</dt>
      <dd>
        <code>{workflow.id}</code>
      </dd>
      <dt>Format</dt>
      <dd>
        <FormatLabel format={workflow.format} /> · {workflow.job_count.toLocaleString()} {workflow.format === 'dag' ? 'steps' : 'jobs'}
      </dd>
      {workflow.description ? (
        <>
          <dt>Description</dt>
          <dd>{workflow.description}</dd>
        </>
      ) : null}
      <dt>Created</dt>
      <dd>
        <Time iso={workflow.created_at} />
        {workflow.created_by ? <span class="muted"> by {workflow.created_by}</span> : null}
      </dd>
      <dt>Took</dt>
      <dd>
        <Elapsed from={workflow.started_at ?? workflow.created_at} to={workflow.ended_at} />
      </dd>
    </dl>
  );
}

/** A workflow: its DAG coloured by state and kept live, job details and logs, actions, outputs. */
export function WorkflowPage({ id, route, role }: { id: string; route: Route; role: Role }) {
  const { loaded, error, deps, version, refresh } = useWorkflowData(id);
  const jobParam = route.query.get('job');
  const selected = jobParam !== null && /^\d+$/.test(jobParam) ? Number(jobParam) : null;
  const chosen = useRef(false);

  const select = (index: number) => {
    chosen.current = true;
    navigate(['workflows', id], { job: String(index) });
  };
  useEffect(() => {
    if (!chosen.current || selected === null) return;
    chosen.current = false;
    // The details open below the graph on a phone: take the reader there.
    requestAnimationFrame(() => document.getElementById('wf-job-title')?.focus());
  }, [selected]);

  const workflow = loaded?.workflow;
  const jobs = loaded?.jobs ?? null;
  const graphJobs = useMemo<GraphJob[] | null>(() => {
    if (!jobs || !deps) return null;
    return jobs.map((job) => ({ index: job.index, name: job.name, status: job.status, depends_on: deps.get(job.index) ?? [] }));
  }, [jobs, deps]);
  const levels = useMemo(() => {
    if (!graphJobs || graphJobs.length <= DRAW_LIMIT) return null;
    const statusOf = new Map(graphJobs.map((job) => [job.index, job.status]));
    return levelCounts(dependencyLevels(graphJobs), (index) => statusOf.get(index));
  }, [graphJobs]);
  const counts = (workflow?.counts ?? {}) as Record<string, number>;

  return (
    <section class="wf-page">
      <PageHeader title={workflow ? workflow.name : 'Workflow'}>{workflow && roleAllows(role, 'operator') ? <Controls workflow={workflow} onDone={() => void refresh()} /> : null}</PageHeader>
      <p>
        <a href={href(['workflows'])}>← All workflows</a>
      </p>
      {error && !workflow ? (
        <ErrorNotice error={error} what={`Workflow ${id}`} />
      ) : !workflow ? (
        <Loading what="Loading the workflow" />
      ) : (
        <>
          <Facts workflow={workflow} />
          {workflow.error ? (
            <div class="notice notice-error" role="note">
              {workflow.error}
            </div>
          ) : null}
          {error ? <ErrorNotice error={error} what="The last update" /> : null}
          <h2>Graph</h2>
          <StateLegend counts={counts} />
          <div class={`wf-main${selected !== null ? ' wf-main-split' : ''}`}>
            <div class="wf-graph">
              {workflow.job_count === 0 ? (
                <Empty>This workflow has no jobs.</Empty>
              ) : levels ? (
                <>
                  <p class="muted small">
                    {workflow.job_count.toLocaleString()} jobs are too many to draw one by one: these are the jobs per dependency level, by state. Pick jobs from the table below.
                  </p>
                  <LevelSummary levels={levels} />
                </>
              ) : graphJobs ? (
                <DagGraph jobs={graphJobs} selected={selected} onSelect={select} label={`the jobs of ${workflow.name} and their dependencies`} />
              ) : jobs === null ? (
                <p class="muted">{workflow.job_count.toLocaleString()} jobs are too many to draw or count by level here; the counts by state are above and the jobs below.</p>
              ) : (
                <Loading what="Loading the graph" />
              )}
            </div>
            {selected !== null ? <JobPanel workflowId={id} job={selected} version={version} onClose={() => navigate(['workflows', id])} /> : null}
          </div>
          <h2>Jobs</h2>
          <JobsTable workflowId={id} jobs={jobs} total={workflow.job_count} version={version} selected={selected} onSelect={select} />
          <h2>Actions</h2>
          {loaded.actionsError ? <ErrorNotice error={loaded.actionsError} what="Actions" /> : loaded.actions ? <ActionsTable actions={loaded.actions} /> : <Loading />}
          {workflow.format === 'dag' ? (
            <>
              <h2>Outputs</h2>
              <Outputs workflow={workflow} />
            </>
          ) : null}
        </>
      )}
    </section>
  );
}
