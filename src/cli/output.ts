import { createRequire } from 'node:module';
import type Table from 'cli-table3';
import pc from 'picocolors';
import type { EventRecord, EventStatus, HookExecutionRecord, JsonValue } from '../events/model.js';
import type { EventWithExecutions } from '../events/service.js';

/** Where a command writes: the process's streams in the binary, buffers in tests. */
export interface TextSink {
  write(chunk: string): unknown;
}

export type Colors = ReturnType<typeof pc.createColors>;

let TableClass: typeof Table | undefined;

/** cli-table3, required with the first table: `--help`, `--version` and JSON output never load it. */
function tableClass(): typeof Table {
  TableClass ??= createRequire(import.meta.url)('cli-table3') as typeof Table;
  return TableClass;
}

/** Colour only for a person at a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorEnabled(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTTY && env.NO_COLOR === undefined;
}

/** What commands print through: human lines and tables on stdout, JSON for scripts, notes on stderr. */
export class Output {
  readonly colors: Colors;

  constructor(
    private readonly stdout: TextSink,
    private readonly stderr: TextSink,
    readonly json: boolean,
    color: boolean,
  ) {
    this.colors = pc.createColors(color);
  }

  line(text = ''): void {
    this.stdout.write(text + '\n');
  }

  /** Pretty JSON on stdout, one value per command. */
  data(value: unknown): void {
    this.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  warn(message: string): void {
    this.stderr.write(this.colors.yellow(`warning: ${message}`) + '\n');
  }

  error(message: string): void {
    this.stderr.write(this.colors.red(`error: ${message}`) + '\n');
  }

  /** A remark for people (counts, hints) that must not pollute what a script reads from stdout. */
  note(message: string): void {
    this.stderr.write(this.colors.dim(message) + '\n');
  }

  /** A boxed table; `widths` (null = fit the content) wraps long cells instead of cutting them. */
  table(head: string[], rows: Array<Array<string | number>>, widths?: Array<number | null>): void {
    const table = new (tableClass())({
      head: head.map((title) => this.colors.bold(title)),
      style: { head: [], border: [], compact: true },
      ...(widths ? { colWidths: widths, wordWrap: true } : { wordWrap: false }),
    });
    for (const row of rows) table.push(row);
    this.line(table.toString());
  }

  /** `Label: value` lines with the values aligned. */
  fields(entries: Array<[string, string]>): void {
    const width = Math.max(...entries.map(([label]) => label.length)) + 1;
    const continuation = '\n' + ' '.repeat(width + 1);
    for (const [label, value] of entries) this.line(`${this.colors.bold((label + ':').padEnd(width))} ${value.split('\n').join(continuation)}`);
  }
}

// ── time and size formatting (local time for people, ISO-8601 for scripts) ─────────────────────

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2025-10-06 14:23:45` in local time; `-` for never. */
export function formatTime(ms: number | null): string {
  if (ms === null) return '-';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `14:23:45` in local time. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `0ms`, `<1ms`, `234ms`, `1.5s`, `2m 5s`, `2m`, `1h 2m`, `720h`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0ms';
  if (ms < 0.5) return '<1ms';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))}s`;
  const seconds = Math.round(ms / 1000);
  const [major, minor] = seconds < 3600 ? [`${Math.floor(seconds / 60)}m`, seconds % 60 ? `${seconds % 60}s` : ''] : hoursAndMinutes(seconds);
  return minor ? `${major} ${minor}` : major;
}

function hoursAndMinutes(seconds: number): [string, string] {
  const minutes = Math.round(seconds / 60);
  return [`${Math.floor(minutes / 60)}h`, minutes % 60 ? `${minutes % 60}m` : ''];
}

/** Shortens to `max` characters on one line, for table cells. */
export function truncate(text: string, max = 60): string {
  const oneLine = text.trim().replace(/\s*\n\s*/g, ' ⏎ ');
  return oneLine.length <= max ? oneLine : oneLine.slice(0, max - 1) + '…';
}

export function compactJson(value: JsonValue): string {
  return JSON.stringify(value);
}

export const STATUS_ICONS: Record<EventStatus, string> = {
  pending: '⏳',
  processing: '🔄',
  completed: '✅',
  failed: '❌',
};

export function formatStatus(status: EventStatus): string {
  return `${STATUS_ICONS[status]} ${status}`;
}

export function formatSuccess(success: boolean): string {
  return success ? '✅ Success' : '❌ Failed';
}

export { eventJson, eventWithExecutionsJson, executionJson, hookJson, iso, type ExecutionJson } from '../records-json.js';

// ── shared human views ────────────────────────────────────────────────────────────────────────

/** The event with its hook executions, as the seed's `events show` prints it. */
export function printEventDetails(out: Output, event: EventWithExecutions): void {
  const fields: Array<[string, string]> = [
    ['Event', event.id],
    ['Type', event.type],
    ['Stack', event.stack ?? '-'],
    ['Source', event.source],
    ['Status', formatStatus(event.status)],
    ['Created', formatTime(event.created_at)],
    ['Processed', formatTime(event.processed_at)],
  ];
  if (event.attempts > 1) fields.push(['Attempts', String(event.attempts)]);
  if (event.correlation_id) fields.push(['Correlation', event.correlation_id]);
  if (event.parent_id) fields.push(['Parent', event.parent_id]);
  if (Object.keys(event.data).length > 0) fields.push(['Data', truncate(compactJson(event.data), 200)]);
  if (event.error) fields.push(['Error', event.error]);
  out.fields(fields);
  out.line();
  if (event.executions.length === 0) {
    out.line(event.status === 'pending' || event.status === 'processing' ? 'No hook executions yet' : 'No hook executions (no enabled hook matched)');
    return;
  }
  out.line(out.colors.bold('Hook Executions'));
  out.table(
    ['Hook Name', 'Status', 'Duration', 'Executed At', 'Attempt'],
    event.executions.map((execution) => [
      execution.hook_name,
      formatSuccess(execution.success),
      formatDuration(execution.duration_ms),
      formatTime(execution.executed_at),
      execution.attempt,
    ]),
  );
  for (const failure of event.executions.filter((execution) => !execution.success)) {
    out.line();
    out.line(`${out.colors.bold('Hook:')} ${failure.hook_name}${failure.attempt > 1 ? ` (attempt ${failure.attempt})` : ''}`);
    out.line(out.colors.bold('Error:'));
    out.line(out.colors.red(failure.error ?? 'failed'));
  }
}

/** One line per processed event, for `serve`: `12:00:01 ✅ task.failed ID → notify ✅ 3ms, audit ✅ 1ms`. */
export function formatProcessedLine(colors: Colors, event: EventRecord, executions: HookExecutionRecord[], now: number = Date.now()): string {
  const last = new Map<string, HookExecutionRecord>();
  for (const execution of executions) last.set(execution.hook_name, execution);
  const hooks = [...last.values()].map((execution) => {
    const icon = execution.success ? '✅' : '❌';
    const attempt = execution.attempt > 1 ? ` (attempt ${execution.attempt})` : '';
    return `${execution.hook_name} ${icon} ${formatDuration(execution.duration_ms)}${attempt}`;
  });
  const icon = event.status === 'failed' ? '❌' : '✅';
  const stack = event.stack ? colors.dim(`[${event.stack}] `) : '';
  return `${colors.dim(formatClock(event.processed_at ?? now))} ${icon} ${event.type} ${stack}${colors.dim(event.id)} → ${hooks.join(', ')}`;
}
