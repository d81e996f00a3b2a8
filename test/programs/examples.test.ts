import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine.js';
import { dockerAvailable } from '../../src/programs/docker-info.js';
import type { ProgramService } from '../../src/programs/service.js';
import type { ExecutionRecord } from '../../src/store/programs.js';
import { requireService } from '../support/services.js';

/**
 * examples/programs runs as shipped: every program of its config.yaml, with its before/after
 * actions, as local processes; the compose program runs against the real engine with the local
 * test image in place of python:3.11-slim (no registry here).
 */

const EXAMPLES = fileURLToPath(new URL('../../examples/programs/', import.meta.url));
const docker = await dockerAvailable();
const dockerUnavailable = docker.available ? null : (docker.reason ?? 'the Docker engine does not answer');

describe('examples/programs', () => {
  let home: string;
  let engine: Engine;
  let programs: ProgramService;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'hookflow-examples-programs-'));
    const folder = join(home, 'programs');
    cpSync(EXAMPLES, folder, { recursive: true });
    assert.match(readFileSync(join(folder, 'config.yaml'), 'utf8'), /^ {2}runner: process/m, 'the examples run anywhere as processes');
    const compose = join(folder, 'scripts', 'compose_job', 'docker-compose.yml');
    writeFileSync(compose, readFileSync(compose, 'utf8').replace('python:3.11-slim', 'hookflow-test-python:latest'));
    engine = await Engine.open({
      home,
      storeUrl: `sqlite:${join(home, 'hookflow.db')}`,
      env: { HOOKFLOW_SECRET_KEY: 'test-secret-key' },
      programsFile: join(folder, 'config.yaml'),
      pollMs: 50,
    });
    await engine.dispatcher.start();
    programs = await engine.programs();
    await programs.start({ schedules: false });
  });

  after(async () => {
    await engine?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const run = async (program_id: string, parameters: Record<string, string> = {}): Promise<ExecutionRecord> =>
    programs.waitFor((await programs.submit({ program_id, parameters, trigger: 'cli' })).id, 60_000);

  it('loads without problems and lists its five programs, scripts before bots', () => {
    assert.deepEqual(programs.catalog.lastProblems(), []);
    assert.deepEqual(programs.config().warnings, []);
    assert.deepEqual(
      programs.programs().map((program) => program.id),
      ['hello_python', 'hello_node', 'disk_report', 'compose_job', 'greeter_bot'],
    );
  });

  it('hello_python: argv from parameters, PARAM_* from the request, wrapped by act_before and act_after', async () => {
    const execution = await run('hello_python', { color: 'blue' });
    assert.equal(execution.status, 'completed', execution.error_output);
    assert.match(execution.output, /Arguments: \['--greeting', 'hello there', '--verbose'\]/);
    assert.match(execution.output, /Parameter PARAM_COLOR: blue/);
    assert.match(execution.output, /Done\nwith a literal newline/);
    const before = execution.output.indexOf('[ACT_BEFORE] Pre-execution actions completed');
    const program = execution.output.indexOf('🚀 hello_python');
    const after = execution.output.indexOf('[ACT_AFTER] Exit code: 0');
    assert.ok(before >= 0 && before < program && program < after, execution.output);
  });

  it('hello_node: main.js found by its default name', async () => {
    const execution = await run('hello_node', { who: 'x' });
    assert.equal(execution.status, 'completed', execution.error_output);
    assert.match(execution.output, /arguments: \["--mode","production"\]/);
    assert.match(execution.output, /PARAM_WHO=x/);
  });

  it('greeter_bot: its .env, a failure with act_after seeing the real exit code, and its typed after action', async () => {
    const ok = await run('greeter_bot', { name: 'Ada' });
    assert.equal(ok.status, 'completed', ok.error_output);
    assert.match(ok.output, /Hello Ada!/);
    assert.match(ok.output, /production mode \(verbose: True\)/);
    const failed = await run('greeter_bot', { name: 'fail' });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.exit_code, 3);
    assert.match(failed.output, /\[ACT_AFTER\] Exit code: 3/);
    assert.match(failed.error_output, /asked to fail/);
    assert.match(failed.output, /\[ACT_AFTER\] .*greeter_bot finished with exit code 3/);
    const actions = failed.details.actions as Array<{ name: string; success: boolean }>;
    assert.ok(actions.some((action) => action.name === 'log' && action.success));
  });

  it('disk_report: a shell script with a schedule, run on demand', async () => {
    const execution = await run('disk_report', { threshold: '100' });
    assert.equal(execution.status, 'completed', execution.error_output);
    assert.match(execution.output, /% used/);
  });

  it('compose_job: docker compose up, then down', requireService('docker', dockerUnavailable), async () => {
    const execution = await run('compose_job');
    assert.equal(execution.status, 'completed', `${execution.error ?? ''}\n${execution.error_output}`);
    assert.match(execution.output, new RegExp(`compose job compose_job ${execution.id}`));
    assert.equal((execution.details as { down?: string }).down, 'ok');
  });
});
