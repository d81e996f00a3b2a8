import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HookflowError } from '../../../src/errors.js';
import { ENDED_UNKNOWN, SlurmCommandClient } from '../../../src/workflows/slurm/client.js';

/**
 * SlurmCommandClient against stand-ins for Slurm's commands (small sh scripts in a bin dir), for
 * the answers a one-node test cluster never gives: accounting, a dead controller, refusals.
 */

const root = mkdtempSync(join(tmpdir(), 'hookflow-slurm-client-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** A bin dir with these commands; each logs its arguments to `<command>.args` first. */
function fakeSlurm(commands: Record<string, string>): { client: SlurmCommandClient; dir: string; args: (command: string) => string } {
  dirs += 1;
  const dir = join(root, `bin${dirs}`);
  mkdirSync(dir);
  for (const [name, body] of Object.entries(commands)) {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\necho "$*" >> "${dir}/${name}.args"\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return { client: new SlurmCommandClient({ binDir: dir, timeoutMs: 5000 }), dir, args: (command) => readFileSync(join(dir, `${command}.args`), 'utf8').trim() };
}

const slurmError = (pattern: RegExp) => (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_SLURM' && pattern.test(error.message);

describe('SlurmCommandClient.submit', () => {
  it('returns the id from --parsable, passing the environment but never putting it on the command line', async () => {
    const { client, dir, args } = fakeSlurm({ sbatch: `echo "$HOOKFLOW_STORE" > "${'$'}(dirname "$0")/url"\necho '42;cluster'` });
    const script = join(dir, 'job.sbatch');
    const id = await client.submit(script, { HOOKFLOW_STORE: 'postgres://u:secret@h/db' });
    assert.equal(id, '42');
    assert.equal(args('sbatch'), `--parsable --export=ALL ${script}`);
    assert.equal(readFileSync(join(dir, 'url'), 'utf8').trim(), 'postgres://u:secret@h/db');
  });

  it('names the command and its stderr when sbatch refuses', async () => {
    const { client } = fakeSlurm({ sbatch: `echo 'sbatch: error: invalid partition specified: gpu' >&2\nexit 1` });
    await assert.rejects(client.submit(join(root, 'job.sbatch'), { HOOKFLOW_STORE: 'postgres://u:secret@h/db' }), (error: unknown) => {
      assert.ok(slurmError(/^sbatch --parsable --export=ALL \S+\/job\.sbatch failed \(exit 1\): sbatch: error: invalid partition/)(error), String(error));
      assert.doesNotMatch((error as Error).message, /secret/);
      return true;
    });
  });

  it('rejects output that is not a job id', async () => {
    const { client } = fakeSlurm({ sbatch: 'echo "Submitted batch job"' });
    await assert.rejects(client.submit(join(root, 'job.sbatch'), {}), slurmError(/printed no job id/));
  });

  it('says when the script directory is missing', async () => {
    const { client } = fakeSlurm({ sbatch: 'echo 1' });
    await assert.rejects(client.submit(join(root, 'nowhere', 'job.sbatch'), {}), slurmError(/sbatch could not run: its directory .*nowhere does not exist/));
  });

  it('says how to get Slurm when sbatch is missing', async () => {
    const { client } = fakeSlurm({});
    await assert.rejects(client.submit(join(root, 'job.sbatch'), {}), (error: unknown) => {
      return slurmError(/sbatch could not run: command not found/)(error) && /slurm-setup\.sh/.test(String((error as HookflowError).details.hint));
    });
  });
});

describe('SlurmCommandClient.states', () => {
  it('asks squeue for all states, then sacct for the jobs the controller forgot', async () => {
    const { client, args } = fakeSlurm({
      squeue: `printf '1 RUNNING\\n2 PENDING\\n'`,
      sacct: `printf '3|CANCELLED by 0\\n'`,
    });
    const states = await client.states(['1', '2', '3', '4']);
    assert.deepEqual(Object.fromEntries(states), { 1: 'RUNNING', 2: 'PENDING', 3: 'CANCELLED', 4: ENDED_UNKNOWN });
    assert.equal(args('squeue'), '-h -t all -j 1,2,3,4 -o %i %T');
    assert.equal(args('sacct'), '-n -X -P -j 3,4 -o JobID,State');
  });

  it('counts every job as ended when neither squeue nor accounting know them', async () => {
    const { client } = fakeSlurm({
      squeue: `echo 'slurm_load_jobs error: Invalid job id specified' >&2\nexit 1`,
      sacct: `echo 'Slurm accounting storage is disabled' >&2\nexit 1`,
    });
    assert.deepEqual(Object.fromEntries(await client.states(['7', '8'])), { 7: ENDED_UNKNOWN, 8: ENDED_UNKNOWN });
  });

  it('counts a job as ended when sacct is not installed', async () => {
    const { client } = fakeSlurm({ squeue: 'exit 0' });
    assert.deepEqual(Object.fromEntries(await client.states(['9'])), { 9: ENDED_UNKNOWN });
  });

  it('fails with squeue and its stderr when the controller does not answer', async () => {
    const { client } = fakeSlurm({ squeue: `echo 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)' >&2\nexit 1` });
    await assert.rejects(client.states(['1']), slurmError(/^squeue .* failed \(exit 1\): slurm_load_jobs error: Unable to contact slurm controller/));
  });

  it('refuses ids that are not Slurm job ids before running anything', async () => {
    const { client } = fakeSlurm({});
    await assert.rejects(client.states(['1', '--me']), (error: unknown) => error instanceof HookflowError && error.code === 'HF_ERR_INVALID_ARGUMENT');
    assert.deepEqual(await client.states([]), new Map());
  });
});

describe('SlurmCommandClient.cancel and available', () => {
  it('passes the ids to scancel and accepts jobs that already ended', async () => {
    const { client, args } = fakeSlurm({ scancel: `echo 'scancel: error: Kill job error on job id 5: Job/step already completing or completed' >&2\nexit 1` });
    await client.cancel(['5', '6']);
    assert.equal(args('scancel'), '5 6');
  });

  it('fails on any other scancel error', async () => {
    const { client } = fakeSlurm({ scancel: `echo 'scancel: error: Kill job error on job id 5: Access/permission denied' >&2\nexit 1` });
    await assert.rejects(client.cancel(['5']), slurmError(/^scancel 5 failed \(exit 1\): .*permission denied/));
  });

  it('is available when sinfo answers', async () => {
    assert.equal(await fakeSlurm({ sinfo: 'echo idle' }).client.available(), true);
    assert.equal(await fakeSlurm({ sinfo: 'exit 1' }).client.available(), false);
    assert.equal(await fakeSlurm({}).client.available(), false);
  });
});
