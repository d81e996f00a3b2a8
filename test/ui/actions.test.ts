import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { requireService } from '../support/services.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { chromiumUnavailable, ensureUiBuilt, horizontalOverflow, launchChromium, signIn } from './browser.js';

/**
 * The Actions pages in Chromium: the catalogue by category, a form generated from an action's
 * params schema (required fields, showWhen, JSON checking, a slider, checkboxes), runs with their
 * status, outputs, log and the server's per-field refusals, and the viewer's read-only form.
 */

const OPERATOR = { username: 'olga', password: 'olga-password-1' };
const VIEWER = { username: 'vic', password: 'vic-password-1' };

/** A plugin in HOOKFLOW_HOME/actions with every kind of control the form draws. */
const FORM_DEMO = `export default {
  meta: {
    type: 'form_demo', version: '0.1.0', name: 'Form Demo', description: 'Echoes its params (a test plugin).',
    category: 'Testing', icon: 'code', color: '#0ea5e9', executionMode: 'sync', idempotent: true,
    params: [
      { name: 'mode', label: 'Mode', type: 'select', default: 'simple', options: [{ label: 'Simple', value: 'simple' }, { label: 'Custom', value: 'custom' }] },
      { name: 'code', label: 'Code', type: 'string', required: true, showWhen: { param: 'mode', equals: 'custom' },
        validation: { pattern: '^[A-Z]{3}$', patternMessage: 'must be three capital letters' } },
      { name: 'level', label: 'Level', type: 'range', default: 3, validation: { min: 1, max: 10 } },
      { name: 'colours', label: 'Colours', type: 'multiselect', options: [{ label: 'Red', value: 'red' }, { label: 'Blue', value: 'blue' }] },
      { name: 'loud', label: 'Loud', type: 'boolean', default: false },
      { name: 'extra', label: 'Extra', type: 'json', group: 'Advanced' },
    ],
    outputs: [{ name: 'echo', type: 'object', description: 'The params as received' }],
  },
  execute(ctx) {
    ctx.log.info('echoing ' + Object.keys(ctx.params).sort().join(','));
    return { success: true, outputs: { echo: ctx.params } };
  },
};
`;

let server: TestServer;
before(async () => {
  ensureUiBuilt();
  server = await startTestServer();
  // The catalogue loads on first use: plugins put in place now are found then.
  const folder = join(server.home, 'actions');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'form-demo.mjs'), FORM_DEMO);
  writeFileSync(join(folder, 'broken.mjs'), "throw new Error('this plugin is broken on purpose');\n");
  await server.ctx.auth.addUser(OPERATOR.username, OPERATOR.password, 'operator');
  await server.ctx.auth.addUser(VIEWER.username, VIEWER.password, 'viewer');
});
after(async () => server?.stop());

