import { Worker } from 'node:worker_threads';
import { HookflowError } from '../../errors.js';
import { moduleUrl, workerCodeUrl } from '../../worker-bundle.js';
import type { EventWriteArgs, EventWriteName, EventWriteResult } from './event-writes.js';
import type { WriterBoot, WriterMessage, WriterReply, WriterRequest } from './writer-protocol.js';

const WORKER_MODULE = moduleUrl('./writer-worker', import.meta.url);

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The main thread's side of the SQLite writer thread: event writes are posted to a worker thread
 * that owns a second connection, and each promise resolves once the worker's COMMIT returned.
 * The statements and the WAL flush then run on the other core while the main thread dispatches.
 */
export class SqliteWriterThread {
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: WriterReply) => this.onReply(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', () => this.fail(new Error('the SQLite writer thread exited')));
    worker.unref();
  }

  /** Starts the thread; null when it cannot be started here (the caller then writes itself). */
  static async start(boot: Omit<WriterBoot, 'requireFrom'>): Promise<SqliteWriterThread | null> {
    try {
      const worker = new Worker(new URL(await workerCodeUrl(WORKER_MODULE)), {
        workerData: { ...boot, requireFrom: import.meta.url } satisfies WriterBoot,
        execArgv: [],
      });
      await new Promise<void>((resolve, reject) => {
        const onMessage = (reply: WriterReply) => {
          if (reply.kind !== 'ready') return;
          worker.off('error', reject);
          worker.off('message', onMessage);
          resolve();
        };
        worker.on('message', onMessage);
        worker.once('error', reject);
      });
      return new SqliteWriterThread(worker);
    } catch {
      return null;
    }
  }

  /** False once the thread has closed or failed: requests must then go elsewhere. */
  get usable(): boolean {
    return !this.closed;
  }

  request<K extends EventWriteName>(name: K, args: EventWriteArgs<K>): Promise<EventWriteResult<K>> {
    if (this.closed) return Promise.reject(new HookflowError('HF_ERR_STORE', 'the SQLite writer thread is closed'));
    const id = this.nextId++;
    const request: WriterRequest = [id, name, args];
    return new Promise<EventWriteResult<K>>((resolve, reject) => {
      // A thread with requests in flight keeps the process alive until they are answered.
      if (this.waiters.size === 0) this.worker.ref();
      this.waiters.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ kind: 'batch', requests: [request] } satisfies WriterMessage);
    });
  }

  /** Answers what was sent before, closes the thread's connection, and ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.closed) return;
      this.worker.ref();
      const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      this.worker.postMessage({ kind: 'close' } satisfies WriterMessage);
      await exited;
    })();
    return this.closing;
  }

  private onReply(reply: WriterReply): void {
    if (reply.kind !== 'results') return;
    for (const [id, ok, value] of reply.results) {
      const waiter = this.waiters.get(id);
      if (!waiter) continue;
      this.waiters.delete(id);
      if (ok) waiter.resolve(value);
      else waiter.reject(new HookflowError('HF_ERR_STORE', `SQLite write failed: ${value}`));
    }
    if (this.waiters.size === 0) this.worker.unref();
  }

  private fail(error: Error): void {
    this.closed = true;
    const waiters = [...this.waiters.values()];
    this.waiters.clear();
    // Unanswered requests may or may not have committed: report them as failed, never as done.
    for (const waiter of waiters) waiter.reject(new HookflowError('HF_ERR_STORE', `SQLite writer thread: ${error.message}`));
  }
}
