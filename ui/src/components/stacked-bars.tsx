import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChartRow } from '../lib/programs.js';

const ROW = 26;
const BAR = 16;
const PAD = 4;
const VALUE_WIDTH = 44;

function fit(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, Math.max(1, chars - 1))}…`;
}

/**
 * Horizontal bars, one per row, each split into its parts by status (coloured by the
 * `exec-{status}` classes), in plain SVG like the dashboard's chart. A row may be a link (its
 * label and bar), each bar has a <title> for hover, and the chart a text summary for screen readers.
 */
export function StackedBars({ rows, label, units = ['execution', 'executions'], linkOf }: { rows: ChartRow[]; label: string; units?: [string, string]; linkOf?: (row: ChartRow) => string | null }) {
  const count = (value: number) => `${value.toLocaleString()} ${value === 1 ? units[0] : units[1]}`;
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(480);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => setWidth(Math.max(220, Math.round(element.clientWidth)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const labelWidth = Math.min(150, Math.round(width * 0.38));
  const plot = Math.max(20, width - labelWidth - VALUE_WIDTH);
  const max = Math.max(1, ...rows.map((row) => row.total));
  const height = rows.length * ROW + PAD * 2;
  const summary = rows.map((row) => `${row.label} ${row.total}`).join(', ');

  return (
    <div ref={box} class="chart-box">
      <svg class="chart stacked-bars" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role={linkOf ? "group" : "img"} aria-label={`${label}: ${summary || `no ${units[1]}`}`}>
        {rows.map((row, index) => {
          const y = PAD + index * ROW;
          let x = labelWidth;
          const parts = row.parts.map((part) => {
            const size = Math.max(part.value > 0 ? 2 : 0, (part.value / max) * plot);
            const rect = <rect key={part.status} class={`bar-part exec-${part.status}`} data-status={part.status} data-value={part.value} x={x} y={y + (ROW - BAR) / 2} width={size} height={BAR} rx={2} />;
            x += size;
            return rect;
          });
          const detail = row.parts.length > 1 ? ` (${row.parts.map((part) => `${part.value} ${part.status}`).join(', ')})` : '';
          const content = (
            <>
              <title>{`${row.label}: ${count(row.total)}${detail}`}</title>
              <text class="chart-label" x={labelWidth - 8} y={y + ROW / 2 + 4} text-anchor="end">
                {fit(row.label, Math.floor((labelWidth - 8) / 7))}
              </text>
              <rect class="bar-track" x={labelWidth} y={y + (ROW - BAR) / 2} width={plot} height={BAR} rx={2} />
              {parts}
              <text class="chart-value" x={x + 6} y={y + ROW / 2 + 4}>
                {row.total.toLocaleString()}
              </text>
            </>
          );
          const link = linkOf?.(row) ?? null;
          return (
            <g key={row.key || row.label} class="bar-row" data-bar={row.key} data-total={row.total}>
              {link ? (
                <a href={link} aria-label={`${row.label}: ${count(row.total)}`}>
                  {content}
                </a>
              ) : (
                content
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

/** The colours of the statuses present, as a legend under a chart. */
export function StatusLegend({ statuses }: { statuses: string[] }) {
  if (statuses.length === 0) return null;
  return (
    <p class="legend">
      {statuses.map((status) => (
        <span key={status} class="legend-item">
          <span class={`swatch exec-${status}`} aria-hidden="true" />
          {status}
        </span>
      ))}
    </p>
  );
}