describe('the Actions pages in Chromium', requireService('chromium', chromiumUnavailable()), () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const runs: Array<{ type: string; body: { params?: Record<string, unknown> } }> = [];

  const watch = (target: Page) => {
    target.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    target.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    target.on('request', (request: Request) => {
      const found = /\/actions\/([^/]+)\/run$/.exec(new URL(request.url()).pathname);
      if (found && request.method() === 'POST') runs.push({ type: found[1], body: request.postDataJSON() as { params?: Record<string, unknown> } });
    });
  };
  const lastRun = () => runs[runs.length - 1];
  const open = async (type: string) => {
    await page.evaluate(`location.hash = ${JSON.stringify(`#/actions/${type}`)}`);
    await page.getByRole('button', { name: 'Run', exact: true }).waitFor();
  };

  before(async () => {
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    watch(page);
    await signIn(page, server.url, OPERATOR.username, OPERATOR.password);
  });
  after(async () => browser?.close());

  it('lists the actions by category with icon and colour, and says which plugin failed to load', async () => {
    await page.getByRole('link', { name: 'Actions', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Actions' }).waitFor();
    for (const category of ['Control Flow', 'Integration', 'Testing']) await page.getByRole('heading', { level: 2, name: new RegExp(`^${category}`) }).waitFor();

    const log = page.locator('section[data-category="Control Flow"] li[data-action="log"]');
    await log.getByRole('link', { name: 'Log' }).waitFor();
    assert.equal(await log.locator('.action-icon svg path').count() > 0, true, 'the log icon is drawn');
    // The test's own tsconfig has no DOM types: the page-side code is given as text.
    assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('li[data-action="log"]')).getPropertyValue('--action-color').trim()`), '#64748b');
    const demo = page.locator('section[data-category="Testing"] li[data-action="form_demo"]');
    assert.match((await demo.textContent()) ?? '', /plugin/);

    const notice = page.getByRole('note').filter({ hasText: 'could not be loaded' });
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /broken\.mjs.*this plugin is broken on purpose/s);

    await page.getByLabel('Filter').fill('slack');
    await page.locator('li[data-action="notification"]').waitFor();
    assert.equal(await page.locator('li[data-action="log"]').count(), 0, 'filtered out');
    await page.getByLabel('Filter').fill('');
  });

  it('refuses to run log without its required message, then runs it and shows status, outputs and log', async () => {
    await page.locator('li[data-action="log"]').getByRole('link', { name: 'Log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Log' }).waitFor();
    const before = runs.length;
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByText('Message is required').waitFor();
    assert.equal(runs.length, before, 'nothing was sent');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'param-message', 'focus moved to the field');

    await page.getByLabel('Message').fill('deploy {{ 6 * 7 }} done');
    assert.equal(await page.getByText('Message is required').count(), 0, 'the problem goes as it is fixed');
    await page.getByLabel('Level').selectOption({ label: 'Warning' });
    await page.getByLabel('Message').press('Control+Enter');
    const result = page.getByRole('status', { name: 'Run result' });
    await result.getByText('completed', { exact: true }).waitFor();
    assert.deepEqual(lastRun().body, { params: { message: 'deploy {{ 6 * 7 }} done', level: 'warning' } });
    const outputs = JSON.parse((await result.getByLabel('outputs').textContent()) ?? '{}') as Record<string, unknown>;
    assert.deepEqual(outputs, { logged: true, message: 'deploy 42 done', level: 'warning' });
    assert.match((await result.getByLabel('log').textContent()) ?? '', /\[warn(ing)?\] deploy 42 done/);

    await page.getByRole('button', { name: 'Fill in: Log a start message' }).click();
    assert.match(await page.getByLabel('Message').inputValue(), /^Starting workflow with message/);
    assert.equal(await result.count(), 0, 'the old result goes with a new fill-in');
  });

  it('shows and hides fields by showWhen, checks a pattern, and sends no hidden field', async () => {
    await open('form_demo');
    const code = page.getByLabel('Code');
    assert.equal(await code.count(), 0, 'hidden while mode is simple');
    await page.getByLabel('Mode').selectOption({ label: 'Custom' });
    await code.waitFor();
    await code.fill('abc');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByText('Code must be three capital letters').waitFor();
    await code.fill('ABC');

    // The range is a slider showing its number; multiselect is checkboxes; JSON is checked as typed.
    const slider = page.getByLabel('Level');
    assert.equal(await slider.getAttribute('type'), 'range');
    await slider.fill('7');
    await page.locator('output.range-value').getByText('7', { exact: true }).waitFor();
    await page.getByRole('checkbox', { name: 'Blue' }).check();
    await page.getByRole('checkbox', { name: 'Loud' }).check();
    await page.getByLabel('Extra').fill('{"a": 1,\n}');
    await page.getByText(/at line 2, column 1/).waitFor();
    const sentBefore = runs.length;
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByText('One field needs attention before the run: Extra.').waitFor();
    assert.equal(runs.length, sentBefore, 'broken JSON is not sent');
    await page.getByLabel('Extra').fill('{"a": [1, 2]}');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const result = page.getByRole('status', { name: 'Run result' });
    await result.getByText('completed', { exact: true }).waitFor();
    assert.deepEqual(lastRun().body.params, { mode: 'custom', code: 'ABC', level: 7, colours: ['blue'], loud: true, extra: { a: [1, 2] } });

    await page.getByLabel('Mode').selectOption({ label: 'Simple' });
    await code.waitFor({ state: 'detached' });
    const sent = runs.length;
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await result.getByText('completed', { exact: true }).waitFor();
    assert.equal(runs.length, sent + 1);
    assert.equal('code' in (lastRun().body.params ?? {}), false, 'a hidden field is not sent');
    assert.match((await result.getByLabel('log').textContent()) ?? '', /echoing colours,extra,level,loud,mode$/m);
  });

  it("shows the server's refusal of a field the client cannot check, at the field", async () => {
    await open('notification');
    await page.getByLabel('Channel').selectOption({ label: 'Slack' });
    await page.getByLabel('Webhook URL').fill('https://hooks.example/x');
    assert.equal(await page.getByLabel('SMTP host').count(), 0);
    await page.getByLabel('Channel').selectOption({ label: 'Email' });
    await page.getByRole('group', { name: 'Email (SMTP)' }).getByLabel('SMTP host').waitFor();
    assert.equal(await page.getByLabel('Webhook URL').count(), 0, 'no webhook URL for e-mail');
    await page.getByLabel('Message').fill('disk full');
    await page.getByRole('button', { name: 'Run', exact: true }).click();

    const result = page.getByRole('status', { name: 'Run result' });
    await result.getByText('failed', { exact: true }).waitFor();
    await result.getByRole('alert').getByText('The server refused these params:').waitFor();
    await result.getByRole('link', { name: /recipients is required for email/ }).waitFor();
    await page.locator('[data-param="recipients"] .field-error').getByText(/Recipients is required for email/).waitFor();
    assert.equal(lastRun().body.params?.url, undefined, 'the hidden URL was not sent');
    assert.equal(lastRun().body.params?.channel, 'email');

    await page.getByLabel('Recipients').fill('["ops@example.com"]');
    assert.equal(await page.locator('[data-param="recipients"] .field-error').count(), 0, "the server's complaint goes once the field changes");
  });

  it('fits a phone-width screen (390 px), and shows viewers the form disabled with a note', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    phone.setDefaultTimeout(10_000);
    const small = await phone.newPage();
    watch(small);
    await signIn(small, server.url, VIEWER.username, VIEWER.password);
    for (const hash of ['#/actions', '#/actions/notification', '#/actions/form_demo', '#/actions/conditional']) {
      await small.evaluate(`location.hash = ${JSON.stringify(hash)}`);
      await small.waitForFunction(`location.hash === ${JSON.stringify(hash)} && document.querySelector('#page-title') !== null`);
      await small.locator('.loading').first().waitFor({ state: 'detached' });
      await small.locator('.action-card, .action-form').first().waitFor();
      assert.equal(await horizontalOverflow(small), 0, `${hash} overflows sideways at 390 px`);
    }
    await small.evaluate(`location.hash = '#/actions/log'`);
    await small.getByText('Running an action needs the operator role').waitFor();
    assert.equal(await small.getByRole('button', { name: 'Run', exact: true }).isDisabled(), true);
    assert.equal(await small.getByLabel('Message').isDisabled(), true);
    await small.getByRole('button', { name: 'Fill in: Log a start message' }).click();
    assert.match(await small.getByLabel('Message').inputValue(), /^Starting workflow/, 'a viewer can still read an example in the form');
    await phone.close();
  });

  it('says so for an unknown action, and logged no script or security-policy errors', async () => {
    await page.evaluate(`location.hash = '#/actions/no_such_action'`);
    await page.getByRole('alert').filter({ hasText: /no_such_action/ }).waitFor();
    assert.deepEqual(problems, []);
  });
});
