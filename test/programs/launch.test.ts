import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HookflowError } from '../../src/errors.js';
import {
  executableProblem,
  interpreterFor,
  languageOf,
  parameterEnv,
  programEnv,
  quoteParameters,
  readDotEnv,
  resolveMainFile,
  splitParameters,
  tsxLoaderPath,
} from '../../src/programs/launch.js';

describe('splitParameters', () => {
  const cases: Array<{ text: string; argv: string[] }> = [
    { text: '', argv: [] },
    { text: '   ', argv: [] },
    { text: '--process proceso_2 --verbose', argv: ['--process', 'proceso_2', '--verbose'] },
    { text: '--input data.csv --output results.json --format json --compress', argv: ['--input', 'data.csv', '--output', 'results.json', '--format', 'json', '--compress'] },
    { text: '--name "two words" --x=\'a b\'', argv: ['--name', 'two words', '--x=a b'] },
    { text: 'a\tb\nc', argv: ['a', 'b', 'c'] },
    { text: '"" x \'\'', argv: ['', 'x', ''] },
    { text: 'all\'one\'"token"', argv: ['allonetoken'] },
    { text: 'a\\ b c', argv: ['a b', 'c'] },
    { text: '"say \\"hi\\"" \'a\\b\' "a\\\\b" "\\$x" "a\\nb"', argv: ['say "hi"', 'a\\b', 'a\\b', '$x', 'a\\nb'] },
    { text: '$HOME ${HOME}x "$USER/a" \'$(kept)\'', argv: ['$HOME', '${HOME}x', '$USER/a', '$(kept)'] },
    { text: '*.txt ~/x [ab] {a,b}', argv: ['*.txt', '~/x', '[ab]', '{a,b}'] },
    { text: '--color x#1 # a comment', argv: ['--color', 'x#1'] },
    { text: '"a|b" \'c;d\' e\\&f', argv: ['a|b', 'c;d', 'e&f'] },
    { text: 'a \\\nb', argv: ['a', 'b'] },
    { text: 'trailing\\', argv: ['trailing\\'] },
    { text: 'ünï "cödé"', argv: ['ünï', 'cödé'] },
  ];
  for (const { text, argv } of cases) {
    it(`splits ${JSON.stringify(text)}`, () => assert.deepEqual(splitParameters(text), argv));
  }

  const refused: Array<{ text: string; message: RegExp; offset: number }> = [
    { text: 'a | b', message: /shell operator "\|"/, offset: 2 },
    { text: 'a; rm -rf /', message: /shell operator ";"/, offset: 1 },
    { text: 'a && b', message: /shell operator "&"/, offset: 2 },
    { text: 'a > out.txt', message: /shell operator ">"/, offset: 2 },
    { text: 'a < in', message: /shell operator "<"/, offset: 2 },
    { text: '(a)', message: /shell operator "\("/, offset: 0 },
    { text: '--when $(date)', message: /command substitution/, offset: 7 },
    { text: '--when "$(date)"', message: /command substitution/, offset: 8 },
    { text: '--when `date`', message: /command substitution/, offset: 7 },
    { text: "--name it's", message: /single quote is never closed/, offset: 9 },
    { text: '--name "open', message: /double quote is never closed/, offset: 7 },
    { text: 'a\0b', message: /NUL/, offset: 1 },
  ];
  for (const { text, message, offset } of refused) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => splitParameters(text),
        (error: unknown) => {
          assert.ok(error instanceof HookflowError);
          assert.equal(error.code, 'HF_ERR_INVALID_PROGRAM_PARAMETERS');
          assert.match(error.message, message);
          assert.match(error.message, new RegExp(`at character ${offset + 1}$`));
          assert.equal(error.details.offset, offset);
          assert.ok(error.details.hint);
          return true;
        },
      );
    });
  }

  it('splits what quoteParameters quotes back into the same words', () => {
    const words = ['plain', 'two words', "it's", '$HOME', 'a|b', '', 'tab\there', 'new\nline', '"quoted"', 'back\\slash', '#hash', '*'];
    assert.deepEqual(splitParameters(quoteParameters(words)), words);
  });

  it('splits as /bin/sh does for the words both accept', () => {
    const text = `--a "b c" 'd e' f\\ g "h\\"i" j'k'"l" "$HOME" '$HOME'`;
    const shell = spawnSync('/bin/sh', ['-c', `for a in ${text.replaceAll('"$HOME"', '"\\$HOME"')}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
    const fromShell = shell.stdout.split('\0').slice(0, -1);
    assert.deepEqual(splitParameters(text), fromShell);
  });
});

describe('main files and languages', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hookflow-launch-'));
    mkdirSync(join(root, 'py'));
    writeFileSync(join(root, 'py', 'run.py'), 'print(1)\n');
    writeFileSync(join(root, 'py', 'main.js'), 'console.log(1)\n');
    mkdirSync(join(root, 'py', 'src'));
    writeFileSync(join(root, 'py', 'src', 'app.ts'), 'console.log(1)\n');
    mkdirSync(join(root, 'py', 'main.py'));
    mkdirSync(join(root, 'empty'));
    writeFileSync(join(root, 'afile'), '');
    writeFileSync(join(root, 'tool'), '#!/bin/sh\necho hi\n');
    chmodSync(join(root, 'tool'), 0o755);
    writeFileSync(join(root, 'notexec'), 'data');
    chmodSync(join(root, 'notexec'), 0o644);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('resolves the main file relative to the program directory', () => {
    const cases: Array<{ directory: string; main: string | null; file: string }> = [
      { directory: 'py', main: 'run.py', file: 'run.py' },
      { directory: 'py', main: 'src/app.ts', file: join('src', 'app.ts') },
      { directory: 'py', main: './src//app.ts', file: join('src', 'app.ts') },
      // main.py is a directory, so run.py (the next default) is taken.
      { directory: 'py', main: null, file: 'run.py' },
    ];
    for (const { directory, main, file } of cases) assert.equal(resolveMainFile(join(root, directory), main), file, `${directory} ${main}`);
  });

  it("fails with PyExecutorHub's messages", () => {
    const cases: Array<{ directory: string; main: string | null; code: string; message: RegExp }> = [
      { directory: 'py', main: 'nope.py', code: 'HF_ERR_MAIN_FILE_NOT_FOUND', message: /^Main program file 'nope\.py' not found in .*py\. Please ensure the file exists or update the configuration\.$/ },
      { directory: 'py', main: 'main.py', code: 'HF_ERR_MAIN_FILE_NOT_FOUND', message: /Main program file 'main\.py' not found/ },
      { directory: 'py', main: '../afile', code: 'HF_ERR_MAIN_FILE_NOT_FOUND', message: /outside the program directory/ },
      { directory: 'py', main: '/etc/passwd', code: 'HF_ERR_MAIN_FILE_NOT_FOUND', message: /outside the program directory/ },
      { directory: 'empty', main: null, code: 'HF_ERR_MAIN_FILE_NOT_FOUND', message: /No main program file found in .*empty: tried main\.py, run\.py, app\.py, index\.py, main\.js, index\.js, main\.sh/ },
      { directory: 'missing', main: 'main.py', code: 'HF_ERR_PROGRAM_DIRECTORY_NOT_FOUND', message: /Program directory .*missing not found/ },
      { directory: 'afile', main: null, code: 'HF_ERR_PROGRAM_DIRECTORY_NOT_FOUND', message: /is not a directory/ },
    ];
    for (const { directory, main, code, message } of cases) {
      assert.throws(
        () => resolveMainFile(join(root, directory), main),
        (error: unknown) => error instanceof HookflowError && error.code === code && message.test(error.message),
        `${directory} ${main}`,
      );
    }
  });

  it('tells a language by extension, the override first', () => {
    const cases: Array<[string, Parameters<typeof languageOf>[1], string]> = [
      ['main.py', null, 'python'],
      ['a/b/run.PY', null, 'python'],
      ['main.js', null, 'node'],
      ['main.mjs', null, 'node'],
      ['main.cjs', null, 'node'],
      ['main.ts', null, 'typescript'],
      ['main.mts', null, 'typescript'],
      ['main.sh', null, 'bash'],
      ['main', null, 'executable'],
      ['.hidden', null, 'executable'],
      ['dir.d/tool', null, 'executable'],
      ['main.rb', null, 'executable'],
      ['main.py', 'sh', 'sh'],
      ['tool', 'python', 'python'],
    ];
    for (const [file, override, language] of cases) assert.equal(languageOf(file, override), language, file);
  });

  it('knows an executable file from one that is not', () => {
    assert.equal(executableProblem(join(root, 'tool')), null);
    const problem = executableProblem(join(root, 'notexec'));
    assert.equal(problem?.code, 'HF_ERR_PROGRAM_NOT_EXECUTABLE');
    assert.match(problem?.details.hint ?? '', /chmod \+x/);
    assert.equal(executableProblem(join(root, 'absent'))?.code, 'HF_ERR_PROGRAM_NOT_EXECUTABLE');
  });
});

describe('interpreterFor', () => {
  const loader = tsxLoaderPath();
  it('finds tsx from this package', () => {
    assert.ok(loader && loader.startsWith('/') && loader.endsWith('.mjs'), String(loader));
  });
  const cases: Array<{ language: Parameters<typeof interpreterFor>[0]; interpreters: Parameters<typeof interpreterFor>[1]; place: 'host' | 'container'; argv: () => string[] }> = [
    { language: 'python', interpreters: {}, place: 'host', argv: () => ['python3'] },
    { language: 'python', interpreters: {}, place: 'container', argv: () => ['python3'] },
    { language: 'python', interpreters: { python: '/usr/bin/python3 -u' }, place: 'host', argv: () => ['/usr/bin/python3', '-u'] },
    // Host paths are not the image's: the image's PATH decides in a container.
    { language: 'python', interpreters: { python: '/usr/bin/python3' }, place: 'container', argv: () => ['python3'] },
    { language: 'node', interpreters: {}, place: 'host', argv: () => ['node'] },
    { language: 'bash', interpreters: {}, place: 'container', argv: () => ['bash'] },
    { language: 'sh', interpreters: {}, place: 'host', argv: () => ['sh'] },
    { language: 'executable', interpreters: { python: 'x' }, place: 'host', argv: () => [] },
    { language: 'typescript', interpreters: {}, place: 'host', argv: () => ['node', '--import', loader!] },
    { language: 'typescript', interpreters: { node: '/opt/node/bin/node' }, place: 'host', argv: () => ['/opt/node/bin/node', '--import', loader!] },
    { language: 'typescript', interpreters: { typescript: 'deno run' }, place: 'host', argv: () => ['deno', 'run'] },
    { language: 'typescript', interpreters: {}, place: 'container', argv: () => ['tsx'] },
  ];
  for (const { language, interpreters, place, argv } of cases) {
    it(`${language} on the ${place} with ${JSON.stringify(interpreters)}`, () => assert.deepEqual(interpreterFor(language, interpreters, place), argv()));
  }

  it('runs a TypeScript file with the host interpreter it gives', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-ts-'));
    try {
      writeFileSync(join(dir, 'main.ts'), 'const n: number = 6 * 7;\nconsole.log(`answer ${n}`);\n');
      const [command, ...args] = interpreterFor('typescript', { node: process.execPath }, 'host');
      const run = spawnSync(command, [...args, join(dir, 'main.ts')], { encoding: 'utf8', cwd: dir });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout.trim(), 'answer 42');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('environment', () => {
  it('turns request parameters into PARAM_ variables', () => {
    const cases: Array<{ parameters: Record<string, unknown>; env: Record<string, string> }> = [
      { parameters: {}, env: {} },
      { parameters: { mode: 'fast' }, env: { PARAM_MODE: 'fast' } },
      { parameters: { 'dry-run': true, 'batch.size': 10, 'ünï code': 'x' }, env: { PARAM_DRY_RUN: 'true', PARAM_BATCH_SIZE: '10', PARAM__N__CODE: 'x' } },
      { parameters: { list: [1, 'a'], obj: { a: 1 }, none: null, gone: undefined }, env: { PARAM_LIST: '[1,"a"]', PARAM_OBJ: '{"a":1}' } },
      { parameters: { '1st': 'a', empty: '' }, env: { PARAM_1ST: 'a', PARAM_EMPTY: '' } },
    ];
    for (const { parameters, env } of cases) assert.deepEqual(parameterEnv(parameters), env, JSON.stringify(parameters));
  });

  it('reads .env, and nothing when there is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-env-'));
    try {
      assert.deepEqual(readDotEnv(dir), {});
      assert.deepEqual(readDotEnv(join(dir, 'missing')), {});
      writeFileSync(join(dir, '.env'), '# comment\nTOKEN=abc\nQUOTED="two words"\nexport EXPORTED=yes\nEMPTY=\n');
      assert.deepEqual(readDotEnv(dir), { TOKEN: 'abc', QUOTED: 'two words', EXPORTED: 'yes', EMPTY: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds the program environment in order: .env < env < PROGRAM_ID, EXECUTION_ID, PARAM_*', () => {
    const env = programEnv({
      program: { id: 'report', env: { SHARED: 'from-env', OWN: 'own', PROGRAM_ID: 'spoofed', PARAM_MODE: 'config' } },
      executionId: 'exec-1',
      parameters: { mode: 'request' },
      dotenv: { SHARED: 'from-dotenv', DOT: 'dot', EXECUTION_ID: 'spoofed' },
    });
    assert.deepEqual(env, { SHARED: 'from-env', DOT: 'dot', EXECUTION_ID: 'exec-1', OWN: 'own', PROGRAM_ID: 'report', PARAM_MODE: 'request' });
  });
});
