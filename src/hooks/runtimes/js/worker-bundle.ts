/**
 * The JS runtime's worker code, bundled once per process (src/worker-bundle.ts): the worker needs
 * tsx only (lazily) for TypeScript hooks. If bundling fails for any reason the worker loads
 * worker.ts through tsx, slower but the same.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { bundledModuleUrl } from '../../../worker-bundle.js';

const WORKER_SOURCE = new URL('./worker.ts', import.meta.url);

let workerUrl: Promise<string> | null = null;

/** A `data:` URL of the bundled worker code, or worker.ts's file URL when bundling is not possible. */
export function workerModuleUrl(): Promise<string> {
  workerUrl ??= bundledModuleUrl(WORKER_SOURCE).catch(() => WORKER_SOURCE.href);
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
