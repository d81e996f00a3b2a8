import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { roleAllows, type ApiError, type Role } from '../api.js';
import { notify } from '../components/notify.js';
import { StackedBars, StatusLegend } from '../components/stacked-bars.js';
import { Empty, ErrorNotice, Field, Loading, PageHeader, Time } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';
import {
  EXECUTION_STATUSES,
  isCancelable,
  offsetOfPage,
  pageInfo,
  parametersFromRows,
  programRows,
  rowsFromParameters,
  statusRows,
  type ExecutionStatsJson,
  type ParamProblem,
  type ParamRow,
} from '../lib/programs.js';
import { programsApi, type ExecutionPage, type ProgramJson, type ProgramsConfigJson } from '../programs-api.js';
import { href, navigate, type Route } from '../router.js';
import { ExecutionBadge, RunTime, useExecutionRefresh } from './program-parts.js';
import './programs.css';

const PAGE = 25;

interface Filters {
  status: string;
  program: string;
  page: string | null;
  /** The program whose run form is open, and the parameters it starts with (JSON). */
  run: string;
  params: string | null;
}

function filtersOf(route: Route): Filters {
  const query = route.query;
  return { status: query.get('status') ?? '', program: query.get('program') ?? '', page: query.get('page'), run: query.get('run') ?? '', params: query.get('params') };
}

/** The address of the list with some of its filters changed (a new filter starts at page 1). */
function listHref(filters: Filters, change: Partial<Filters>): string {
  const next = { ...filters, ...change };
  return href(['programs'], { status: next.status, program: next.program, page: next.page ?? undefined, run: next.run, params: next.params ?? undefined });
}

function go(filters: Filters, change: Partial<Filters>): void {
  location.hash = listHref(filters, change);
}

function RunnerLabel({ program }: { program: ProgramJson }) {
  const runner = program.path_docker_compose_run ? 'compose' : program.runner;
  if (!runner) return <span title="docker when a Docker engine answers, else a local process">auto</span>;
  return <code class="runner">{runner}</code>;
}

/** What the program runs in: its image, its compose file, or a local process. */
function ImageLabel({ program }: { program: ProgramJson }) {
  if (program.path_docker_compose_run) return <code class="small">{program.path_docker_compose_run}</code>;
  if (program.runner === 'process') {
    return (
      <span class="muted small nowrap" title={program.docker_image ? `${program.docker_image} when run with the docker runner` : undefined}>
        local process
      </span>
    );
  }
  return program.docker_image ? <code class="small">{program.docker_image}</code> : <span class="muted">—</span>;
}

function ScheduleLabel({ program }: { program: ProgramJson }) {
  if (!program.schedule) return <span class="muted">—</span>;
  return (
    <span>
      <code class="small">{program.schedule.cron}</code>
      {program.schedule.timezone ? <span class="muted small"> {program.schedule.timezone}</span> : null}
    </span>
  );
}

function Limits({ program }: { program: ProgramJson }) {
  const parts = [
    program.timeout_seconds !== undefined ? `timeout ${program.timeout_seconds} s` : null,
    program.memory_limit ? `memory ${program.memory_limit}` : null,
    program.cpu_limit !== null && program.cpu_limit !== undefined ? `${program.cpu_limit} CPU` : null,
    program.max_concurrent ? `at most ${program.max_concurrent} at once` : null,
  ].filter((part): part is string => part !== null);
  return parts.length === 0 ? <span class="muted">—</span> : <span class="small">{parts.join(' · ')}</span>;
}

