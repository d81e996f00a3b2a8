import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHookflowError } from '../../../src/errors.js';
import { bwrapArgs, dependencyEnv, isInsideOrEqual, sandboxPlan, scriptPath, type RootEntry, type SandboxPlan } from '../../../src/programs/runners/sandbox.js';

const ROOT: RootEntry[] = [
  { name: 'usr', type: 'directory' },
  { name: 'etc', type: 'directory' },
  { name: 'bin', type: 'symlink', target: 'usr/bin' },
  { name: '.dockerenv', type: 'file' },
  { name: 'proc', type: 'directory' },
  { name: 'dev', type: 'directory' },
  { name: 'tmp', type: 'directory' },
  { name: 'run', type: 'directory' },
  { name: 'workspace', type: 'directory' },
  { name: 'hookflow', type: 'directory' },
  { name: 'home', type: 'directory' },
];

function plan(overrides: Partial<SandboxPlan> = {}): SandboxPlan {
  return {
    workspace_dir: '/srv/programs/report',
    writable: false,
    actions_dir: null,
    extra_mounts: [],
    dependency_dir: null,
    installing: false,
    network: 'none',
    home: '/home/ops/.hookflow',
    root_entries: ROOT,
    command: ['python3', '/workspace/main.py', '--flag'],
    ...overrides,
  };
}

/** Index of an option with its operands, e.g. ['--ro-bind', '/a', '/b']; -1 when absent. */
function indexOfSequence(args: string[], sequence: string[]): number {
  for (let index = 0; index + sequence.length <= args.length; index += 1) {
    if (sequence.every((value, offset) => args[index + offset] === value)) return index;
  }
  return -1;
}

/** The options before `--` (so the command's own words never count as options). */
function options(args: string[]): string[] {
  return args.slice(0, args.indexOf('--'));
}

interface ArgvCase {
  name: string;
  plan: Partial<SandboxPlan>;
  present: string[][];
  absent?: string[][];
  /** Each pair: the first sequence comes before the second. */
  order?: Array<[string[], string[]]>;
}

