import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dockerAvailable, normalizeProjectName } from '../../../src/programs/docker-info.js';
import type { ComposeRunSpec } from '../../../src/programs/model.js';
import {
  ComposeCliRunner,
  composeDownArgs,
  composeServices,
  composeUpArgs,
  decidingContainer,
  type ProjectContainerState,
} from '../../../src/programs/runners/compose.js';
import { requireService } from '../../support/services.js';

/**
 * The compose runner against the real engine with the compose command this machine has: the
 * program's variables reach the service, its exit code is the program's, two runs at once keep
 * apart, and after a timeout `down` has removed the project's containers, network and volume.
 * How the command line and the exit code are chosen is checked without an engine.
 */

const COMPOSE = fileURLToPath(new URL('../../fixtures/programs/docker/compose/', import.meta.url));

describe('compose command lines and exit codes', () => {
  it('finds the services up starts, in file order', () => {
    const table: Array<[string, string[] | null]> = [
      ['services:\n  app:\n    image: x\n', ['app']],
      ['services:\n  db:\n    image: x\n  app:\n    image: y\n', ['db', 'app']],
      ['services:\n  app:\n    image: x\n  debug:\n    image: y\n    profiles: [debug]\n', ['app']],
      ['version: "3"\n', null],
      ['services: [1, 2]\n', null],
      ['{ not yaml', null],
    ];
    for (const [text, services] of table) assert.deepEqual(composeServices(text), services, text);
  });

  it('takes the exit code from the one service, else stops at the first exit', () => {
    assert.deepEqual(composeUpArgs('/p/dc.yml', 'proj', ['app'], 2), ['-f', '/p/dc.yml', '-p', 'proj', 'up', '--no-color', '-t', '2', '--no-log-prefix', '--exit-code-from', 'app']);
    assert.deepEqual(composeUpArgs('/p/dc.yml', 'proj', ['db', 'app'], 2), ['-f', '/p/dc.yml', '-p', 'proj', 'up', '--no-color', '-t', '2', '--abort-on-container-exit']);
    assert.deepEqual(composeUpArgs('/p/dc.yml', 'proj', null, 1).at(-1), '--abort-on-container-exit');
    assert.deepEqual(composeDownArgs('/p/dc.yml', 'proj', 3), ['-f', '/p/dc.yml', '-p', 'proj', 'down', '--remove-orphans', '-v', '-t', '3']);
  });

  it('decides which container ended the program', () => {
    const state = (service: string, exit_code: number, finished_at: number, started = true): ProjectContainerState => ({
      id: service,
      service,
      started,
      running: false,
      exit_code,
      oom_killed: false,
      finished_at,
      memory_limit: null,
    });
    const worker = state('worker', 5, 100);
    const idle = state('idle', 137, 200);
    const never = state('late', 0, 0, false);
    assert.equal(decidingContainer([idle, worker, never], ['idle', 'worker', 'late']), worker);
    assert.equal(decidingContainer([idle, worker], ['idle']), idle);
    assert.equal(decidingContainer([never], ['late']), null);
    assert.equal(decidingContainer([], null), null);
  });

  it('makes project names compose accepts', () => {
    const table: Array<[string, string]> = [
      ['hookflow-my-prog-abc', 'hookflow-my-prog-abc'],
      ['Hookflow.My Prog', 'hookflow_my_prog'],
      ['_x', 'p_x'],
    ];
    for (const [name, normalized] of table) assert.equal(normalizeProjectName(name), normalized);
  });
});

describe('the compose runner without a compose file', () => {
  it('refuses to start', async () => {
    const runner = new ComposeCliRunner({ command: ['docker-compose'] });
    const outcome = await runner.run(runSpec({ compose_file: '/nonexistent/docker-compose.yml' }).spec);
    assert.equal(outcome.reason, 'start_failed');
    assert.match(outcome.message ?? '', /Compose file \/nonexistent\/docker-compose\.yml could not be read/);
  });
});

function runSpec(overrides: Partial<ComposeRunSpec> = {}): { spec: ComposeRunSpec; output: { stdout: string; stderr: string } } {
  const output = { stdout: '', stderr: '' };
  const executionId = randomUUID();
  return {
    output,
    spec: {
      execution_id: executionId,
      program_id: 'compose_test',
      compose_file: join(COMPOSE, 'one', 'docker-compose.yml'),
      project_name: `hookflow-test-${executionId.slice(0, 8)}`,
      env: {},
      deadline: Date.now() + 15_000,
      signal: new AbortController().signal,
      output: {
        stdout: (chunk) => {
          output.stdout += chunk.toString('utf8');
        },
        stderr: (chunk) => {
          output.stderr += chunk.toString('utf8');
        },
      },
      ...overrides,
    },
  };
}

