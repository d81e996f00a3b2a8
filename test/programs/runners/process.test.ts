import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunOutcome, RunSpec } from '../../../src/programs/model.js';
import {
  cgroupCandidates,
  detectCgroups,
  formatBytes,
  limitsPrefix,
  parseMountInfo,
  parseProcCgroup,
  prepareLimits,
  readCounter,
  rlimitOomEvidence,
} from '../../../src/programs/runners/limits.js';
import { CANCELED_MESSAGE, parseStat, ProcessRunner, TIMEOUT_MESSAGE } from '../../../src/programs/runners/process.js';
import { requireService } from '../../support/services.js';

const PYTHON = '/usr/bin/python3';
const SH = '/bin/sh';
const MiB = 1024 * 1024;

const root = mkdtempSync(join(tmpdir(), 'hookflow-process-runner-'));
const workspace = join(root, 'workspace');
const actions = join(root, 'actions');
// Outside /tmp: the sandbox's private /tmp would hide a home there anyway, proving nothing.
const home = mkdtempSync('/var/tmp/hookflow-process-runner-home-');
mkdirSync(workspace);
mkdirSync(actions);
writeFileSync(join(home, 'secret.key'), 'not for programs');

const SCRIPTS: Record<string, string> = {
  'exit.py': 'import sys\nsys.exit(int(sys.argv[1]))\n',
  'streams.py': 'import sys\nsys.stdout.write("to stdout\\n")\nsys.stdout.flush()\nsys.stderr.write("to stderr\\n")\n',
  'env.py': 'import json, os\nprint(json.dumps(dict(os.environ)))\n',
  // The main process sleeps; its child forks a grandchild whose argv carries the marker.
  'family.sh': 'marker="$1"\n/bin/sh -c "sleep 30; : $marker" &\n/bin/sh -c "/bin/sh -c \\"sleep 30; : $marker\\"" &\nsleep 30\n',
  // A grandchild that leaves the process group (its own session), then the main process waits.
  'escape.py': 'import subprocess, sys, time\nsubprocess.Popen(["/bin/sh", "-c", "sleep 30; : " + sys.argv[1]], start_new_session=True)\ntime.sleep(30)\n',
  // Exits at once, leaving a background process behind in its group.
  'leave.sh': 'marker="$1"\n/bin/sh -c "sleep 30; : $marker" &\necho started\n',
  'term.sh': 'trap \'echo cleaned up; exit 7\' TERM\necho ready\nwhile :; do sleep 0.05; done\n',
  'stubborn.sh': 'trap "" TERM\necho ready\nwhile :; do sleep 0.05; done\n',
  'sleep.py': 'import time\nprint("sleeping", flush=True)\ntime.sleep(30)\n',
  'big.py': 'import sys\nsys.stdout.write("x" * (3 * 1024 * 1024))\n',
  'probe.py': [
    'import json, os, socket, sys',
    'result = {}',
    'for path in ["/etc/hookflow-test", "/usr/hookflow-test", "/hookflow-test", "/workspace/written.txt", "/tmp/hookflow-test"]:',
    '    try:',
    '        open(path, "w").write("x")',
    '        result[path] = "written"',
    '    except OSError as error:',
    '        result[path] = error.strerror',
    'result["cwd"] = os.getcwd()',
    'result["run"] = sorted(os.listdir("/run"))',
    'result["home_visible"] = [p for p in sys.argv[2:] if os.path.exists(p)]',
    'try:',
    '    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()',
    '    result["connect"] = "ok"',
    'except OSError as error:',
    '    result["connect"] = type(error).__name__',
    'marker = "/tmp/hookflow-private-" + os.environ["MARKER"]',
    'open(marker, "w").write("x")',
    'print(json.dumps(result))',
  ].join('\n'),
  'hog.py': 'blocks = []\nfor _ in range(200):\n    blocks.append(bytearray(1024 * 1024))\nprint("survived")\n',
  'modest.py': 'block = bytearray(10 * 1024 * 1024)\nprint("fine", len(block))\n',
  'quota.py': [
    'import json, os, time',
    'own = {}',
    'for line in open("/proc/self/cgroup"):',
    '    number, controllers, path = line.strip().split(":", 2)',
    '    for controller in (controllers.split(",") if controllers else ["unified"]):',
    '        own[controller] = path',
    'quota = None',
    'if "cpu" in own and os.path.exists("/sys/fs/cgroup/cpu" + own["cpu"] + "/cpu.cfs_quota_us"):',
    '    quota = open("/sys/fs/cgroup/cpu" + own["cpu"] + "/cpu.cfs_quota_us").read().strip()',
    'elif os.path.exists("/sys/fs/cgroup" + own.get("unified", "/") + "/cpu.max"):',
    '    quota = open("/sys/fs/cgroup" + own["unified"] + "/cpu.max").read().split()[0]',
    'start = time.time()',
    'children = []',
    'for _ in range(2):',
    '    pid = os.fork()',
    '    if pid == 0:',
    '        end = time.time() + 0.4',
    '        while time.time() < end:',
    '            pass',
    '        os._exit(0)',
    '    children.append(pid)',
    'for pid in children:',
    '    os.waitpid(pid, 0)',
    'wall = time.time() - start',
    'times = os.times()',
    'print(json.dumps({"quota": quota, "cpu": times.children_user + times.children_system, "wall": wall}))',
  ].join('\n'),
};
for (const [name, text] of Object.entries(SCRIPTS)) writeFileSync(join(workspace, name), text);
writeFileSync(join(actions, 'act_before.sh'), 'echo "before $PROGRAM_ID"\n');

