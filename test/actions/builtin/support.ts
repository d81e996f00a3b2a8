import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runAction, type ActionRunRequest } from '../../../src/actions/executor.js';
import type { ActionDefinition, ActionOutcome } from '../../../src/actions/model.js';
import type { JsonObject } from '../../../src/events/model.js';
import { recordingServices } from '../fixtures.js';

/** One action through the full path (validation, execution, output check), services recording. */
export function run(definition: ActionDefinition, params: JsonObject, options: Partial<ActionRunRequest> = {}): Promise<ActionOutcome> {
  return runAction({ definition, params, services: recordingServices(), ...options });
}

export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface LocalServer {
  url: string;
  requests: CapturedRequest[];
  close(): Promise<void>;
}

/** A loopback HTTP server recording every request; `respond` answers each (after its body is read). */
export async function localServer(respond: (request: CapturedRequest, response: ServerResponse) => void): Promise<LocalServer> {
  const requests: CapturedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const captured = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(captured);
      respond(captured, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
