import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { dockerAvailable } from '../../../src/programs/docker-info.js';
import type { RunSpec } from '../../../src/programs/model.js';
import {
  containerCreateOptions,
  containerEnv,
  DockerRunner,
  formatBytes,
  imageNotFoundMessage,
  outOfMemoryMessage,
  removeExecutionContainers,
} from '../../../src/programs/runners/docker.js';
import { requireService } from '../../support/services.js';

/**
 * The docker runner against the real engine: exit codes, streams apart, the environment, the
 * read-only program folder, network none, the memory limit killing a hog, the CPU limit as the
 * engine applied it, timeout and cancel leaving no container, a missing image's message. The
 * create request itself is checked without an engine.
 */

const IMAGE = 'hookflow-test-busybox:latest';
const FIXTURES = fileURLToPath(new URL('../../fixtures/programs/docker/', import.meta.url));
const WORKSPACE = join(FIXTURES, 'workspace');
const ACTIONS = join(FIXTURES, 'actions');

async function engineProblem(): Promise<string | null> {
  const availability = await dockerAvailable();
  if (!availability.available) return availability.reason;
  try {
    await new Docker().getImage(IMAGE).inspect();
    return null;
  } catch {
    return `the test image ${IMAGE} is missing (scripts/docker-setup.sh builds it)`;
  }
}

interface Collected {
  stdout: string;
  stderr: string;
}

function spec(overrides: Partial<RunSpec> = {}): { spec: RunSpec; output: Collected } {
  const output: Collected = { stdout: '', stderr: '' };
  const full: RunSpec = {
    execution_id: `test-${randomUUID()}`,
    program_id: 'docker_test',
    phase: 'program',
    interpreter: ['sh'],
    script: { root: 'workspace', path: 'exit.sh' },
    args: [],
    workspace_dir: WORKSPACE,
    actions_dir: ACTIONS,
    extra_mounts: [],
    writable: false,
    env: { PROGRAM_ID: 'docker_test' },
    image: IMAGE,
    limits: { memory_bytes: null, cpus: null },
    network: 'none',
    sandbox: false,
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
  };
  return { spec: full, output };
}

