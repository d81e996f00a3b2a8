import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HookflowError } from '../../../src/errors.js';
import type { SlurmSchedulerModel } from '../../../src/workflows/model.js';
import { directiveQuote, renderSbatchScript, shellQuote, splitShellWords, type SbatchScriptRequest } from '../../../src/workflows/slurm/script.js';

const bare: SlurmSchedulerModel = { name: 'bare', account: null, partition: null, nodes: 1, walltime: null, gres: null, mem: null, qos: null, extra: null };
const gpu: SlurmSchedulerModel = {
  name: 'gpu_cluster',
  account: 'ml_project',
  partition: 'gpu',
  nodes: 2,
  walltime: '04:00:00',
  gres: 'gpu:1',
  mem: '32G',
  qos: 'high',
  extra: '--exclusive --constraint="a b"',
};

function request(overrides: Partial<SbatchScriptRequest> = {}): SbatchScriptRequest {
  return {
    workflowId: 'wf1',
    scheduler: bare,
    startOneWorkerPerNode: false,
    maxParallelJobs: null,
    workerCommand: ['node', '/abs/bin/hookflow.js'],
    outputDir: '/out/wf1/slurm',
    jobName: 'hookflow-wf1',
    ...overrides,
  };
}

const directives = (script: string): string[] => script.split('\n').filter((line) => line.startsWith('#SBATCH'));
const lastLine = (script: string): string => script.trimEnd().split('\n').pop() ?? '';

