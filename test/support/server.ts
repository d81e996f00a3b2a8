import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine.js';
import type { ServerOptions } from '../../src/server/context.js';
import { serverOptionsFromEnv, startServer, type RunningServer } from '../../src/server/serve.js';
import type { Role } from '../../src/store/accounts.js';

export const TEST_ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestServer extends RunningServer {
  engine: Engine;
  home: string;
  /** An API token per role. */
  tokens: Record<Role, string>;
  /** fetch against the server with a role's token (or none) */
  request(path: string, init?: RequestInit & { role?: Role | null; json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * A real server on a free port over a fresh SQLite home, its dispatcher running, with an admin
 * (password TEST_ADMIN_PASSWORD) and one API token per role.
 */
export async function startTestServer(options: Partial<ServerOptions> = {}, env: NodeJS.ProcessEnv = {}): Promise<TestServer> {
  const home = mkdtempSync(join(tmpdir(), 'hookflow-server-'));
  // The system monitor is off: its cpu_high events would land among the ones a test counts.
  const fullEnv = { HOOKFLOW_SECRET_KEY: 'test-secret-key', HOOKFLOW_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, HOOKFLOW_MONITOR: '0', ...env };
  const engine = await Engine.open({ home, storeUrl: `sqlite:${join(home, 'hookflow.db')}`, env: fullEnv, pollMs: 50 });
  await engine.dispatcher.start();
  const running = await startServer(engine, serverOptionsFromEnv({}, { port: 0, logLevel: false, ...options }), fullEnv);
  const tokens = {} as Record<Role, string>;
  for (const role of ['admin', 'operator', 'viewer'] as const) tokens[role] = (await running.ctx.auth.createToken(`test-${role}`, role, 'tests')).token;
  return {
    ...running,
    engine,
    home,
    tokens,
    async request(path, init = {}) {
      const { role = 'admin', json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (role) headers.set('authorization', `Bearer ${tokens[role]}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${running.url}${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    async stop() {
      await running.close();
      await engine.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
