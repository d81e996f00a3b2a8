import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emptyProgramsConfig, formatConfigProblem, lookupProgram, parseProgramsConfig } from '../../src/programs/config.js';
import type { ConfigProblem, ProgramDefinition } from '../../src/programs/model.js';

/** PyExecutorHub's README example, as written there. */
const SEED_CONFIG = `scripts:
  # Example 1: Basic script without custom Docker image
  example_script:
    id: "example_script"
    name: "Example Script"
    path: "scripts/example_script"  # Relative path
    description: "Example script without custom Docker image"
    enabled: true
    main_file: "main.py"
    # docker_image: Not specified, uses default
    # parameters: Not specified, runs without parameters

  # Example 2: Script with custom Docker image
  script_with_custom_image:
    id: "script_with_custom_image"
    name: "Script with Custom Docker Image"
    path: "scripts/custom_script"
    description: "Script that uses a custom Docker image"
    enabled: true
    main_file: "run.py"
    docker_image: "custom-image:latest"  # Custom Docker image

  # Example 3: Script with parameters
  script_with_parameters:
    id: "script_with_parameters"
    name: "Script with Parameters"
    path: "scripts/parameterized_script"
    description: "Script that accepts command-line parameters"
    enabled: true
    main_file: "main.py"
    parameters: "--process proceso_2 --verbose"  # Command-line parameters

  # Example 4: External script (requires volume mount)
  external_script:
    id: "external_script"
    name: "External Script"
    path: "/docker/scripts/external_script"  # Absolute path
    description: "Script located outside the project directory"
    enabled: true
    main_file: "run.py"
    docker_image: "external-script:latest"

bots:
  example_bot:
    id: "example_bot"
    name: "Example Bot"
    path: "bots/example_bot"
    description: "Example bot"
    enabled: true
    main_file: "run.py"
    parameters: "--mode production --verbose"

# General system configuration
settings:
  docker_image: "pyexecutorhub-base"  # Default image for programs without custom image
  timeout_seconds: 300  # 5 minutes default
  max_concurrent_executions: 5 
  memory_limit: "1g"    # Recommended: 1GB for most cases
  cpu_limit: "0.5"      # CPU limit per container (50% of one core)
`;

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

let root: string;
let dir: string;
let file: string;

