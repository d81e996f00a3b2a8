import { parentPort, workerData } from 'node:worker_threads';
import type { JsonValue } from '../../../events/model.js';
import { HookflowError, errorMessage } from '../../../errors.js';
import type { HookRunResult } from '../../model.js';
import { LuaEngine, type HostCall, type HostOp, type LuaRunHandle } from './engine.js';
import type { FromWorker, LuaWorkerData, ToWorker } from './protocol.js';

/**
 * A Lua worker thread: one engine, driven by batches of messages from the main thread. Host calls
 * (state, secrets, dispatch) go back to the main thread and wait for the reply; http and exec run
 * here. Results are sent in batches too.
 */
const port = parentPort;
if (!port) throw new Error('the Lua worker must run in a worker thread');
const data = workerData as LuaWorkerData;

const outbox: FromWorker[] = [];
let flushQueued = false;
const flush = (): void => {
  flushQueued = false;
  if (outbox.length === 0) return;
  port.postMessage(outbox.splice(0));
};
const send = (message: FromWorker): void => {
  outbox.push(message);
  if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flush);
  }
};

const handles = new Map<number, LuaRunHandle>();
const calls = new Map<number, { resolve(value: JsonValue): void; reject(error: Error): void }>();
let nextCall = 1;
const hostFor = (id: number): HostCall => (op: HostOp, args: JsonValue[]) =>
  new Promise<JsonValue>((resolve, reject) => {
    const call = nextCall++;
    calls.set(call, { resolve, reject });
    send({ k: 'call', id, call, op, args });
  });

let engine: LuaEngine | null = null;
const waiting: ToWorker[][] = [];

const handle = (batch: ToWorker[]): void => {
  const current = engine as LuaEngine;
  for (const message of batch) {
    switch (message.k) {
      case 'run': {
        const id = message.id;
        const done = (result: HookRunResult) => {
          handles.delete(id);
          send({ k: 'done', id, result });
        };
        const runHandle = current.start(message.job, hostFor(id), done);
        if (runHandle) handles.set(id, runHandle);
        break;
      }
      case 'cancel': {
        const runHandle = handles.get(message.id);
        if (runHandle) current.cancel(runHandle);
        break;
      }
      case 'reply': {
        const pending = calls.get(message.call);
        if (!pending) break;
        calls.delete(message.call);
        if (message.ok) pending.resolve(message.value);
        else pending.reject(new Error(message.message));
        break;
      }
      case 'inspect': {
        const id = message.id;
        current.inspect(message.path, message.timeout_ms).then(
          (meta) => send({ k: 'inspected', id, meta }),
          (error: unknown) =>
            send({
              k: 'inspected',
              id,
              error:
                error instanceof HookflowError
                  ? { code: error.code, message: error.message, details: { ...error.details } }
                  : { code: 'HF_ERR_INVALID_HOOK', message: errorMessage(error), details: {} },
            }),
        );
        break;
      }
    }
  }
  if (current.broken) {
    send({ k: 'fatal', message: current.broken });
    flush();
    process.exit(1);
  }
  flush();
};

port.on('message', (batch: ToWorker[]) => {
  if (engine) handle(batch);
  else waiting.push(batch);
});

const started = performance.now();
engine = await LuaEngine.create({ home: data.home, envAllowlist: data.envAllowlist });
engine.warm();
send({ k: 'ready', createMs: performance.now() - started });
for (const batch of waiting.splice(0)) handle(batch);
flush();
