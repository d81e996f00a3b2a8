import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HookflowError } from '../../src/errors.js';
import { nearestWord, parseCommandsHookFile, type CommandsHookSpec } from '../../src/hooks/runtimes/commands-yaml.js';

const FILE = 'hooks/restart.yaml';

const FULL = `name: restart-on-failure
description: Restart the app when a task fails
events: [task.failed]
stack: production
filter: data.task.exit_code != 0
timeout: 60
cwd: /srv/app
commands:
  - systemctl restart app
  - echo restarted
retry: {max_attempts: 3, backoff_seconds: 2, backoff_multiplier: 2}
`;

describe('parseCommandsHookFile: valid files', () => {
  const cases: Array<{ title: string; text: string; spec: CommandsHookSpec }> = [
    {
      title: 'the full example',
      text: FULL,
      spec: {
        name: 'restart-on-failure',
        description: 'Restart the app when a task fails',
        events: ['task.failed'],
        stack: 'production',
        filter: 'data.task.exit_code != 0',
        timeout_ms: 60_000,
        cwd: '/srv/app',
        commands: ['systemctl restart app', 'echo restarted'],
        retry: { max_attempts: 3, backoff_ms: 2_000, backoff_multiplier: 2 },
      },
    },
    { title: '`event:` with one type', text: 'name: a\nevent: deploy.*\ncommands: [ls]\n', spec: { name: 'a', events: ['deploy.*'], commands: ['ls'] } },
    { title: '`event_type:` (Sloth Runner)', text: 'name: a\nevent_type: task.failed\ncommands: [ls]\n', spec: { name: 'a', events: ['task.failed'], commands: ['ls'] } },
    {
      title: '`event_types:` as a block list',
      text: 'name: a\nevent_types:\n  - task.failed\n  - "*.done"\ncommands: [ls]\n',
      spec: { name: 'a', events: ['task.failed', '*.done'], commands: ['ls'] },
    },
    { title: 'one command as a string', text: 'name: a\ncommands: echo hi\n', spec: { name: 'a', commands: ['echo hi'] } },
    {
      title: 'null stack and filter, enabled false, fractional timeout',
      text: 'name: a\nstack: null\nfilter: ~\nenabled: false\ntimeout: 0.5\ncommands: [ls]\n',
      spec: { name: 'a', stack: null, filter: null, enabled: false, timeout_ms: 500, commands: ['ls'] },
    },
    {
      title: 'retry in milliseconds, defaults for the rest',
      text: 'name: a\ncommands: [ls]\nretry:\n  backoff_ms: 250\n',
      spec: { name: 'a', commands: ['ls'], retry: { max_attempts: 1, backoff_ms: 250, backoff_multiplier: 2 } },
    },
    {
      title: 'an anchored value used through an alias',
      text: 'name: &n same\ndescription: *n\ncommands: [ls]\n',
      spec: { name: 'same', description: 'same', commands: ['ls'] },
    },
  ];
  for (const { title, text, spec } of cases) {
    it(`reads ${title}`, () => {
      assert.deepEqual(parseCommandsHookFile(text, FILE), spec);
    });
  }
});

