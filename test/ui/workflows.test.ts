import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { dependenciesFromDot, dependencyLevels, fitLabel, layoutGraph, levelCounts, orderLevels, type GraphJob } from '../../ui/src/components/graph-layout.js';
import type { Worker } from '../../src/workflows/worker.js';
import { requireService } from '../support/services.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../support/server.js';
import { chromiumUnavailable, ensureUiBuilt, horizontalOverflow, launchChromium, signIn } from './browser.js';

/**
 * The Workflows pages: the DAG layout as data (under Node), then the pages in Chromium over a real
 * server and worker: a diamond whose nodes turn completed live, a job's logs, cancel and restart
 * with the buttons, a big workflow drawn as levels, a viewer's read-only page at phone width.
 */

const job = (index: number, depends_on: number[] = [], name = `j${index}`): GraphJob => ({ index, name, status: 'ready', depends_on });

describe('dependencyLevels: a job one level below its deepest dependency', () => {
  const cases: Array<{ name: string; jobs: GraphJob[]; expect: number[][] }> = [
    { name: 'no jobs', jobs: [], expect: [] },
    { name: 'independent jobs share level 0', jobs: [job(0), job(1), job(2)], expect: [[0, 1, 2]] },
    { name: 'a chain', jobs: [job(0), job(1, [0]), job(2, [1])], expect: [[0], [1], [2]] },
    { name: 'a diamond', jobs: [job(0), job(1, [0]), job(2, [0]), job(3, [1, 2])], expect: [[0], [1, 2], [3]] },
    { name: 'the deepest dependency decides', jobs: [job(0), job(1, [0]), job(2, [0, 1])], expect: [[0], [1], [2]] },
    { name: 'dependencies listed out of order', jobs: [job(0, [2]), job(1), job(2, [1])], expect: [[1], [2], [0]] },
    { name: 'unknown and self dependencies are ignored', jobs: [job(0, [9]), job(1, [1, 0])], expect: [[0], [1]] },
    { name: 'a cycle goes into one last level instead of looping', jobs: [job(0), job(1, [0, 2]), job(2, [1])], expect: [[0], [1, 2]] },
  ];
  for (const { name, jobs, expect } of cases) it(name, () => assert.deepEqual(dependencyLevels(jobs), expect));
});

describe('orderLevels: neighbours kept close (fewer crossings)', () => {
  it('puts each child under its parent', () => {
    // 0 → 3, 1 → 2: drawn in index order the edges would cross.
    const jobs = [job(0), job(1), job(2, [1]), job(3, [0])];
    assert.deepEqual(orderLevels(dependencyLevels(jobs), jobs), [
      [0, 1],
      [3, 2],
    ]);
  });
  it('keeps index order when nothing pulls', () => {
    const jobs = [job(0), job(1, [0]), job(2, [0]), job(3, [0])];
    assert.deepEqual(orderLevels(dependencyLevels(jobs), jobs), [[0], [1, 2, 3]]);
  });
});

describe('layoutGraph: boxes and edges', () => {
  const sizes = { nodeWidth: 100, nodeHeight: 40, gapX: 20, gapY: 60, pad: 10 };
  const diamond = [job(0), job(1, [0]), job(2, [0]), job(3, [1, 2])];
  const layout = layoutGraph(diamond, sizes);
  const at = (index: number) => layout.jobs.find((placed) => placed.index === index);

  it('sizes the drawing by the widest level and the number of levels', () => {
    assert.equal(layout.width, 10 * 2 + 2 * 120 - 20);
    assert.equal(layout.height, 10 * 2 + 3 * 100 - 60);
  });
  it('places levels top to bottom and centres narrow levels', () => {
    assert.deepEqual([at(0)?.y, at(1)?.y, at(3)?.y], [10, 110, 210]);
    assert.equal(at(0)?.x, 10 + 60, 'one job in a two-wide drawing: half a step in');
    assert.deepEqual([at(1)?.x, at(2)?.x], [10, 130]);
  });
  it('draws one edge per dependency, from the bottom of one box to the top of the other', () => {
    assert.deepEqual(
      layout.edges.map((edge) => `${edge.from}->${edge.to}`),
      ['0->1', '0->2', '1->3', '2->3'],
    );
    const edge = layout.edges[0];
    assert.match(edge.path, /^M120 50 C/);
    assert.match(edge.path, / 60 110$/);
  });
});

