/**
 * The Programs pages' logic as data (no DOM, tested under Node in test/ui/programs.test.ts): the
 * run form's parameter rows, an execution's live output, the stats as chart rows, the pager.
 */

/** An execution's states, in the order the UI lists them (src/store/programs.ts EXECUTION_STATUSES). */
export const EXECUTION_STATUSES = ['queued', 'running', 'completed', 'failed', 'timeout', 'canceled'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

const FINISHED: ReadonlySet<string> = new Set(['completed', 'failed', 'timeout', 'canceled']);

export function isFinishedStatus(status: string): boolean {
  return FINISHED.has(status);
}

/** Whether an execution of this status can be canceled (queued or running). */
export function isCancelable(status: string): boolean {
  return status === 'queued' || status === 'running';
}

// ── the run form ────────────────────────────────────────────────────────────────────────────

export interface ParamRow {
  key: string;
  value: string;
}

export interface ParamProblem {
  /** The row's index in the form. */
  row: number;
  message: string;
}

/** The server's rule for a parameter name (src/programs/service.ts): it becomes PARAM_<KEY>. */
const PARAMETER_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/**
 * The request's `parameters` from the form's rows: blank rows are skipped, names checked as the
 * server checks them, a name given twice refused (PARAM_<KEY> is one variable), values sent as typed.
 */
export function parametersFromRows(rows: readonly ParamRow[]): { parameters: Record<string, string>; problems: ParamProblem[] } {
  const parameters: Record<string, string> = {};
  const problems: ParamProblem[] = [];
  const seen = new Map<string, number>();
  rows.forEach((row, index) => {
    const key = row.key.trim();
    if (key === '' && row.value === '') return;
    if (key === '') {
      problems.push({ row: index, message: 'name this parameter (or clear its value)' });
      return;
    }
    if (!PARAMETER_KEY.test(key)) {
      problems.push({ row: index, message: `${JSON.stringify(key)} cannot become an environment variable: use letters, digits and underscores, starting with a letter or underscore` });
      return;
    }
    const variable = key.toUpperCase();
    const earlier = seen.get(variable);
    if (earlier !== undefined) {
      problems.push({ row: index, message: `${key} is given twice (row ${earlier + 1} sets PARAM_${variable} already)` });
      return;
    }
    seen.set(variable, index);
    parameters[key] = row.value;
  });
  return { parameters, problems };
}

/** Form rows from parameters (a schedule's, or an earlier run's), and one blank row to add to. */
export function rowsFromParameters(parameters: Record<string, unknown> | null | undefined): ParamRow[] {
  const rows = Object.entries(parameters ?? {}).map(([key, value]) => ({ key, value: value === null || value === undefined ? '' : String(value) }));
  return [...rows, { key: '', value: '' }];
}

// ── live output ─────────────────────────────────────────────────────────────────────────────

export type OutputStream = 'stdout' | 'stderr';

export interface LiveOutput {
  stdout: string;
  stderr: string;
  /** Some text was dropped to keep the page within MAX_LIVE_CHARS per stream. */
  cut: boolean;
}

export const EMPTY_OUTPUT: LiveOutput = { stdout: '', stderr: '', cut: false };

/** Per stream, the page keeps the last this-many characters of what arrives live. */
export const MAX_LIVE_CHARS = 1_000_000;

/** What arrives on the execution's stream added to what the page shows (the newest text kept). */
export function appendOutput(output: LiveOutput, stream: OutputStream, text: string, max = MAX_LIVE_CHARS): LiveOutput {
  const joined = output[stream] + text;
  const cut = joined.length > max;
  return { ...output, [stream]: cut ? joined.slice(joined.length - max) : joined, cut: output.cut || cut };
}

/** An `output` frame's data, or null when it is not one. */
export function parseOutputFrame(data: string): { stream: OutputStream; text: string } | null {
  try {
    const value = JSON.parse(data) as { stream?: unknown; text?: unknown } | null;
    if (!value || (value.stream !== 'stdout' && value.stream !== 'stderr') || typeof value.text !== 'string') return null;
    return { stream: value.stream, text: value.text };
  } catch {
    return null;
  }
}

// ── stats as chart rows ─────────────────────────────────────────────────────────────────────

/** GET /executions/stats (PyExecutorHub's `by_status`; hookflow adds the totals). */
export interface ExecutionStatsJson {
  total: number;
  by_status: Record<string, Array<{ name: string; total: number }>>;
  totals_by_status?: Record<string, number>;
  totals_by_program?: Record<string, number>;
  concurrent_executions?: number;
  max_concurrent_executions?: number;
}

export interface ChartPart {
  status: string;
  value: number;
}

export interface ChartRow {
  /** What the bar is: a status, or a program's id. */
  key: string;
  label: string;
  total: number;
  /** The bar's segments by status, in EXECUTION_STATUSES order (one for a status's own bar). */
  parts: ChartPart[];
}

const statusOrder = (status: string) => {
  const index = (EXECUTION_STATUSES as readonly string[]).indexOf(status);
  return index < 0 ? EXECUTION_STATUSES.length : index;
};

/** One bar per status, every status listed (zero ones too, so the chart keeps its shape), then any unknown one. */
export function statusRows(stats: ExecutionStatsJson): ChartRow[] {
  const totals = new Map<string, number>(EXECUTION_STATUSES.map((status) => [status, 0]));
  for (const [status, programs] of Object.entries(stats.by_status ?? {})) {
    totals.set(status, (totals.get(status) ?? 0) + programs.reduce((sum, program) => sum + program.total, 0));
  }
  return [...totals.entries()]
    .sort(([a], [b]) => statusOrder(a) - statusOrder(b))
    .map(([status, total]) => ({ key: status, label: status, total, parts: total > 0 ? [{ status, value: total }] : [] }));
}

/**
 * One bar per program, split by status, most executions first (then by name); beyond `limit`
 * programs the rest are one "other programs" bar. `names` gives programs' names for the labels.
 */
export function programRows(stats: ExecutionStatsJson, names: ReadonlyMap<string, string> = new Map(), limit = 12): ChartRow[] {
  const byProgram = new Map<string, Map<string, number>>();
  for (const [status, programs] of Object.entries(stats.by_status ?? {})) {
    for (const { name, total } of programs) {
      const parts = byProgram.get(name) ?? new Map<string, number>();
      parts.set(status, (parts.get(status) ?? 0) + total);
      byProgram.set(name, parts);
    }
  }
  const rows = [...byProgram.entries()].map(([id, parts]) => ({
    key: id,
    label: names.get(id) ?? id,
    total: [...parts.values()].reduce((sum, value) => sum + value, 0),
    parts: [...parts.entries()].filter(([, value]) => value > 0).sort(([a], [b]) => statusOrder(a) - statusOrder(b)).map(([status, value]) => ({ status, value })),
  }));
  rows.sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  if (rows.length <= limit) return rows;
  const kept = rows.slice(0, limit - 1);
  const rest = rows.slice(limit - 1);
  const merged = new Map<string, number>();
  for (const row of rest) for (const part of row.parts) merged.set(part.status, (merged.get(part.status) ?? 0) + part.value);
  kept.push({
    key: '',
    label: `${rest.length} other programs`,
    total: rest.reduce((sum, row) => sum + row.total, 0),
    parts: [...merged.entries()].sort(([a], [b]) => statusOrder(a) - statusOrder(b)).map(([status, value]) => ({ status, value })),
  });
  return kept;
}

// ── paging ──────────────────────────────────────────────────────────────────────────────────

export interface PageInfo {
  /** 1-based index of the first row shown (0 when none). */
  from: number;
  to: number;
  previous: number | null;
  next: number | null;
}

/** Where a page of `shown` rows at `offset` sits among `total`, and the offsets of its neighbours. */
export function pageInfo(offset: number, limit: number, shown: number, total: number): PageInfo {
  return {
    from: shown > 0 ? offset + 1 : 0,
    to: offset + shown,
    previous: offset > 0 ? Math.max(0, offset - limit) : null,
    next: offset + shown < total ? offset + limit : null,
  };
}

/** A page's offset from the address (`?page=3` → 100 with pages of 50); bad values are the first page. */
export function offsetOfPage(page: string | null, limit: number): number {
  const number = page === null ? 1 : Number(page);
  return Number.isInteger(number) && number > 1 ? (number - 1) * limit : 0;
}

/** "2.4 s", "3 min 5 s" for a duration in seconds. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}