describe('parseCommandsHookFile: errors name file:line:column', () => {
  const cases: Array<{ title: string; text: string; message: RegExp; where: string; hint?: RegExp }> = [
    { title: 'a YAML syntax error', text: 'name: a\nevents: [task.failed\ncommands: [ls]\n', message: /invalid YAML: .*Flow sequence/, where: `${FILE}:3:1` },
    { title: 'a tab as indentation', text: 'name: a\ncommands:\n\t- ls\n', message: /invalid YAML/, where: `${FILE}:3:1` },
    { title: 'a duplicated field', text: 'name: a\ncommands: [ls]\nname: b\n', message: /invalid YAML: a field appears twice/, where: `${FILE}:3:1` },
    { title: 'two documents', text: 'name: a\ncommands: [ls]\n---\nname: b\n', message: /more than one YAML document/, where: `${FILE}:3:1` },
    { title: 'an unknown key, with the nearest valid one', text: 'name: a\nevnets: [x]\ncommands: [ls]\n', message: /unknown field `evnets`/, where: `${FILE}:2:1`, hint: /did you mean `events`\?/ },
    { title: 'a singular `command`', text: 'name: a\ncommand: ls\n', message: /unknown field `command`/, where: `${FILE}:2:1`, hint: /did you mean `commands`\?/ },
    { title: 'an unknown key with nothing near', text: 'name: a\nzzzzzzzzzz: 1\ncommands: [ls]\n', message: /unknown field `zzzzzzzzzz`/, where: `${FILE}:2:1`, hint: /valid fields: name, description/ },
    { title: 'an unknown retry key', text: 'name: a\ncommands: [ls]\nretry:\n  max_atempts: 2\n', message: /unknown retry field `max_atempts`/, where: `${FILE}:4:3`, hint: /`max_attempts`/ },
    { title: 'a missing name', text: 'events: [a]\ncommands: [ls]\n', message: /has no `name`/, where: `${FILE}:1:1` },
    { title: 'missing commands', text: 'name: a\nevents: [a]\n', message: /has no `commands`/, where: `${FILE}:1:1` },
    { title: 'an empty file', text: '# only a comment\n', message: /the file is empty/, where: `${FILE}:1:1` },
    { title: 'a list at the top', text: '- name: a\n', message: /must be a mapping of fields/, where: `${FILE}:1:1`, hint: /it is a list/ },
    { title: 'a number as name', text: 'name: 42\ncommands: [ls]\n', message: /`name` must be text, not the number 42/, where: `${FILE}:1:7`, hint: /quote it/ },
    { title: 'a text timeout', text: 'name: a\ntimeout: soon\ncommands: [ls]\n', message: /`timeout` must be a number of seconds, not the text "soon"/, where: `${FILE}:2:10` },
    { title: 'a zero timeout', text: 'name: a\ntimeout: 0\ncommands: [ls]\n', message: /`timeout` must be a number of seconds, more than 0; it is 0/, where: `${FILE}:2:10` },
    { title: 'a command that is a number', text: 'name: a\ncommands:\n  - ls\n  - 42\n', message: /command 2 must be a string, not the number 42/, where: `${FILE}:4:5`, hint: /quote it/ },
    { title: 'an empty command list', text: 'name: a\ncommands: []\n', message: /`commands` is an empty list/, where: `${FILE}:2:11` },
    { title: 'commands as a mapping', text: 'name: a\ncommands:\n  first: ls\n', message: /`commands` must be a list of shell commands/, where: `${FILE}:3:3` },
    { title: 'a bad event pattern', text: 'name: a\nevents: [Task.Failed]\ncommands: [ls]\n', message: /`Task\.Failed` is not a valid event type pattern/, where: `${FILE}:2:10` },
    { title: 'events given twice', text: 'name: a\nevent: a.b\nevents: [c.d]\ncommands: [ls]\n', message: /gives the event types twice \(`event` and `events`\)/, where: `${FILE}:3:1` },
    { title: 'enabled as text', text: 'name: a\nenabled: "yes"\ncommands: [ls]\n', message: /`enabled` must be true or false/, where: `${FILE}:2:10` },
    { title: 'a fractional max_attempts', text: 'name: a\ncommands: [ls]\nretry: {max_attempts: 1.5}\n', message: /`retry\.max_attempts` must be a whole number, at least 1; it is 1\.5/, where: `${FILE}:3:23` },
    { title: 'a non-string key', text: 'name: a\n[1, 2]: x\ncommands: [ls]\n', message: /a field name must be a word, not a list/, where: `${FILE}:2:1` },
  ];
  for (const { title, text, message, where, hint } of cases) {
    it(`rejects ${title}`, () => {
      assert.throws(
        () => parseCommandsHookFile(text, FILE),
        (error: unknown) => {
          assert.ok(error instanceof HookflowError, `a HookflowError, got ${String(error)}`);
          assert.equal(error.code, 'HF_ERR_INVALID_HOOK');
          assert.match(error.message, message);
          assert.ok(error.message.startsWith(`${FILE}: `), error.message);
          assert.equal(error.details.where, where);
          if (hint) assert.match(String(error.details.hint), hint);
          return true;
        },
      );
    });
  }
});

describe('parseCommandsHookFile: garbled input', () => {
  /** A small deterministic generator (mulberry32), so a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const ALPHABET = ['\n', ' ', '  ', ':', '-', '[', ']', '{', '}', ',', '"', "'", '#', '&a', '*a', '!!str', '!!int', '|', '>', '?', '\t', '%', '@', '`', 'name', 'events', 'commands', 'retry', '0', '1.5', 'null', 'true', '~', 'é', '\u0000', '---', '...'];

  it('throws nothing but HookflowError on 1 500 mutated and random files', () => {
    const next = random(20_261_122);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    let accepted = 0;
    for (let round = 0; round < 1_500; round++) {
      let text: string;
      if (round % 3 === 0) {
        text = Array.from({ length: 1 + Math.floor(next() * 40) }, () => pick(ALPHABET)).join('');
      } else {
        const chars = [...FULL];
        for (let edits = 1 + Math.floor(next() * 6); edits > 0; edits--) {
          const at = Math.floor(next() * chars.length);
          const action = next();
          if (action < 0.4) chars.splice(at, 1);
          else if (action < 0.8) chars.splice(at, 0, pick(ALPHABET));
          else chars[at] = String.fromCharCode(Math.floor(next() * 128));
        }
        text = chars.join('');
      }
      try {
        const spec = parseCommandsHookFile(text, FILE);
        assert.ok(spec.name && spec.commands.length > 0, 'an accepted file has a name and commands');
        assert.ok(spec.commands.every((command) => typeof command === 'string' && command.trim() !== ''));
        accepted += 1;
      } catch (error) {
        if (!(error instanceof HookflowError)) assert.fail(`round ${round}: ${String(error)}\n--- input ---\n${text}`);
        assert.equal(error.code, 'HF_ERR_INVALID_HOOK');
        assert.match(String(error.details.where), /^hooks\/restart\.yaml:\d+:\d+$/, `round ${round}: ${error.message}`);
      }
    }
    assert.ok(accepted > 0 && accepted < 1_500, `some mutations still parse (${accepted})`);
  });
});

describe('nearestWord', () => {
  const cases: Array<[string, string | null]> = [
    ['evnets', 'events'],
    ['command', 'commands'],
    ['Name', 'name'],
    ['timeout_ms', 'timeout'],
    ['xyz', null],
  ];
  for (const [word, expected] of cases) {
    it(`${word} → ${String(expected)}`, () => {
      assert.equal(nearestWord(word, ['name', 'events', 'commands', 'timeout', 'filter']), expected);
    });
  }
});
