/**
 * Entry of a JS runtime worker. Plain JavaScript, because it sets up what TypeScript needs: Node 20
 * does not carry the main thread's module hooks into workers, so each worker registers
 * loader-hooks.mjs itself (which brings in tsx the first time a TypeScript file is imported),
 * then loads the worker's own code, bundled to plain JavaScript by the main thread (worker-bundle.ts).
 */
import Module, { register } from 'node:module';
import { workerData } from 'node:worker_threads';

process.setSourceMapsEnabled(true);
register(workerData.loaderHooksUrl, {
  data: { rootUrl: workerData.rootUrl, entryUrls: workerData.entryUrls, tsxUrl: workerData.tsxUrl },
});

// CommonJS hooks (`require`) do not pass through the hooks above: let them find hookflow's packages
// through NODE_PATH. This worker's process.env is its own copy, so the main thread is unaffected.
process.env.NODE_PATH = process.env.NODE_PATH ? `${process.env.NODE_PATH}:${workerData.nodeModulesDir}` : workerData.nodeModulesDir;
Module._initPaths?.();

await import(workerData.workerUrl);
