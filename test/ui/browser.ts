/**
 * The web UI in a real browser, for the UI tests and `npm run screenshots`: Debian's Chromium
 * driven by playwright-core (no browser download), and a UI build that is never stale.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.HOOKFLOW_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI = join(ROOT, 'ui');
const DIST_INDEX = join(UI, 'dist', 'index.html');

/** Why Chromium cannot be used here, or null. */
export function chromiumUnavailable(): string | null {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return null;
  } catch {
    return `${CHROMIUM} is missing (apt-get install -y chromium)`;
  }
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** The UI's sources (and the shared pure modules it imports) changed after the last build. */
export function uiBuildStale(): boolean {
  if (!existsSync(DIST_INDEX)) return true;
  const built = statSync(DIST_INDEX).mtimeMs;
  const sources = [join(UI, 'src'), join(UI, 'index.html'), join(UI, 'vite.config.ts'), join(ROOT, 'src', 'events', 'patterns.ts')];
  return sources.some((path) => newestMtime(path) > built);
}

/** Builds ui/dist when it is missing or older than its sources (`npm run build:ui`). */
export function ensureUiBuilt(): void {
  if (!uiBuildStale()) return;
  const vite = join(ROOT, 'node_modules', '.bin', 'vite');
  const result = spawnSync(vite, ['build', '--config', join(UI, 'vite.config.ts'), '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building the UI failed (npm run build:ui):\n${result.stdout}\n${result.stderr}`);
}

/** Signs in through the login form and waits for the dashboard. */
export async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
}

/** How far the page is wider than the viewport (0 when nothing overflows sideways). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>;
}

/**
 * Opens `hash` and types into the fields (selector → text) the moment they appear, before the
 * page's effects have run (a MutationObserver's callback comes before the next frame), then
 * waits past those effects and returns what the fields hold. A form that sets its state after
 * its first render would have thrown the typing away; a quick user (or a test) types there.
 */
export async function typeAsItOpens(page: Page, hash: string, typed: Record<string, string>): Promise<Record<string, string>> {
  // In the page (plain JavaScript: this project's test code has no DOM types).
  const typeThere = `(hash, typed) => new Promise((resolve, reject) => {
    const fill = () => {
      const fields = Object.keys(typed).map((selector) => document.querySelector(selector));
      if (fields.some((field) => field === null)) return false;
      fields.forEach((field, index) => {
        field.value = Object.values(typed)[index];
        field.dispatchEvent(new Event('input', { bubbles: true }));
      });
      return true;
    };
    const observer = new MutationObserver(() => {
      if (!fill()) return;
      observer.disconnect();
      clearTimeout(giveUp);
      resolve();
    });
    const giveUp = setTimeout(() => {
      observer.disconnect();
      reject(new Error(Object.keys(typed).join(', ') + ' did not appear at ' + hash));
    }, 10000);
    observer.observe(document.body, { childList: true, subtree: true });
    location.hash = hash;
  })`;
  await page.evaluate(`(${typeThere})(${JSON.stringify(hash)}, ${JSON.stringify(typed)})`);
  // Effects run after the next frame (Preact: or after 100 ms without one): wait past both.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 150))))');
  const readBack = `(selectors) => Object.fromEntries(selectors.map((selector) => [selector, document.querySelector(selector)?.value ?? '(gone)']))`;
  return (await page.evaluate(`(${readBack})(${JSON.stringify(Object.keys(typed))})`)) as Record<string, string>;
}
