/** Messages between SqliteStore's writer thread (writer-worker.ts) and the main thread (writer-thread.ts). */

export interface WriterBoot {
  path: string;
  synchronous: 'full' | 'normal';
  /** A file URL that `require('better-sqlite3')` resolves from. */
  requireFrom: string;
}

/** id, request name (a key of EventWriteRequests), its arguments. */
export type WriterRequest = [number, string, unknown];

/** id, then the result, or false and the error's message. */
export type WriterResult = [number, true, unknown] | [number, false, string];

export type WriterMessage = { kind: 'batch'; requests: WriterRequest[] } | { kind: 'close' };

export type WriterReply = { kind: 'ready' } | { kind: 'results'; results: WriterResult[] } | { kind: 'closed' };
