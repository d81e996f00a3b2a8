import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { requireService } from '../support/services.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../support/server.js';
import { chromiumUnavailable, ensureUiBuilt, horizontalOverflow, launchChromium, signIn, typeAsItOpens } from './browser.js';

/** Every page of the UI, as hash routes; `EVENT` and `HOOK` are filled in by the test. */
const PAGES = ['#/', '#/events', '#/events/EVENT', '#/hooks', '#/hooks/HOOK', '#/schedules', '#/webhooks', '#/watchers', '#/secrets', '#/users'];
const HOOK = 'greet';

// One server for the file: starting one costs more than all the checks of the serving part.
let server: TestServer;
before(async () => {
  ensureUiBuilt();
  server = await startTestServer();
  await server.engine.hooks.addCommands({ name: HOOK, events: ['demo.*'], commands: ['echo hi'] });
});
after(async () => server?.stop());

describe('the web UI is served at /', () => {
  it('answers index.html to a browser without a token, and API information to an API client', async () => {
    const page = await fetch(`${server.url}/`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const html = await page.text();
    assert.match(html, /<div id="app"><\/div>/);

    const api = await server.request('/');
    assert.equal(api.status, 200);
    assert.equal(((await api.json()) as { name: string }).name, 'hookflow');
    assert.equal((await fetch(`${server.url}/`)).status, 401, 'no token and no text/html: the API answers');
  });

  it('serves the assets index.html names, cached for good, without a token', async () => {
    const html = await (await fetch(`${server.url}/`, { headers: { accept: 'text/html' } })).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
    assert.ok(assets.some((path) => path.endsWith('.js')) && assets.some((path) => path.endsWith('.css')), `assets in index.html: ${assets.join(', ')}`);
    for (const path of assets) {
      const answer = await fetch(`${server.url}${path}`);
      assert.equal(answer.status, 200, path);
      assert.match(answer.headers.get('cache-control') ?? '', /immutable/, path);
      await answer.arrayBuffer();
    }
    assert.equal((await fetch(`${server.url}/assets/missing.js`)).status, 404);
  });
});

describe('the web UI in Chromium', requireService('chromium', chromiumUnavailable()), () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let eventId = '';
  const problems: string[] = [];

  const watch = (target: Page) => {
    target.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    target.on('console', (message) => {
      // 4xx answers the UI shows as notices are expected; script and CSP errors are not.
      if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
  };

  before(async () => {
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    watch(page);
  });
  after(async () => browser?.close());

  it('refuses a wrong password, then signs in as the admin with the keyboard', async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'wrong username or password' }).waitFor();

    await signIn(page, server.url, 'admin', TEST_ADMIN_PASSWORD);
    const stored = await page.evaluate('sessionStorage.getItem("hookflow.session")');
    assert.match(String(stored), /"username":"admin"/);
    assert.equal(await page.getByRole('link', { name: 'Users & tokens' }).count(), 1, 'admins see the users page');
  });

  it('shows an event published through the API as it arrives, without a reload', async () => {
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    // Sign-in made security.* events already: wait for the first page of the list, then publish.
    await page.locator('table.events-table').waitFor();
    assert.equal(await page.locator('tr', { hasText: 'demo.hello' }).count(), 0);

    const answer = await server.request('/events', { method: 'POST', role: 'operator', json: { type: 'demo.hello', data: { greeting: 'hello from the test' } } });
    assert.equal(answer.status, 201);
    eventId = ((await answer.json()) as { event: { id: string } }).event.id;

    const row = page.locator(`tr[data-event-id="${eventId}"]`);
    await row.getByRole('link', { name: 'demo.hello' }).waitFor();
    await row.getByText('completed').waitFor();
  });

  it('keeps what is typed into the filters the moment the page opens', async () => {
    await page.getByRole('link', { name: 'Hooks', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Hooks' }).waitFor();
    assert.deepEqual(await typeAsItOpens(page, '#/events', { 'input[name="type"]': 'task.*', 'input[name="stack"]': 'prod' }), { 'input[name="type"]': 'task.*', 'input[name="stack"]': 'prod' });
    await page.getByLabel('Type').first().fill('');
    await page.getByLabel('Stack').first().fill('');
  });

  it('filters with Enter, keeping the filter in the address', async () => {
    await page.getByLabel('Type').first().fill('other.*');
    await page.getByLabel('Type').first().press('Enter');
    await page.getByText(/No events match these filters/).waitFor();
    assert.match(page.url(), /#\/events\?type=other\.\*/);
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.locator(`tr[data-event-id="${eventId}"]`).waitFor();
  });

  it("opens the event and shows its hook execution's output", async () => {
    await page.getByRole('link', { name: 'demo.hello' }).click();
    await page.getByRole('heading', { level: 1, name: 'demo.hello' }).waitFor();
    const execution = page.getByRole('article', { name: `hook ${HOOK}` });
    await execution.getByText('success').waitFor();
    assert.match((await execution.locator('pre').first().textContent()) ?? '', /^hi$/m);
    await page.getByText('hello from the test').waitFor();
  });

  it('replays the event into a new one', async () => {
    await page.getByRole('button', { name: 'Replay' }).click();
    await page.waitForURL((url) => url.hash.startsWith('#/events/') && !url.hash.endsWith(eventId));
    await page.getByRole('link', { name: eventId }).waitFor();
  });

  it("shows a hook's highlighted source and runs a test with JSON checked before it is sent", async () => {
    await page.goto(`${server.url}/#/hooks/${HOOK}`);
    await page.getByRole('heading', { level: 1, name: `Hook ${HOOK}` }).waitFor();
    await page.locator('pre.code-text[data-highlighted="yes"]').waitFor();
    assert.equal(await page.locator('pre.code-text .hljs-built_in, pre.code-text .hljs-keyword').first().textContent(), 'echo');

    const data = page.getByLabel('Event data (JSON object)');
    await data.fill('{"n": 1,}');
    await page.getByText(/at line 1, column \d+/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Run test' }).isDisabled(), true);
    await data.fill('[1]');
    await page.getByText(/must be a JSON object/).waitFor();
    await data.fill('{"n": 1}');
    await data.press('Control+Enter');
    const result = page.locator('.test-result');
    await result.getByText('success').waitFor();
    assert.match((await result.locator('pre').first().textContent()) ?? '', /^hi$/m);
  });

  it('disables a hook from the Hooks page, as the API then reports', async () => {
    await page.getByRole('link', { name: 'Hooks', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Hooks' }).waitFor();
    await page.getByRole('button', { name: `Disable hook ${HOOK}` }).click();
    await page.locator(`tr[data-hook="${HOOK}"]`).getByText('disabled').waitFor();
    const hook = (await (await server.request(`/hooks/${HOOK}`)).json()) as { enabled: boolean };
    assert.equal(hook.enabled, false);
  });

  it('creates an API token and shows it once', async () => {
    await page.getByRole('link', { name: 'Users & tokens' }).click();
    const name = page.getByLabel('Name', { exact: true });
    await name.fill('ci-bot');
    await name.press('Enter');
    const token = await page.getByLabel('the new token').inputValue();
    assert.match(token, /^hf_/);
    const me = await fetch(`${server.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200, 'the token shown works');
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByLabel('the new token').count(), 0);
  });

  it('says so when the server lacks a route, instead of showing an empty page', async () => {
    await page.route('**/schedules', (route) =>
      route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'HF_ERR_NOT_FOUND', message: 'no route GET /schedules', details: {} } }) }),
    );
    await page.goto(`${server.url}/#/schedules`);
    await page.getByText('Not available on this server.').waitFor();
    await page.unroute('**/schedules');
  });

  it('fits every page into a phone-width screen (390 px) and a desktop one (1280 px, tables included)', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    phone.setDefaultTimeout(10_000);
    const small = await phone.newPage();
    watch(small);
    await signIn(small, server.url, 'admin', TEST_ADMIN_PASSWORD);
    for (const [target, width] of [
      [small, 390],
      [page, 1280],
    ] as const) {
      for (const hash of PAGES) {
        // As a person moves between pages: the hash changes, the document stays.
        await target.evaluate(`location.hash = ${JSON.stringify(hash.replace('EVENT', eventId).replace('HOOK', HOOK))}`);
        await target.waitForFunction(`location.hash === ${JSON.stringify(hash.replace('EVENT', eventId).replace('HOOK', HOOK))} && document.querySelector('#page-title') !== null`);
        await target.locator('.loading').first().waitFor({ state: 'detached' });
        assert.equal(await horizontalOverflow(target), 0, `${hash} overflows sideways at ${width} px`);
        if (width >= 1280) {
          // At desktop width no table should need its own sideways scrolling either.
          const cramped = await target.evaluate('[...document.querySelectorAll(".table-wrap")].filter((wrap) => wrap.scrollWidth > wrap.clientWidth).length');
          assert.equal(cramped, 0, `${hash}: a table scrolls sideways at ${width} px`);
        }
      }
    }
    await phone.close();
  });

  it('signs out, and logged no script or security-policy errors on the way', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("hookflow.session")'), null);
    assert.deepEqual(problems, []);
  });
});
