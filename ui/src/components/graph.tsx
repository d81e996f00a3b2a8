import { useMemo } from 'preact/hooks';
import { DEFAULT_SIZES, fitLabel, layoutGraph, type GraphJob, type LevelCount } from './graph-layout.js';

export type { GraphJob } from './graph-layout.js';

/** Job states in the order a legend lists them; each has a `job-{state}` colour in workflows.css. */
export const JOB_STATES = ['running', 'pending', 'ready', 'retrying', 'blocked', 'uninitialized', 'completed', 'failed', 'timeout', 'terminated', 'canceled', 'skipped', 'disabled'] as const;

/** The states that draw alike (colour and legend entry). */
export function stateGroup(status: string): string {
  switch (status) {
    case 'completed':
      return 'completed';
    case 'failed':
    case 'terminated':
    case 'timeout':
      return 'failed';
    case 'running':
      return 'running';
    case 'pending':
      return 'pending';
    case 'ready':
    case 'retrying':
      return 'ready';
    case 'canceled':
    case 'skipped':
    case 'disabled':
      return 'canceled';
    default:
      return 'blocked';
  }
}

const LABEL_CHARS = Math.floor((DEFAULT_SIZES.nodeWidth - 20) / 7.2);

/**
 * A workflow's DAG in SVG: one box per job, levels top to bottom, an arrow from each dependency
 * to its dependent, boxes coloured by state. A box is a button (click, Enter or Space) that
 * selects the job. The SVG shrinks to the width it is given down to 60 % and scrolls beyond.
 */
export function DagGraph({ jobs, selected, onSelect, label }: { jobs: GraphJob[]; selected: number | null; onSelect: (index: number) => void; label: string }) {
  const layout = useMemo(() => layoutGraph(jobs), [jobs]);
  const { nodeWidth: w, nodeHeight: h } = DEFAULT_SIZES;
  const activate = (event: KeyboardEvent, index: number) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onSelect(index);
    }
  };
  return (
    <div class="dag-scroll" tabIndex={-1}>
      <svg
        class="dag"
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        width={layout.width}
        height={layout.height}
        style={{ width: '100%', maxWidth: `${layout.width}px`, minWidth: `${Math.round(layout.width * 0.6)}px`, height: 'auto' }}
        role="group"
        aria-label={label}
      >
        <defs>
          <marker id="dag-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0 0 L10 5 L0 10 z" class="dag-arrow" />
          </marker>
        </defs>
        <g class="dag-edges" aria-hidden="true">
          {layout.edges.map((edge) => (
            <path key={`${edge.from}-${edge.to}`} d={edge.path} class="dag-edge" marker-end="url(#dag-arrow)" data-edge={`${edge.from}-${edge.to}`} />
          ))}
        </g>
        {layout.jobs.map((job) => (
          <g
            key={job.index}
            class={`dag-node job-${stateGroup(job.status)}${selected === job.index ? ' dag-node-selected' : ''}`}
            transform={`translate(${job.x} ${job.y})`}
            role="button"
            // Lower case: Preact sets SVG attributes by name, and SVG attribute names are case-sensitive.
            tabindex={0}
            aria-label={`job ${job.name}: ${job.status}`}
            aria-pressed={selected === job.index}
            data-job={job.name}
            data-status={job.status}
            onClick={() => onSelect(job.index)}
            onKeyDown={(event) => activate(event, job.index)}
          >
            <title>{`${job.name} (#${job.index}): ${job.status}`}</title>
            <rect class="dag-box" width={w} height={h} rx="6" />
            <rect class="dag-stripe" width="5" height={h} rx="2" />
            <text class="dag-name" x="14" y="18">
              {fitLabel(job.name, LABEL_CHARS)}
            </text>
            <text class="dag-state" x="14" y="35">
              {job.status}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}

/** Which states appear, with their colours, under the graph. */
export function StateLegend({ counts }: { counts: Record<string, number> }) {
  const present = JOB_STATES.filter((state) => (counts[state] ?? 0) > 0);
  if (present.length === 0) return null;
  return (
    <ul class="state-legend" aria-label="jobs by state">
      {present.map((state) => (
        <li key={state} data-state={state}>
          <span class={`state-swatch job-${stateGroup(state)}`} aria-hidden="true" />
          {state} <strong>{counts[state]}</strong>
        </li>
      ))}
    </ul>
  );
}

/** A bar split by state (the widths are the shares of `total`). */
export function StateBar({ byStatus, total, label }: { byStatus: Record<string, number>; total: number; label: string }) {
  const known = JOB_STATES.filter((state) => (byStatus[state] ?? 0) > 0);
  const summary = known.map((state) => `${byStatus[state]} ${state}`).join(', ');
  return (
    <div class="state-bar" role="img" aria-label={`${label}: ${summary || `${total} jobs`}`} title={summary || `${total} jobs`}>
      {known.map((state) => (
        <span key={state} class={`state-bar-part job-${stateGroup(state)}`} style={{ flexGrow: byStatus[state] }} />
      ))}
    </div>
  );
}

/** A workflow too big to draw job by job: its levels, each with its number of jobs by state. */
export function LevelSummary({ levels }: { levels: LevelCount[] }) {
  return (
    <ol class="dag-levels" aria-label="jobs per dependency level">
      {levels.map((row) => (
        <li key={row.level} data-level={row.level}>
          <span class="dag-level-name">Level {row.level}</span>
          <span class="dag-level-count">
            {row.total.toLocaleString()} {row.total === 1 ? 'job' : 'jobs'}
          </span>
          <StateBar byStatus={Object.keys(row.byStatus).length > 0 ? row.byStatus : {}} total={row.total} label={`level ${row.level}`} />
        </li>
      ))}
    </ol>
  );
}