const cases: ArgvCase[] = [
  {
    name: 'a read-only program folder at /workspace, no network, the home hidden',
    plan: {},
    present: [
      ['--ro-bind', '/srv/programs/report', '/workspace'],
      ['--chdir', '/workspace'],
      ['--dev', '/dev'],
      ['--proc', '/proc'],
      ['--tmpfs', '/tmp'],
      ['--tmpfs', '/run'],
      ['--tmpfs', '/home/ops/.hookflow'],
      ['--unshare-all'],
      ['--die-with-parent'],
      ['--new-session'],
      ['--remount-ro', '/'],
    ],
    absent: [['--share-net'], ['--bind', '/srv/programs/report', '/workspace'], ['--ro-bind', '/', '/'], ['--ro-bind-try', '/run/systemd/resolve', '/run/systemd/resolve']],
    order: [
      [['--ro-bind-try', '/usr', '/usr'], ['--tmpfs', '/home/ops/.hookflow']],
      [['--tmpfs', '/home/ops/.hookflow'], ['--ro-bind', '/srv/programs/report', '/workspace']],
      [['--ro-bind', '/srv/programs/report', '/workspace'], ['--remount-ro', '/']],
    ],
  },
  {
    name: 'the host root bound entry by entry; the sandbox provides proc, dev, tmp, run, workspace, hookflow itself',
    plan: {},
    present: [
      ['--ro-bind-try', '/usr', '/usr'],
      ['--ro-bind-try', '/etc', '/etc'],
      ['--ro-bind-try', '/home', '/home'],
      ['--ro-bind-try', '/.dockerenv', '/.dockerenv'],
      ['--symlink', 'usr/bin', '/bin'],
    ],
    absent: [
      ['--ro-bind-try', '/proc', '/proc'],
      ['--ro-bind-try', '/dev', '/dev'],
      ['--ro-bind-try', '/tmp', '/tmp'],
      ['--ro-bind-try', '/run', '/run'],
      ['--ro-bind-try', '/workspace', '/workspace'],
      ['--ro-bind-try', '/hookflow', '/hookflow'],
    ],
  },
  {
    name: 'writable: the program folder bound read-write',
    plan: { writable: true },
    present: [['--bind', '/srv/programs/report', '/workspace']],
    absent: [['--ro-bind', '/srv/programs/report', '/workspace']],
  },
  {
    name: 'network bridge shares the host network (bwrap has no bridge) and keeps DNS',
    plan: { network: 'bridge' },
    present: [['--share-net'], ['--ro-bind-try', '/run/systemd/resolve', '/run/systemd/resolve']],
    order: [[['--unshare-all'], ['--share-net']]],
  },
  {
    name: 'network host shares the host network',
    plan: { network: 'host' },
    present: [['--share-net']],
    order: [[['--unshare-all'], ['--share-net']]],
  },
  {
    name: 'the actions folder read-only at /hookflow/actions, extra mounts read-only at their targets',
    plan: { actions_dir: '/srv/programs/actions', extra_mounts: [{ host: '/opt/models', target: '/models' }] },
    present: [
      ['--ro-bind', '/srv/programs/actions', '/hookflow/actions'],
      ['--ro-bind', '/opt/models', '/models'],
    ],
  },
  {
    name: 'action dependencies read-only at /hookflow/deps',
    plan: { dependency_dir: '/home/ops/.hookflow/programs/deps/abc' },
    present: [['--ro-bind', '/home/ops/.hookflow/programs/deps/abc', '/hookflow/deps']],
    order: [[['--tmpfs', '/home/ops/.hookflow'], ['--ro-bind', '/home/ops/.hookflow/programs/deps/abc', '/hookflow/deps']]],
  },
  {
    name: 'action dependencies writable while installing',
    plan: { dependency_dir: '/srv/deps', installing: true },
    present: [['--bind', '/srv/deps', '/hookflow/deps']],
  },
  {
    name: 'a program folder inside the home: the home hidden, the folder still bound (sources are read from the host)',
    plan: { workspace_dir: '/home/ops/.hookflow/programs/report' },
    present: [['--tmpfs', '/home/ops/.hookflow'], ['--ro-bind', '/home/ops/.hookflow/programs/report', '/workspace']],
    order: [[['--tmpfs', '/home/ops/.hookflow'], ['--ro-bind', '/home/ops/.hookflow/programs/report', '/workspace']]],
  },
  {
    name: 'the home inside the program folder: hidden in its /workspace view too',
    plan: { workspace_dir: '/srv/app', home: '/srv/app/.hookflow' },
    present: [['--tmpfs', '/srv/app/.hookflow'], ['--tmpfs', '/workspace/.hookflow']],
    order: [[['--ro-bind', '/srv/app', '/workspace'], ['--tmpfs', '/workspace/.hookflow']]],
  },
  {
    name: 'the home inside the actions folder: hidden in its /hookflow/actions view',
    plan: { actions_dir: '/srv/conf', home: '/srv/conf/home' },
    present: [['--tmpfs', '/hookflow/actions/home']],
    order: [[['--ro-bind', '/srv/conf', '/hookflow/actions'], ['--tmpfs', '/hookflow/actions/home']]],
  },
  {
    name: 'a home under /tmp is already hidden by the private /tmp',
    plan: { home: '/tmp/hookflow-home' },
    present: [['--tmpfs', '/tmp']],
    absent: [['--tmpfs', '/tmp/hookflow-home']],
  },
  {
    name: 'no home to hide',
    plan: { home: null },
    present: [['--tmpfs', '/tmp']],
    absent: [['--tmpfs', '/home/ops/.hookflow']],
  },
];

describe('bwrapArgs', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const args = bwrapArgs(plan(testCase.plan));
      const opts = options(args);
      for (const sequence of testCase.present) assert.notEqual(indexOfSequence(opts, sequence), -1, `missing ${sequence.join(' ')} in ${opts.join(' ')}`);
      for (const sequence of testCase.absent ?? []) assert.equal(indexOfSequence(opts, sequence), -1, `unexpected ${sequence.join(' ')}`);
      for (const [first, second] of testCase.order ?? []) {
        assert.ok(indexOfSequence(opts, first) < indexOfSequence(opts, second), `${first.join(' ')} should come before ${second.join(' ')}`);
      }
    });
  }

  it('ends with -- and the command, and never puts the environment on the command line', () => {
    const args = bwrapArgs(plan({ command: ['python3', '/workspace/main.py', '--setenv'] }));
    assert.deepEqual(args.slice(args.indexOf('--')), ['--', 'python3', '/workspace/main.py', '--setenv']);
    const opts = options(args);
    assert.ok(!opts.includes('--setenv') && !opts.includes('--clearenv'));
    // Namespaces are set after the mounts; the session options close the list.
    assert.deepEqual(opts.slice(-3), ['--unshare-all', '--die-with-parent', '--new-session']);
  });

  const refused: Array<{ name: string; plan: Partial<SandboxPlan>; where: string }> = [
    { name: 'a relative program folder', plan: { workspace_dir: 'programs/report' }, where: 'workspace_dir' },
    { name: 'the program folder being the home', plan: { workspace_dir: '/srv/h', home: '/srv/h' }, where: 'workspace_dir' },
    { name: 'the home being /', plan: { home: '/' }, where: 'home' },
    { name: 'an extra mount over /workspace', plan: { extra_mounts: [{ host: '/opt/x', target: '/workspace' }] }, where: 'extra_mounts[0].target' },
    { name: 'an extra mount with a relative target', plan: { extra_mounts: [{ host: '/opt/x', target: 'x' }] }, where: 'extra_mounts[0].target' },
    { name: 'an empty command', plan: { command: [] }, where: 'command' },
  ];
  for (const testCase of refused) {
    it(`refuses ${testCase.name}`, () => {
      assert.throws(
        () => bwrapArgs(plan(testCase.plan)),
        (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_INVALID_ARGUMENT' && error.details.where === testCase.where,
      );
    });
  }

  it('sandboxPlan takes the spec fields as they are', () => {
    const built = sandboxPlan(
      { workspace_dir: '/w', writable: true, actions_dir: '/a', extra_mounts: [], network: 'host', dependency_dir: '/d', installing: true },
      { home: '/h', root_entries: [] },
      ['x'],
    );
    assert.deepEqual(built, { workspace_dir: '/w', writable: true, actions_dir: '/a', extra_mounts: [], dependency_dir: '/d', installing: true, network: 'host', home: '/h', root_entries: [], command: ['x'] });
  });
});

