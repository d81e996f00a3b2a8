/**
 * bench/lib/api-load.ts as a worker thread (config in workerData, result posted back) or as a
 * child process (config as one JSON argument, result on stdout after the marker).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runLoad, type LoadConfig } from './api-load.js';
import { emitResult, readConfig } from './protocol.js';

if (isMainThread) {
  emitResult(await runLoad(readConfig<LoadConfig>()));
} else {
  parentPort?.postMessage(await runLoad(workerData as LoadConfig));
}
