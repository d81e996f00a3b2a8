/**
 * Module resolution hooks for hook scripts, registered inside each JS runtime worker (it runs on
 * Node's loader thread). Plain JavaScript: it is what brings TypeScript support.
 *
 * - TypeScript (`.ts`, `.mts`) goes through tsx, loaded the first time a TypeScript file is
 *   resolved: a worker that only runs `.js` hooks never pays the ~300 ms tsx costs to start.
 * - `import … from 'hookflow'` resolves to hookflow's own entry, wherever the hook file lives.
 * - A bare specifier that cannot be found near the hook file is looked up again from hookflow's own
 *   folder, so a hook in HOOKFLOW_HOME can import the packages hookflow ships with (yaml, …).
 * - A `.js`/`.ts` file outside node_modules with no `"type"` in its package.json is loaded as an ES
 *   module when it uses import/export (Node does this for `.js` by itself; tsx would otherwise turn
 *   it into CommonJS, where the two rules above do not apply).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let hookflowEntryUrl = null;
let hookflowRootUrl = null;
let tsxUrl = null;
/** tsx's own hooks module once loaded; from then on every resolve and load goes through it. */
let tsx = null;
let tsxLoading = null;

export function initialize(data) {
  hookflowRootUrl = data?.rootUrl ?? null;
  tsxUrl = data?.tsxUrl ?? null;
  const entries = Array.isArray(data?.entryUrls) ? data.entryUrls : [];
  hookflowEntryUrl = entries.find((url) => existsSync(new URL(url))) ?? null;
}

const TYPESCRIPT = /\.[cm]?tsx?(\?.*)?$/;
const BARE = /^(?![a-z][a-z0-9+.-]*:|\.{0,2}\/|#)/i;
const MAYBE_TYPELESS = /^file:.*\.(js|ts)(\?.*)?$/;
const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s+(default|const|let|var|function|async|class|\{|\*))/m;

function loadTsx() {
  tsxLoading ??= (async () => {
    if (!tsxUrl) throw new Error('TypeScript hooks need tsx, which was not found');
    const hooks = await import(tsxUrl);
    await hooks.initialize?.({});
    tsx = hooks;
    return hooks;
  })();
  return tsxLoading;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'hookflow' && hookflowEntryUrl) {
    if (!tsx && TYPESCRIPT.test(hookflowEntryUrl)) await loadTsx();
    return { url: hookflowEntryUrl, format: 'module', shortCircuit: true };
  }
  if (!tsx && (TYPESCRIPT.test(specifier) || TYPESCRIPT.test(context.parentURL ?? ''))) await loadTsx();
  const next = tsx ? (spec, ctx) => tsx.resolve(spec, ctx, nextResolve) : nextResolve;
  let resolved;
  try {
    resolved = await next(specifier, context);
  } catch (error) {
    const retry = hookflowRootUrl && BARE.test(specifier) && error?.code === 'ERR_MODULE_NOT_FOUND';
    if (!retry) throw error;
    resolved = await next(specifier, { ...context, parentURL: hookflowRootUrl });
  }
  if (!tsx && TYPESCRIPT.test(resolved.url)) await loadTsx();
  if (resolved.format === 'commonjs' && MAYBE_TYPELESS.test(resolved.url) && !resolved.url.includes('/node_modules/')) {
    const path = fileURLToPath(resolved.url.replace(/\?.*$/, ''));
    if (packageType(dirname(path)) === null && looksLikeEsm(path)) return { ...resolved, format: 'module' };
  }
  return resolved;
}

export async function load(url, context, nextLoad) {
  if (!tsx && TYPESCRIPT.test(url)) await loadTsx();
  return tsx ? tsx.load(url, context, nextLoad) : nextLoad(url, context);
}

const packageTypes = new Map();

/** The `"type"` of the nearest package.json, or null when it has none (or there is none). */
function packageType(dir) {
  if (packageTypes.has(dir)) return packageTypes.get(dir);
  let type = null;
  const file = join(dir, 'package.json');
  if (existsSync(file)) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8'));
      type = typeof parsed.type === 'string' ? parsed.type : null;
    } catch {
      type = null;
    }
  } else {
    const parent = dirname(dir);
    type = parent === dir ? null : packageType(parent);
  }
  packageTypes.set(dir, type);
  return type;
}

function looksLikeEsm(path) {
  try {
    return ESM_SYNTAX.test(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
}