/** What the engine still has of a project: containers, networks, volumes (by compose's label). */
function leftOf(project: string): string[] {
  const filter = `label=com.docker.compose.project=${project}`;
  const list = (args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
  return [...list(['ps', '-a', '-q', '--filter', filter]), ...list(['network', 'ls', '-q', '--filter', filter]), ...list(['volume', 'ls', '-q', '--filter', filter])];
}

const runner = new ComposeCliRunner({ killGraceMs: 300 });

async function composeProblem(): Promise<string | null> {
  const engine = await dockerAvailable();
  if (!engine.available) return engine.reason;
  const availability = await runner.availability();
  if (!availability.available) return availability.reason;
  try {
    execFileSync('docker', ['image', 'inspect', 'hookflow-test-busybox:latest'], { stdio: 'ignore' });
  } catch {
    return 'the test image hookflow-test-busybox:latest is missing (scripts/docker-setup.sh builds it)';
  }
  return null;
}

const problem = await composeProblem();

// docker-compose v1 spends about a second of CPU per invocation: the runs go at once.
describe('the compose runner on the engine', { ...requireService('docker compose', problem), concurrency: true }, () => {
  it('says which command it uses', async () => {
    const availability = await runner.availability();
    assert.equal(availability.available, true);
    assert.ok(['docker compose', 'docker-compose'].includes(availability.command?.join(' ') ?? ''), String(availability.command));
  });

  it('runs two executions at once under their own projects, with their ids and exit codes', async () => {
    const first = runSpec({ env: { EXIT_WITH: '0' } });
    const second = runSpec({ env: { EXIT_WITH: '7' } });
    assert.notEqual(first.spec.project_name, second.spec.project_name);
    const [a, b] = await Promise.all([runner.run(first.spec), runner.run(second.spec)]);
    for (const [run, outcome, code] of [
      [first, a, 0],
      [second, b, 7],
    ] as const) {
      assert.equal(outcome.reason, 'exited', JSON.stringify(outcome));
      assert.equal(outcome.exit_code, code);
      assert.match(run.output.stdout, new RegExp(`program=compose_test execution=${run.spec.execution_id}\\n`));
      assert.match(run.output.stdout, /to-stderr/);
      assert.equal(outcome.details.project, run.spec.project_name);
      assert.equal(outcome.details.down, 'ok');
      assert.deepEqual(leftOf(run.spec.project_name), []);
    }
  });

  it('takes the code of the service that ended a multi-service run', async () => {
    const run = runSpec({ compose_file: join(COMPOSE, 'two', 'docker-compose.yml') });
    const outcome = await runner.run(run.spec);
    assert.equal(outcome.reason, 'exited');
    assert.equal(outcome.exit_code, 5);
    assert.equal(outcome.details.service, 'worker');
    assert.deepEqual(leftOf(run.spec.project_name), []);
  });

  it('runs down after a timeout: no container, network or volume of the project remains', async () => {
    // docker-compose 1.x takes ~1 s a call, and much more on a loaded machine: room for the service to start.
    const run = runSpec({ compose_file: join(COMPOSE, 'sleep', 'docker-compose.yml'), deadline: Date.now() + 12_000 });
    const outcome = await runner.run(run.spec);
    assert.equal(outcome.reason, 'timeout');
    assert.equal(outcome.message, 'Execution exceeded time limit');
    assert.equal(outcome.exit_code, null);
    assert.match(run.output.stdout, /started/, 'the service ran before the deadline');
    assert.equal(outcome.details.down, 'ok');
    assert.equal(outcome.details.left_after_down, undefined, 'down removed everything itself');
    assert.deepEqual(leftOf(run.spec.project_name), []);
  });

  it('close() cancels a run still going and still runs down', async () => {
    const local = new ComposeCliRunner({ killGraceMs: 300 });
    const run = runSpec({ compose_file: join(COMPOSE, 'sleep', 'docker-compose.yml'), deadline: Date.now() + 30_000 });
    const running = local.run(run.spec);
    for (let attempt = 0; attempt < 200 && !run.output.stdout.includes('started'); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    await local.close();
    const outcome = await running;
    assert.equal(outcome.reason, 'canceled');
    assert.equal(outcome.message, 'Execution canceled');
    assert.equal(outcome.details.down, 'ok');
    assert.deepEqual(leftOf(run.spec.project_name), []);
  });

  it('reports a project that could not start', async () => {
    const run = runSpec({ compose_file: join(COMPOSE, 'missing-image', 'docker-compose.yml') });
    const outcome = await runner.run(run.spec);
    assert.equal(outcome.reason, 'start_failed');
    assert.match(outcome.message ?? '', /compose up failed \(exit \d+\) before any container ran/);
    assert.deepEqual(leftOf(run.spec.project_name), []);
  });
});