describe('renderSbatchScript', () => {
  it('renders every field of a full scheduler, one worker per node through srun', () => {
    const script = renderSbatchScript(request({ scheduler: gpu, startOneWorkerPerNode: true, maxParallelJobs: 4 }));
    assert.equal(script.split('\n')[0], '#!/bin/sh');
    assert.deepEqual(directives(script), [
      '#SBATCH --job-name=hookflow-wf1',
      '#SBATCH --account=ml_project',
      '#SBATCH --partition=gpu',
      '#SBATCH --nodes=2',
      '#SBATCH --time=04:00:00',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --mem=32G',
      '#SBATCH --qos=high',
      '#SBATCH --output=/out/wf1/slurm/slurm-%j.out',
      '#SBATCH --error=/out/wf1/slurm/slurm-%j.err',
      '#SBATCH --exclusive "--constraint=a b"',
    ]);
    assert.equal(
      lastLine(script),
      'exec srun --ntasks-per-node=1 --nodes="$SLURM_JOB_NUM_NODES" node /abs/bin/hookflow.js worker --workflow wf1 --max-parallel-jobs 4',
    );
  });

  it('leaves out the options a scheduler does not set, and starts one worker with exec', () => {
    const script = renderSbatchScript(request());
    assert.deepEqual(directives(script), [
      '#SBATCH --job-name=hookflow-wf1',
      '#SBATCH --nodes=1',
      '#SBATCH --output=/out/wf1/slurm/slurm-%j.out',
      '#SBATCH --error=/out/wf1/slurm/slurm-%j.err',
    ]);
    assert.equal(lastLine(script), 'exec node /abs/bin/hookflow.js worker --workflow wf1');
    assert.doesNotMatch(script, /srun|max-parallel-jobs/);
  });

  it('puts all #SBATCH lines before the first command (sbatch stops reading them there)', () => {
    const lines = renderSbatchScript(request({ scheduler: gpu })).split('\n');
    const firstCommand = lines.findIndex((line, i) => i > 0 && line !== '' && !line.startsWith('#'));
    const lastDirective = lines.findLastIndex((line) => line.startsWith('#SBATCH'));
    assert.ok(lastDirective < firstCommand, `directive at ${lastDirective} after command at ${firstCommand}`);
  });

  it('never writes the store URL, and checks that it reached the job', () => {
    const script = renderSbatchScript(request());
    assert.match(script, /: "\$\{HOOKFLOW_STORE:\?/);
    assert.doesNotMatch(script, /postgres:|sqlite:/);
  });

  const hostile: Array<{ field: keyof SlurmSchedulerModel; value: string; line: string }> = [
    { field: 'account', value: 'a b', line: '#SBATCH --account="a b"' },
    { field: 'partition', value: 'p"q', line: '#SBATCH --partition="p\\"q"' },
    { field: 'qos', value: 'x#y', line: '#SBATCH --qos="x\\#y"' },
    { field: 'gres', value: 'a\\b', line: '#SBATCH --gres="a\\\\b"' },
    { field: 'mem', value: "$(rm -rf /) `id` 'q'", line: "#SBATCH --mem=\"$(rm -rf /) `id` 'q'\"" },
    { field: 'walltime', value: '', line: '#SBATCH --time=""' },
  ];
  for (const { field, value, line } of hostile) {
    it(`quotes ${field} = ${JSON.stringify(value)} for sbatch's directive parser`, () => {
      const script = renderSbatchScript(request({ scheduler: { ...bare, [field]: value } }));
      assert.ok(directives(script).includes(line), directives(script).join('\n'));
    });
  }

  const refused: Array<{ field: keyof SlurmSchedulerModel; value: string }> = [
    { field: 'account', value: 'a\n#SBATCH --uid=0' },
    { field: 'partition', value: 'p\rq' },
    { field: 'extra', value: '"--comment=a\u0007b"' },
  ];
  for (const { field, value } of refused) {
    it(`refuses a control character in ${field}`, () => {
      assert.throws(
        () => renderSbatchScript(request({ scheduler: { ...bare, [field]: value } })),
        (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_INVALID_WORKFLOW' && error.details.where === `slurm_schedulers.bare.${field}`,
      );
    });
  }

  it('keeps a % of the output directory literal (%% for sbatch)', () => {
    const script = renderSbatchScript(request({ outputDir: '/data/100%/run/' }));
    assert.ok(directives(script).includes('#SBATCH --output=/data/100%%/run/slurm-%j.out'));
  });

  const invalid: Array<{ name: string; overrides: Partial<SbatchScriptRequest>; code: string }> = [
    { name: 'zero nodes', overrides: { scheduler: { ...bare, nodes: 0 } }, code: 'HF_ERR_INVALID_WORKFLOW' },
    { name: 'fractional nodes', overrides: { scheduler: { ...bare, nodes: 1.5 } }, code: 'HF_ERR_INVALID_WORKFLOW' },
    { name: 'zero max_parallel_jobs', overrides: { maxParallelJobs: 0 }, code: 'HF_ERR_INVALID_WORKFLOW' },
    { name: 'an empty worker command', overrides: { workerCommand: [] }, code: 'HF_ERR_INVALID_ARGUMENT' },
    { name: 'an unclosed quote in extra', overrides: { scheduler: { ...bare, extra: '--comment="x' } }, code: 'HF_ERR_INVALID_WORKFLOW' },
  ];
  for (const { name, overrides, code } of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => renderSbatchScript(request(overrides)), (error: unknown) => error instanceof HookflowError && error.code === code);
    });
  }

  it('passes hostile workflow ids and paths to the worker exactly, through a real shell', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-sbatch-'));
    try {
      const workflowId = `w'; touch ${join(dir, 'pwned')}; echo '$(id) "x" \\`;
      const script = renderSbatchScript(request({ workflowId, maxParallelJobs: 3, workerCommand: ['printf', '%s\\n', 'arg with space'] }));
      const path = join(dir, 'job.sh');
      writeFileSync(path, script);
      const ok = spawnSync('/bin/sh', [path], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOOKFLOW_STORE: '/x.db' }, encoding: 'utf8' });
      assert.equal(ok.status, 0, ok.stderr);
      assert.deepEqual(ok.stdout.split('\n').slice(0, -1), ['arg with space', 'worker', '--workflow', workflowId, '--max-parallel-jobs', '3']);
      assert.equal(spawnSync('/bin/sh', ['-c', `test -e ${shellQuote(join(dir, 'pwned'))}`]).status, 1);

      const missing = spawnSync('/bin/sh', [path], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, encoding: 'utf8' });
      assert.notEqual(missing.status, 0);
      assert.match(missing.stderr, /HOOKFLOW_STORE/);
      assert.equal(missing.stdout, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('splitShellWords', () => {
  const table: Array<[string, string[]]> = [
    ['', []],
    ['   ', []],
    ['--exclusive', ['--exclusive']],
    ['  --a   --b\t--c\n--d ', ['--a', '--b', '--c', '--d']],
    ['--constraint="a b"', ['--constraint=a b']],
    ["--comment='it is $HOME'", ['--comment=it is $HOME']],
    ['--comment="say \\"hi\\" \\$x \\n"', ['--comment=say "hi" $x \\n']],
    ['a\\ b c', ['a b', 'c']],
    ["''", ['']],
    ['x""y', ['xy']],
    ['--a \\\n--b', ['--a', '--b']],
    ['"$(rm -rf /)"', ['$(rm -rf /)']],
  ];
  for (const [text, words] of table) {
    it(`splits ${JSON.stringify(text)}`, () => assert.deepEqual(splitShellWords(text), words));
  }
  for (const text of ['"open', "'open", 'trailing\\']) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => splitShellWords(text, 'here'), (error: unknown) => error instanceof HookflowError && error.details.where === 'here');
    });
  }
});

describe('shellQuote and directiveQuote', () => {
  const shell: Array<[string, string]> = [
    ['plain-word_1.2/x', 'plain-word_1.2/x'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['$HOME', "'$HOME'"],
  ];
  for (const [value, quoted] of shell) it(`shellQuote(${JSON.stringify(value)})`, () => assert.equal(shellQuote(value), quoted));

  const directive: Array<[string, string]> = [
    ['gpu:1', 'gpu:1'],
    ['a b', '"a b"'],
    ["'x'", '"\'x\'"'],
    ['"', '"\\""'],
  ];
  for (const [value, quoted] of directive) it(`directiveQuote(${JSON.stringify(value)})`, () => assert.equal(directiveQuote(value, 'w'), quoted));
});
