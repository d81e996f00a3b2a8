import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderGraph } from '../../../src/workflows/graph.js';
import type { WorkflowModel } from '../../../src/workflows/model.js';
import { compileWorkflow } from '../../../src/workflows/spec/compile.js';

function model(text: string): WorkflowModel {
  const result = compileWorkflow(text);
  assert.ok(result.model, JSON.stringify(result.errors));
  return result.model;
}

const diamond = model(readFileSync(new URL('../../fixtures/compat/torc/diamond_workflow.yaml', import.meta.url), 'utf8'));

describe('renderGraph: the diamond workflow', () => {
  it('as Mermaid', () => {
    assert.equal(
      renderGraph(diamond, 'mermaid'),
      `flowchart TD
  j0["preprocess"]
  j1["work1"]
  j2["work2"]
  j3["postprocess"]
  j0 --> j1
  j0 --> j2
  j1 --> j3
  j2 --> j3
`,
    );
  });

  it('as DOT', () => {
    assert.equal(
      renderGraph(diamond, 'dot'),
      `digraph "diamond_workflow" {
  rankdir=TB;
  node [shape=box, style=rounded, fontname="Helvetica"];
  j0 [label="preprocess"];
  j1 [label="work1"];
  j2 [label="work2"];
  j3 [label="postprocess"];
  j0 -> j1;
  j0 -> j2;
  j1 -> j3;
  j2 -> j3;
}
`,
    );
  });

  it('Mermaid coloured by state: one class per state, in name order', () => {
    const states = new Map([[0, 'completed'], [1, 'running'], [2, 'completed']]);
    assert.equal(
      renderGraph(diamond, 'mermaid', states).split('\n').slice(9).join('\n'),
      `  classDef state_completed fill:#bbf7d0,stroke:#15803d,color:#111827
  class j0,j2 state_completed
  classDef state_running fill:#93c5fd,stroke:#1d4ed8,color:#111827
  class j1 state_running
`,
    );
  });

  it('DOT coloured by state, with the state as tooltip', () => {
    const lines = renderGraph(diamond, 'dot', new Map([[2, 'failed']])).split('\n');
    assert.equal(lines[5], '  j2 [label="work2", style="rounded,filled", fillcolor="#fecaca", color="#b91c1c", tooltip="failed"];');
    assert.equal(lines[6], '  j3 [label="postprocess"];');
  });
});

describe('renderGraph: names', () => {
  const repeated = model('name: "say \\"hi\\""\njobs:\n  - {name: step, command: x, parameters: {i: "1:2"}}\n  - {name: "a \\"quoted\\" <b> #1", command: x, depends_on: [step]}\n');

  it('repeated names stay distinct nodes', () => {
    const mermaid = renderGraph(repeated, 'mermaid');
    assert.match(mermaid, /j0\["step"\]\n {2}j1\["step"\]/);
    assert.match(mermaid, /j0 --> j2\n {2}j1 --> j2/);
  });

  it('quotes and markup are escaped', () => {
    assert.match(renderGraph(repeated, 'mermaid'), /j2\["a #quot;quoted#quot; #lt;b#gt; #35;1"\]/);
    const dot = renderGraph(repeated, 'dot');
    assert.match(dot, /^digraph "say \\"hi\\"" \{/);
    assert.match(dot, /j2 \[label="a \\"quoted\\" <b> #1"\];/);
  });

  it('is deterministic', () => {
    assert.equal(renderGraph(repeated, 'dot'), renderGraph(repeated, 'dot'));
  });
});