describe('dependenciesFromDot: edges of the server’s Graphviz text', () => {
  const cases: Array<{ name: string; dot: string; expect: Record<number, number[]> }> = [
    { name: 'the server’s form', dot: 'digraph "d" {\n  j0 [label="a"];\n  j1 [label="b"];\n  j0 -> j1;\n  j0 -> j2;\n  j1 -> j3;\n  j2 -> j3;\n}\n', expect: { 1: [0], 2: [0], 3: [1, 2] } },
    { name: 'quoted ids', dot: '"j4" -> "j7";\n', expect: { 7: [4] } },
    { name: 'a label that looks like an edge is not one', dot: '  j0 [label="j1 -> j2"];\n', expect: {} },
    { name: 'duplicates once', dot: 'j0 -> j1;\nj0 -> j1;\n', expect: { 1: [0] } },
  ];
  for (const { name, dot, expect } of cases) it(name, () => assert.deepEqual(Object.fromEntries(dependenciesFromDot(dot)), expect));
});

describe('levelCounts and fitLabel', () => {
  it('counts jobs per level and state', () => {
    const states: Record<number, string> = { 0: 'completed', 1: 'running', 2: 'blocked' };
    assert.deepEqual(
      levelCounts([[0], [1, 2, 3]], (index) => states[index]),
      [
        { level: 0, total: 1, byStatus: { completed: 1 } },
        { level: 1, total: 3, byStatus: { running: 1, blocked: 1 } },
      ],
    );
  });
  const labels: Array<[string, number, string]> = [
    ['short', 10, 'short'],
    ['exactly-10', 10, 'exactly-10'],
    ['much-too-long-a-name', 10, 'much-too-…'],
  ];
  for (const [text, chars, expect] of labels) it(`fits "${text}" into ${chars}`, () => assert.equal(fitLabel(text, chars), expect));
});

// ── in Chromium ────────────────────────────────────────────────────────────────────────────────

/** A diamond whose left branch waits until the test creates `gate` (so the page sees it unfinished). */
const diamond = (gate: string) => `name: diamond
description: a diamond whose left branch waits for the test
jobs:
  - name: prepare
    command: echo preparing
  - name: left
    command: 'while [ ! -e ${gate} ]; do sleep 0.05; done; echo left-done'
    depends_on: [prepare]
  - name: right
    command: echo right-done; echo right-warning >&2
    depends_on: [prepare]
  - name: join
    command: echo joined
    depends_on: [left, right]
`;

const LONG = `name: long-runner
jobs:
  - name: quick
    command: echo quick
  - name: sleeper
    command: sleep 30
    depends_on: [quick]
`;

/** Over the drawing limit (300): 1 root + 320 parameterized jobs + 1 summary, held by the root's sleep. */
const WIDE = `name: wide
jobs:
  - name: root
    command: sleep 30
  - name: work_{i:03d}
    command: echo {i}
    depends_on: [root]
    parameters:
      i: "1:320"
  - name: summary
    command: echo done
    depends_on_regexes: ["^work_"]
`;

const VIEWER = { username: 'wendy', password: 'wendy-password-1' };

