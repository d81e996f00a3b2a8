/**
 * The SQLite writer thread (started by writer-thread.ts): a connection of its own that runs the
 * event hot path's statements and commits, so neither the statements nor the WAL flush of a commit
 * take time on the main thread. Every request that has arrived when a transaction starts joins it
 * (group commit across batches), and results are posted only after COMMIT returned.
 *
 * Compiled (lib/), or bundled to plain JavaScript by the main thread when hookflow runs from its
 * sources (src/worker-bundle.ts); better-sqlite3 is loaded through `require` from the package's
 * folder, since a bundled `data:` module cannot resolve a bare import.
 */
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { EventWrites, type EventWriteName } from './event-writes.js';
import type { WriterBoot, WriterMessage, WriterReply, WriterRequest, WriterResult } from './writer-protocol.js';

const boot = workerData as WriterBoot;
if (!parentPort) throw new Error('writer-worker.ts runs only as a worker thread');
const port: MessagePort = parentPort;

const SqliteDatabase = createRequire(boot.requireFrom)('better-sqlite3') as typeof Database;
const db = new SqliteDatabase(boot.path);
db.pragma(`synchronous = ${boot.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
db.pragma('busy_timeout = 10000');
db.pragma('foreign_keys = ON');
db.pragma('cache_size = -32000');
db.pragma('wal_autocheckpoint = 10000');
db.pragma('temp_store = MEMORY');
const writes = new EventWrites(db);
const inSavepoint = db.transaction((name: EventWriteName, args: unknown) => writes.apply(name, args as never));

function post(reply: WriterReply): void {
  port.postMessage(reply);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs the requests in one transaction, each in a savepoint of its own; replies after COMMIT. */
function commit(requests: WriterRequest[]): void {
  const outcomes: WriterResult[] = [];
  try {
    db.exec('BEGIN IMMEDIATE');
    for (const [id, name, args] of requests) {
      try {
        outcomes.push([id, true, inSavepoint(name as EventWriteName, args)]);
      } catch (error) {
        outcomes.push([id, false, errorText(error)]);
      }
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    const message = `the transaction failed: ${errorText(error)}`;
    post({ kind: 'results', results: requests.map(([id]): WriterResult => [id, false, message]) });
    return;
  }
  post({ kind: 'results', results: outcomes });
}

let closing = false;

function handle(message: unknown): void {
  const queue: WriterRequest[] = [];
  // Take everything that is waiting, so one transaction (one WAL flush) serves all of it.
  for (let next: unknown = message; next !== undefined; next = receiveMessageOnPort(port)?.message) {
    const request = next as WriterMessage;
    if (request.kind === 'close') closing = true;
    else for (const entry of request.requests) queue.push(entry);
  }
  if (queue.length > 0) commit(queue);
  if (closing) {
    db.close();
    post({ kind: 'closed' });
    port.close();
  }
}

port.on('message', handle);
post({ kind: 'ready' });