interface Captured {
  outcome: RunOutcome;
  stdout: string;
  stderr: string;
  ms: number;
}

function spec(overrides: Partial<RunSpec>): RunSpec {
  return {
    execution_id: `exec-${randomUUID().slice(0, 8)}`,
    program_id: 'test-program',
    phase: 'program',
    interpreter: [PYTHON],
    script: { root: 'workspace', path: 'exit.py' },
    args: [],
    workspace_dir: workspace,
    actions_dir: actions,
    extra_mounts: [],
    writable: false,
    env: { PROGRAM_ID: 'test-program' },
    image: null,
    limits: { memory_bytes: null, cpus: null },
    network: 'none',
    sandbox: false,
    deadline: Date.now() + 10_000,
    signal: new AbortController().signal,
    output: { stdout: () => undefined, stderr: () => undefined },
    ...overrides,
  };
}

async function run(runner: ProcessRunner, overrides: Partial<RunSpec>): Promise<Captured> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const started = Date.now();
  const outcome = await runner.run(spec({ ...overrides, output: { stdout: (chunk) => out.push(chunk), stderr: (chunk) => err.push(chunk) } }));
  return { outcome, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - started };
}

/** Processes whose argv holds the marker. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) found.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

const runner = new ProcessRunner({ home, killGraceMs: 200 });
function removeFolders(): void {
  rmSync(root, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
after(async () => {
  await runner.close();
  removeFolders();
});
const sandboxStatus = await runner.sandbox();
const cgroupStatus = await detectCgroups();
const cgroupsUnavailable = cgroupStatus.support === null ? cgroupStatus.reason : cgroupStatus.support.version === 1 && (cgroupStatus.support.memory === null || cgroupStatus.support.cpu === null) ? cgroupStatus.reason : null;
// A required service that is missing throws here, before any hook could clean up: clean up first.
const [bwrapSkip, cgroupSkip] = (() => {
  try {
    return [requireService('bubblewrap', sandboxStatus.reason), requireService('writable cgroups (memory and cpu)', cgroupsUnavailable)];
  } catch (error) {
    removeFolders();
    throw error;
  }
})();


describe('ProcessRunner: processes', () => {
  for (const code of [0, 3, 42]) {
    it(`reports exit code ${code}`, async () => {
      const { outcome } = await run(runner, { args: [String(code)] });
      assert.equal(outcome.reason, 'exited');
      assert.equal(outcome.exit_code, code);
      assert.equal(outcome.signal, null);
      assert.equal(outcome.message, null);
      assert.equal(typeof outcome.details.pid, 'number');
      assert.equal(outcome.details.sandbox, 'none');
    });
  }

  it('keeps stdout and stderr apart', async () => {
    const { outcome, stdout, stderr } = await run(runner, { script: { root: 'workspace', path: 'streams.py' } });
    assert.equal(outcome.exit_code, 0);
    assert.equal(stdout, 'to stdout\n');
    assert.equal(stderr, 'to stderr\n');
  });

  it('drains all output before resolving', async () => {
    const { stdout } = await run(runner, { script: { root: 'workspace', path: 'big.py' } });
    assert.equal(stdout.length, 3 * MiB);
  });

  it('runs scripts of the actions folder, and a command without a script', async () => {
    const action = await run(runner, { interpreter: [SH], script: { root: 'actions', path: 'act_before.sh' } });
    assert.equal(action.stdout, 'before test-program\n');
    const bare = await run(runner, { interpreter: [SH, '-c', 'echo "$0 $1"', 'zero'], script: null, args: ['one'] });
    assert.equal(bare.stdout, 'zero one\n');
  });

  describe('environment', () => {
    const previous = process.env.HOOKFLOW_SECRET_KEY;
    const secret = `test-secret-${randomUUID()}`;
    before(() => {
      process.env.HOOKFLOW_SECRET_KEY = secret;
      process.env.HOOKFLOW_DATABASE_URL = 'postgres://user:pw@db/hookflow';
    });
    after(() => {
      if (previous === undefined) delete process.env.HOOKFLOW_SECRET_KEY;
      else process.env.HOOKFLOW_SECRET_KEY = previous;
      delete process.env.HOOKFLOW_DATABASE_URL;
    });

    for (const sandbox of [false, true]) {
      it(`passes the program's variables and basics, never hookflow's own (${sandbox ? 'sandbox' : 'no sandbox'})`, sandbox ? bwrapSkip : {}, async () => {
        const { stdout, outcome } = await run(runner, { script: { root: 'workspace', path: 'env.py' }, env: { PROGRAM_ID: 'p1', PARAM_NAME: 'a b' }, sandbox });
        assert.equal(outcome.exit_code, 0);
        const env = JSON.parse(stdout) as Record<string, string>;
        assert.equal(env.PROGRAM_ID, 'p1');
        assert.equal(env.PARAM_NAME, 'a b');
        assert.equal(env.PATH, process.env.PATH);
        assert.equal(env.HOME, sandbox ? '/tmp' : process.env.HOME);
        assert.equal(env.HOOKFLOW_SECRET_KEY, undefined);
        assert.equal(env.HOOKFLOW_DATABASE_URL, undefined);
        assert.ok(!stdout.includes(secret), 'the secret key reached the program');
        const unexpected = Object.keys(env).filter((name) => !['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'PROGRAM_ID', 'PARAM_NAME', 'PWD', 'SHLVL', '_', 'LC_CTYPE'].includes(name));
        assert.deepEqual(unexpected, []);
      });
    }
  });

  describe('start failures', () => {
    const table: Array<{ name: string; overrides: Partial<RunSpec>; message: RegExp }> = [
      { name: 'an interpreter not on PATH', overrides: { interpreter: ['python-that-does-not-exist'] }, message: /cannot start: interpreter python-that-does-not-exist not found on PATH/ },
      { name: 'an interpreter path that does not exist', overrides: { interpreter: ['/nonexistent/python3'] }, message: /cannot start: interpreter \/nonexistent\/python3 does not exist/ },
      { name: 'a missing script', overrides: { script: { root: 'workspace', path: 'missing.py' } }, message: /cannot start: script .*missing\.py does not exist/ },
      { name: 'a script that is not executable run directly', overrides: { interpreter: [], script: { root: 'workspace', path: 'exit.py' } }, message: /is not executable/ },
      { name: 'a missing program folder', overrides: { workspace_dir: join(root, 'nowhere') }, message: /program folder .*nowhere does not exist/ },
      { name: 'a script escaping its folder', overrides: { script: { root: 'workspace', path: '../home/secret.key' } }, message: /escapes its folder/ },
    ];
    for (const row of table) {
      it(`reports ${row.name} as start_failed`, async () => {
        const { outcome } = await run(runner, row.overrides);
        assert.equal(outcome.reason, 'start_failed');
        assert.equal(outcome.exit_code, null);
        assert.match(outcome.message ?? '', row.message);
      });
    }
  });

  it('on timeout, kills the whole process tree (TERM, then KILL after the grace)', async () => {
    const marker = `hookflow-marker-${randomUUID()}`;
    const { outcome, ms } = await run(runner, { interpreter: [SH], script: { root: 'workspace', path: 'family.sh' }, args: [marker], deadline: Date.now() + 250 });
    assert.equal(outcome.reason, 'timeout');
    assert.equal(outcome.message, TIMEOUT_MESSAGE);
    assert.ok(ms < 3000, `took ${ms} ms`);
    assert.deepEqual(processesWith(marker), []);
  });

  it('kills a descendant that left the process group, without cgroups too', async () => {
    const plain = new ProcessRunner({ home, killGraceMs: 200, cgroups: false, bwrapPath: null });
    const marker = `hookflow-marker-${randomUUID()}`;
    const { outcome } = await run(plain, { script: { root: 'workspace', path: 'escape.py' }, args: [marker], deadline: Date.now() + 250 });
    assert.equal(outcome.reason, 'timeout');
    assert.deepEqual(processesWith(marker), []);
  });

  it('kills what the program left running when it exits', async () => {
    const marker = `hookflow-marker-${randomUUID()}`;
    const { outcome, stdout, ms } = await run(runner, { interpreter: [SH], script: { root: 'workspace', path: 'leave.sh' }, args: [marker] });
    assert.equal(outcome.reason, 'exited');
    assert.equal(stdout, 'started\n');
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.deepEqual(processesWith(marker), []);
  });

  it('keeps its process alive until the outcome is known, though the group is slow to die', async () => {
    // A group member that holds no pipe and takes long to die (its memory torn down after SIGKILL)
    // leaves nothing but the runner's own wait to hold the event loop: a one-shot process running
    // one program, as here, lost the outcome when that wait did not keep it alive.
    const ready = join(root, `ready-${randomUUID()}`);
    const script = [
      `${PYTHON} -c "b = b'x' * (800 * 1024 * 1024); open('${ready}', 'w').close(); import time; time.sleep(30)" >/dev/null 2>&1 &`,
      `while [ ! -e '${ready}' ]; do sleep 0.02; done`,
      'echo started',
    ].join('\n');
    writeFileSync(join(workspace, 'heavy-leftover.sh'), script);
    const driver = [
      'const { ProcessRunner } = await import(process.env.RUNNER_MODULE);',
      'const runner = new ProcessRunner({ home: process.env.RUNNER_HOME, cgroups: false, bwrapPath: null });',
      'const base = JSON.parse(process.env.RUN_SPEC);',
      'const outcome = await runner.run({ ...base, deadline: Date.now() + 10000, signal: new AbortController().signal, output: { stdout() {}, stderr() {} } });',
      'console.log(JSON.stringify({ reason: outcome.reason, exit_code: outcome.exit_code }));',
    ].join('\n');
    const env = {
      ...process.env,
      RUNNER_MODULE: new URL('../../../src/programs/runners/process.ts', import.meta.url).href,
      RUNNER_HOME: home,
      RUN_SPEC: JSON.stringify(spec({ interpreter: [SH], script: { root: 'workspace', path: 'heavy-leftover.sh' } })),
    };
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', driver], { encoding: 'utf8', env, timeout: 20_000 });
    // Exit 13 is Node's unsettled top-level await: the event loop emptied before the outcome came.
    assert.equal(child.status, 0, `the one-shot process ended with ${child.status ?? child.signal}: ${child.stderr}`);
    assert.deepEqual(JSON.parse(child.stdout), { reason: 'exited', exit_code: 0 });
  });

  it('lets the program clean up on SIGTERM within the grace', async () => {
    const { outcome, stdout } = await run(runner, { interpreter: [SH], script: { root: 'workspace', path: 'term.sh' }, deadline: Date.now() + 300 });
    assert.equal(outcome.reason, 'timeout');
    assert.equal(stdout, 'ready\ncleaned up\n');
    assert.equal(outcome.exit_code, 7);
  });

  it('SIGKILLs a program that ignores SIGTERM once the grace is over', async () => {
    const { outcome, stdout, ms } = await run(runner, { interpreter: [SH], script: { root: 'workspace', path: 'stubborn.sh' }, deadline: Date.now() + 250 });
    assert.equal(outcome.reason, 'timeout');
    assert.equal(outcome.signal, 'SIGKILL');
    assert.equal(stdout, 'ready\n');
    assert.ok(ms >= 400 && ms < 3000, `took ${ms} ms`);
  });

  it('cancels on abort', async () => {
    const controller = new AbortController();
    const pending = run(runner, { script: { root: 'workspace', path: 'sleep.py' }, signal: controller.signal });
    setTimeout(() => controller.abort(), 150);
    const { outcome, ms } = await pending;
    assert.equal(outcome.reason, 'canceled');
    assert.equal(outcome.message, CANCELED_MESSAGE);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it('does not start what is already canceled or past its deadline', async () => {
    const controller = new AbortController();
    controller.abort();
    const canceled = await run(runner, { signal: controller.signal });
    assert.equal(canceled.outcome.reason, 'canceled');
    assert.equal(canceled.outcome.details.pid, null);
    const late = await run(runner, { deadline: Date.now() - 1 });
    assert.equal(late.outcome.reason, 'timeout');
    assert.equal(late.outcome.details.pid, null);
  });

  it('close() cancels what runs', async () => {
    const closing = new ProcessRunner({ home, killGraceMs: 200 });
    const pending = run(closing, { script: { root: 'workspace', path: 'sleep.py' } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await closing.close();
    assert.equal((await pending).outcome.reason, 'canceled');
  });

  it('says whether it sandboxes', async () => {
    const noSandbox = new ProcessRunner({ home, bwrapPath: null });
    assert.deepEqual(await noSandbox.availability(), { available: true, reason: 'the sandbox is turned off (no bwrap configured): programs run without a sandbox' });
    const missing = new ProcessRunner({ home, bwrapPath: '/nonexistent/bwrap' });
    const { outcome } = await run(missing, { sandbox: true, args: ['0'] });
    assert.equal(outcome.details.sandbox, 'none');
    assert.match(String(outcome.details.sandbox_reason), /bwrap not found at \/nonexistent\/bwrap/);
  });
});

describe('ProcessRunner: the bubblewrap sandbox', bwrapSkip, () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function probe(overrides: Partial<RunSpec>, hidden: string[] = [join(home, 'secret.key')]) {
    const marker = randomUUID();
    const { outcome, stdout, stderr } = await run(runner, {
      script: { root: 'workspace', path: 'probe.py' },
      args: [String(port), ...hidden],
      env: { MARKER: marker },
      sandbox: true,
      ...overrides,
    });
    assert.equal(outcome.exit_code, 0, stderr);
    assert.equal(outcome.details.sandbox, 'bwrap');
    return { result: JSON.parse(stdout) as Record<string, unknown>, marker };
  }

  it('shows the system read-only, the program folder read-only at /workspace, a private /tmp and /run, no network, no home', async () => {
    const { result, marker } = await probe({});
    assert.equal(result['/etc/hookflow-test'], 'Read-only file system');
    assert.equal(result['/usr/hookflow-test'], 'Read-only file system');
    assert.equal(result['/hookflow-test'], 'Read-only file system');
    assert.equal(result['/workspace/written.txt'], 'Read-only file system');
    assert.equal(result['/tmp/hookflow-test'], 'written');
    assert.equal(result.cwd, '/workspace');
    assert.deepEqual(result.run, []);
    assert.deepEqual(result.home_visible, []);
    assert.equal(result.connect, 'ConnectionRefusedError');
    assert.ok(!existsSync(`/tmp/hookflow-private-${marker}`), 'the sandbox /tmp is the host /tmp');
  });

  it('writable: the program folder can be written', async () => {
    const { result } = await probe({ writable: true });
    assert.equal(result['/workspace/written.txt'], 'written');
    assert.ok(existsSync(join(workspace, 'written.txt')));
    rmSync(join(workspace, 'written.txt'));
  });

  for (const network of ['bridge', 'host'] as const) {
    it(`network ${network}: reaches the host's network`, async () => {
      const { result } = await probe({ network });
      assert.equal(result.connect, 'ok');
    });
  }

  it('hides the home when it is inside the program folder', async () => {
    const outer = join(root, 'outer');
    const innerHome = join(outer, '.hookflow');
    mkdirSync(innerHome, { recursive: true });
    writeFileSync(join(innerHome, 'secret.key'), 'hidden');
    writeFileSync(join(outer, 'probe.py'), SCRIPTS['probe.py'] as string);
    writeFileSync(join(outer, 'visible.txt'), 'yes');
    const nested = new ProcessRunner({ home: innerHome });
    const { stdout, outcome } = await run(nested, {
      workspace_dir: outer,
      script: { root: 'workspace', path: 'probe.py' },
      args: [String(port), '/workspace/.hookflow/secret.key', join(innerHome, 'secret.key'), '/workspace/visible.txt'],
      env: { MARKER: randomUUID() },
      sandbox: true,
    });
    assert.equal(outcome.exit_code, 0);
    assert.deepEqual((JSON.parse(stdout) as { home_visible: string[] }).home_visible, ['/workspace/visible.txt']);
  });

  it('runs a program folder inside the home, the rest of the home hidden', async () => {
    const programDir = join(home, 'programs', 'inside');
    mkdirSync(programDir, { recursive: true });
    writeFileSync(join(programDir, 'probe.py'), SCRIPTS['probe.py'] as string);
    const { result } = await probe({ workspace_dir: programDir }, [join(home, 'secret.key'), '/workspace/probe.py']);
    assert.deepEqual(result.home_visible, ['/workspace/probe.py']);
  });

  it('reports a sandbox bwrap cannot build as start_failed', async () => {
    const { outcome } = await run(runner, { extra_mounts: [{ host: workspace, target: '/usr/hookflow-no-such-mount-point' }], sandbox: true, args: ['0'] });
    assert.equal(outcome.reason, 'start_failed');
    assert.match(outcome.message ?? '', /the sandbox could not be set up \(bwrap: .*hookflow-no-such-mount-point/);
  });

  it('sends SIGTERM to the program, not to bwrap (which would SIGKILL it)', async () => {
    const { outcome, stdout } = await run(runner, { interpreter: [SH], script: { root: 'workspace', path: 'term.sh' }, deadline: Date.now() + 400, sandbox: true });
    assert.equal(outcome.reason, 'timeout');
    assert.equal(stdout, 'ready\ncleaned up\n');
  });

  it('on timeout, leaves nothing of the sandbox running', async () => {
    const marker = `hookflow-marker-${randomUUID()}`;
    const { outcome } = await run(runner, { interpreter: [SH], script: { root: 'workspace', path: 'family.sh' }, args: [marker], deadline: Date.now() + 250, sandbox: true });
    assert.equal(outcome.reason, 'timeout');
    assert.deepEqual(processesWith(marker), []);
  });
});

describe('ProcessRunner: limits with cgroups', cgroupSkip, () => {
  for (const sandbox of [false, true]) {
    it(`a memory hog over 64 MiB is killed and reported out_of_memory (${sandbox ? 'sandbox' : 'no sandbox'})`, sandbox ? bwrapSkip : {}, async () => {
      const { outcome, stdout } = await run(runner, { script: { root: 'workspace', path: 'hog.py' }, limits: { memory_bytes: 64 * MiB, cpus: null }, sandbox });
      assert.equal(outcome.reason, 'out_of_memory');
      assert.equal(outcome.message, 'killed: exceeded its memory limit of 64 MiB');
      assert.equal(outcome.details.memory, 'cgroup');
      assert.equal(stdout, '');
      for (const group of outcome.details.cgroups as string[]) assert.ok(!existsSync(group), `${group} left behind`);
    });
  }

  it('a program under the limit completes', async () => {
    const { outcome, stdout } = await run(runner, { script: { root: 'workspace', path: 'modest.py' }, limits: { memory_bytes: 64 * MiB, cpus: 1 } });
    assert.equal(outcome.reason, 'exited');
    assert.equal(outcome.exit_code, 0);
    assert.equal(stdout, `fine ${10 * MiB}\n`);
  });

  it('a CPU limit of 0.5 is applied: its quota reads back and two busy processes get about half a core', async () => {
    const { outcome, stdout } = await run(runner, { script: { root: 'workspace', path: 'quota.py' }, limits: { memory_bytes: null, cpus: 0.5 } });
    assert.equal(outcome.exit_code, 0);
    assert.equal(outcome.details.cpu, 'cgroup');
    const measured = JSON.parse(stdout) as { quota: string; cpu: number; wall: number };
    assert.equal(measured.quota, '50000');
    // Unlimited, two busy processes use up to 2 cores here; the quota holds them to 0.5 (no lower
    // bound: a loaded machine may give them less).
    const cores = measured.cpu / measured.wall;
    assert.ok(cores < 0.8, `used ${cores.toFixed(2)} cores`);
  });
});

describe('ProcessRunner: limits without cgroups (rlimit)', () => {
  const plain = new ProcessRunner({ home, cgroups: false, bwrapPath: null });

  it('a memory hog fails its allocation and is reported out_of_memory; the CPU limit is reported unapplied', async () => {
    const { outcome, stderr } = await run(plain, { script: { root: 'workspace', path: 'hog.py' }, limits: { memory_bytes: 64 * MiB, cpus: 0.5 } });
    assert.equal(outcome.reason, 'out_of_memory');
    assert.match(stderr, /MemoryError/);
    assert.equal(outcome.details.memory, 'rlimit');
    assert.equal(outcome.details.cpu, null);
    assert.match(String(outcome.details.limits_reason), /CPU limit of 0\.5 not applied/);
  });

  it('a program under the limit completes', async () => {
    const { outcome } = await run(plain, { script: { root: 'workspace', path: 'modest.py' }, limits: { memory_bytes: 64 * MiB, cpus: null } });
    assert.equal(outcome.reason, 'exited');
    assert.equal(outcome.exit_code, 0);
  });
});

// Kept here (not in a limits.test.ts of its own) because this task owns only these two test files.
describe('limits: reading /proc and building the prefix', () => {
  const mountinfo = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');

  it('parses cgroup mounts', () => {
    assert.deepEqual(parseMountInfo(mountinfo), [
      { mountpoint: '/sys/fs/cgroup/cpu,cpuacct', root: '/', fstype: 'cgroup', controllers: ['cpu', 'cpuacct'] },
      { mountpoint: '/sys/fs/cgroup/memory', root: '/', fstype: 'cgroup', controllers: ['memory'] },
      { mountpoint: '/sys/fs/cgroup/unified', root: '/', fstype: 'cgroup2', controllers: [] },
    ]);
  });

  const candidates: Array<{ name: string; mounts: string; self: string; expected: ReturnType<typeof cgroupCandidates> }> = [
    {
      name: 'v1 nests under the own group per controller',
      mounts: mountinfo,
      self: '4:memory:/user.slice/session-1.scope\n2:cpu,cpuacct:/user.slice\n0::/user.slice/session-1.scope',
      expected: { v2: '/sys/fs/cgroup/unified', v1: { memory: '/sys/fs/cgroup/memory/user.slice/session-1.scope', cpu: '/sys/fs/cgroup/cpu,cpuacct/user.slice' } },
    },
    {
      name: 'v2 only: the hierarchy root',
      mounts: '30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate',
      self: '0::/user.slice/user-1000.slice/session-2.scope',
      expected: { v2: '/sys/fs/cgroup', v1: { memory: null, cpu: null } },
    },
    {
      name: 'a container seeing its own subtree mounted as root',
      mounts: '35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro,relatime - cgroup cgroup rw,memory',
      self: '4:memory:/docker/abc',
      expected: { v2: null, v1: { memory: '/sys/fs/cgroup/memory', cpu: null } },
    },
  ];
  for (const row of candidates) {
    it(row.name, () => assert.deepEqual(cgroupCandidates(parseMountInfo(row.mounts), parseProcCgroup(row.self)), row.expected));
  }

  it('builds the shell prefix: rlimit first, then each group, then exec', () => {
    assert.deepEqual(limitsPrefix([], null), []);
    assert.deepEqual(limitsPrefix(["/cg/mem/it's"], 64 * MiB), ['/bin/sh', '-c', `ulimit -d 65536 && echo $$ > '/cg/mem/it'\\''s' && exec "$@"`, 'sh']);
  });

  it('reads counters and formats sizes', () => {
    assert.equal(readCounter('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n', 'oom_kill'), 2);
    assert.equal(readCounter('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n', 'oom_kill'), 1);
    assert.equal(readCounter('oom_kill_disable 0\n', 'oom_kill'), null);
    assert.deepEqual([64 * MiB, 1024 * MiB, 1.5 * MiB, 512].map(formatBytes), ['64 MiB', '1 GiB', '1.5 MiB', '512 bytes']);
  });

  const evidence: Array<[string, number | null, boolean]> = [
    ['Traceback…\nMemoryError\n', 1, true],
    ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', 134, true],
    ['error: Cannot allocate memory', 1, true],
    ['MemoryError handled, fine', 0, false],
    ['ValueError', 1, false],
  ];
  for (const [stderr, code, expected] of evidence) {
    it(`rlimit evidence: exit ${code} with ${JSON.stringify(stderr.slice(0, 30))} → ${expected}`, () => {
      assert.equal(rlimitOomEvidence({ exit_code: code, signal: null, stderr_tail: stderr }), expected);
    });
  }

  it('writes cgroup v2 limits (against a stand-in folder tree) and reads its oom_kill count', async () => {
    const fake = mkdtempSync(join(tmpdir(), 'hookflow-fake-cgroup-'));
    try {
      writeFileSync(join(fake, 'cgroup.subtree_control'), 'memory cpu');
      const prepared = await prepareLimits('exec/1', { memory_bytes: 64 * MiB, cpus: 0.25 }, { cgroups: { support: { version: 2, parent: join(fake, 'hookflow'), cpu: true }, reason: null }, unique: 'u1' });
      const group = join(fake, 'hookflow', 'exec_1-u1');
      assert.deepEqual(prepared.applied, { memory: 'cgroup', cpu: 'cgroup' });
      assert.deepEqual(prepared.groups, [group]);
      assert.equal(readFileSync(join(group, 'memory.max'), 'utf8'), String(64 * MiB));
      assert.equal(readFileSync(join(group, 'memory.swap.max'), 'utf8'), '0');
      assert.equal(readFileSync(join(group, 'cpu.max'), 'utf8'), '25000 100000');
      assert.deepEqual(prepared.prefix, ['/bin/sh', '-c', `echo $$ > '${group}/cgroup.procs' && exec "$@"`, 'sh']);
      writeFileSync(join(group, 'memory.events'), 'oom 1\noom_kill 1\n');
      assert.equal(await prepared.oomKilled({ exit_code: 137, signal: null, stderr_tail: '' }), true);
      writeFileSync(join(group, 'memory.events'), 'oom 0\noom_kill 0\n');
      assert.equal(await prepared.oomKilled({ exit_code: 137, signal: null, stderr_tail: '' }), false);
      // A real cgroup folder empties itself; the stand-in has to be emptied for rmdir.
      for (const file of readdirSync(group)) rmSync(join(group, file));
      await prepared.release();
      assert.ok(!existsSync(group));
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });

  it('without cgroups, memory is an rlimit and the CPU limit is reported unapplied', async () => {
    const prepared = await prepareLimits('e', { memory_bytes: 64 * MiB, cpus: 0.5 }, { cgroups: { support: null, reason: 'no cgroup here' } });
    assert.deepEqual(prepared.applied, { memory: 'rlimit', cpu: null, reason: 'no cgroup here; CPU limit of 0.5 not applied: it needs a writable cgroup' });
    assert.deepEqual(prepared.prefix, ['/bin/sh', '-c', 'ulimit -d 65536 && exec "$@"', 'sh']);
    const none = await prepareLimits('e', { memory_bytes: null, cpus: null }, { cgroups: null });
    assert.deepEqual(none.prefix, []);
    assert.deepEqual(none.applied, { memory: null, cpu: null });
  });

  it('reads state, parent and group from /proc/PID/stat, whatever the command name', () => {
    assert.deepEqual(parseStat('123 (sh) S 45 120 120 0 -1'), { state: 'S', ppid: 45, pgrp: 120 });
    assert.deepEqual(parseStat('123 (a) b (c) Z 7 9 9 0 -1'), { state: 'Z', ppid: 7, pgrp: 9 });
    assert.equal(parseStat('garbage'), null);
  });
});
