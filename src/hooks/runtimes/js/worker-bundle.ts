/**
 * The JS runtime's worker code (src/worker-bundle.ts): compiled, or bundled once per process from
 * the sources, so the worker needs tsx only (lazily) for TypeScript hooks. If bundling fails for
 * any reason the worker loads worker.ts through tsx, slower but the same.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { moduleUrl, workerCodeUrl } from '../../../worker-bundle.js';

const WORKER_MODULE = moduleUrl('./worker', import.meta.url);

let workerUrl: Promise<string> | null = null;

/** The worker's compiled module, a `data:` URL of it bundled, or worker.ts's file URL when bundling is not possible. */
export function workerModuleUrl(): Promise<string> {
  workerUrl ??= workerCodeUrl(WORKER_MODULE).catch(() => WORKER_MODULE.href);
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
