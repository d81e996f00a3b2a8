import { useEffect, useRef, useState } from 'preact/hooks';
import { api, roleAllows, type ApiError, type Role, type WorkflowJson } from '../api.js';
import { StateBar } from '../components/graph.js';
import { notify } from '../components/notify.js';
import { Empty, ErrorNotice, Field, Loading, PageHeader, Time } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';
import { href, navigate, type Route } from '../router.js';
import { useWorkflowRefresh } from './workflow-live.js';
import { FormatLabel, WorkflowBadge } from './workflow-parts.js';
import './workflows.css';

const STATUSES = ['running', 'completed', 'failed', 'canceled'] as const;
const PAGE = 50;
/** Live refreshes reload at most this many rows (the pages loaded so far). */
const MAX_ROWS = 500;

const EXAMPLE = `name: diamond
jobs:
  - name: prepare
    command: echo preparing
  - name: left
    command: echo left
    depends_on: [prepare]
  - name: right
    command: echo right
    depends_on: [prepare]
  - name: join
    command: echo joined
    depends_on: [left, right]
`;

/** Paste a Torc spec or a pipeline DAG (YAML or JSON) and submit it (operators). */
function Submit() {
  const [spec, setSpec] = useState(EXAMPLE);
  const [format, setFormat] = useState('auto');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.submitWorkflow(spec, format === 'auto' ? {} : { format });
      notify(`Submitted workflow ${answer.id}`);
      navigate(['workflows', answer.id]);
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="panel publish">
      <summary>Submit a workflow</summary>
      <form onSubmit={submit}>
        <Field label="Spec (Torc workflow or pipeline DAG, YAML or JSON)" hint="Ctrl+Enter submits">
          <textarea
            name="workflow-spec"
            class="json-input"
            rows={12}
            spellcheck={false}
            value={spec}
            onInput={(event) => setSpec(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) event.currentTarget.form?.requestSubmit();
            }}
          />
        </Field>
        <div class="inline-form">
          <Field label="Format">
            <select name="workflow-format" value={format} onChange={(event) => setFormat(event.currentTarget.value)}>
              <option value="auto">detect from the content</option>
              <option value="torc">Torc workflow</option>
              <option value="dag">pipeline DAG</option>
            </select>
          </Field>
          <button type="submit" class="button-primary" disabled={busy || spec.trim() === ''}>
            Submit
          </button>
        </div>
        {error ? <SubmitError error={error} /> : null}
      </form>
    </details>
  );
}

/** A refused spec: the server's message and every problem it listed, each with its place. */
function SubmitError({ error }: { error: ApiError }) {
  const problems = Array.isArray(error.details.problems) ? (error.details.problems as unknown[]) : [];
  return (
    <div class="notice notice-error" role="alert">
      <strong>Not submitted: </strong>
      {error.message}
      {problems.length > 0 ? (
        <ul class="problems">
          {problems.slice(0, 50).map((problem, index) => {
            const { message, line, column } = (problem ?? {}) as { message?: unknown; line?: unknown; column?: unknown };
            return (
              <li key={index}>
                {typeof line === 'number' ? <code>{`${line}:${typeof column === 'number' ? column : 1}`}</code> : null} {typeof message === 'string' ? message : JSON.stringify(problem)}
              </li>
            );
          })}
        </ul>
      ) : null}
      {error.hint ? <div class="hint">{error.hint}</div> : null}
    </div>
  );
}

type Counts = NonNullable<WorkflowJson['counts']>;
interface KnownCounts {
  counts: Counts;
  /** The workflow's status when they were read: an ended workflow's counts do not change. */
  status: WorkflowJson['status'];
  run: number;
}

/**
 * The list's rows carry no job counts: they are read per workflow (GET /workflows/{id}), a few at a
 * time, once for an ended workflow and again at each refresh while it runs.
 */
async function countsFor(rows: WorkflowJson[], known: ReadonlyMap<string, KnownCounts>): Promise<Map<string, KnownCounts>> {
  const wanted = rows.filter((row) => {
    if (row.counts) return false;
    const seen = known.get(row.id);
    return !seen || seen.status !== row.status || seen.run !== row.run || row.status === 'running';
  });
  const found = new Map<string, KnownCounts>();
  let next = 0;
  const fetchOne = async () => {
    while (next < wanted.length) {
      const row = wanted[next++];
      try {
        const detail = await api.workflow(row.id);
        found.set(row.id, { counts: detail.counts ?? {}, status: detail.status, run: detail.run });
      } catch {
        // Deleted meanwhile, say: the row shows its job count alone.
      }
    }
  };
  await Promise.all([fetchOne(), fetchOne(), fetchOne(), fetchOne()]);
  return found;
}

