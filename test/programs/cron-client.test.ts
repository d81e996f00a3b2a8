/**
 * PyExecutorHub's cron client flow (health → login → programs → execute → poll the execution),
 * written in bash with curl and jq (test/fixtures/programs/cron-client.sh), against a real
 * hookflow server running the API fixture's programs as local processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../support/server.js';
import { requireService } from '../support/services.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/programs');
const CLIENT = join(FIXTURES, 'cron-client.sh');

function missingTools(): string | null {
  const missing = ['/usr/bin/curl', '/usr/bin/jq', '/bin/bash'].filter((tool) => {
    try {
      accessSync(tool, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  return missing.length > 0 ? `${missing.join(', ')} not found` : null;
}

interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("PyExecutorHub's cron client against hookflow", requireService('curl and jq', missingTools()), () => {
  let server: TestServer;
  let fixture: string;

  /** Runs the client for a program as cron would: credentials in the environment. */
  const client = (programId: string | null, env: Record<string, string> = {}): Promise<ClientRun> =>
    new Promise((resolve, reject) => {
      const child = spawn('/bin/bash', [CLIENT, ...(programId === null ? [] : [programId])], {
        env: { PATH: '/usr/bin:/bin', API_URL: server.url, API_USERNAME: 'admin', API_PASSWORD: TEST_ADMIN_PASSWORD, POLL_INTERVAL: '0.1', MAX_WAIT: '20', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });

  before(async () => {
    fixture = mkdtempSync(join(tmpdir(), 'hookflow-cron-client-'));
    cpSync(join(FIXTURES, 'api'), fixture, { recursive: true });
    server = await startTestServer({}, { HOOKFLOW_PROGRAMS: join(fixture, 'config.yaml') });
    await (await server.engine.programs()).start();
  });
  after(async () => {
    await server.stop();
    rmSync(fixture, { recursive: true, force: true });
  });

  it('runs a program to completion, prints its output and exits 0', async () => {
    const run = await client('hello');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const id = /execution ([0-9a-f-]{36}) triggered/.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);
    assert.match(run.stdout, /^📋 Status: completed \(exit code 0, [\d.]+ s\)$/m);
    assert.match(run.stdout, /^argv=\["--greeting", "hello there", "--verbose"\]$/m, 'the output of the program');
    assert.match(run.stdout, new RegExp(`^program=hello execution=${id}$`, 'm'));
    assert.match(run.stdout, /^⚠️ Error:\na warning on stderr$/m);
    const execution = (await (await server.request(`/executions/${id}`)).json()) as { status: string; trigger: string; requested_by: string };
    assert.equal(execution.status, 'completed');
    assert.equal(execution.requested_by, 'admin', 'it signed in as the admin user');
  });

  it('reports a failing program and exits 1', async () => {
    const run = await client('failing');
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^📋 Status: failed \(exit code 3, [\d.]+ s\)$/m);
    assert.match(run.stdout, /^about to fail$/m);
    assert.match(run.stdout, /^⚠️ Error:\nsomething went wrong\nexited with code 3$/m);
  });

  const refusals: Array<{ name: string; program: string | null; env?: Record<string, string>; code: number; says: RegExp }> = [
    { name: 'an unknown program', program: 'no_such_program', code: 1, says: /Program no_such_program not found/ },
    { name: 'a disabled program (not listed)', program: 'off', code: 1, says: /Program off not found/ },
    { name: 'a wrong password', program: 'hello', env: { API_PASSWORD: 'not-the-password' }, code: 1, says: /POST \/auth\/login answered 401: .*\n.*Login failed for admin/ },
    { name: 'an unreachable API', program: 'hello', env: { API_URL: 'http://127.0.0.1:9' }, code: 1, says: /API not reachable at http:\/\/127\.0\.0\.1:9/ },
    { name: 'no program id', program: null, code: 2, says: /Usage: / },
  ];
  for (const refusal of refusals) {
    it(`stops at ${refusal.name} (exit ${refusal.code}) without running anything`, async () => {
      const before = ((await (await server.request('/executions')).json()) as { total: number }).total;
      const run = await client(refusal.program, refusal.env);
      assert.equal(run.code, refusal.code, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stderr, refusal.says);
      assert.doesNotMatch(run.stdout, /triggered/);
      assert.equal(((await (await server.request('/executions')).json()) as { total: number }).total, before);
    });
  }
});
