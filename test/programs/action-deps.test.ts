import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../src/engine.js';
import type { ProgramService } from '../../src/programs/service.js';

/**
 * actions/requirements.txt and actions/package.json: installed once per content into
 * HOOKFLOW_HOME/programs/deps, where the before/after actions find them (PYTHONPATH, NODE_PATH);
 * a failing install is reported and never fails the program. Offline: a wheel and a package on disk.
 */

function writeWheel(directory: string): string {
  const build = join(directory, 'wheel-build');
  mkdirSync(join(build, 'hfdemo-1.0.dist-info'), { recursive: true });
  writeFileSync(join(build, 'hfdemo.py'), 'GREETING = "hello from hfdemo"\n');
  writeFileSync(join(build, 'hfdemo-1.0.dist-info', 'METADATA'), 'Metadata-Version: 2.1\nName: hfdemo\nVersion: 1.0\n');
  writeFileSync(join(build, 'hfdemo-1.0.dist-info', 'WHEEL'), 'Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n');
  writeFileSync(join(build, 'hfdemo-1.0.dist-info', 'RECORD'), 'hfdemo.py,,\nhfdemo-1.0.dist-info/METADATA,,\nhfdemo-1.0.dist-info/WHEEL,,\nhfdemo-1.0.dist-info/RECORD,,\n');
  const wheel = join(directory, 'hfdemo-1.0-py3-none-any.whl');
  execFileSync('/usr/bin/python3', ['-c', `import zipfile,os\nos.chdir(${JSON.stringify(build)})\nz=zipfile.ZipFile(${JSON.stringify(wheel)},'w')\nfor f in ['hfdemo.py','hfdemo-1.0.dist-info/METADATA','hfdemo-1.0.dist-info/WHEEL','hfdemo-1.0.dist-info/RECORD']: z.write(f)\nz.close()`]);
  rmSync(build, { recursive: true, force: true });
  return wheel;
}

describe("the actions' dependencies", () => {
  let home: string;
  let engine: Engine;
  let programs: ProgramService;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'hookflow-action-deps-'));
    const actions = join(home, 'actions');
    mkdirSync(actions, { recursive: true });
    mkdirSync(join(home, 'programs', 'ok'), { recursive: true });
    writeFileSync(join(home, 'programs', 'ok', 'main.sh'), 'echo program ran\n');
    writeWheel(actions);
    const jsPackage = join(actions, 'hfdemo-js');
    mkdirSync(jsPackage);
    writeFileSync(join(jsPackage, 'package.json'), JSON.stringify({ name: 'hfdemo-js', version: '1.0.0', main: 'index.js' }));
    writeFileSync(join(jsPackage, 'index.js'), "module.exports = 'hello from hfdemo-js';\n");
    // Paths as the runner shows them: the actions folder is /hookflow/actions in the sandbox (and in Docker).
    writeFileSync(join(actions, 'requirements.txt'), '/hookflow/actions/hfdemo-1.0-py3-none-any.whl\n');
    writeFileSync(join(actions, 'package.json'), JSON.stringify({ name: 'actions', version: '1.0.0', dependencies: { 'hfdemo-js': 'file:/hookflow/actions/hfdemo-js' } }));
    writeFileSync(join(actions, 'act_before.py'), 'import hfdemo\nprint("before:", hfdemo.GREETING)\n');
    writeFileSync(join(actions, 'act_after.js'), "console.log('after:', require('hfdemo-js'));\n");
    writeFileSync(
      join(home, 'config.yaml'),
      'scripts:\n  ok:\n    path: programs/ok\n    main_file: main.sh\nsettings:\n  runner: process\n  interpreters:\n    python: /usr/bin/python3\n',
    );
    engine = await Engine.open({ home, storeUrl: `sqlite:${join(home, 'hookflow.db')}`, env: { HOOKFLOW_SECRET_KEY: 'test-secret-key' }, pollMs: 50 });
    await engine.dispatcher.start();
    programs = await engine.programs();
    await programs.start({ schedules: false });
  });

  after(async () => {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('installs requirements.txt and package.json once, and the actions import them', async () => {
    const first = await programs.waitFor((await programs.submit({ program_id: 'ok', trigger: 'api' })).id, 120_000);
    assert.equal(first.status, 'completed', `${first.output}\n${first.error_output}`);
    assert.match(first.output, /Installing the actions. dependencies/);
    assert.match(first.output, /\[ACT_BEFORE\] before: hello from hfdemo/);
    assert.match(first.output, /\[ACT_AFTER\] after: hello from hfdemo-js/);
    assert.equal(first.details.action_dependencies, 'installed');
    const installed = readdirSync(join(home, 'programs', 'deps'));
    assert.equal(installed.length, 1);
    assert.ok(existsSync(join(home, 'programs', 'deps', installed[0]!, 'python', 'hfdemo.py')));

    const second = await programs.waitFor((await programs.submit({ program_id: 'ok', trigger: 'api' })).id, 60_000);
    assert.equal(second.status, 'completed');
    assert.doesNotMatch(second.output, /Installing/, 'the install is cached by content');
    assert.match(second.output, /before: hello from hfdemo/);
  });

  it('reports a failing install and still runs the program', async () => {
    writeFileSync(join(home, 'actions', 'requirements.txt'), '/nonexistent/nothing-1.0-py3-none-any.whl\n');
    const execution = await programs.waitFor((await programs.submit({ program_id: 'ok', trigger: 'api' })).id, 120_000);
    assert.equal(execution.status, 'completed', 'the program ran and its status is its own');
    assert.match(execution.error_output, /installing the actions' dependencies failed/);
    assert.match(execution.output, /program ran/);
    assert.equal(execution.details.action_dependencies, 'install failed');
  });
});
