/**
 * A workflow's job graph as Mermaid or Graphviz DOT text (`hookflow workflow graph`, the UI). Nodes
 * are named by job index (`j0`, `j1`, …) so repeated job names stay distinct nodes, and labelled with
 * the job names; with states, each node is coloured by its job's state. Output is deterministic:
 * nodes in job order, edges by dependent then dependency.
 */
import type { WorkflowModel } from './model.js';

export type GraphFormat = 'mermaid' | 'dot';

/** Fill and border of each job state (REFERENCE.md's states plus skipped, timeout, retrying). */
export const STATE_COLOURS: Readonly<Record<string, { fill: string; stroke: string }>> = {
  uninitialized: { fill: '#f3f4f6', stroke: '#9ca3af' },
  blocked: { fill: '#e5e7eb', stroke: '#6b7280' },
  ready: { fill: '#dbeafe', stroke: '#3b82f6' },
  pending: { fill: '#fef3c7', stroke: '#d97706' },
  running: { fill: '#93c5fd', stroke: '#1d4ed8' },
  retrying: { fill: '#fde68a', stroke: '#b45309' },
  completed: { fill: '#bbf7d0', stroke: '#15803d' },
  failed: { fill: '#fecaca', stroke: '#b91c1c' },
  pending_failed: { fill: '#fecaca', stroke: '#b91c1c' },
  timeout: { fill: '#fca5a5', stroke: '#991b1b' },
  canceled: { fill: '#e5e7eb', stroke: '#374151' },
  terminated: { fill: '#fed7aa', stroke: '#c2410c' },
  disabled: { fill: '#f9fafb', stroke: '#d1d5db' },
  skipped: { fill: '#ede9fe', stroke: '#7c3aed' },
};
const UNKNOWN_STATE = { fill: '#ffffff', stroke: '#6b7280' };

function nodeId(index: number): string {
  return `j${index}`;
}

/** Mermaid reads `#name;` as an entity inside labels, so `#` goes first, then what would end the label. */
function mermaidLabel(text: string): string {
  return text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/\r?\n/g, ' ');
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

function stateClass(state: string): string {
  return `state_${state.replace(/\W/g, '_')}`;
}

function edges(model: WorkflowModel): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  for (const job of model.jobs) for (const dependency of job.depends_on) found.push([dependency, job.index]);
  return found;
}

export function renderGraph(model: WorkflowModel, format: GraphFormat, states?: ReadonlyMap<number, string>): string {
  return format === 'dot' ? renderDot(model, states) : renderMermaid(model, states);
}

function renderMermaid(model: WorkflowModel, states?: ReadonlyMap<number, string>): string {
  const lines = ['flowchart TD'];
  for (const job of model.jobs) lines.push(`  ${nodeId(job.index)}["${mermaidLabel(job.name)}"]`);
  for (const [from, to] of edges(model)) lines.push(`  ${nodeId(from)} --> ${nodeId(to)}`);
  if (states && states.size > 0) {
    const byState = new Map<string, number[]>();
    for (const job of model.jobs) {
      const state = states.get(job.index);
      if (state === undefined) continue;
      const list = byState.get(state);
      if (list) list.push(job.index);
      else byState.set(state, [job.index]);
    }
    for (const state of [...byState.keys()].sort()) {
      const colour = STATE_COLOURS[state] ?? UNKNOWN_STATE;
      lines.push(`  classDef ${stateClass(state)} fill:${colour.fill},stroke:${colour.stroke},color:#111827`);
      lines.push(`  class ${(byState.get(state) ?? []).map(nodeId).join(',')} ${stateClass(state)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function renderDot(model: WorkflowModel, states?: ReadonlyMap<number, string>): string {
  const lines = [`digraph ${dotString(model.name)} {`, '  rankdir=TB;', '  node [shape=box, style=rounded, fontname="Helvetica"];'];
  for (const job of model.jobs) {
    const state = states?.get(job.index);
    const attributes = [`label=${dotString(job.name)}`];
    if (state !== undefined) {
      const colour = STATE_COLOURS[state] ?? UNKNOWN_STATE;
      attributes.push('style="rounded,filled"', `fillcolor="${colour.fill}"`, `color="${colour.stroke}"`, `tooltip=${dotString(state)}`);
    }
    lines.push(`  ${nodeId(job.index)} [${attributes.join(', ')}];`);
  }
  for (const [from, to] of edges(model)) lines.push(`  ${nodeId(from)} -> ${nodeId(to)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