describe('the Workflows pages in Chromium', requireService('chromium', chromiumUnavailable()), () => {
  let server: TestServer;
  let worker: Worker | null = null;
  let working: Promise<unknown> | null = null;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let diamondId = '';
  let longId = '';
  const problems: string[] = [];

  const watch = (target: Page) => {
    target.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    target.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
  };
  const submit = async (spec: string): Promise<string> => {
    const answer = await server.request('/workflows', { method: 'POST', role: 'operator', json: { spec } });
    assert.equal(answer.status, 201, await answer.clone().text());
    return ((await answer.json()) as { id: string }).id;
  };
  const workflow = async (id: string) => (await (await server.request(`/workflows/${id}`)).json()) as { status: string; run: number; counts: Record<string, number> };
  const go = async (target: Page, hash: string) => {
    await target.evaluate(`location.hash = ${JSON.stringify(hash)}`);
    await target.waitForFunction(`location.hash === ${JSON.stringify(hash)} && document.querySelector('#page-title') !== null`);
    await target.locator('.loading').first().waitFor({ state: 'detached' });
  };
  const node = (target: Page, name: string) => target.locator(`g.dag-node[data-job="${name}"]`);
  const fill = (target: Page, name: string) => target.evaluate(`getComputedStyle(document.querySelector('g.dag-node[data-job="${name}"] rect.dag-box')).fill`) as Promise<string>;

  before(async () => {
    ensureUiBuilt();
    server = await startTestServer();
    await server.ctx.auth.addUser(VIEWER.username, VIEWER.password, 'viewer');
    // `serve` embeds a worker; the test server is the bare app, so the test brings its own (with a
    // short heartbeat: a canceled job is killed at the worker's next heartbeat).
    worker = await server.engine.createWorker({ workflowId: null, maxParallelJobs: 2, capacity: null, idleTimeoutMs: null, heartbeatMs: 300 });
    working = worker.run();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    watch(page);
    await signIn(page, server.url, 'admin', TEST_ADMIN_PASSWORD);
  });
  after(async () => {
    await browser?.close();
    await worker?.stop(2000);
    await working;
    await server?.stop();
  });

  it('lists a submitted workflow, with a status filter kept in the address', async () => {
    diamondId = await submit(diamond(join(server.home, 'gate')));
    await page.getByRole('link', { name: 'Workflows', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Workflows' }).waitFor();
    const row = page.locator(`tr[data-workflow="${diamondId}"]`);
    await row.getByRole('link', { name: 'diamond' }).waitFor();
    await row.getByText(/\d+\/4 completed/).waitFor();

    await page.getByLabel('Status').selectOption('failed');
    await page.getByText('No failed workflows.').waitFor();
    assert.match(page.url(), /#\/workflows\?status=failed$/);
    await page.getByRole('link', { name: 'Clear' }).click();
    await row.waitFor();
  });

  it("draws the DAG and turns its nodes completed live, without a reload", async () => {
    await page.evaluate('window.__samePage = true');
    await page.locator(`tr[data-workflow="${diamondId}"]`).getByRole('link', { name: 'diamond' }).click();
    await page.getByRole('heading', { level: 1, name: 'diamond' }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    await node(page, 'join').waitFor();
    assert.equal(await page.locator('g.dag-node').count(), 4);
    assert.deepEqual(await page.locator('path.dag-edge').evaluateAll((paths) => paths.map((path) => path.getAttribute('data-edge')).sort()), ['0-1', '0-2', '1-3', '2-3']);

    // left waits for the gate: join cannot have run yet.
    await page.locator('g.dag-node[data-job="right"][data-status="completed"]').waitFor();
    assert.equal(await node(page, 'join').getAttribute('data-status'), 'blocked');
    await page.locator('g.dag-node[data-job="left"][data-status="running"]').waitFor();
    const colourBefore = await fill(page, 'join');
    writeFileSync(join(server.home, 'gate'), '');

    await page.locator('g.dag-node[data-job="join"][data-status="completed"]').waitFor();
    for (const name of ['prepare', 'left', 'right']) assert.equal(await node(page, name).getAttribute('data-status'), 'completed', name);
    assert.notEqual(await fill(page, 'join'), colourBefore, 'the completed node is drawn in another colour');
    assert.equal(await fill(page, 'join'), await fill(page, 'prepare'));
    await page.locator('.facts .badge', { hasText: 'completed' }).waitFor();
    assert.equal(await page.evaluate('window.__samePage'), true, 'the page was not reloaded');
    assert.equal((await workflow(diamondId)).status, 'completed');
  });

  it("opens a job from its node: details, output tails and the full logs", async () => {
    await node(page, 'right').click();
    await page.waitForURL(/\?job=2$/);
    const panel = page.locator('section.wf-job');
    await panel.getByRole('heading', { name: 'Job right' }).waitFor();
    await panel.locator('.badge', { hasText: 'completed' }).waitFor();
    assert.match((await panel.getByLabel('stdout tail').textContent()) ?? '', /right-done/);
    assert.match((await panel.getByLabel('stderr tail').textContent()) ?? '', /right-warning/);
    await panel.getByRole('button', { name: 'Full stdout' }).click();
    assert.match((await panel.getByLabel('full stdout').textContent()) ?? '', /^right-done$/m);
    await panel.getByRole('button', { name: 'Full stderr' }).click();
    assert.match((await panel.getByLabel('full stderr').textContent()) ?? '', /^right-warning$/m);

    // The same from the jobs table, and the keyboard on a node.
    await page.locator('tr[data-job-row="left"]').getByRole('link', { name: 'left' }).click();
    await panel.getByRole('heading', { name: 'Job left' }).waitFor();
    assert.match((await panel.getByLabel('stdout tail').textContent()) ?? '', /left-done/);
    await node(page, 'join').focus();
    await page.keyboard.press('Enter');
    await panel.getByRole('heading', { name: 'Job join' }).waitFor();
    await panel.getByRole('button', { name: 'Close' }).first().click();
    await panel.waitFor({ state: 'detached' });
  });

  it('cancels a running workflow with the button, then restarts it', async () => {
    longId = await submit(LONG);
    await go(page, `#/workflows/${longId}`);
    await page.locator('g.dag-node[data-job="sleeper"][data-status="running"]').waitFor();
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.locator('.facts .badge', { hasText: 'canceled' }).waitFor();
    await page.locator('g.dag-node[data-job="sleeper"][data-status="canceled"]').waitFor();
    assert.equal((await workflow(longId)).status, 'canceled');
    assert.equal(await page.getByRole('button', { name: 'Cancel', exact: true }).count(), 0, 'an ended workflow cannot be canceled');

    await page.getByRole('button', { name: 'Restart failed' }).click();
    await page.locator('.facts', { hasText: 'run 2' }).waitFor();
    await page.locator('g.dag-node[data-job="sleeper"][data-status="running"]').waitFor();
    const restarted = await workflow(longId);
    assert.deepEqual([restarted.status, restarted.run], ['running', 2]);
    assert.equal(await node(page, 'quick').getAttribute('data-status'), 'completed', 'failed-only: the completed job is kept');

    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.locator('.facts .badge', { hasText: 'canceled' }).waitFor();
    await page.locator('g.dag-node[data-job="sleeper"][data-status="canceled"]').waitFor();
    await page.getByRole('button', { name: 'Restart all' }).click();
    await page.locator('.facts', { hasText: 'run 3' }).waitFor();
    const all = await workflow(longId);
    assert.equal(all.run, 3);
    assert.notEqual(await node(page, 'quick').getAttribute('data-status'), 'canceled');
    await server.request(`/workflows/${longId}/cancel`, { method: 'POST' });
    await page.locator('.facts .badge', { hasText: 'canceled' }).waitFor();
  });

  it('shows the jobs per dependency level for a workflow over 300 jobs', async () => {
    const wideId = await submit(WIDE);
    await go(page, `#/workflows/${wideId}`);
    const levels = page.locator('ol.dag-levels > li');
    await levels.first().waitFor();
    assert.deepEqual(await levels.locator('.dag-level-count').allTextContents(), ['1 job', '320 jobs', '1 job']);
    assert.equal(await page.locator('g.dag-node').count(), 0, 'not drawn job by job');
    // The table pages through the jobs; picking one opens it.
    await page.locator('tr[data-job-row="work_005"]').getByRole('link').click();
    await page.locator('section.wf-job').getByRole('heading', { name: 'Job work_005' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator('tr[data-job-row="work_150"]').waitFor();
    await server.request(`/workflows/${wideId}/cancel`, { method: 'POST' });
  });

  it('fits a phone (390 px), read-only for a viewer', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    phone.setDefaultTimeout(15_000);
    const small = await phone.newPage();
    watch(small);
    await signIn(small, server.url, VIEWER.username, VIEWER.password);
    await go(small, '#/workflows');
    await small.locator(`tr[data-workflow="${diamondId}"]`).waitFor();
    assert.equal(await horizontalOverflow(small), 0, 'the list overflows sideways');
    assert.equal(await small.getByText('Submit a workflow').count(), 0, 'viewers cannot submit');

    await go(small, `#/workflows/${diamondId}`);
    await node(small, 'join').waitFor();
    assert.equal(await horizontalOverflow(small), 0, 'the workflow page overflows sideways');
    await node(small, 'left').tap();
    const panel = small.locator('section.wf-job');
    await panel.getByRole('heading', { name: 'Job left' }).waitFor();
    assert.equal(await horizontalOverflow(small), 0, 'the job details overflow sideways');
    assert.equal(await small.evaluate(`document.querySelector('section.wf-job').getBoundingClientRect().right <= window.innerWidth`), true, 'the job panel fits the screen');

    await go(small, `#/workflows/${longId}`);
    await node(small, 'sleeper').waitFor();
    for (const name of ['Cancel', 'Restart failed', 'Restart all']) assert.equal(await small.getByRole('button', { name, exact: true }).count(), 0, `a viewer sees no ${name}`);
    await phone.close();
  });

  it('logged no script or security-policy errors', () => {
    assert.deepEqual(problems, []);
  });
});
