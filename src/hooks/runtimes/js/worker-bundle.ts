/**
 * The worker's own code (worker.ts and what it imports) bundled to one plain JavaScript module,
 * once per process, with the esbuild that tsx brings. A worker then starts in ~50 ms instead of
 * ~600 ms: it does not need tsx to read its own code, only (lazily) for TypeScript hooks.
 * If bundling fails for any reason the worker loads worker.ts through tsx, slower but the same.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const WORKER_SOURCE = new URL('./worker.ts', import.meta.url);

interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<{ outputFiles?: Array<{ text: string }> }>;
}

let workerUrl: Promise<string> | null = null;

/** A `data:` URL of the bundled worker code, or worker.ts's file URL when bundling is not possible. */
export function workerModuleUrl(): Promise<string> {
  workerUrl ??= bundleWorker().catch(() => WORKER_SOURCE.href);
  return workerUrl;
}

/** tsx's ESM hooks module, which loader-hooks.mjs loads the first time a TypeScript file is imported. */
export function tsxHooksUrl(): string | null {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
  } catch {
    return null;
  }
}

async function bundleWorker(): Promise<string> {
  const esbuild = await loadEsbuild();
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(WORKER_SOURCE)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles?.[0]?.text;
  if (!code) throw new Error('esbuild produced no output');
  return `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`;
}

/** esbuild as tsx depends on it, found from tsx's own folder (it need not be hoisted). */
async function loadEsbuild(): Promise<EsbuildApi> {
  const fromHere = createRequire(import.meta.url);
  const fromTsx = createRequire(fromHere.resolve('tsx/package.json'));
  const loaded = (await import(pathToFileURL(fromTsx.resolve('esbuild')).href)) as { default?: EsbuildApi } & Partial<EsbuildApi>;
  const api = loaded.build ? (loaded as EsbuildApi) : loaded.default;
  if (!api?.build) throw new Error('esbuild has no build()');
  return api;
}
