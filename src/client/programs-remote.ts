import { HookflowError } from '../errors.js';
import type { ExecutionStatus } from '../store/programs.js';
import { pause } from '../util/pause.js';
import { DeliveredOutput } from './programs-follow.js';
import type { ApiClient } from './remote.js';
import type {
  ProgramExecutionJson,
  ProgramExecutionLogsJson,
  ProgramExecutionPageJson,
  ProgramJson,
  ProgramsConfigJson,
  ProgramServices,
  ProgramStatsJson,
} from './services.js';

/** Programs over HTTP (src/server/routes/programs.ts): the API's JSON as it comes. */

const ENDED: ReadonlySet<ExecutionStatus> = new Set(['completed', 'failed', 'timeout', 'canceled']);
/** Between reconnects of a stream that dropped while the execution still runs. */
const RECONNECT_MS = 500;

export function remotePrograms(client: ApiClient): ProgramServices {
  const path = encodeURIComponent;
  const show = (id: string) => client.call<ProgramExecutionJson>('GET', `/executions/${path(id)}`);
  return {
    list: () => client.call<ProgramJson[]>('GET', '/programs'),
    config: () => client.call<ProgramsConfigJson>('GET', '/programs/config'),
    run: (request) => client.call<ProgramExecutionJson>('POST', '/execute', { body: { program_id: request.program_id, parameters: request.parameters ?? {} } }),
    executions: (query = {}) => client.call<ProgramExecutionPageJson>('GET', '/executions', { query: { ...query } }),
    show,
    logs: (id) => client.call<ProgramExecutionLogsJson>('GET', `/executions/${path(id)}/logs`),
    cancel: (id) => client.call<ProgramExecutionJson>('POST', `/executions/${path(id)}/cancel`),
    stats: () => client.call<ProgramStatsJson>('GET', '/executions/stats'),
    async follow(id, listener, options = {}) {
      const { signal } = options;
      const output = new DeliveredOutput(listener);
      for (;;) {
        if (signal?.aborted) return show(id);
        output.restart();
        let final: ProgramExecutionJson | null = null;
        try {
          const response = await client.stream(`/executions/${path(id)}/stream`, { signal });
          for await (const frame of serverSentEvents(response, signal)) {
            if (frame.event === 'output') {
              const data = JSON.parse(frame.data) as { stream: 'stdout' | 'stderr'; text: string };
              output.output(data.stream, data.text);
            } else if (frame.event === 'status') {
              const execution = JSON.parse(frame.data) as ProgramExecutionJson;
              if (ENDED.has(execution.status)) {
                final = execution;
                break;
              }
              listener({ type: 'status', execution });
            }
          }
        } catch (error) {
          if (signal?.aborted) return show(id);
          // The server's refusals (no such execution, no access) stand; a dropped connection is tried again.
          if (error instanceof HookflowError && error.code !== 'HF_ERR_REMOTE') throw error;
        }
        const current = final ?? (await show(id));
        if (ENDED.has(current.status)) {
          output.finish(current);
          listener({ type: 'status', execution: current });
          return current;
        }
        await pause(RECONNECT_MS, signal);
      }
    },
  };
}

export interface SseFrame {
  event: string;
  data: string;
}

/**
 * The frames of a Server-Sent Events body (https://html.spec.whatwg.org/multipage/server-sent-events.html):
 * `event:` and `data:` lines up to a blank line; comments and other fields are skipped. Leaving
 * the loop early cancels the body.
 */
export async function* serverSentEvents(response: Response, signal?: AbortSignal): AsyncGenerator<SseFrame> {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      if (signal?.aborted) return;
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      for (;;) {
        const end = /\r\n\r\n|\n\n|\r\r/.exec(buffer);
        if (!end) break;
        const block = buffer.slice(0, end.index);
        buffer = buffer.slice(end.index + end[0].length);
        const frame = parseFrame(block);
        if (frame) yield frame;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** One frame's fields; null for a comment-only frame (keep-alives). */
export function parseFrame(block: string): SseFrame | null {
  let event = 'message';
  const data: string[] = [];
  let any = false;
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') {
      data.push(value);
      any = true;
    }
  }
  return any ? { event, data: data.join('\n') } : null;
}