function Progress({ workflow, known }: { workflow: WorkflowJson; known: KnownCounts | undefined }) {
  const given = workflow.counts ?? known?.counts;
  const counts = (given ?? {}) as Record<string, number>;
  const total = workflow.job_count || Object.values(counts).reduce((sum, value) => sum + value, 0);
  const done = counts.completed ?? 0;
  if (!given) return <span class="muted">{total.toLocaleString()} jobs</span>;
  return (
    <div class="wf-progress">
      <StateBar byStatus={counts} total={total} label={`${workflow.name} jobs`} />
      <span class="small muted">
        {done.toLocaleString()}/{total.toLocaleString()} completed
        {counts.failed ? <span class="error-text">, {counts.failed} failed</span> : null}
        {counts.running ? `, ${counts.running} running` : null}
      </span>
    </div>
  );
}

/** Every workflow, newest first, filtered by status (kept in the address), kept current live. */
export function WorkflowsPage({ route, role }: { route: Route; role: Role }) {
  const status = route.query.get('status') ?? '';
  const [rows, setRows] = useState<WorkflowJson[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const shown = useRef(PAGE);
  const [counts, setCounts] = useState<ReadonlyMap<string, KnownCounts>>(new Map());
  const countsRef = useRef(counts);
  countsRef.current = counts;

  const addCounts = async (list: WorkflowJson[]) => {
    const found = await countsFor(list, countsRef.current);
    if (found.size > 0) setCounts((previous) => new Map([...previous, ...found]));
  };
  const load = async (limit: number) => {
    try {
      const page = await api.workflows({ status: status || undefined, limit });
      setRows(page.workflows);
      setCursor(page.next_cursor ?? null);
      setError(null);
      await addCounts(page.workflows);
    } catch (failure) {
      setError(toApiError(failure));
    }
  };
  useEffect(() => {
    setRows(null);
    shown.current = PAGE;
    void load(PAGE);
  }, [status]);
  useWorkflowRefresh(null, () => load(Math.min(Math.max(shown.current, PAGE), MAX_ROWS)), { active: true, gapMs: 400 });

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await api.workflows({ status: status || undefined, limit: PAGE, before: cursor });
      setRows((previous) => {
        const seen = new Set((previous ?? []).map((row) => row.id));
        const next = [...(previous ?? []), ...page.workflows.filter((row) => !seen.has(row.id))];
        shown.current = next.length;
        return next;
      });
      setCursor(page.next_cursor ?? null);
      void addCounts(page.workflows);
    } catch (failure) {
      notify(`Could not load more: ${toApiError(failure).message}`, 'error');
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <section>
      <PageHeader title="Workflows" />
      <form
        class="filters workflows-filters"
        role="search"
        aria-label="Filter workflows"
        onSubmit={(event) => event.preventDefault()}
      >
        <Field label="Status">
          <select name="status" value={status} onChange={(event) => navigate(['workflows'], { status: event.currentTarget.value })}>
            <option value="">any</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </Field>
        <div class="filters-actions">{status ? <a href={href(['workflows'])}>Clear</a> : null}</div>
      </form>
      {roleAllows(role, 'operator') ? <Submit /> : null}
      {error ? (
        <ErrorNotice error={error} what="Workflows" />
      ) : !rows ? (
        <Loading what="Loading workflows" />
      ) : rows.length === 0 ? (
        <Empty>
          {status ? `No ${status} workflows.` : 'No workflows yet.'} Submit one with <code>hookflow workflow submit FILE</code>
          {roleAllows(role, 'operator') ? ' or the form above' : ''}.
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="workflows-table">
            <thead>
              <tr>
                <th scope="col">Workflow</th>
                <th scope="col" class="wide-only">Format</th>
                <th scope="col">Status</th>
                <th scope="col">Jobs</th>
                <th scope="col" class="wide-only">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((workflow) => (
                <tr key={workflow.id} data-workflow={workflow.id}>
                  <td>
                    <a href={href(['workflows', workflow.id])}>{workflow.name}</a>
                    <div class="muted small clip">
                      <code>{workflow.id}</code>
                      {workflow.run > 1 ? ` · run ${workflow.run}` : ''}
                    </div>
                  </td>
                  <td class="wide-only">
                    <FormatLabel format={workflow.format} />
                  </td>
                  <td>
                    <WorkflowBadge status={workflow.status} />
                  </td>
                  <td>
                    <Progress workflow={workflow} known={counts.get(workflow.id)} />
                  </td>
                  <td class="wide-only">
                    <Time iso={workflow.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && rows ? (
        <p>
          <button type="button" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Older workflows'}
          </button>
        </p>
      ) : null}
    </section>
  );
}
