/**
 * A workflow's DAG as positions (no DOM, tested under Node): jobs in layers by dependency level
 * (a job sits one level below its deepest dependency), ordered within a level to keep edges
 * short, and edges as SVG paths. Small enough that the UI needs no graph library.
 */

export interface GraphJob {
  index: number;
  name: string;
  status: string;
  /** Indexes of the jobs this one waits for. */
  depends_on: readonly number[];
}

export interface PlacedJob extends GraphJob {
  level: number;
  /** Position within its level, from the left. */
  order: number;
  x: number;
  y: number;
}

export interface PlacedEdge {
  from: number;
  to: number;
  /** An SVG path from the bottom of `from` to the top of `to`. */
  path: string;
}

export interface GraphLayout {
  jobs: PlacedJob[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

export interface LayoutSizes {
  nodeWidth: number;
  nodeHeight: number;
  gapX: number;
  gapY: number;
  pad: number;
}

export const DEFAULT_SIZES: LayoutSizes = { nodeWidth: 168, nodeHeight: 44, gapX: 24, gapY: 52, pad: 12 };

/**
 * Indexes per level: level 0 holds the jobs without dependencies, level n the jobs whose deepest
 * dependency is at n - 1. Dependencies on unknown jobs are ignored; jobs caught in a cycle (the
 * server refuses those, but the drawing must not loop) go into one last level.
 */
export function dependencyLevels(jobs: ReadonlyArray<Pick<GraphJob, 'index' | 'depends_on'>>): number[][] {
  const known = new Set(jobs.map((job) => job.index));
  const waiting = new Map<number, number>();
  const dependents = new Map<number, number[]>();
  for (const job of jobs) {
    const deps = [...new Set(job.depends_on)].filter((dep) => known.has(dep) && dep !== job.index);
    waiting.set(job.index, deps.length);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(job.index);
      else dependents.set(dep, [job.index]);
    }
  }
  const level = new Map<number, number>();
  let queue = jobs.filter((job) => waiting.get(job.index) === 0).map((job) => job.index);
  for (const index of queue) level.set(index, 0);
  while (queue.length > 0) {
    const next: number[] = [];
    for (const index of queue) {
      for (const dependent of dependents.get(index) ?? []) {
        level.set(dependent, Math.max(level.get(dependent) ?? 0, (level.get(index) ?? 0) + 1));
        const left = (waiting.get(dependent) ?? 0) - 1;
        waiting.set(dependent, left);
        if (left === 0) next.push(dependent);
      }
    }
    queue = next;
  }
  const levels: number[][] = [];
  const stuck: number[] = [];
  for (const job of jobs) {
    const at = waiting.get(job.index) === 0 ? level.get(job.index) : undefined;
    if (at === undefined) {
      stuck.push(job.index);
      continue;
    }
    (levels[at] ??= []).push(job.index);
  }
  const dense = levels.filter((row) => row !== undefined).map((row) => row.sort((a, b) => a - b));
  if (stuck.length > 0) dense.push(stuck.sort((a, b) => a - b));
  return dense;
}

/** Centred position of each job in its level: -1.5, -0.5, 0.5, 1.5 for a level of four. */
function centredPositions(levels: number[][]): Map<number, number> {
  const position = new Map<number, number>();
  for (const row of levels) row.forEach((index, order) => position.set(index, order - (row.length - 1) / 2));
  return position;
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * Orders each level by the mean position of its neighbours (the barycenter heuristic): down
 * by dependencies, up by dependents, down again. Ties and jobs without neighbours keep index order.
 */
export function orderLevels(levels: number[][], jobs: ReadonlyArray<Pick<GraphJob, 'index' | 'depends_on'>>): number[][] {
  const parents = new Map<number, number[]>();
  const children = new Map<number, number[]>();
  for (const job of jobs) {
    parents.set(job.index, [...job.depends_on]);
    for (const dep of job.depends_on) {
      const list = children.get(dep);
      if (list) list.push(job.index);
      else children.set(dep, [job.index]);
    }
  }
  const ordered = levels.map((row) => [...row]);
  const sweep = (rows: number[], neighbours: Map<number, number[]>) => {
    for (const at of rows) {
      const position = centredPositions(ordered);
      const row = ordered[at];
      const keyed = row.map((index, order) => {
        const around = (neighbours.get(index) ?? []).map((other) => position.get(other)).filter((value): value is number => value !== undefined);
        return { index, order, key: mean(around) ?? position.get(index) ?? order };
      });
      keyed.sort((a, b) => a.key - b.key || a.order - b.order);
      ordered[at] = keyed.map((entry) => entry.index);
    }
  };
  const down = ordered.map((_, at) => at).slice(1);
  const up = ordered.map((_, at) => at).reverse().slice(1);
  sweep(down, parents);
  sweep(up, children);
  sweep(down, parents);
  return ordered;
}

/** Positions for every job and a path for every edge, levels top to bottom, each level centred. */
export function layoutGraph(jobs: readonly GraphJob[], sizes: LayoutSizes = DEFAULT_SIZES): GraphLayout {
  const levels = orderLevels(dependencyLevels(jobs), jobs);
  const widest = Math.max(1, ...levels.map((row) => row.length));
  const stepX = sizes.nodeWidth + sizes.gapX;
  const stepY = sizes.nodeHeight + sizes.gapY;
  const byIndex = new Map(jobs.map((job) => [job.index, job]));
  const placed = new Map<number, PlacedJob>();
  levels.forEach((row, level) => {
    const offset = ((widest - row.length) * stepX) / 2;
    row.forEach((index, order) => {
      const job = byIndex.get(index);
      if (!job) return;
      placed.set(index, { ...job, level, order, x: sizes.pad + offset + order * stepX, y: sizes.pad + level * stepY });
    });
  });
  const edges: PlacedEdge[] = [];
  for (const job of jobs) {
    const to = placed.get(job.index);
    if (!to) continue;
    for (const dep of new Set(job.depends_on)) {
      const from = placed.get(dep);
      if (!from || dep === job.index) continue;
      const x1 = from.x + sizes.nodeWidth / 2;
      const y1 = from.y + sizes.nodeHeight;
      const x2 = to.x + sizes.nodeWidth / 2;
      const y2 = to.y;
      const bend = Math.max(sizes.gapY / 2, (y2 - y1) / 2);
      edges.push({ from: dep, to: job.index, path: `M${x1} ${y1} C${x1} ${y1 + bend} ${x2} ${y2 - bend} ${x2} ${y2}` });
    }
  }
  return {
    jobs: jobs.map((job) => placed.get(job.index)).filter((job): job is PlacedJob => job !== undefined),
    edges,
    width: sizes.pad * 2 + widest * stepX - sizes.gapX,
    height: sizes.pad * 2 + Math.max(1, levels.length) * stepY - sizes.gapY,
  };
}

/**
 * Dependencies from the Graphviz text of `GET /workflows/:id/graph?format=dot`: every
 * `"jN" -> "jM"` line says job M waits for job N. For a server whose jobs view lacks depends_on.
 */
export function dependenciesFromDot(dot: string): Map<number, number[]> {
  const deps = new Map<number, number[]>();
  // Whole lines only: a label may contain the same characters.
  for (const match of dot.matchAll(/^\s*"?j(\d+)"?\s*->\s*"?j(\d+)"?\s*;?\s*$/gm)) {
    const from = Number(match[1]);
    const to = Number(match[2]);
    const list = deps.get(to);
    if (list) {
      if (!list.includes(from)) list.push(from);
    } else deps.set(to, [from]);
  }
  for (const list of deps.values()) list.sort((a, b) => a - b);
  return deps;
}

export interface LevelCount {
  level: number;
  total: number;
  /** Jobs per status; empty when the statuses are not known. */
  byStatus: Record<string, number>;
}

/** Jobs per level and status, for workflows too big to draw job by job. */
export function levelCounts(levels: readonly (readonly number[])[], statusOf: (index: number) => string | undefined): LevelCount[] {
  return levels.map((row, level) => {
    const byStatus: Record<string, number> = {};
    for (const index of row) {
      const status = statusOf(index);
      if (status !== undefined) byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
    return { level, total: row.length, byStatus };
  });
}

/** A name cut to fit a box `chars` characters wide, with an ellipsis when cut. */
export function fitLabel(text: string, chars: number): string {
  if (text.length <= chars) return text;
  return `${text.slice(0, Math.max(1, chars - 1))}…`;
}
