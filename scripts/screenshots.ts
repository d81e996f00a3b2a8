/**
 * `npm run screenshots`: PNGs of every page of the web UI for the README and docs/ui.md, at
 * 1280×800 and at a phone's width (390 px), over a server filled with an hour of sample events.
 * Needs Chromium (`apt-get install -y chromium`); builds the UI first when it is stale.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { HookExecutionRecord, JsonObject } from '../src/events/model.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../test/support/server.js';
import { chromiumUnavailable, ensureUiBuilt, launchChromium, signIn } from '../test/ui/browser.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(ROOT, 'docs', 'screenshots');
const OWNER = 'screenshots';

/** A UUIDv7 for a past time (src/events/ids.ts keeps its ids monotonic, so it cannot make these). */
function idAt(ms: number): string {
  const hex = ms.toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Deterministic "random" numbers, so two runs draw the same chart. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const TASKS = ['backup-db', 'build-api', 'sync-assets', 'render-report'];

/** An hour of history, processed: inserted claimed by us and completed with their hook runs. */
async function seedHistory(server: TestServer): Promise<string> {
  const { store } = server.engine;
  const random = sequence(7);
  const now = Date.now();
  const rows: Array<{ at: number; type: string; data: JsonObject; stack: string; failed: boolean }> = [];
  for (let minute = 59; minute >= 1; minute--) {
    const wave = 3 + Math.round(4 * Math.sin(minute / 6) + 4 * random());
    for (let index = 0; index < wave; index++) {
      const at = now - minute * 60_000 + Math.floor(random() * 55_000);
      const roll = random();
      const task = TASKS[Math.floor(random() * TASKS.length)];
      if (roll < 0.08) rows.push({ at, type: 'task.failed', data: { task: { task_name: task, agent_name: 'worker-2', exit_code: 1, error: 'exit status 1' } }, stack: 'prod', failed: true });
      else if (roll < 0.5) rows.push({ at, type: 'task.completed', data: { task: { task_name: task, duration_s: Math.round(random() * 90) } }, stack: 'prod', failed: false });
      else if (roll < 0.7) rows.push({ at, type: 'deploy.finished', data: { service: 'api', version: `1.4.${Math.floor(random() * 9)}` }, stack: 'prod', failed: false });
      else rows.push({ at, type: 'system.cpu_high', data: { cpu_percent: 80 + Math.round(random() * 19), threshold: 80 }, stack: 'staging', failed: false });
    }
  }
  rows.sort((a, b) => a.at - b.at);
  const inserted = await store.insertEvents(
    rows.map((row) => ({
      event: { id: idAt(row.at), created_at: row.at, type: row.type, data: row.data as JsonObject, stack: row.stack, source: 'api:ci' },
      claim: { owner: OWNER, lease_expires_at: now + 3_600_000 },
      completed: false,
    })),
  );
  await store.completeEvents(
    inserted.map(({ event }, index) => {
      const row = rows[index];
      const processedAt = row.at + 40 + Math.floor(random() * 400);
      const executions: HookExecutionRecord[] = [];
      if (row.type.startsWith('task.')) {
        executions.push({ event_id: event.id, hook_name: 'audit', success: true, output: `counted ${row.type}`, error: null, duration_ms: 3 + Math.floor(random() * 10), executed_at: processedAt, attempt: 1 });
      }
      if (row.type === 'task.failed') {
        executions.push({
          event_id: event.id,
          hook_name: 'page-oncall',
          success: false,
          output: 'paging the on-call engineer…\n',
          error: 'curl: (22) The requested URL returned error: 503 (exit code 22)',
          duration_ms: 812,
          executed_at: processedAt,
          attempt: 3,
        });
      }
      if (row.type === 'deploy.finished') {
        executions.push({ event_id: event.id, hook_name: 'notify-deploy', success: true, output: `deployed ${String((row.data as { version: string }).version)} to prod\n`, error: null, duration_ms: 41, executed_at: processedAt, attempt: 1 });
      }
      return {
        id: event.id,
        owner: OWNER,
        status: row.failed ? ('failed' as const) : ('completed' as const),
        error: row.failed ? 'hook page-oncall failed after 3 attempts' : null,
        processed_at: processedAt,
        executions,
      };
    }),
  );
  const failed = inserted.filter((_, index) => rows[index].failed);
  return failed[failed.length - 1].event.id;
}

async function seed(server: TestServer): Promise<{ failedEvent: string }> {
  const { engine } = server;
  await engine.hooks.loadDirectory(join(ROOT, 'examples', 'hooks'));
  await engine.hooks.addCommands({ name: 'notify-deploy', description: 'Tells the team chat about every deploy', events: ['deploy.*'], stack: 'prod', commands: ['echo "deployed $(jq -r .data.version "$HOOKFLOW_EVENT_FILE") to prod"'] });
  await engine.hooks.addCommands({ name: 'page-oncall', description: 'Pages the on-call engineer when a task fails', events: ['task.failed'], commands: ['echo "paging the on-call engineer…"', 'curl -fsS -X POST https://pager.example/alert'] });
  await engine.hooks.setEnabled('page-oncall', false);
  const failedEvent = await seedHistory(server);

  // A few live ones, processed by the real dispatcher.
  await engine.events.dispatchAndWait({ type: 'deploy.finished', data: { service: 'web', version: '2.0.1' }, stack: 'prod', source: 'api:ci' }, 10_000);
  await engine.events.dispatchAndWait(
    { type: 'task.failed', data: { task: { task_name: 'backup-db', agent_name: 'worker-1', exit_code: 2, error: 'disk quota exceeded' } }, stack: 'prod', source: 'api:ci' },
    10_000,
  );

  for (const [name, value] of [
    ['SLACK_WEBHOOK_URL', 'https://hooks.slack.example/T000/B000/XXXX'],
    ['GITHUB_WEBHOOK_SECRET', 'not-a-real-secret'],
    ['PAGER_TOKEN', 'not-a-real-token'],
  ]) {
    await engine.secrets.set(name, value);
  }
  await server.ctx.auth.addUser('alice', 'alice-password', 'operator');
  await server.ctx.auth.addUser('bob', 'bob-password', 'viewer');
  await server.ctx.auth.createToken('ci-deployer', 'operator', 'admin');

  // Sources, where this server has their routes already.
  const sources: Array<[string, unknown]> = [
    ['/schedules', { name: 'nightly-backup', config: { cron: '0 3 * * *', timezone: 'Europe/Paris', event_type: 'backup.requested', payload: { target: 'db' } } }],
    ['/schedules', { name: 'heartbeat', config: { cron: '*/30 * * * * *' } }],
    ['/webhook-endpoints', { name: 'github', config: { event_type: 'github.push', verify: 'github', secret: 'GITHUB_WEBHOOK_SECRET' } }],
    ['/webhook-endpoints', { name: 'stripe', config: { event_type: 'billing.event', verify: 'hmac', secret: 'STRIPE_SIGNING_KEY', stack: 'prod' } }],
  ];
  for (const [path, body] of sources) await server.request(path, { method: 'POST', json: body });
  return { failedEvent };
}

/** Three workflows for the Workflows pages: one done, one failed, one running with a failed job. */
const SAMPLE_WORKFLOWS = [
  `name: release-1.4
description: Build, test and publish a release
jobs:
  - name: build
    command: echo building 1.4.0
  - name: unit_tests
    command: echo 412 tests passed
    depends_on: [build]
  - name: integration_tests
    command: echo 57 tests passed
    depends_on: [build]
  - name: publish
    command: echo published 1.4.0
    depends_on: [unit_tests, integration_tests]
`,
  `name: smoke-tests
jobs:
  - name: deploy_canary
    command: echo deployed
  - name: check_health
    command: 'echo "GET /health answered 503" >&2; exit 3'
    depends_on: [deploy_canary]
    cancel_on_blocking_job_failure: false
`,
  `name: nightly-etl
description: Extract, transform and load the nightly data into the warehouse
jobs:
  - name: extract_{table}
    command: echo extracted {table}
    parameters:
      table: "['users', 'orders', 'events']"
  - name: transform_users
    command: echo transformed users
    depends_on: [extract_users]
  - name: transform_orders
    command: echo transforming orders; sleep 600
    depends_on: [extract_orders]
  - name: transform_events
    command: 'echo reading events; echo "schema mismatch in events.parquet: column ts is a string" >&2; exit 2'
    depends_on: [extract_events]
  - name: load_warehouse
    command: echo loaded
    depends_on_regexes: ["^transform_"]
  - name: report
    command: echo report sent
    depends_on: [load_warehouse]
actions:
  - trigger_type: on_workflow_start
    action_type: run_commands
    commands: ["echo nightly ETL started"]
  - trigger_type: on_jobs_complete
    action_type: run_commands
    job_name_regexes: ["^extract_"]
    commands: ["echo extracts done"]
  - trigger_type: on_workflow_complete
    action_type: run_commands
    commands: ["echo nightly ETL finished"]
`,
];

/** Submits the sample workflows and waits until each has settled (the last one keeps a job running). */
async function seedWorkflows(server: TestServer): Promise<{ running: string; failedJob: number }> {
  const ids: string[] = [];
  for (const spec of SAMPLE_WORKFLOWS) {
    const answer = await server.request('/workflows', { method: 'POST', json: { spec } });
    if (answer.status !== 201) throw new Error(`submitting a sample workflow: ${answer.status} ${await answer.text()}`);
    ids.push(((await answer.json()) as { id: string }).id);
  }
  const running = ids[ids.length - 1];
  for (let round = 0; round < 200; round++) {
    const { jobs } = (await (await server.request(`/workflows/${running}/jobs`)).json()) as { jobs: Array<{ index: number; name: string; status: string }> };
    const failed = jobs.find((job) => job.name === 'transform_events' && job.status === 'failed');
    if (failed && jobs.some((job) => job.name === 'transform_orders' && job.status === 'running')) return { running, failedJob: failed.index };
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('the sample workflow did not reach its running state');
}

/**
 * The Programs pages' sample: the UI test's programs (the process runner: no Docker needed) run a
 * few times, one failed and one canceled; the ticker keeps running until its `gate` file exists.
 */
async function seedPrograms(server: TestServer): Promise<{ failed: string }> {
  const programs = await server.engine.programs();
  await programs.start();
  const run = async (id: string, parameters: Record<string, string> = {}) => {
    const answer = await server.request('/executions', { method: 'POST', json: { program_id: id, parameters } });
    if (answer.status !== 200) throw new Error(`running sample program ${id}: ${answer.status} ${await answer.text()}`);
    return ((await answer.json()) as { execution_id: string }).execution_id;
  };
  for (const id of ['reporter', 'failing', 'reporter']) await programs.waitFor(await run(id), 10_000);
  const sleeper = await run('sleeper');
  await new Promise((resolve) => setTimeout(resolve, 500));
  await server.request(`/executions/${sleeper}/cancel`, { method: 'POST' });
  const failed = await run('failing');
  await programs.waitFor(failed, 10_000);
  await run('ticker', { name: 'docs' });
  return { failed };
}

async function shoot(page: Page, name: string, hash: string, ready: (page: Page) => Promise<unknown> = async () => undefined): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  await page.waitForFunction(`location.hash === ${JSON.stringify(hash)} && document.querySelector('#page-title') !== null`);
  await page.locator('.loading').first().waitFor({ state: 'detached' });
  await ready(page);
  await page.evaluate('document.activeElement && document.activeElement.blur()');
  await page.waitForTimeout(150);
  const file = join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  process.stdout.write(`  ${file.slice(ROOT.length)}  ${Math.round(statSync(file).size / 1024)} KB\n`);
}

async function main(): Promise<void> {
  const missing = chromiumUnavailable();
  if (missing) throw new Error(`screenshots need Chromium: ${missing}`);
  ensureUiBuilt();
  mkdirSync(OUT, { recursive: true });
  const programsFolder = mkdtempSync(join(tmpdir(), 'hookflow-screenshots-programs-'));
  cpSync(join(ROOT, 'test', 'fixtures', 'programs', 'ui'), programsFolder, { recursive: true });
  const server = await startTestServer({}, { HOOKFLOW_PROGRAMS: join(programsFolder, 'config.yaml') });
  const browser = await launchChromium();
  const worker = await server.engine.createWorker({ workflowId: null, maxParallelJobs: 4, capacity: null, idleTimeoutMs: null });
  const working = worker.run();
  try {
    const { failedEvent } = await seed(server);
    const workflows = await seedWorkflows(server);
    process.stdout.write(`screenshots of ${server.url} into ${OUT.slice(ROOT.length)}/\n`);

    const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', deviceScaleFactor: 1 });
    const page = await desktop.newPage();
    await page.goto(`${server.url}/`);
    await page.getByLabel('Username').waitFor();
    await page.screenshot({ path: join(OUT, 'login.png') });
    process.stdout.write('  docs/screenshots/login.png\n');
    await signIn(page, server.url, 'admin', TEST_ADMIN_PASSWORD);

    await shoot(page, 'dashboard', '#/', (target) => target.locator('svg.chart').waitFor());
    await shoot(page, 'events', '#/events');
    await shoot(page, 'event', `#/events/${failedEvent}`, (target) => target.getByRole('article').first().waitFor());
    await shoot(page, 'hooks', '#/hooks');
    await shoot(page, 'hook', '#/hooks/notify_failures', async (target) => {
      await target.locator('pre.code-text[data-highlighted="yes"]').waitFor();
      await target.locator('pre.code-text').scrollIntoViewIfNeeded();
    });
    await shoot(page, 'hook-test', '#/hooks/notify_failures', async (target) => {
      await target.getByLabel('Event data (JSON object)').fill(JSON.stringify({ task: { task_name: 'backup-db', agent_name: 'worker-1', exit_code: 2, error: 'disk quota exceeded' } }, null, 2));
      await target.getByRole('button', { name: 'Run test' }).click();
      await target.locator('.test-result').waitFor();
      await target.locator('.test-result').scrollIntoViewIfNeeded();
    });
    await shoot(page, 'actions', '#/actions', (target) => target.locator('.action-card').first().waitFor());
    await shoot(page, 'action', '#/actions/log', async (target) => {
      await target.getByLabel('Message').fill('Deployed {{ 40 + 2 }} services to prod');
      await target.getByLabel('Level').selectOption({ label: 'Warning' });
      await target.getByRole('button', { name: 'Run', exact: true }).click();
      await target.locator('.action-result').waitFor();
      await target.locator('.action-result').scrollIntoViewIfNeeded();
    });
    await shoot(page, 'workflows', '#/workflows', (target) => target.locator('.wf-progress').first().waitFor());
    await shoot(page, 'workflow', `#/workflows/${workflows.running}?job=${workflows.failedJob}`, async (target) => {
      await target.locator('svg.dag').waitFor();
      await target.locator('section.wf-job .facts').waitFor();
    });
    const programs = await seedPrograms(server);
    await shoot(page, 'programs', '#/programs', (target) => target.locator('tr[data-execution]').first().waitFor());
    await shoot(page, 'program-stats', '#/programs', async (target) => {
      await target.locator('figure[data-chart="program"] g[data-bar]').first().waitFor();
      await target.evaluate(`document.querySelector('.program-charts').scrollIntoView({ block: 'end' })`);
    });
    await shoot(page, 'program-execution', `#/programs/executions/${programs.failed}`, (target) => target.getByLabel('stderr', { exact: true }).waitFor());
    await shoot(page, 'schedules', '#/schedules');
    await shoot(page, 'webhooks', '#/webhooks');
    await shoot(page, 'secrets', '#/secrets');
    await shoot(page, 'users', '#/users');

    const dark = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    const darkPage = await dark.newPage();
    await signIn(darkPage, server.url, 'admin', TEST_ADMIN_PASSWORD);
    await shoot(darkPage, 'dashboard-dark', '#/', (target) => target.locator('svg.chart').waitFor());

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'light' });
    const small = await phone.newPage();
    await signIn(small, server.url, 'admin', TEST_ADMIN_PASSWORD);
    await shoot(small, 'phone-dashboard', '#/', (target) => target.locator('svg.chart').waitFor());
    await shoot(small, 'phone-event', `#/events/${failedEvent}`, (target) => target.getByRole('article').first().waitFor());
    await shoot(small, 'phone-workflow', `#/workflows/${workflows.running}`, async (target) => {
      await target.locator('svg.dag').waitFor();
      await target.evaluate(`document.querySelector('.state-legend').scrollIntoView()`);
    });
  } finally {
    await worker.stop(2000);
    await working;
    await browser.close();
    writeFileSync(join(programsFolder, 'scripts', 'ticker', 'gate'), '');
    await server.stop();
    rmSync(programsFolder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshots: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