before(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'hookflow-programs-config-')));
  dir = join(root, 'hub');
  file = join(dir, 'config.yaml');
  const files: Record<string, string> = {
    'hub/scripts/example_script/main.py': 'print(1)\n',
    'hub/scripts/custom_script/run.py': 'print(1)\n',
    'hub/scripts/parameterized_script/main.py': 'print(1)\n',
    'hub/scripts/compose_script/docker-compose.yml': 'services: {}\n',
    'hub/bots/example_bot/run.py': 'print(1)\n',
    'outside/secret/main.py': 'print(1)\n',
    'outside/docker-compose.yml': 'services: {}\n',
    'external/tool/main.py': 'print(1)\n',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  symlinkSync(join(root, 'outside', 'secret'), join(dir, 'scripts', 'escape_link'));
  symlinkSync(join(dir, 'scripts', 'example_script'), join(dir, 'scripts', 'inner_link'));
  symlinkSync(join(root, 'outside', 'docker-compose.yml'), join(dir, 'scripts', 'compose_script', 'linked-compose.yml'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function parse(text: string) {
  return parseProgramsConfig(text, file);
}

function program(text: string, key = 'a'): ProgramDefinition {
  const result = parse(text);
  assert.deepEqual(result.errors.map(formatConfigProblem), []);
  const found = result.config?.programs.find((candidate) => candidate.key === key);
  assert.ok(found, `program ${key}`);
  return found;
}

/** Line and column (1-based) of the first occurrence of needle in text: where a problem should point. */
function positionOf(text: string, needle: string): [number, number] {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} is in the text`);
  const before = text.slice(0, at).split('\n');
  return [before.length, before[before.length - 1].length + 1];
}

describe("PyExecutorHub's example config.yaml", () => {
  it('is refused only for the absolute path outside the allowed roots, at its place', () => {
    const result = parse(SEED_CONFIG);
    assert.equal(result.config, null);
    assert.equal(result.errors.length, 1, result.errors.map(formatConfigProblem).join('\n'));
    const [error] = result.errors;
    assert.equal(error.path, 'scripts.external_script.path');
    assert.deepEqual([error.line, error.column], [37, 11]);
    assert.equal(error.where, `${file}:37:11`);
    assert.match(error.message, /"\/docker\/scripts\/external_script" resolves to \/docker\/scripts\/external_script, outside the allowed roots/);
    assert.match(error.hint ?? '', /settings\.allowed_roots/);
    assert.match(error.hint ?? '', /HOOKFLOW_PROGRAM_ROOTS/);
  });

  it('loads unchanged when the external directory is a root given outside it (HOOKFLOW_PROGRAM_ROOTS)', () => {
    const result = parseProgramsConfig(SEED_CONFIG, file, { extraRoots: ['/docker/scripts'] });
    assert.deepEqual(result.errors.map(formatConfigProblem), []);
    const external = result.config!.programs.find((candidate) => candidate.key === 'external_script')!;
    assert.equal(external.directory, '/docker/scripts/external_script');
    assert.ok(result.config!.settings.allowed_roots.includes('/docker/scripts'));
  });

  it('parses with the right values once its external directory is an allowed root', () => {
    const text = `${SEED_CONFIG.replace('/docker/scripts/external_script', `${root}/external/external_script`)}  allowed_roots: ["../external"]\n`;
    const result = parse(text);
    assert.deepEqual(result.errors.map(formatConfigProblem), []);
    const config = result.config!;
    assert.equal(config.file, file);
    assert.equal(config.directory, dir);
    assert.deepEqual(
      config.programs.map((entry) => [entry.kind, entry.key, entry.id, entry.name]),
      [
        ['script', 'example_script', 'example_script', 'Example Script'],
        ['script', 'script_with_custom_image', 'script_with_custom_image', 'Script with Custom Docker Image'],
        ['script', 'script_with_parameters', 'script_with_parameters', 'Script with Parameters'],
        ['script', 'external_script', 'external_script', 'External Script'],
        ['bot', 'example_bot', 'example_bot', 'Example Bot'],
      ],
    );
    const [basic, custom, withParameters, external, bot] = config.programs;
    assert.deepEqual(
      { ...basic },
      {
        key: 'example_script',
        id: 'example_script',
        name: 'Example Script',
        description: 'Example script without custom Docker image',
        kind: 'script',
        enabled: true,
        directory: join(dir, 'scripts', 'example_script'),
        main_file: 'main.py',
        docker_image: null,
        argv: [],
        parameters: null,
        compose_file: null,
        runner: null,
        env: {},
        network: 'bridge',
        timeout_seconds: 300,
        memory_limit: GiB,
        memory_limit_text: '1g',
        cpu_limit: 0.5,
        max_concurrent: null,
        schedule: null,
        language: null,
        writable: false,
        sandbox: true,
        before: [],
        after: [],
        where: `${file}:3:3`,
      },
    );
    assert.equal(custom.docker_image, 'custom-image:latest');
    assert.equal(custom.main_file, 'run.py');
    assert.deepEqual(withParameters.argv, ['--process', 'proceso_2', '--verbose']);
    assert.equal(withParameters.parameters, '--process proceso_2 --verbose');
    assert.equal(external.directory, join(root, 'external', 'external_script'));
    assert.deepEqual(bot.argv, ['--mode', 'production', '--verbose']);
    assert.equal(bot.where, `${file}:44:3`);
    assert.deepEqual(config.settings, {
      docker_image: 'pyexecutorhub-base',
      timeout_seconds: 300,
      max_concurrent_executions: 5,
      memory_limit: GiB,
      memory_limit_text: '1g',
      cpu_limit: 0.5,
      runner: null,
      network: 'bridge',
      allowed_roots: [dir, join(root, 'external')],
      interpreters: {},
      retention_days: null,
      retention_count: null,
      output_limit_bytes: MiB,
    });
    // external_script's folder does not exist: a warning, not an error (PyExecutorHub fails at run time).
    assert.deepEqual(
      config.warnings.map((warning) => [warning.path, warning.line]),
      [['scripts.external_script.path', 37]],
    );
    assert.match(config.warnings[0].message, /does not exist: executions of external_script fail until it does/);
    assert.deepEqual(result.warnings, config.warnings);
  });
});

describe('defaults and hookflow additions', () => {
  it('gives a minimal program its defaults', () => {
    const found = program('scripts:\n  a:\n    path: scripts/example_script\n');
    assert.equal(found.id, 'a');
    assert.equal(found.name, 'a');
    assert.equal(found.description, '');
    assert.equal(found.enabled, true);
    assert.equal(found.main_file, null);
    assert.equal(found.runner, null);
    assert.equal(found.where, `${file}:2:3`);
  });

  it('reads an empty file as no programs and the defaults', () => {
    for (const text of ['', '# nothing yet\n', 'scripts:\nbots:\nsettings:\n']) {
      const result = parse(text);
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.config, emptyProgramsConfig(file));
    }
    assert.deepEqual(emptyProgramsConfig(file).settings.allowed_roots, [dir]);
  });

  const cases: Array<{ name: string; yaml: string; key?: string; expect: Partial<ProgramDefinition> }> = [
    {
      name: 'a compose program runs with compose, its file relative to its path',
      yaml: 'scripts:\n  a:\n    path: scripts/compose_script\n    path_docker_compose_run: docker-compose.yml\n',
      expect: { runner: 'compose', compose_file: join(dir, 'scripts', 'compose_script', 'docker-compose.yml') },
    },
    {
      name: 'an absolute compose file inside the roots',
      yaml: `scripts:\n  a:\n    path: scripts/example_script\n    path_docker_compose_run: ${dir}/scripts/compose_script/docker-compose.yml\n`,
      expect: { runner: 'compose', compose_file: join(dir, 'scripts', 'compose_script', 'docker-compose.yml') },
    },
    {
      name: "the settings' runner for programs naming none; compose programs stay compose",
      yaml: 'settings:\n  runner: process\nscripts:\n  a:\n    path: scripts/example_script\n  b:\n    path: scripts/compose_script\n    path_docker_compose_run: docker-compose.yml\n',
      expect: { runner: 'process' },
    },
    {
      name: 'every hookflow addition',
      yaml: [
        'scripts:',
        '  a:',
        '    path: ./scripts/../scripts/example_script/',
        '    runner: Process',
        '    env: {LOG_LEVEL: debug, PORT: 8080, FLAG: true, EMPTY: }',
        '    network: none',
        '    timeout_seconds: 12.5',
        '    memory_limit: 256Mi',
        '    cpu_limit: 500m',
        '    max_concurrent: 2',
        '    schedule: {cron: "*/5  * * * *", timezone: Europe/Paris, parameters: {mode: nightly, n: 3, on: true}}',
        '    language: typescript',
        '    writable: true',
        '    sandbox: no',
        '    before: [{action: log, params: {message: hi, n: [1, 2]}}, notify]',
        '    after:',
        '      - action: http_request',
      ].join('\n'),
      expect: {
        directory: join(dir, 'scripts', 'example_script'),
        runner: 'process',
        env: { LOG_LEVEL: 'debug', PORT: '8080', FLAG: 'true', EMPTY: '' },
        network: 'none',
        timeout_seconds: 12.5,
        memory_limit: 256 * MiB,
        memory_limit_text: '256Mi',
        cpu_limit: 0.5,
        max_concurrent: 2,
        schedule: { cron: '*/5 * * * *', timezone: 'Europe/Paris', parameters: { mode: 'nightly', n: '3', on: 'true' } },
        language: 'typescript',
        writable: true,
        sandbox: false,
        before: [
          { action: 'log', params: { message: 'hi', n: [1, 2] } },
          { action: 'notify', params: {} },
        ],
        after: [{ action: 'http_request', params: {} }],
      },
    },
    {
      name: 'a schedule as a bare cron expression',
      yaml: 'scripts:\n  a:\n    path: scripts/example_script\n    schedule: "@daily"\n',
      expect: { schedule: { cron: '@daily', timezone: null, parameters: {} } },
    },
    {
      name: "PyYAML's yes/no booleans, a numeric id and name",
      yaml: 'bots:\n  a:\n    id: 42\n    name: 2024\n    path: bots/example_bot\n    enabled: no\n    writable: On\n',
      expect: { id: '42', name: '2024', enabled: false, writable: true, kind: 'bot' },
    },
    {
      name: 'memory and CPU units',
      yaml: 'scripts:\n  a:\n    path: scripts/example_script\n    memory_limit: 1.5g\n    cpu_limit: 2\n',
      expect: { memory_limit: 1.5 * GiB, memory_limit_text: '1.5g', cpu_limit: 2 },
    },
    {
      name: 'memory as bytes, CPU as text',
      yaml: 'scripts:\n  a:\n    path: scripts/example_script\n    memory_limit: 1073741824\n    cpu_limit: "0.25"\n',
      expect: { memory_limit: GiB, cpu_limit: 0.25 },
    },
    {
      name: 'no limits: null or 0',
      yaml: 'scripts:\n  a:\n    path: scripts/example_script\n    memory_limit: null\n    cpu_limit: 0\n',
      expect: { memory_limit: null, memory_limit_text: null, cpu_limit: null },
    },
    {
      name: "the settings' limits, timeout and network",
      yaml: 'settings:\n  memory_limit: 512m\n  cpu_limit: 1\n  timeout_seconds: "60"\n  network: host\nscripts:\n  a:\n    path: scripts/example_script\n',
      expect: { memory_limit: 512 * MiB, memory_limit_text: '512m', cpu_limit: 1, timeout_seconds: 60, network: 'host' },
    },
    {
      name: 'parameters as a list of words',
      yaml: 'scripts:\n  a:\n    path: scripts/example_script\n    parameters: ["--name", "two words", 3]\n',
      expect: { argv: ['--name', 'two words', '3'], parameters: "--name 'two words' 3" },
    },
    {
      name: 'an empty main_file means the defaults',
      yaml: 'scripts:\n  a:\n    path: scripts/example_script\n    main_file: ""\n    description: null\n',
      expect: { main_file: null, description: '' },
    },
    {
      name: 'a symbolic link inside the roots, resolved',
      yaml: 'scripts:\n  a:\n    path: scripts/inner_link\n',
      expect: { directory: join(dir, 'scripts', 'example_script') },
    },
    {
      name: "YAML merge keys, as PyYAML reads them (own keys win, the first merged mapping before the next)",
      yaml: [
        'x-defaults: &defaults',
        '  enabled: false',
        '  timeout_seconds: 30',
        'x-more: &more',
        '  timeout_seconds: 99',
        '  description: shared',
        'scripts:',
        '  a:',
        '    <<: [*defaults, *more]',
        '    path: scripts/example_script',
        '    enabled: true',
      ].join('\n'),
      expect: { enabled: true, timeout_seconds: 30, description: 'shared' },
    },
  ];
  for (const { name, yaml, key, expect } of cases) {
    it(name, () => {
      const found = program(yaml, key);
      for (const [field, value] of Object.entries(expect)) assert.deepEqual(found[field as keyof ProgramDefinition], value, field);
    });
  }

  it('reads every settings addition', () => {
    const result = parse(
      'settings:\n  runner: docker\n  allowed_roots: [../external, ../external/, /nonexistent-hookflow-root]\n  interpreters: {python: /usr/bin/python3 -u, typescript: tsx}\n  retention_days: 30\n  retention_count: 1000\n  output_limit_bytes: 2m\n',
    );
    assert.deepEqual(result.errors, []);
    const settings = result.config!.settings;
    assert.equal(settings.runner, 'docker');
    assert.deepEqual(settings.allowed_roots, [dir, join(root, 'external'), '/nonexistent-hookflow-root']);
    assert.deepEqual(settings.interpreters, { python: '/usr/bin/python3 -u', typescript: 'tsx' });
    assert.equal(settings.retention_days, 30);
    assert.equal(settings.retention_count, 1000);
    assert.equal(settings.output_limit_bytes, 2 * MiB);
    assert.deepEqual(
      result.warnings.map((warning) => [warning.path, warning.message.replace(/ .*/, '')]),
      [['settings.allowed_roots[2]', 'allowed']],
    );
  });
});

describe('errors', () => {
  const P = 'scripts:\n  a:\n    path: scripts/example_script\n';
  type ErrorCase = { name: string; yaml: string; path: string; at: string | [number, number]; message: RegExp; hint?: RegExp };
  const cases: ErrorCase[] = [
    { name: 'a YAML syntax error', yaml: 'scripts:\n  a: [\n', path: '', at: [3, 1], message: /^invalid YAML: / },
    { name: 'a key twice', yaml: 'scripts:\n  a:\n    path: x\n  a:\n    path: y\n', path: '', at: [4, 3], message: /invalid YAML: Map keys must be unique/ },
    { name: 'not a mapping', yaml: '- a\n- b\n', path: '', at: [1, 1], message: /must be a mapping with scripts:, bots: and settings:, not a list/ },
    { name: 'scripts as a list', yaml: 'scripts: [a]\n', path: 'scripts', at: '[a]', message: /scripts must be a mapping of program keys to programs, not a list/ },
    { name: 'a program with nothing', yaml: 'scripts:\n  a:\n', path: 'scripts.a', at: [2, 3], message: /program a has no fields/, hint: /path: "scripts\/a"/ },
    { name: 'a program as text', yaml: 'bots:\n  a: text\n', path: 'bots.a', at: 'text', message: /must be a mapping of its fields, not the text "text"/, hint: /path: "bots\/a"/ },
    { name: 'no path', yaml: 'scripts:\n  a:\n    name: A\n', path: 'scripts.a', at: [2, 3], message: /program a needs a path/ },
    { name: 'path as a list', yaml: 'scripts:\n  a:\n    path: [x]\n', path: 'scripts.a.path', at: '[x]', message: /path must be a directory path, not a list/ },
    { name: 'enabled maybe', yaml: `${P}    enabled: maybe\n`, path: 'scripts.a.enabled', at: 'maybe', message: /enabled must be true or false, not the text "maybe"/, hint: /enabled: true/ },
    { name: 'a timeout with a unit', yaml: `${P}    timeout_seconds: 5m\n`, path: 'scripts.a.timeout_seconds', at: '5m', message: /a number of seconds greater than 0, not the text "5m"/, hint: /timeout_seconds: 300/ },
    { name: 'a negative timeout', yaml: 'settings:\n  timeout_seconds: -1\n', path: 'settings.timeout_seconds', at: '-1', message: /greater than 0, not number -1/ },
    { name: 'zero concurrent executions', yaml: 'settings:\n  max_concurrent_executions: 0\n', path: 'settings.max_concurrent_executions', at: '0', message: /a whole number of executions greater than 0/ },
    { name: 'a fractional max_concurrent', yaml: `${P}    max_concurrent: 1.5\n`, path: 'scripts.a.max_concurrent', at: '1.5', message: /a whole number/ },
    { name: 'memory that is no size', yaml: `${P}    memory_limit: lots\n`, path: 'scripts.a.memory_limit', at: 'lots', message: /memory_limit the text "lots" is not a size/, hint: /"512m", "1g" or "256Mi"/ },
    { name: 'memory under Docker’s minimum', yaml: 'settings:\n  memory_limit: 1m\n', path: 'settings.memory_limit', at: '1m', message: /too small: Docker needs at least 6m/ },
    { name: 'CPUs that are no number', yaml: `${P}    cpu_limit: half\n`, path: 'scripts.a.cpu_limit', at: 'half', message: /number of CPUs/, hint: /"0\.5"/ },
    { name: 'a misspelt runner', yaml: `${P}    runner: dokcer\n`, path: 'scripts.a.runner', at: 'dokcer', message: /runner "dokcer" is not one of docker, compose, process/, hint: /did you mean docker\?/ },
    { name: 'compose without a compose file', yaml: `${P}    runner: compose\n`, path: 'scripts.a.runner', at: 'compose', message: /runner compose needs path_docker_compose_run/ },
    { name: 'compose as the default runner', yaml: 'settings:\n  runner: compose\n', path: 'settings.runner', at: 'compose', message: /cannot be the default/ },
    { name: 'an unknown network', yaml: `${P}    network: bridged\n`, path: 'scripts.a.network', at: 'bridged', message: /not one of none, bridge, host/, hint: /did you mean bridge\?/ },
    { name: 'an unknown language', yaml: `${P}    language: pyhton\n`, path: 'scripts.a.language', at: 'pyhton', message: /not one of python, node/, hint: /did you mean python\?/ },
    { name: 'a bad variable name', yaml: `${P}    env: {"1BAD": x}\n`, path: 'scripts.a.env.1BAD', at: '"1BAD"', message: /"1BAD" is not a variable name/ },
    { name: 'a variable as a list', yaml: `${P}    env: {A: [1]}\n`, path: 'scripts.a.env.A', at: '[1]', message: /A must be text, a number or true\/false, not a list/ },
    { name: 'env as a list', yaml: `${P}    env: [A=1]\n`, path: 'scripts.a.env', at: '[A=1]', message: /env must be a mapping/ },
    { name: 'a cron that is none', yaml: `${P}    schedule: {cron: "61 * * * *"}\n`, path: 'scripts.a.schedule.cron', at: '"61', message: /is not a cron expression/, hint: /5 fields/ },
    { name: 'a cron that never fires', yaml: `${P}    schedule:\n      cron: "0 0 30 2 *"\n`, path: 'scripts.a.schedule.cron', at: '"0 0 30', message: /never fires/ },
    { name: 'a time zone that is none', yaml: `${P}    schedule: {cron: "@daily", timezone: Mars/Olympus}\n`, path: 'scripts.a.schedule.timezone', at: 'Mars', message: /"Mars\/Olympus" is not a time zone/, hint: /IANA/ },
    { name: 'a schedule without cron', yaml: `${P}    schedule: {timezone: UTC}\n`, path: 'scripts.a.schedule', at: 'schedule:', message: /needs a cron expression/ },
    { name: 'a schedule as a list', yaml: `${P}    schedule: [a]\n`, path: 'scripts.a.schedule', at: '[a]', message: /schedule must be a cron expression or a mapping/ },
    { name: 'before as a mapping', yaml: `${P}    before: {action: log}\n`, path: 'scripts.a.before', at: '{action', message: /before must be a list of actions, not a mapping/ },
    { name: 'a step without action', yaml: `${P}    after:\n      - params: {a: 1}\n`, path: 'scripts.a.after[0]', at: 'params:', message: /needs the action to run/ },
    { name: 'params as text', yaml: `${P}    after: [{action: log, params: hello}]\n`, path: 'scripts.a.after[0].params', at: 'hello', message: /params must be a mapping, not the text "hello"/ },
    { name: 'params with an infinity', yaml: `${P}    after: [{action: log, params: {n: .inf}}]\n`, path: 'scripts.a.after[0].params.n', at: '.inf', message: /Infinity is not a number JSON can hold/ },
    { name: 'parameters with a pipe', yaml: `${P}    parameters: "--a x | tee log"\n`, path: 'scripts.a.parameters', at: '"--a', message: /shell operator "\|" is not supported at character 7/, hint: /quote the character/ },
    { name: 'parameters with an open quote', yaml: `${P}    parameters: --name it's\n`, path: 'scripts.a.parameters', at: '--name', message: /single quote is never closed/ },
    { name: 'parameters as a mapping', yaml: `${P}    parameters: {a: 1}\n`, path: 'scripts.a.parameters', at: '{a', message: /command-line arguments as text, not a mapping/ },
    { name: 'an image with a space', yaml: `${P}    docker_image: "my image"\n`, path: 'scripts.a.docker_image', at: '"my', message: /is not an image reference/ },
    { name: 'an image in capitals', yaml: `${P}    docker_image: MyOrg/App:V1\n`, path: 'scripts.a.docker_image', at: 'MyOrg', message: /must be lowercase/, hint: /"myorg\/app:V1"/ },
    { name: 'an absolute main_file', yaml: `${P}    main_file: /etc/passwd\n`, path: 'scripts.a.main_file', at: '/etc', message: /must be inside the program's directory/ },
    { name: 'a main_file going up', yaml: `${P}    main_file: ../../outside.py\n`, path: 'scripts.a.main_file', at: '../../', message: /must be inside/ },
    { name: 'a path going up out of the roots', yaml: 'scripts:\n  a:\n    path: ../outside/secret\n', path: 'scripts.a.path', at: '../outside', message: /resolves to .*\/outside\/secret, outside the allowed roots/ },
    { name: 'a path going up and down again', yaml: 'scripts:\n  a:\n    path: scripts/../../hub/../outside/secret\n', path: 'scripts.a.path', at: 'scripts/..', message: /outside the allowed roots/ },
    { name: 'an absolute path outside the roots', yaml: 'bots:\n  a:\n    path: /etc\n', path: 'bots.a.path', at: '/etc', message: /"\/etc" resolves to \/etc, outside the allowed roots/ },
    { name: 'a symbolic link out of the roots', yaml: 'scripts:\n  a:\n    path: scripts/escape_link\n', path: 'scripts.a.path', at: 'scripts/escape', message: /resolves through a symbolic link to .*\/outside\/secret, outside/ },
    { name: 'a compose file going up out of the roots', yaml: 'scripts:\n  a:\n    path: scripts/compose_script\n    path_docker_compose_run: ../../../outside/docker-compose.yml\n', path: 'scripts.a.path_docker_compose_run', at: '../../../', message: /outside the allowed roots/ },
    { name: 'a compose file linked out of the roots', yaml: 'scripts:\n  a:\n    path: scripts/compose_script\n    path_docker_compose_run: linked-compose.yml\n', path: 'scripts.a.path_docker_compose_run', at: 'linked', message: /through a symbolic link/ },
    { name: 'settings as a list', yaml: 'settings: [a]\n', path: 'settings', at: '[a]', message: /settings must be a mapping, not a list/ },
    { name: 'allowed_roots as a mapping', yaml: 'settings:\n  allowed_roots: {a: 1}\n', path: 'settings.allowed_roots', at: '{a', message: /must be a list of directories/ },
    { name: 'an interpreter that is no command', yaml: 'settings:\n  interpreters: {python: 3}\n', path: 'settings.interpreters.python', at: '3}', message: /the python interpreter must be a command, not number 3/ },
    { name: 'an output limit of nothing', yaml: 'settings:\n  output_limit_bytes: 0\n', path: 'settings.output_limit_bytes', at: '0', message: /greater than 0/ },
    {
      name: 'the same id in scripts and bots',
      yaml: 'scripts:\n  a:\n    id: shared\n    path: scripts/example_script\nbots:\n  b:\n    id: shared\n    path: bots/example_bot\n',
      path: 'bots.b.id',
      at: [7, 9],
      message: /id "shared" is already the id of scripts\.a \(.*config\.yaml:2:3\)/,
      hint: /unique across scripts and bots/,
    },
    {
      name: 'the same key in scripts and bots, neither with an id',
      yaml: 'scripts:\n  a:\n    path: scripts/example_script\nbots:\n  a:\n    path: bots/example_bot\n',
      path: 'bots.a',
      at: [5, 3],
      message: /id "a" is already the id of scripts\.a .*a program without id has its key as id/,
    },
  ];
  for (const { name, yaml, path, at, message, hint } of cases) {
    it(name, () => {
      const result = parse(yaml);
      assert.equal(result.config, null, 'no configuration');
      const matching = result.errors.filter((error) => error.path === path && message.test(error.message));
      assert.equal(matching.length, 1, `one error at ${path} matching ${message}; got:\n${result.errors.map(formatConfigProblem).join('\n')}`);
      const [error] = matching;
      const [line, column] = typeof at === 'string' ? positionOf(yaml, at) : at;
      assert.deepEqual([error.line, error.column], [line, column], formatConfigProblem(error));
      assert.equal(error.where, `${file}:${line}:${column}`);
      if (hint) assert.match(error.hint ?? '', hint);
    });
  }

  it('reports every problem of a file at once, in the order of the file, warnings too', () => {
    const yaml = [
      'scripts:',
      '  a:',
      '    path: ../outside/secret',
      '    timout_seconds: 5',
      '    enabled: maybe',
      '  b:',
      '    path: scripts/example_script',
      '    runner: compose',
      'bots:',
      '  c:',
      '    main_file: run.py',
      'settings:',
      '  cpu_limit: lots',
    ].join('\n');
    const result = parse(yaml);
    assert.equal(result.config, null);
    assert.deepEqual(
      result.errors.map((error) => `${error.line}:${error.column} ${error.path}`),
      ['3:11 scripts.a.path', '5:14 scripts.a.enabled', '8:13 scripts.b.runner', '10:3 bots.c', '13:14 settings.cpu_limit'],
    );
    assert.deepEqual(
      result.warnings.map((warning) => `${warning.line}:${warning.column} ${warning.path}`),
      ['4:5 scripts.a.timout_seconds'],
    );
    assert.equal(formatConfigProblem(result.errors[1]), `${file}:5:14 scripts.a.enabled: enabled must be true or false, not the text "maybe" (write enabled: true)`);
  });
});

describe('warnings', () => {
  type WarningCase = { name: string; yaml: string; path: string; at: string | [number, number]; message: RegExp; hint?: RegExp };
  const P = 'scripts:\n  a:\n    path: scripts/example_script\n';
  const cases: WarningCase[] = [
    { name: 'a misspelt program field', yaml: `${P}    timout_seconds: 4\n`, path: 'scripts.a.timout_seconds', at: 'timout', message: /unknown field "timout_seconds" in program a: it is ignored/, hint: /^did you mean timeout_seconds\?$/ },
    { name: 'a misspelt compose field', yaml: `${P}    path_docker_compose: x\n`, path: 'scripts.a.path_docker_compose', at: 'path_docker_compose:', message: /unknown field/, hint: /did you mean path_docker_compose_run\?/ },
    { name: 'a field nothing is near', yaml: `${P}    colour: red\n`, path: 'scripts.a.colour', at: 'colour', message: /unknown field "colour"/, hint: /^the fields are id, name, path/ },
    { name: 'a misspelt settings field', yaml: 'settings:\n  max_concurrent_execution: 3\n', path: 'settings.max_concurrent_execution', at: 'max_', message: /in settings/, hint: /did you mean max_concurrent_executions\?/ },
    { name: 'a misspelt section', yaml: 'scirpts:\n  a:\n    path: x\n', path: 'scirpts', at: [1, 1], message: /unknown section "scirpts"/, hint: /did you mean scripts\?/ },
    { name: 'a misspelt schedule field', yaml: `${P}    schedule: {cron: "@daily", timzone: UTC}\n`, path: 'scripts.a.schedule.timzone', at: 'timzone', message: /in a schedule/, hint: /did you mean timezone\?/ },
    { name: 'a misspelt step field', yaml: `${P}    before: [{action: log, parms: {}}]\n`, path: 'scripts.a.before[0].parms', at: 'parms', message: /in an action step/, hint: /did you mean params\?/ },
    { name: 'an unknown interpreter', yaml: 'settings:\n  interpreters: {pyhton: python3}\n', path: 'settings.interpreters.pyhton', at: 'pyhton', message: /unknown language "pyhton"/, hint: /did you mean python\?/ },
    { name: 'a folder that does not exist yet', yaml: 'scripts:\n  a:\n    path: scripts/later\n', path: 'scripts.a.path', at: 'scripts/later', message: /scripts\/later does not exist: executions of a fail until it does/ },
    { name: 'a main file that does not exist yet', yaml: `${P}    main_file: later.py\n`, path: 'scripts.a.main_file', at: 'later.py', message: /main_file later\.py is not in .*example_script/ },
    { name: 'a compose file that does not exist yet', yaml: 'scripts:\n  a:\n    path: scripts/compose_script\n    path_docker_compose_run: other.yml\n', path: 'scripts.a.path_docker_compose_run', at: 'other.yml', message: /compose file .*other\.yml does not exist/ },
    { name: 'a compose file another runner ignores', yaml: 'scripts:\n  a:\n    path: scripts/compose_script\n    path_docker_compose_run: docker-compose.yml\n    runner: docker\n', path: 'scripts.a.path_docker_compose_run', at: 'docker-compose.yml', message: /is ignored: the program's runner is docker/ },
    { name: 'a variable hookflow sets', yaml: `${P}    env: {EXECUTION_ID: x}\n`, path: 'scripts.a.env.EXECUTION_ID', at: 'EXECUTION_ID', message: /set by hookflow for every execution/ },
    {
      name: 'a key that finds another program first',
      yaml: 'scripts:\n  a:\n    path: scripts/example_script\nbots:\n  a:\n    id: the_bot\n    path: bots/example_bot\n',
      path: 'bots.a',
      at: [5, 3],
      message: /looking up "a" finds scripts\.a, not this program/,
      hint: /found as "the_bot"/,
    },
  ];
  for (const { name, yaml, path, at, message, hint } of cases) {
    it(name, () => {
      const result = parse(yaml);
      assert.deepEqual(result.errors.map(formatConfigProblem), [], 'no errors');
      const matching = result.config!.warnings.filter((warning) => warning.path === path && message.test(warning.message));
      assert.equal(matching.length, 1, `one warning at ${path} matching ${message}; got:\n${result.config!.warnings.map(formatConfigProblem).join('\n')}`);
      const [line, column] = typeof at === 'string' ? positionOf(yaml, at) : at;
      assert.deepEqual([matching[0].line, matching[0].column], [line, column]);
      if (hint) assert.match(matching[0].hint ?? '', hint);
    });
  }

  it('says nothing about x- sections holding shared values', () => {
    const result = parse('x-common: &c\n  enabled: true\nscripts:\n  a:\n    <<: *c\n    path: scripts/example_script\n');
    assert.deepEqual(result.config?.warnings, []);
  });

  it('checks existence through the given function', () => {
    const asked: string[] = [];
    const result = parseProgramsConfig('scripts:\n  a:\n    path: scripts/example_script\n', file, {
      exists: (path) => {
        asked.push(path);
        return false;
      },
    });
    assert.deepEqual(asked, [join(dir, 'scripts', 'example_script')]);
    assert.match(result.config!.warnings[0].message, /does not exist/);
  });
});

describe('lookupProgram', () => {
  const programs = [
    { key: 's1', id: 'one', kind: 'script' },
    { key: 'one', id: 'other', kind: 'script' },
    { key: 'b1', id: 's1', kind: 'bot' },
    { key: 'shared', id: 'bot_shared', kind: 'bot' },
    { key: 'x', id: 'shared', kind: 'script' },
  ] as const;
  const cases: Array<[string, string | null]> = [
    ['s1', 's1'],
    // A script's key before another script's id.
    ['one', 'one'],
    ['other', 'one'],
    ['b1', 'b1'],
    // Scripts before bots: a bot keyed "shared" loses to a script whose id is "shared".
    ['shared', 'x'],
    ['bot_shared', 'shared'],
    ['nothing', null],
  ];
  for (const [name, key] of cases) {
    it(`${name} → ${key}`, () => assert.equal(lookupProgram(programs, name)?.key ?? null, key));
  }
});

describe('problems', () => {
  it('formats a problem for people', () => {
    const problem: ConfigProblem = { message: 'm', where: 'f:1:2', line: 1, column: 2, path: 'a.b', hint: 'h' };
    assert.equal(formatConfigProblem(problem), 'f:1:2 a.b: m (h)');
    assert.equal(formatConfigProblem({ ...problem, path: '', hint: undefined }), 'f:1:2 m');
  });
});
