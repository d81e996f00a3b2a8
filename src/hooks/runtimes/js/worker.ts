/**
 * The inside of a JS runtime worker: loads hook modules (cached per path and file version), runs
 * many hook runs concurrently, and answers the main thread in batches.
 */
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { HookflowError } from '../../../errors.js';
import type { EventRecord } from '../../../events/model.js';
import { RunContext, type HostBridge } from './context.js';
import { hookFromModule, type LoadedHook } from './meta.js';
import { describeThrown, outcomeOfError, outcomeOfReturn } from './outcome.js';
import type { FromWorker, HostOperation, ToWorker, WireError } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('the JS hook worker must run in a worker thread');

let outbox: FromWorker[] = [];
let flushScheduled = false;

function send(message: FromWorker): void {
  outbox.push(message);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  flushScheduled = false;
  const batch = outbox;
  outbox = [];
  port?.postMessage(batch);
}

// ---- host calls (state, secret, dispatch) ----

const pendingCalls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let nextCallId = 1;

const bridge: HostBridge = {
  call(runId: number, operation: HostOperation, args: readonly unknown[]): Promise<unknown> {
    const callId = nextCallId++;
    return new Promise((resolve, reject) => {
      pendingCalls.set(callId, { resolve, reject });
      send(['call', callId, runId, operation, args]);
    });
  },
};

// ---- modules, cached by path and file version ----

interface CachedModule {
  version: string;
  hook: Promise<LoadedHook>;
}

const modules = new Map<string, CachedModule>();
/** File versions seen during the current batch: one stat per file per batch, not per run. */
const versionsThisBatch = new Map<string, string>();

function fileVersion(path: string): string {
  let version = versionsThisBatch.get(path);
  if (version === undefined) {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) throw new HookflowError('HF_ERR_INVALID_HOOK', `hook file ${path} does not exist`, { where: path });
    if (!stats.isFile()) throw new HookflowError('HF_ERR_INVALID_HOOK', `hook file ${path} is not a file`, { where: path });
    version = `${stats.mtimeMs}-${stats.size}`;
    versionsThisBatch.set(path, version);
  }
  return version;
}

function loadHook(path: string): Promise<LoadedHook> {
  let version: string;
  try {
    version = fileVersion(path);
  } catch (error) {
    return Promise.reject(error);
  }
  const cached = modules.get(path);
  if (cached && cached.version === version) return cached.hook;
  // A changed file gets a new URL, so Node's module map loads it afresh (the old one stays in memory).
  const url = `${pathToFileURL(path).href}?v=${encodeURIComponent(version)}`;
  const hook = import(url).then(
    (namespace: Record<string, unknown>) => hookFromModule(namespace, path),
    (error: unknown) => {
      throw new HookflowError('HF_ERR_INVALID_HOOK', `cannot load hook file ${path}: ${describeThrown(error)}`, { where: path });
    },
  );
  // A failed load stays cached too: Node keeps the failure for that URL, and a fix changes the file.
  hook.catch(() => undefined);
  modules.set(path, { version, hook });
  return hook;
}

// ---- runs ----

const runs = new Map<number, RunContext>();

async function run(runId: number, path: string, hookName: string, attempt: number, event: EventRecord): Promise<void> {
  const ctx = new RunContext(event, attempt, runId, bridge);
  runs.set(runId, ctx);
  let result;
  try {
    const hook = await loadHook(path);
    result = outcomeOfReturn(await hook.execute(event, ctx), ctx.logLines, hookName);
  } catch (error) {
    result = outcomeOfError(error, ctx.logLines);
  }
  runs.delete(runId);
  send(['done', runId, result.success, result.output, result.error]);
}

async function inspect(requestId: number, path: string): Promise<void> {
  try {
    const hook = await loadHook(path);
    send(['meta', requestId, true, hook.meta]);
  } catch (error) {
    const wire: WireError = { message: describeThrown(error) };
    if (error instanceof HookflowError) {
      if (error.details.where) wire.where = error.details.where;
      if (error.details.hint) wire.hint = error.details.hint;
    }
    send(['meta', requestId, false, wire]);
  }
}

port.on('message', (batch: readonly ToWorker[]) => {
  versionsThisBatch.clear();
  for (const message of batch) {
    switch (message[0]) {
      case 'run':
        void run(message[1], message[2], message[3], message[4], message[5]);
        break;
      case 'abort':
        // The main thread has already given its verdict; whatever the hook does now is not awaited.
        runs.get(message[1])?.abort(message[2]);
        runs.delete(message[1]);
        break;
      case 'reply': {
        const pending = pendingCalls.get(message[1]);
        if (!pending) break;
        pendingCalls.delete(message[1]);
        if (message[2]) pending.resolve(message[3]);
        else pending.reject(new Error(String(message[3])));
        break;
      }
      case 'inspect':
        void inspect(message[1], message[2]);
        break;
      case 'ping':
        port.postMessage([['pong', message[1]]]);
        break;
    }
  }
});

// A hook's stray error (a throw in a timer, an unhandled rejection) must not end the worker and
// the other runs on it; it cannot be tied to a run, so it goes to stderr.
process.on('uncaughtException', (error) => {
  process.stderr.write(`hookflow js hook: uncaught exception: ${describeThrown(error)}\n`);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`hookflow js hook: unhandled rejection: ${describeThrown(reason)}\n`);
});

send(['ready']);
