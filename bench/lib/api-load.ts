/**
 * The load generator of `npm run bench:api`: autocannon against one URL, keep-alive, POST with a
 * JSON body. It runs wherever bench/api.ts puts it (this thread, a worker thread or a child
 * process: see api-load-entry.ts) and returns plain data, so every place returns the same.
 */
import { isMainThread } from 'node:worker_threads';
import autocannon, { type AutocannonOptions } from 'autocannon';
import { loadFigures, type LoadFigures } from './api-report.js';

export interface LoadConfig {
  /** `http://host:port` */
  url: string;
  path: string;
  /** Sent as `Authorization: Bearer …` when set. */
  token: string | null;
  body: string;
  connections: number;
  durationS: number;
  /** Collect the event id of every 2xx answer (hookflow), to check afterwards that each is stored. */
  collectIds: boolean;
}

export interface LoadResult {
  figures: LoadFigures;
  /** Event ids of the 2xx answers, when collected. */
  acceptedIds: string[];
}

/** The id of the event in a `POST /events` answer: `{"event":{"id":"…"`, the first id in it. */
export function acceptedEventId(body: string): string | null {
  const match = /"id":"([0-9a-f-]{36})"/.exec(body);
  return match ? match[1] : null;
}

export async function runLoad(config: LoadConfig): Promise<LoadResult> {
  const acceptedIds: string[] = [];
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  const options: AutocannonOptions = {
    url: config.url,
    connections: config.connections,
    duration: config.durationS,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: config.path,
        headers,
        body: config.body,
        ...(config.collectIds
          ? {
              onResponse: (status: number, body: string) => {
                if (status < 200 || status >= 300) return;
                const id = acceptedEventId(body);
                if (id) acceptedIds.push(id);
              },
            }
          : {}),
      },
    ],
  };
  const raw = await autocannon(options);
  // In a worker thread autocannon hands back its raw, undecoded result (for its own workers mode).
  const result = isMainThread ? raw : autocannon.aggregateResult([raw], options);
  return { figures: loadFigures(result), acceptedIds };
}