/** `docker ps -a` of the execution's containers, as a person would check. */
function containersOf(executionId: string): string[] {
  return execFileSync('docker', ['ps', '-a', '-q', '--filter', `label=hookflow.execution=${executionId}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
}

describe('the docker create request', () => {
  const base = spec().spec;
  const settings = { image: IMAGE, network: 'none' as const, name: 'hookflow-x-program-1', init: true };

  it('binds the program folder read-only at /workspace unless writable, the actions folder read-only', () => {
    for (const writable of [false, true]) {
      const options = containerCreateOptions({ ...base, writable }, settings);
      const mounts = options.HostConfig?.Mounts ?? [];
      assert.deepEqual(
        mounts.map((mount) => [mount.Target, mount.Source, mount.ReadOnly]),
        [
          ['/workspace', WORKSPACE, !writable],
          ['/hookflow/actions', ACTIONS, true],
        ],
      );
      assert.equal(options.WorkingDir, '/workspace');
    }
  });

  it('puts the script in the container view into Cmd', () => {
    const table: Array<[RunSpec['script'], string[], string[]]> = [
      [{ root: 'workspace', path: 'exit.sh' }, ['a b'], ['sh', '/workspace/exit.sh', 'a b']],
      [{ root: 'workspace', path: 'sub/run.sh' }, [], ['sh', '/workspace/sub/run.sh']],
      [{ root: 'actions', path: 'act_before.sh' }, ['x'], ['sh', '/hookflow/actions/act_before.sh', 'x']],
      [null, ['-r', 'req.txt'], ['sh', '-r', 'req.txt']],
    ];
    for (const [script, args, cmd] of table) assert.deepEqual(containerCreateOptions({ ...base, script, args }, settings).Cmd, cmd);
  });

  it('refuses a script path that leaves its folder', () => {
    assert.throws(() => containerCreateOptions({ ...base, script: { root: 'workspace', path: '../etc/passwd' } }, settings), /leaves \/workspace/);
    assert.throws(() => containerCreateOptions({ ...base, script: { root: 'actions', path: 'a.sh' }, actions_dir: null }, settings), /no actions folder/);
  });

  it('applies memory (swap equal: no swap on top), CPUs, network and labels', () => {
    const options = containerCreateOptions({ ...base, limits: { memory_bytes: 64 * 1024 * 1024, cpus: 0.5 } }, settings);
    assert.equal(options.HostConfig?.Memory, 64 * 1024 * 1024);
    assert.equal(options.HostConfig?.MemorySwap, 64 * 1024 * 1024);
    assert.equal(options.HostConfig?.NanoCpus, 500_000_000);
    assert.equal(options.HostConfig?.NetworkMode, 'none');
    assert.equal(options.HostConfig?.AutoRemove, false);
    assert.deepEqual(options.Labels, { 'hookflow.execution': base.execution_id, 'hookflow.program': 'docker_test', 'hookflow.phase': 'program' });
    const unlimited = containerCreateOptions(base, settings);
    assert.equal(unlimited.HostConfig?.Memory, undefined);
    assert.equal(unlimited.HostConfig?.NanoCpus, undefined);
  });

  it('passes only the run environment, plus where installed dependencies are', () => {
    process.env.HOOKFLOW_DOCKER_TEST_SECRET = 'host-only';
    try {
      assert.deepEqual(containerEnv({ env: { PROGRAM_ID: 'p', PARAM_X: '1' } }), ['PROGRAM_ID=p', 'PARAM_X=1']);
    } finally {
      delete process.env.HOOKFLOW_DOCKER_TEST_SECRET;
    }
    assert.deepEqual(containerEnv({ env: { PYTHONPATH: '/mine' }, dependency_dir: '/deps' }), ['PYTHONPATH=/hookflow/deps/python:/mine', 'NODE_PATH=/hookflow/deps/node/node_modules']);
    assert.deepEqual(containerEnv({ env: {}, dependency_dir: '/deps', installing: true }), [
      'PYTHONPATH=/hookflow/deps/python',
      'NODE_PATH=/hookflow/deps/node/node_modules',
      'PIP_TARGET=/hookflow/deps/python',
      'npm_config_prefix=/hookflow/deps/node',
    ]);
    const installing = containerCreateOptions({ ...base, dependency_dir: '/tmp/deps', installing: true }, settings);
    assert.deepEqual(installing.HostConfig?.Mounts?.at(-1), { Type: 'bind', Source: '/tmp/deps', Target: '/hookflow/deps', ReadOnly: false });
  });

  it('says sizes and the missing image as PyExecutorHub did', () => {
    const table: Array<[number, string]> = [
      [512, '512 B'],
      [16 * 1024 * 1024, '16 MiB'],
      [1024 ** 3, '1 GiB'],
      [1.5 * 1024 ** 3, '1.5 GiB'],
    ];
    for (const [bytes, text] of table) assert.equal(formatBytes(bytes), text);
    assert.equal(
      imageNotFoundMessage('python:3.11-slim', null),
      "Docker image 'python:3.11-slim' not found and could not be pulled. Please ensure the image exists locally or is available in a registry.",
    );
    assert.match(outOfMemoryMessage(16 * 1024 * 1024), /memory limit of 16 MiB/);
  });
});

describe('the docker runner without an engine', () => {
  it('says where it looked for the engine', async () => {
    const runner = new DockerRunner({ socketPath: '/nonexistent/hookflow-docker.sock' });
    const availability = await runner.availability();
    assert.equal(availability.available, false);
    assert.match(availability.reason ?? '', /^Docker daemon not available at \/nonexistent\/hookflow-docker\.sock: .*ENOENT/);
    const { spec: run } = spec();
    const outcome = await runner.run(run);
    assert.equal(outcome.reason, 'start_failed');
    assert.match(outcome.message ?? '', /^Docker daemon not available at \/nonexistent\/hookflow-docker\.sock/);
  });
});

const problem = await engineProblem();

describe('the docker runner on the engine', requireService('docker', problem), () => {
  const runner = new DockerRunner({ killGraceMs: 300 });
  const temporary: string[] = [];
  after(async () => {
    await runner.close();
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it('reports exit codes, with stdout and stderr apart, and removes the container', async () => {
    for (const code of [0, 3, 42]) {
      const { spec: run, output } = spec({ args: [String(code)] });
      const outcome = await runner.run(run);
      assert.equal(outcome.reason, 'exited');
      assert.equal(outcome.exit_code, code);
      assert.equal(output.stdout, `out:${code}\n`);
      assert.equal(output.stderr, `err:${code}\n`);
      assert.equal(outcome.details.removed, true);
      assert.match(String(outcome.details.container_id), /^[0-9a-f]{12}$/);
      assert.deepEqual(containersOf(run.execution_id), []);
    }
  });

  it('shows the program its variables and none of hookflow\'s', async () => {
    process.env.HOOKFLOW_DOCKER_TEST_SECRET = 'must-not-leak';
    try {
      const { spec: run, output } = spec({ script: { root: 'workspace', path: 'env.sh' }, env: { PROGRAM_ID: 'docker_test', EXECUTION_ID: 'e1', PARAM_X: 'forty two' } });
      const outcome = await runner.run(run);
      assert.equal(outcome.exit_code, 0);
      const lines = output.stdout.split('\n');
      assert.ok(lines.includes('PROGRAM_ID=docker_test'), output.stdout);
      assert.ok(lines.includes('PARAM_X=forty two'));
      assert.ok(lines.includes('EXECUTION_ID=e1'));
      assert.doesNotMatch(output.stdout, /HOOKFLOW_DOCKER_TEST_SECRET|must-not-leak/);
    } finally {
      delete process.env.HOOKFLOW_DOCKER_TEST_SECRET;
    }
  });

  it('keeps /workspace read-only unless the program is writable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-docker-ws-'));
    temporary.push(dir);
    copyFileSync(join(WORKSPACE, 'write.sh'), join(dir, 'write.sh'));
    const readOnly = spec({ workspace_dir: dir, script: { root: 'workspace', path: 'write.sh' } });
    const refused = await runner.run(readOnly.spec);
    assert.equal(readOnly.output.stdout, 'refused\n');
    assert.equal(refused.exit_code, 1);
    assert.equal(existsSync(join(dir, 'written.txt')), false);

    const writable = spec({ workspace_dir: dir, writable: true, script: { root: 'workspace', path: 'write.sh' } });
    const wrote = await runner.run(writable.spec);
    assert.equal(writable.output.stdout, 'wrote\n');
    assert.equal(wrote.exit_code, 0);
    assert.equal(existsSync(join(dir, 'written.txt')), true);
  });

  it('runs an action from the actions folder, in /workspace', async () => {
    const { spec: run, output } = spec({ phase: 'before', script: { root: 'actions', path: 'act.sh' } });
    const outcome = await runner.run(run);
    assert.equal(outcome.exit_code, 0);
    assert.equal(output.stdout, 'action for docker_test in /workspace as /hookflow/actions/act.sh\n');
  });

  it('gives network none only a loopback, and says what bridge became on an engine without one', async () => {
    const none = spec({ script: { root: 'workspace', path: 'net.sh' }, network: 'none' });
    const outcome = await runner.run(none.spec);
    assert.equal(outcome.details.network, 'none');
    assert.equal(none.output.stdout.trim(), 'lo');

    const bridge = spec({ script: { root: 'workspace', path: 'net.sh' }, network: 'bridge' });
    const bridged = await runner.run(bridge.spec);
    assert.equal(bridged.reason, 'exited');
    const hasBridge = execFileSync('docker', ['network', 'ls', '-q', '--filter', 'name=^bridge$'], { encoding: 'utf8' }).trim() !== '';
    assert.equal(bridged.details.network, 'bridge');
    if (!hasBridge) {
      assert.match(String(bridged.details.network_note), /no bridge network/);
      assert.equal(bridge.output.stdout.trim(), 'lo', 'without a bridge network the container has a loopback only');
    } else assert.equal(bridged.details.network_note, undefined);
  });

  it('kills a memory hog at the limit and reports it as out of memory', async () => {
    const { spec: run } = spec({ script: { root: 'workspace', path: 'hog.sh' }, limits: { memory_bytes: 16 * 1024 * 1024, cpus: null } });
    const outcome = await runner.run(run);
    assert.equal(outcome.reason, 'out_of_memory');
    assert.equal(outcome.exit_code, 137);
    assert.match(outcome.message ?? '', /memory limit of 16 MiB/);
    assert.equal(outcome.details.memory, 'docker');
    assert.deepEqual(containersOf(run.execution_id), []);
  });

  it('applies the CPU and memory limits and labels the container; a cancel removes it', async () => {
    const controller = new AbortController();
    const { spec: run, output } = spec({
      script: { root: 'workspace', path: 'sleep.sh' },
      limits: { memory_bytes: 32 * 1024 * 1024, cpus: 0.5 },
      signal: controller.signal,
    });
    const running = runner.run(run);
    const docker = new Docker();
    let inspected: Docker.ContainerInspectInfo | null = null;
    for (let attempt = 0; attempt < 100 && !inspected; attempt += 1) {
      const [found] = await docker.listContainers({ filters: { label: [`hookflow.execution=${run.execution_id}`] } });
      if (found) inspected = await docker.getContainer(found.Id).inspect();
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(inspected, 'the container never ran');
    assert.equal(inspected.HostConfig.NanoCpus, 500_000_000);
    assert.equal(inspected.HostConfig.Memory, 32 * 1024 * 1024);
    assert.equal(inspected.HostConfig.MemorySwap, 32 * 1024 * 1024);
    assert.equal(inspected.Config.Labels['hookflow.program'], 'docker_test');
    assert.equal(inspected.Config.Labels['hookflow.phase'], 'program');
    controller.abort();
    const outcome = await running;
    assert.equal(outcome.reason, 'canceled');
    assert.equal(outcome.message, 'Execution canceled');
    assert.equal(outcome.details.cpu, 'docker');
    assert.match(output.stdout, /started/);
    assert.deepEqual(containersOf(run.execution_id), []);
  });

  it('stops at the deadline: SIGTERM, SIGKILL for a program that ignores it, no container left', async () => {
    for (const [script, signal] of [
      ['sleep.sh', 'SIGTERM'],
      ['stubborn.sh', 'SIGKILL'],
    ] as const) {
      const started = Date.now();
      const { spec: run } = spec({ script: { root: 'workspace', path: script }, deadline: Date.now() + 700 });
      const outcome = await runner.run(run);
      assert.equal(outcome.reason, 'timeout', script);
      assert.equal(outcome.message, 'Execution exceeded time limit');
      assert.equal(outcome.exit_code, null);
      assert.equal(outcome.signal, signal, script);
      assert.ok(Date.now() - started < 5_000, `${script} took ${Date.now() - started} ms`);
      assert.deepEqual(containersOf(run.execution_id), []);
    }
  });

  it('says clearly when the image is missing and cannot be pulled', async () => {
    const image = `hookflow-missing-${randomUUID().slice(0, 8)}:latest`;
    const { spec: run } = spec({ image });
    const outcome = await runner.run(run);
    assert.equal(outcome.reason, 'start_failed');
    assert.ok(
      outcome.message?.startsWith(`Docker image '${image}' not found and could not be pulled. Please ensure the image exists locally or is available in a registry.`),
      outcome.message ?? '',
    );
    assert.match(outcome.message ?? '', /Pull error: \S/);
    assert.deepEqual(containersOf(run.execution_id), []);
  });

  it('reports a program that cannot start', async () => {
    const { spec: run } = spec({ interpreter: ['/bin/no-such-interpreter'] });
    const outcome = await runner.run(run);
    assert.equal(outcome.reason, 'start_failed');
    assert.match(outcome.message ?? '', /could not start: exec \/bin\/no-such-interpreter failed: No such file/);
    assert.deepEqual(containersOf(run.execution_id), []);
  });

  it('removes the containers of an execution left by a process that died', async () => {
    const executionId = `test-${randomUUID()}`;
    const docker = new Docker();
    const created = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '30'], Labels: { 'hookflow.execution': executionId }, HostConfig: { NetworkMode: 'none' } });
    await created.start();
    assert.equal(containersOf(executionId).length, 1);
    await removeExecutionContainers(executionId);
    assert.deepEqual(containersOf(executionId), []);
    await removeExecutionContainers(executionId);
  });

  it('removes a dead execution\'s compose project when named: containers, networks, volumes', async () => {
    const executionId = `test-${randomUUID()}`;
    const project = `hookflow-test-${executionId.slice(-8)}`;
    const labels = { 'com.docker.compose.project': project };
    const docker = new Docker();
    await docker.createNetwork({ Name: `${project}_default`, Labels: labels });
    await docker.createVolume({ Name: `${project}_data`, Labels: labels });
    await docker.createContainer({ Image: IMAGE, Cmd: ['true'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
    const filter = `label=com.docker.compose.project=${project}`;
    const left = () =>
      [['ps', '-a', '-q'], ['network', 'ls', '-q'], ['volume', 'ls', '-q']].flatMap((args) =>
        execFileSync('docker', [...args, '--filter', filter], { encoding: 'utf8' }).split('\n').filter(Boolean),
      );
    assert.equal(left().length, 3);
    await removeExecutionContainers(executionId, { composeProject: project });
    assert.deepEqual(left(), []);
  });

  it('close() stops the runs still going', async () => {
    const local = new DockerRunner({ killGraceMs: 200 });
    const { spec: run } = spec({ script: { root: 'workspace', path: 'sleep.sh' } });
    const running = local.run(run);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await local.close();
    const outcome = await running;
    assert.equal(outcome.reason, 'canceled');
    assert.deepEqual(containersOf(run.execution_id), []);
  });
});