/** The programs of config.yaml with their runner, image, schedule and limits; Run opens the form. */
function ProgramsTable({ programs, role, filters }: { programs: ProgramJson[]; role: Role; filters: Filters }) {
  const operator = roleAllows(role, 'operator');
  return (
    <div class="table-wrap">
      <table class="programs-table">
        <thead>
          <tr>
            <th scope="col">Program</th>
            <th scope="col">Runner</th>
            <th scope="col" class="wide-only">Image</th>
            <th scope="col" class="wide-only">Schedule</th>
            <th scope="col" class="wide-only">Limits</th>
            {operator ? (
              <th scope="col">
                <span class="visually-hidden">Run</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {programs.map((program) => (
            <tr key={program.id} data-program={program.id} class={filters.run === program.id ? 'selected' : undefined}>
              <td>
                <a href={listHref(filters, { program: program.id, page: null })} title="this program's executions">
                  {program.name}
                </a>{' '}
                <span class="badge">{program.type}</span>
                <div class="muted small clip">
                  <code>{program.id}</code>
                  {program.parameters ? <> · args <code>{program.parameters}</code></> : null}
                </div>
                {program.description ? <div class="small program-description">{program.description}</div> : null}
              </td>
              <td>
                <RunnerLabel program={program} />
              </td>
              <td class="wide-only">
                <ImageLabel program={program} />
              </td>
              <td class="wide-only">
                <ScheduleLabel program={program} />
              </td>
              <td class="wide-only">
                <Limits program={program} />
              </td>
              {operator ? (
                <td class="actions">
                  <a class="button-link" href={listHref(filters, { run: program.id, params: null })} aria-label={`Run ${program.name}`} aria-current={filters.run === program.id ? 'true' : undefined}>
                    Run…
                  </a>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** config.yaml's last edit was refused: say where and why (the programs listed are the last good ones). */
function ConfigProblems({ config }: { config: ProgramsConfigJson }) {
  if (config.problems.length === 0) return null;
  return (
    <div class="notice notice-error" role="alert" data-config-problems>
      <strong>The last edit of {config.file} was not applied</strong> (the last good configuration stays in force):
      <ul class="problems">
        {config.problems.slice(0, 20).map((problem, index) => (
          <li key={index}>
            <code>{problem.where}</code> {problem.message}
            {problem.hint ? <div class="hint">{problem.hint}</div> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

function initialRows(program: ProgramJson, params: string | null): ParamRow[] {
  if (params) {
    try {
      const value = JSON.parse(params) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) return rowsFromParameters(value as Record<string, unknown>);
    } catch {
      // A hand-edited address: start from the program's own.
    }
  }
  return rowsFromParameters(program.schedule?.parameters ?? null);
}

/** A run of one program: its parameters as name/value rows (each becomes PARAM_<NAME>), then the execution's page. */
function RunForm({ program, params, onClose }: { program: ProgramJson; params: string | null; onClose: () => void }) {
  const [rows, setRows] = useState<ParamRow[]>(() => initialRows(program, params));
  const [problems, setProblems] = useState<ParamProblem[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  // Another program or other parameters remount the form (its key): state set here after the first
  // render would overwrite what was typed meanwhile.
  useEffect(() => {
    // After the shell's own focus on a new page's heading (a link from an execution's page).
    const frame = requestAnimationFrame(() => heading.current?.focus());
    return () => cancelAnimationFrame(frame);
  }, []);

  const update = (index: number, change: Partial<ParamRow>) => setRows((previous) => previous.map((row, at) => (at === index ? { ...row, ...change } : row)));
  const remove = (index: number) => setRows((previous) => (previous.length === 1 ? [{ key: '', value: '' }] : previous.filter((_, at) => at !== index)));
  const problemAt = (index: number) => problems.find((problem) => problem.row === index);

  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = parametersFromRows(rows);
    setProblems(checked.problems);
    setError(null);
    if (checked.problems.length > 0) return;
    setBusy(true);
    try {
      const execution = await programsApi.execute(program.id, checked.parameters);
      notify(`Started ${program.name}: ${execution.status}${execution.queue_position ? ` (position ${execution.queue_position} in the queue)` : ''}`);
      navigate(['programs', 'executions', execution.execution_id]);
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel run-form" aria-labelledby="run-title" data-run-form={program.id}>
      <div class="panel-head">
        <h2 id="run-title" ref={heading} tabIndex={-1}>
          Run {program.name}
        </h2>
        <button type="button" class="button-quiet" onClick={onClose} aria-label="Close the run form">
          Close
        </button>
      </div>
      <p class="muted small">
        Each parameter reaches the program as the environment variable <code>PARAM_&lt;NAME&gt;</code>
        {program.parameters ? (
          <>
            ; config.yaml adds the arguments <code>{program.parameters}</code>
          </>
        ) : null}
        .
      </p>
      <form onSubmit={submit}>
        <fieldset class="param-rows">
          <legend class="field-label">Parameters</legend>
          {rows.map((row, index) => {
            const problem = problemAt(index);
            return (
              <div class="param-row" key={index} data-param-row={index}>
                <label class="field">
                  <span class="field-label">Name</span>
                  <input
                    name={`param-name-${index}`}
                    value={row.key}
                    placeholder="name"
                    autocomplete="off"
                    spellcheck={false}
                    aria-invalid={problem ? 'true' : undefined}
                    aria-describedby={problem ? `param-problem-${index}` : undefined}
                    onInput={(event) => update(index, { key: event.currentTarget.value })}
                  />
                </label>
                <label class="field">
                  <span class="field-label">Value</span>
                  <input name={`param-value-${index}`} value={row.value} placeholder="value" autocomplete="off" onInput={(event) => update(index, { value: event.currentTarget.value })} />
                </label>
                <button type="button" class="button-quiet param-remove" onClick={() => remove(index)} aria-label={`Remove parameter ${index + 1}`}>
                  Remove
                </button>
                {problem ? (
                  <p class="error-text small param-problem" id={`param-problem-${index}`} role="alert">
                    {problem.message}
                  </p>
                ) : null}
              </div>
            );
          })}
        </fieldset>
        <div class="row-actions">
          <button type="button" onClick={() => setRows((previous) => [...previous, { key: '', value: '' }])}>
            Add parameter
          </button>
          <button type="submit" class="button-primary" disabled={busy}>
            {busy ? 'Starting…' : 'Run'}
          </button>
        </div>
        {error ? <ErrorNotice error={error} what="Not started" /> : null}
      </form>
    </section>
  );
}

/** The executions' filters (status, program), kept in the address. */
function ExecutionFilters({ filters, programs }: { filters: Filters; programs: ProgramJson[] }) {
  const known = new Set(programs.map((program) => program.id));
  return (
    <form class="filters programs-filters" role="search" aria-label="Filter executions" onSubmit={(event) => event.preventDefault()}>
      <Field label="Status">
        <select name="status" value={filters.status} onChange={(event) => go(filters, { status: event.currentTarget.value, page: null })}>
          <option value="">any</option>
          {EXECUTION_STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Program">
        <select name="program" value={filters.program} onChange={(event) => go(filters, { program: event.currentTarget.value, page: null })}>
          <option value="">any</option>
          {programs.map((program) => (
            <option key={program.id} value={program.id}>
              {program.name}
            </option>
          ))}
          {filters.program && !known.has(filters.program) ? <option value={filters.program}>{filters.program}</option> : null}
        </select>
      </Field>
      <div class="filters-actions">{filters.status || filters.program ? <a href={listHref(filters, { status: '', program: '', page: null })}>Clear</a> : null}</div>
    </form>
  );
}

function ExecutionsTable({ page, role, onCancel }: { page: ExecutionPage; role: Role; onCancel: (id: string, name: string) => void }) {
  const operator = roleAllows(role, 'operator');
  return (
    <div class="table-wrap">
      <table class="executions-table">
        <thead>
          <tr>
            <th scope="col">Execution</th>
            <th scope="col">Status</th>
            <th scope="col" class="wide-only">Trigger</th>
            <th scope="col" class="wide-only">Started</th>
            <th scope="col">Took</th>
            <th scope="col" class="num">Exit</th>
            {operator ? (
              <th scope="col">
                <span class="visually-hidden">Cancel</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {page.executions.map((execution) => {
            const name = execution.program_name ?? execution.program_id;
            return (
              <tr key={execution.execution_id} data-execution={execution.execution_id} data-status={execution.status} data-program={execution.program_id}>
                <td>
                  <a href={href(['programs', 'executions', execution.execution_id])}>{name}</a>
                  <div class="muted small clip">
                    <code>{execution.execution_id}</code>
                  </div>
                </td>
                <td>
                  <ExecutionBadge status={execution.status} />
                  {execution.status === 'queued' && execution.queue_position ? <span class="muted small"> #{execution.queue_position}</span> : null}
                </td>
                <td class="wide-only">
                  {execution.trigger ?? <span class="muted">—</span>}
                  {execution.requested_by ? <div class="muted small clip">{execution.requested_by}</div> : null}
                </td>
                <td class="wide-only">
                  <Time iso={execution.start_time ?? execution.created_at ?? null} />
                </td>
                <td>
                  <RunTime start={execution.start_time} end={execution.end_time} seconds={execution.duration_seconds} />
                </td>
                <td class="num">{execution.exit_code === null ? <span class="muted">—</span> : <code class={execution.exit_code === 0 ? undefined : 'error-text'}>{execution.exit_code}</code>}</td>
                {operator ? (
                  <td class="actions">
                    {isCancelable(execution.status) ? (
                      <button type="button" class="button-danger" onClick={() => onCancel(execution.execution_id, name)} aria-label={`Cancel ${name} ${execution.execution_id}`}>
                        Cancel
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Pager({ page, filters }: { page: ExecutionPage; filters: Filters }) {
  const info = pageInfo(page.offset, page.limit, page.executions.length, page.total);
  if (info.previous === null && info.next === null) return null;
  const pageNumber = (offset: number) => String(Math.floor(offset / page.limit) + 1);
  return (
    <p class="row-actions pager">
      <button type="button" disabled={info.previous === null} onClick={() => info.previous !== null && go(filters, { page: pageNumber(info.previous) })}>
        Previous
      </button>
      <span class="muted small" data-range>
        {info.from.toLocaleString()}–{info.to.toLocaleString()} of {page.total.toLocaleString()}
      </span>
      <button type="button" disabled={info.next === null} onClick={() => info.next !== null && go(filters, { page: pageNumber(info.next) })}>
        Next
      </button>
    </p>
  );
}

/** Executions by status and by program (split by status), as bars; a bar is a link to the list filtered by it. */
function Stats({ stats, programs, filters }: { stats: ExecutionStatsJson; programs: ProgramJson[]; filters: Filters }) {
  const names = useMemo(() => new Map(programs.map((program) => [program.id, program.name])), [programs]);
  const byStatus = statusRows(stats);
  const byProgram = programRows(stats, names);
  const present = EXECUTION_STATUSES.filter((status) => byProgram.some((row) => row.parts.some((part) => part.status === status)));
  const running = stats.concurrent_executions ?? stats.totals_by_status?.running ?? 0;
  return (
    <>
      <p class="muted small stats-line">
        {stats.total.toLocaleString()} execution{stats.total === 1 ? '' : 's'} kept
        {stats.max_concurrent_executions !== undefined ? ` · ${running} running of at most ${stats.max_concurrent_executions} at once` : ''}
      </p>
      {stats.total === 0 ? (
        <Empty>No executions yet: the charts fill in as programs run.</Empty>
      ) : (
        <div class="program-charts">
          <figure class="panel chart-panel" data-chart="status">
            <figcaption>By status</figcaption>
            <StackedBars rows={byStatus} label="Executions by status" linkOf={(row) => listHref(filters, { status: row.key, page: null })} />
          </figure>
          <figure class="panel chart-panel" data-chart="program">
            <figcaption>By program</figcaption>
            <StackedBars rows={byProgram} label="Executions by program" linkOf={(row) => (row.key ? listHref(filters, { program: row.key, page: null }) : null)} />
            <StatusLegend statuses={present} />
          </figure>
        </div>
      )}
    </>
  );
}

/**
 * `#/programs`: the programs of config.yaml (runner, image, schedule, limits) with a run form,
 * their executions filtered by status and program and paged (all in the address), and the
 * executions by status and program as charts; kept current by the live stream.
 */
export function ProgramsPage({ route, role }: { route: Route; role: Role }) {
  const filters = filtersOf(route);
  const offset = offsetOfPage(filters.page, PAGE);
  const [programs, setPrograms] = useState<ProgramJson[] | null>(null);
  const [programsError, setProgramsError] = useState<ApiError | null>(null);
  const [page, setPage] = useState<ExecutionPage | null>(null);
  const [pageError, setPageError] = useState<ApiError | null>(null);
  const [stats, setStats] = useState<ExecutionStatsJson | null>(null);
  const [config, setConfig] = useState<ProgramsConfigJson | null>(null);
  const [statsError, setStatsError] = useState<ApiError | null>(null);
  const wanted = useRef('');
  const key = `${filters.status}|${filters.program}|${offset}`;
  wanted.current = key;

  const loadExecutions = async () => {
    const mine = key;
    try {
      const answer = await programsApi.executions({ status: filters.status || undefined, program_id: filters.program || undefined, limit: PAGE, offset });
      if (wanted.current !== mine) return;
      setPage(answer);
      setPageError(null);
    } catch (failure) {
      if (wanted.current === mine) setPageError(toApiError(failure));
    }
  };
  const loadStats = async () => {
    try {
      setStats(await programsApi.stats());
      setStatsError(null);
    } catch (failure) {
      setStatsError(toApiError(failure));
    }
  };

  useEffect(() => {
    programsApi.programs().then(
      (list) => {
        setPrograms(list);
        setProgramsError(null);
      },
      (failure: unknown) => setProgramsError(toApiError(failure)),
    );
    // Only to tell about a refused edit: an older server without the route shows the list alone.
    programsApi.config().then(setConfig, () => undefined);
    void loadStats();
  }, []);
  useEffect(() => {
    setPage(null);
    void loadExecutions();
  }, [key]);

  const unfinished = (page?.executions ?? []).some((execution) => isCancelable(execution.status)) || (stats?.totals_by_status?.queued ?? 0) + (stats?.totals_by_status?.running ?? 0) > 0;
  useExecutionRefresh(() => Promise.all([loadExecutions(), loadStats()]), unfinished);

  const cancel = async (id: string, name: string) => {
    if (!confirm(`Cancel this execution of ${name}? A running program is stopped (its act_after still runs).`)) return;
    try {
      const answer = await programsApi.cancel(id);
      notify(`Canceled ${name}: ${answer.status}`);
    } catch (failure) {
      notify(`Cancel failed: ${toApiError(failure).message}`, 'error');
    }
    await Promise.all([loadExecutions(), loadStats()]);
  };

  const running = programs?.find((program) => program.id === filters.run) ?? null;
  const operator = roleAllows(role, 'operator');

  return (
    <section class="programs-page">
      <PageHeader title="Programs" />
      {config ? <ConfigProblems config={config} /> : null}
      {programsError ? (
        <ErrorNotice error={programsError} what="Programs" />
      ) : !programs ? (
        <Loading what="Loading programs" />
      ) : programs.length === 0 ? (
        <Empty>
          No enabled programs. Add them to {config ? <code>{config.file}</code> : <><code>config.yaml</code> in <code>HOOKFLOW_HOME</code> (or the file of <code>--programs</code>)</>}: it is read again when it changes.
        </Empty>
      ) : (
        <ProgramsTable programs={programs} role={role} filters={filters} />
      )}
      {operator && filters.run && programs ? (
        running ? (
          <RunForm key={`${running.id}\n${filters.params ?? ''}`} program={running} params={filters.params} onClose={() => go(filters, { run: '', params: null })} />
        ) : (
          <div class="notice notice-error" role="alert">
            No enabled program <code>{filters.run}</code> to run. <a href={listHref(filters, { run: '', params: null })}>Close</a>
          </div>
        )
      ) : null}

      <h2 id="executions">Executions</h2>
      <ExecutionFilters filters={filters} programs={programs ?? []} />
      {pageError ? (
        <ErrorNotice error={pageError} what="Executions" />
      ) : !page ? (
        <Loading what="Loading executions" />
      ) : page.executions.length === 0 ? (
        <Empty>
          {filters.status || filters.program
            ? `No ${filters.status ? `${filters.status} ` : ''}executions${filters.program ? ` of ${filters.program}` : ''}${offset > 0 ? ' on this page' : ''}.`
            : 'No executions yet.'}
          {operator && !filters.status && !filters.program ? (
            <>
              {' '}
              Run a program with its <strong>Run…</strong> button above, or <code>hookflow program run ID</code>.
            </>
          ) : null}
        </Empty>
      ) : (
        <>
          <ExecutionsTable page={page} role={role} onCancel={(id, name) => void cancel(id, name)} />
          <Pager page={page} filters={filters} />
        </>
      )}

      <h2 id="statistics">Statistics</h2>
      {statsError ? <ErrorNotice error={statsError} what="Statistics" /> : !stats ? <Loading what="Loading statistics" /> : <Stats stats={stats} programs={programs ?? []} filters={filters} />}
    </section>
  );
}
