import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  appendOutput,
  EMPTY_OUTPUT,
  formatSeconds,
  offsetOfPage,
  pageInfo,
  parametersFromRows,
  parseOutputFrame,
  programRows,
  rowsFromParameters,
  statusRows,
  type ExecutionStatsJson,
  type ParamRow,
} from '../../ui/src/lib/programs.js';
import { requireService } from '../support/services.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../support/server.js';
import { chromiumUnavailable, ensureUiBuilt, horizontalOverflow, launchChromium, signIn, typeAsItOpens } from './browser.js';

/**
 * The Programs pages: their logic as data under Node (the run form's parameters, live output, the
 * stats as chart rows, paging), then the pages in Chromium over a real server running the
 * fixture's programs with the process runner: the list, a run from the form streaming its output
 * live, a failure's stderr apart, the filters and pages, cancel, and the charts.
 */

const FIXTURE = fileURLToPath(new URL('../fixtures/programs/ui/', import.meta.url));

describe('parametersFromRows: the run form as the request’s parameters', () => {
  const rows = (...pairs: Array<[string, string]>): ParamRow[] => pairs.map(([key, value]) => ({ key, value }));
  const cases: Array<{ name: string; rows: ParamRow[]; parameters: Record<string, string>; problems: Array<[number, RegExp]> }> = [
    { name: 'nothing filled in', rows: rows(['', '']), parameters: {}, problems: [] },
    { name: 'names trimmed, values kept as typed', rows: rows([' name ', ' world '], ['count', '3']), parameters: { name: ' world ', count: '3' }, problems: [] },
    { name: 'an empty value is sent', rows: rows(['flag', '']), parameters: { flag: '' }, problems: [] },
    { name: 'a value without a name', rows: rows(['', 'orphan']), parameters: {}, problems: [[0, /name this parameter/]] },
    { name: 'a name that cannot be a variable', rows: rows(['ok', '1'], ['1bad', '2'], ['has space', '3']), parameters: { ok: '1' }, problems: [[1, /environment variable/], [2, /environment variable/]] },
    { name: 'the same variable twice (case-insensitive)', rows: rows(['name', 'a'], ['NAME', 'b']), parameters: { name: 'a' }, problems: [[1, /given twice \(row 1 sets PARAM_NAME/]] },
    { name: 'dots and dashes are allowed', rows: rows(['a.b-c_d', 'x']), parameters: { 'a.b-c_d': 'x' }, problems: [] },
  ];
  for (const { name, rows: given, parameters, problems } of cases) {
    it(name, () => {
      const answer = parametersFromRows(given);
      assert.deepEqual(answer.parameters, parameters);
      assert.deepEqual(
        answer.problems.map((problem) => problem.row),
        problems.map(([row]) => row),
      );
      answer.problems.forEach((problem, index) => assert.match(problem.message, problems[index][1]));
    });
  }
  it('rowsFromParameters gives the rows back, and a blank one to add to', () => {
    assert.deepEqual(rowsFromParameters({ threshold: 90, name: 'x', none: null }), [
      { key: 'threshold', value: '90' },
      { key: 'name', value: 'x' },
      { key: 'none', value: '' },
      { key: '', value: '' },
    ]);
    assert.deepEqual(rowsFromParameters(null), [{ key: '', value: '' }]);
  });
});

describe('live output', () => {
  it('appends each stream apart', () => {
    let output = appendOutput(EMPTY_OUTPUT, 'stdout', 'one\n');
    output = appendOutput(output, 'stderr', 'oops\n');
    output = appendOutput(output, 'stdout', 'two\n');
    assert.deepEqual(output, { stdout: 'one\ntwo\n', stderr: 'oops\n', cut: false });
  });
  it('keeps the newest text when a stream grows past the limit, and says so', () => {
    const output = appendOutput(appendOutput(EMPTY_OUTPUT, 'stdout', 'abcdef', 8), 'stdout', 'ghij', 8);
    assert.deepEqual(output, { stdout: 'cdefghij', stderr: '', cut: true });
  });
  const frames: Array<[string, ReturnType<typeof parseOutputFrame>]> = [
    ['{"stream":"stdout","text":"hi\\n"}', { stream: 'stdout', text: 'hi\n' }],
    ['{"stream":"stderr","text":""}', { stream: 'stderr', text: '' }],
    ['{"stream":"other","text":"x"}', null],
    ['{"stream":"stdout"}', null],
    ['not json', null],
    ['null', null],
  ];
  for (const [data, expect] of frames) it(`reads the frame ${data}`, () => assert.deepEqual(parseOutputFrame(data), expect));
});

describe('the stats as chart rows', () => {
  const stats: ExecutionStatsJson = {
    total: 9,
    by_status: {
      completed: [
        { name: 'b', total: 3 },
        { name: 'a', total: 1 },
      ],
      failed: [{ name: 'a', total: 2 }],
      canceled: [{ name: 'c', total: 3 }],
    },
  };
  it('one bar per status, every status in order, zero ones empty', () => {
    assert.deepEqual(
      statusRows(stats).map((row) => [row.key, row.total, row.parts.length]),
      [
        ['queued', 0, 0],
        ['running', 0, 0],
        ['completed', 4, 1],
        ['failed', 2, 1],
        ['timeout', 0, 0],
        ['canceled', 3, 1],
      ],
    );
  });
  it('one bar per program split by status, most first, ties by id, names as labels', () => {
    const rows = programRows(stats, new Map([['a', 'Program A']]));
    assert.deepEqual(
      rows.map((row) => [row.key, row.label, row.total, row.parts.map((part) => `${part.status}:${part.value}`)]),
      [
        ['a', 'Program A', 3, ['completed:1', 'failed:2']],
        ['b', 'b', 3, ['completed:3']],
        ['c', 'c', 3, ['canceled:3']],
      ],
    );
  });
  it('beyond the limit, the rest is one bar', () => {
    const rows = programRows(stats, new Map(), 2);
    assert.deepEqual(
      rows.map((row) => [row.key, row.label, row.total, row.parts.map((part) => `${part.status}:${part.value}`)]),
      [
        ['a', 'a', 3, ['completed:1', 'failed:2']],
        ['', '2 other programs', 6, ['completed:3', 'canceled:3']],
      ],
    );
  });
});

describe('paging and durations', () => {
  const pages: Array<[[number, number, number, number], ReturnType<typeof pageInfo>]> = [
    [[0, 25, 0, 0], { from: 0, to: 0, previous: null, next: null }],
    [[0, 25, 10, 10], { from: 1, to: 10, previous: null, next: null }],
    [[0, 25, 25, 30], { from: 1, to: 25, previous: null, next: 25 }],
    [[25, 25, 5, 30], { from: 26, to: 30, previous: 0, next: null }],
    [[50, 25, 25, 100], { from: 51, to: 75, previous: 25, next: 75 }],
  ];
  for (const [[offset, limit, shown, total], expect] of pages) it(`pageInfo(${offset}, ${limit}, ${shown}, ${total})`, () => assert.deepEqual(pageInfo(offset, limit, shown, total), expect));
  const offsets: Array<[string | null, number]> = [
    [null, 0],
    ['1', 0],
    ['3', 50],
    ['0', 0],
    ['-2', 0],
    ['2.5', 0],
    ['x', 0],
  ];
  for (const [page, expect] of offsets) it(`offsetOfPage(${page})`, () => assert.equal(offsetOfPage(page, 25), expect));
  const durations: Array<[number | null, string]> = [
    [null, '—'],
    [0.042, '42 ms'],
    [1.234, '1.23 s'],
    [12.34, '12.3 s'],
    [119.7, '1 min 59 s'],
    [3725, '1 h 2 min'],
  ];
  for (const [seconds, expect] of durations) it(`formatSeconds(${seconds})`, () => assert.equal(formatSeconds(seconds), expect));
});

// ── in Chromium ────────────────────────────────────────────────────────────────────────────────

const VIEWER = { username: 'petra', password: 'petra-password-1' };

/** A computed style of the first element matching `selector` (the test's tsconfig has no DOM types: a string is evaluated). */
const style = (target: Page, selector: string, property: string) =>
  target.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)}))[${JSON.stringify(property)}]`) as Promise<string>;

interface ExecutionAnswer {
  execution_id: string;
  status: string;
  exit_code: number | null;
}

describe('the Programs pages in Chromium', requireService('chromium', chromiumUnavailable()), () => {
  let programsDir = '';
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let tickerId = '';
  let failingId = '';
  const problems: string[] = [];

  const watch = (target: Page) => {
    target.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    target.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
  };
  const execute = async (programId: string, parameters: Record<string, string> = {}): Promise<string> => {
    const answer = await server.request('/executions', { method: 'POST', role: 'operator', json: { program_id: programId, parameters } });
    assert.equal(answer.status, 200, await answer.clone().text());
    return ((await answer.json()) as ExecutionAnswer).execution_id;
  };
  const execution = async (id: string) => (await (await server.request(`/executions/${id}`)).json()) as ExecutionAnswer;
  const waitEnded = async (id: string) => (await server.engine.programs()).waitFor(id, 10_000);
  const go = async (target: Page, hash: string) => {
    await target.evaluate(`location.hash = ${JSON.stringify(hash)}`);
    await target.waitForFunction(`location.hash === ${JSON.stringify(hash)} && document.querySelector('#page-title') !== null`);
    await target.locator('.loading').first().waitFor({ state: 'detached' });
  };
  const row = (target: Page, id: string) => target.locator(`tr[data-execution="${id}"]`);

  before(async () => {
    ensureUiBuilt();
    // A copy: the ticker waits for a `gate` file the test writes into its folder.
    programsDir = mkdtempSync(join(tmpdir(), 'hookflow-programs-ui-'));
    cpSync(FIXTURE, programsDir, { recursive: true });
    server = await startTestServer({}, { HOOKFLOW_PROGRAMS: join(programsDir, 'config.yaml') });
    await (await server.engine.programs()).start();
    await server.ctx.auth.addUser(VIEWER.username, VIEWER.password, 'viewer');
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    watch(page);
    await signIn(page, server.url, 'admin', TEST_ADMIN_PASSWORD);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (programsDir) rmSync(programsDir, { recursive: true, force: true });
  });

  it('lists the enabled programs with their runner, image and schedule', async () => {
    await page.getByRole('link', { name: 'Programs', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Programs' }).waitFor();
    const programs = page.locator('table.programs-table tbody tr');
    await programs.first().waitFor();
    assert.deepEqual(await programs.evaluateAll((rows) => rows.map((tr) => tr.getAttribute('data-program'))), ['ticker', 'failing', 'sleeper', 'reporter'], 'scripts before bots, the disabled one left out');
    const ticker = page.locator('tr[data-program="ticker"]');
    assert.equal(await ticker.locator('code.runner').textContent(), 'process');
    await ticker.getByText('local process').waitFor();
    const reporter = page.locator('tr[data-program="reporter"]');
    await reporter.getByText('0 6 1 1 *').waitFor();
    await reporter.getByText('--mode report').waitFor();
    await page.getByText('No executions yet.').waitFor();
  });

  it('keeps what is typed into the run form the moment it opens', async () => {
    const link = await page.getByRole('link', { name: 'Run Ticker' }).getAttribute('href');
    const typed = { 'section[data-run-form="ticker"] input[name="param-name-0"]': 'name', 'section[data-run-form="ticker"] input[name="param-value-0"]': 'world' };
    assert.deepEqual(await typeAsItOpens(page, link ?? '', typed), typed);
    await page.getByRole('button', { name: 'Close the run form' }).click();
    await page.locator('section[data-run-form]').waitFor({ state: 'detached' });
  });

  it('runs a program from the form with a parameter: its output arrives live, then its final status', async () => {
    await page.getByRole('link', { name: 'Run Ticker' }).click();
    const form = page.locator('section[data-run-form="ticker"]');
    await form.getByRole('heading', { name: 'Run Ticker' }).waitFor();
    // A name the server would refuse is refused here, at its row, and nothing is sent.
    await form.locator('input[name="param-name-0"]').fill('1name');
    await form.locator('input[name="param-value-0"]').fill('world');
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    await form.getByText(/cannot become an environment variable/).waitFor();
    assert.equal(await form.locator('input[name="param-name-0"]').getAttribute('aria-invalid'), 'true');
    assert.equal(((await (await server.request('/executions')).json()) as { total: number }).total, 0, 'nothing was run');

    await form.locator('input[name="param-name-0"]').fill('name');
    await form.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL(/#\/programs\/executions\/[0-9a-f-]+$/);
    tickerId = decodeURIComponent(page.url().split('/').pop() ?? '');
    await page.getByRole('heading', { level: 1, name: 'Ticker: execution' }).waitFor();

    // The first line is shown while the program still waits for the gate.
    const stdout = page.getByLabel('stdout', { exact: true });
    await stdout.getByText('hello world').waitFor();
    assert.equal(await page.locator('dd[data-field="status"] .badge').textContent(), 'running');
    assert.doesNotMatch((await stdout.textContent()) ?? '', /ticker done/);
    assert.equal((await execution(tickerId)).status, 'running', 'the server says it is still running');
    await page.locator('[data-stream-state="streaming"]').waitFor();
    await page.locator('dd', { hasText: 'name = world' }).waitFor();

    writeFileSync(join(programsDir, 'scripts', 'ticker', 'gate'), '');
    await page.locator(`section[data-execution-page="${tickerId}"][data-status="completed"]`).waitFor();
    assert.match((await stdout.textContent()) ?? '', /^hello world\nticker done\n?$/);
    assert.equal(await page.locator('dd[data-field="exit-code"]').textContent(), '0');
    assert.match((await page.locator('dd[data-field="duration"]').textContent()) ?? '', /^\d+(\.\d+)? (ms|s)$/);
    assert.equal(await page.locator('[data-stream-state]').count(), 0, 'no live indicator once it ended');
    assert.equal(await page.getByText('Nothing on stderr.').count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Cancel', exact: true }).count(), 0, 'an ended execution cannot be canceled');
  });

  it('shows a failing run’s stderr apart from its stdout, and its failed status', async () => {
    failingId = await execute('failing');
    await go(page, `#/programs/executions/${failingId}`);
    await page.locator(`section[data-execution-page="${failingId}"][data-status="failed"]`).waitFor();
    const stdout = page.getByLabel('stdout', { exact: true });
    const stderr = page.getByLabel('stderr', { exact: true });
    assert.equal(await stdout.textContent(), 'starting the failing step\n');
    assert.equal(await stderr.textContent(), 'something broke: disk on fire\n');
    assert.equal(await page.locator('dd[data-field="exit-code"]').textContent(), '3');
    await page.locator('[data-field="error-message"]', { hasText: 'exited with code 3' }).waitFor();
    assert.notEqual(await style(page, 'pre[aria-label="stderr"]', 'color'), await style(page, 'pre[aria-label="stdout"]', 'color'), 'stderr is written in its own colour');
    assert.notEqual(await style(page, 'pre[aria-label="stderr"]', 'backgroundColor'), await style(page, 'pre[aria-label="stdout"]', 'backgroundColor'), 'on its own background');
    // Run again: the form opens with the same parameters.
    await page.getByRole('link', { name: 'Run again…' }).click();
    await page.locator('section[data-run-form="failing"]').waitFor();
  });

  it('filters the executions by status and program, kept in the address, and pages through them', async () => {
    await go(page, '#/programs');
    await row(page, tickerId).waitFor();
    await row(page, failingId).waitFor();
    await page.locator('select[name="status"]').selectOption('failed');
    await page.waitForURL(/status=failed/);
    await row(page, tickerId).waitFor({ state: 'detached' });
    await row(page, failingId).waitFor();
    assert.deepEqual([...new Set(await page.locator('tr[data-execution]').evaluateAll((rows) => rows.map((tr) => tr.getAttribute('data-status'))))], ['failed']);

    await page.locator('select[name="status"]').selectOption('');
    await page.locator('select[name="program"]').selectOption('ticker');
    await page.waitForURL(/program=ticker/);
    await row(page, failingId).waitFor({ state: 'detached' });
    await row(page, tickerId).waitFor();
    await page.locator('select[name="status"]').selectOption('failed');
    await page.getByText('No failed executions of ticker.').waitFor();
    await page.getByRole('link', { name: 'Clear' }).click();
    await row(page, tickerId).waitFor();

    // Over a page (25): the pager, and its page in the address.
    const ids = await Promise.all(Array.from({ length: 24 }, () => execute('failing')));
    await Promise.all(ids.map(waitEnded));
    await page.locator('[data-range]', { hasText: '1–25 of 26' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/page=2/);
    await page.locator('[data-range]', { hasText: '26–26 of 26' }).waitFor();
    await row(page, tickerId).waitFor();
    assert.equal(await page.locator('tr[data-execution]').count(), 1);
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.locator('[data-range]', { hasText: '1–25 of 26' }).waitFor();
  });

  it('cancels a running execution from the list and from its page', async () => {
    await go(page, '#/programs');
    const listed = await execute('sleeper');
    await page.locator(`tr[data-execution="${listed}"][data-status="running"]`).waitFor();
    await row(page, listed).getByRole('button', { name: /^Cancel/ }).click();
    await page.locator(`tr[data-execution="${listed}"][data-status="canceled"]`).waitFor();
    assert.equal((await execution(listed)).status, 'canceled');

    // The answer to Cancel ("running", stop requested) can come after the stream's final record:
    // held back here until the page shows the execution canceled, it must not bring it back to running.
    const late = await execute('sleeper');
    await go(page, `#/programs/executions/${late}`);
    await page.getByLabel('stdout', { exact: true }).getByText('sleeping').waitFor();
    const lateSection = page.locator(`section[data-execution-page="${late}"]`);
    let heldAnswer = null as ExecutionAnswer | null;
    await page.route(`**/executions/${late}/cancel`, async (route) => {
      const answer = await route.fetch();
      heldAnswer = (await answer.json()) as ExecutionAnswer;
      try {
        await page.locator(`section[data-execution-page="${late}"][data-status="canceled"]`).waitFor({ timeout: 10_000 });
      } finally {
        await route.fulfill({ response: answer });
      }
    });
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByText(/^Canceled: running/).waitFor();
    assert.equal(heldAnswer?.status, 'running', 'the held answer is the stale one');
    for (let check = 0; check < 10; check++) {
      assert.equal(await lateSection.getAttribute('data-status'), 'canceled');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await page.unroute(`**/executions/${late}/cancel`);

    const shown = await execute('sleeper');
    await go(page, `#/programs/executions/${shown}`);
    await page.getByLabel('stdout', { exact: true }).getByText('sleeping').waitFor();
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.locator(`section[data-execution-page="${shown}"][data-status="canceled"]`).waitFor();
    await page.locator('[data-field="error-message"]', { hasText: /canceled/ }).waitFor();
    assert.doesNotMatch((await page.getByLabel('stdout', { exact: true }).textContent()) ?? '', /woke up/);
    assert.equal((await execution(shown)).status, 'canceled');
  });

  it('charts the executions by status and by program', async () => {
    await go(page, '#/programs');
    const byStatus = page.locator('figure[data-chart="status"]');
    await byStatus.locator('g[data-bar="failed"][data-total="25"]').waitFor();
    const total = (chart: typeof byStatus, bar: string) => chart.locator(`g[data-bar="${bar}"]`).getAttribute('data-total');
    assert.deepEqual(
      await Promise.all(['queued', 'running', 'completed', 'failed', 'timeout', 'canceled'].map((status) => total(byStatus, status))),
      ['0', '0', '1', '25', '0', '3'],
    );
    assert.equal(await byStatus.locator('g[data-bar="failed"] rect.bar-part').count(), 1);
    assert.equal(await byStatus.locator('g[data-bar="timeout"] rect.bar-part').count(), 0, 'no bar for no executions');
    const failedWidth = Number(await byStatus.locator('g[data-bar="failed"] rect.bar-part').getAttribute('width'));
    const completedWidth = Number(await byStatus.locator('g[data-bar="completed"] rect.bar-part').getAttribute('width'));
    assert.ok(failedWidth > completedWidth * 10, `bars are to scale (${failedWidth} vs ${completedWidth})`);

    const byProgram = page.locator('figure[data-chart="program"]');
    assert.deepEqual(await byProgram.locator('g[data-bar]').evaluateAll((bars) => bars.map((bar) => `${bar.getAttribute('data-bar')}:${bar.getAttribute('data-total')}`)), ['failing:25', 'sleeper:3', 'ticker:1']);
    assert.deepEqual(await byProgram.locator('g[data-bar="sleeper"] rect.bar-part').evaluateAll((parts) => parts.map((part) => part.getAttribute('data-status'))), ['canceled']);
    assert.equal(await byProgram.locator('g[data-bar="ticker"] text.chart-label').textContent(), 'Ticker', "labelled with the program's name");
    assert.equal(await byProgram.locator('g[data-bar="ticker"] title').textContent(), 'Ticker: 1 execution');
    assert.notEqual(
      await style(page, 'figure[data-chart="status"] g[data-bar="completed"] rect.bar-part', 'fill'),
      await style(page, 'figure[data-chart="status"] g[data-bar="failed"] rect.bar-part', 'fill'),
      'statuses have their own colours',
    );

    // A bar is a link to the list filtered by it.
    await byStatus.locator('g[data-bar="canceled"] a').click();
    await page.waitForURL(/status=canceled/);
    // The unfiltered list, still shown for a moment, has the three canceled rows too: wait for it
    // to go (no row of another status), then for the filtered one.
    await page.locator('tr[data-execution]:not([data-status="canceled"])').first().waitFor({ state: 'detached' });
    await page.locator('tr[data-execution][data-status="canceled"]').nth(2).waitFor();
    assert.equal(await page.locator('tr[data-execution]').count(), 3);
  });

  it("says when config.yaml's last edit was refused, where and why, and keeps the last good programs", async () => {
    const file = join(programsDir, 'config.yaml');
    const good = readFileSync(file, 'utf8');
    const problemCount = async () => ((await (await server.request('/programs/config')).json()) as { problems: unknown[] }).problems.length;
    const until = async (check: () => Promise<boolean>) => {
      for (let tries = 0; tries < 100 && !(await check()); tries++) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    writeFileSync(file, good.replace('timeout_seconds: 30\n', 'timeout_seconds: "soon"\n'));
    await until(async () => (await problemCount()) > 0);
    await go(page, '#/');
    await go(page, '#/programs');
    const notice = page.locator('[data-config-problems]');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /config\.yaml:\d+:\d+.*timeout_seconds/s);
    assert.equal(await page.locator('table.programs-table tbody tr').count(), 4, 'the last good programs are still listed');

    writeFileSync(file, good);
    await until(async () => (await problemCount()) === 0);
    await go(page, '#/');
    await go(page, '#/programs');
    await page.locator('tr[data-program="ticker"]').waitFor();
    assert.equal(await notice.count(), 0);
  });

  it('fits a phone (390 px), read-only for a viewer', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    phone.setDefaultTimeout(10_000);
    const small = await phone.newPage();
    watch(small);
    await signIn(small, server.url, VIEWER.username, VIEWER.password);
    await go(small, '#/programs');
    await small.locator('tr[data-execution]').first().waitFor();
    await small.locator('figure[data-chart="program"] g[data-bar="failing"]').waitFor();
    assert.equal(await horizontalOverflow(small), 0, 'the Programs page overflows sideways');
    assert.equal(await small.getByRole('link', { name: /^Run / }).count(), 0, 'viewers cannot run programs');
    await go(small, `#/programs/executions/${failingId}`);
    await small.getByLabel('stderr', { exact: true }).waitFor();
    assert.equal(await horizontalOverflow(small), 0, 'the execution page overflows sideways');
    assert.equal(await small.getByRole('link', { name: 'Run again…' }).count(), 0);

    // An operator's page has the Run and Cancel columns and the run form: it fits too.
    const operatorPage = await phone.newPage();
    watch(operatorPage);
    await signIn(operatorPage, server.url, 'admin', TEST_ADMIN_PASSWORD);
    await go(operatorPage, '#/programs?run=reporter');
    await operatorPage.locator('section[data-run-form="reporter"]').waitFor();
    await operatorPage.locator('tr[data-execution]').first().waitFor();
    assert.equal(await horizontalOverflow(operatorPage), 0, "the operator's Programs page overflows sideways");
    await phone.close();
  });

  it('logged no script or security-policy errors', () => {
    assert.deepEqual(problems, []);
  });
});