describe('scriptPath', () => {
  const base = { workspace_dir: '/srv/programs/report', actions_dir: '/srv/programs/actions' };
  const table: Array<{ script: { root: 'workspace' | 'actions'; path: string } | null; view: 'host' | 'sandbox'; expected: string | null }> = [
    { script: { root: 'workspace', path: 'main.py' }, view: 'sandbox', expected: '/workspace/main.py' },
    { script: { root: 'workspace', path: 'bin/./run.sh' }, view: 'sandbox', expected: '/workspace/bin/run.sh' },
    { script: { root: 'workspace', path: 'main.py' }, view: 'host', expected: '/srv/programs/report/main.py' },
    { script: { root: 'actions', path: 'act_before.py' }, view: 'sandbox', expected: '/hookflow/actions/act_before.py' },
    { script: { root: 'actions', path: 'act_after.sh' }, view: 'host', expected: '/srv/programs/actions/act_after.sh' },
    { script: { root: 'workspace', path: 'a/../main.py' }, view: 'host', expected: '/srv/programs/report/main.py' },
    { script: null, view: 'sandbox', expected: null },
  ];
  for (const row of table) {
    it(`${row.script?.root ?? 'none'}:${row.script?.path ?? '-'} in the ${row.view} view → ${row.expected}`, () => {
      assert.equal(scriptPath({ ...base, script: row.script }, row.view), row.expected);
    });
  }

  const bad: Array<{ script: { root: 'workspace' | 'actions'; path: string }; actions_dir: string | null }> = [
    { script: { root: 'workspace', path: '../other/main.py' }, actions_dir: null },
    { script: { root: 'workspace', path: '/etc/passwd' }, actions_dir: null },
    { script: { root: 'workspace', path: '' }, actions_dir: null },
    { script: { root: 'actions', path: 'act_before.py' }, actions_dir: null },
  ];
  for (const row of bad) {
    it(`refuses ${row.script.root}:${JSON.stringify(row.script.path)}${row.actions_dir === null && row.script.root === 'actions' ? ' without an actions folder' : ''}`, () => {
      assert.throws(() => scriptPath({ workspace_dir: '/w', actions_dir: row.actions_dir, script: row.script }, 'sandbox'), (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_INVALID_ARGUMENT');
    });
  }
});

describe('dependencyEnv', () => {
  it('is empty without installed dependencies', () => {
    assert.deepEqual(dependencyEnv({ env: {}, dependency_dir: null }, 'sandbox'), {});
  });
  it('points the interpreters at /hookflow/deps in the sandbox, before the run’s own paths', () => {
    assert.deepEqual(dependencyEnv({ env: { PYTHONPATH: '/workspace/lib' }, dependency_dir: '/h/deps/k' }, 'sandbox'), {
      PYTHONPATH: '/hookflow/deps/python:/workspace/lib',
      NODE_PATH: '/hookflow/deps/node/node_modules',
    });
  });
  it('uses the host folder unsandboxed, and says where to install while installing', () => {
    assert.deepEqual(dependencyEnv({ env: {}, dependency_dir: '/h/deps/k', installing: true }, 'host'), {
      PYTHONPATH: '/h/deps/k/python',
      NODE_PATH: '/h/deps/k/node/node_modules',
      PIP_TARGET: '/h/deps/k/python',
      npm_config_prefix: '/h/deps/k/node',
    });
  });
});

describe('isInsideOrEqual', () => {
  const table: Array<[string, string, boolean]> = [
    ['/a/b', '/a', true],
    ['/a', '/a', true],
    ['/ab', '/a', false],
    ['/a/..b', '/a', true],
    ['/', '/a', false],
  ];
  for (const [path, folder, expected] of table) {
    it(`${path} in ${folder}: ${expected}`, () => assert.equal(isInsideOrEqual(path, folder), expected));
  }
});
