import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HookflowError } from '../../src/errors.js';
import { validateSourceConfig, validateSourceName } from '../../src/sources/config.js';
import type { SourceKind } from '../../src/store/sources.js';

type Case = { name: string; kind: SourceKind; input: unknown } & ({ valid: unknown } | { where: string; message: RegExp; hint?: RegExp });

const cases: Case[] = [
  // ── webhooks ──
  {
    name: 'github with defaults',
    kind: 'webhook',
    input: { event_type: 'github.push', verify: 'github', secret: 'gh' },
    valid: { event_type: 'github.push', stack: null, verify: 'github', secret: 'gh', headers: ['x-github-event', 'x-github-delivery', 'user-agent'] },
  },
  {
    name: 'hmac fills its header and tolerance; headers lowercased and deduplicated',
    kind: 'webhook',
    input: { event_type: 'deploy.requested', verify: 'hmac', secret: 'k', headers: ['X-Trace', 'x-trace'], stack: 'prod' },
    valid: { event_type: 'deploy.requested', stack: 'prod', verify: 'hmac', secret: 'k', signature_header: 'x-hookflow-signature', tolerance_s: 300, headers: ['x-trace'] },
  },
  { name: 'an unknown scheme', kind: 'webhook', input: { event_type: 'a.b', verify: 'md5', secret: 'k' }, where: 'verify', message: /"md5" is not a verification scheme/, hint: /github .* hmac .* bearer/ },
  { name: 'no scheme', kind: 'webhook', input: { event_type: 'a.b', secret: 'k' }, where: 'verify', message: /is required/ },
  { name: 'no secret', kind: 'webhook', input: { event_type: 'a.b', verify: 'bearer' }, where: 'secret', message: /is required/, hint: /hookflow secret set/ },
  { name: 'no event type', kind: 'webhook', input: { verify: 'bearer', secret: 'k' }, where: 'event_type', message: /is required/ },
  { name: 'a bad event type, with a suggestion', kind: 'webhook', input: { event_type: 'Deploy.OK', verify: 'bearer', secret: 'k' }, where: 'event_type', message: /lowercase/, hint: /deploy\.ok/ },
  { name: 'hmac options on another scheme', kind: 'webhook', input: { event_type: 'a.b', verify: 'github', secret: 'k', tolerance_s: 10 }, where: 'tolerance_s', message: /only applies to verify "hmac"/ },
  { name: 'a tolerance out of range', kind: 'webhook', input: { event_type: 'a.b', verify: 'hmac', secret: 'k', tolerance_s: 0 }, where: 'tolerance_s', message: /from 1 to 86400/ },
  { name: 'copying the credentials header', kind: 'webhook', input: { event_type: 'a.b', verify: 'bearer', secret: 'k', headers: ['Authorization'] }, where: 'headers[0]', message: /credentials/ },
  { name: 'copying the hmac signature header', kind: 'webhook', input: { event_type: 'a.b', verify: 'hmac', secret: 'k', headers: ['x-ok', 'x-hookflow-signature'] }, where: 'headers[1]', message: /credentials/ },
  { name: 'a header name with a space', kind: 'webhook', input: { event_type: 'a.b', verify: 'bearer', secret: 'k', headers: ['x bad'] }, where: 'headers[0]', message: /not an HTTP header name/ },
  { name: 'an unknown field, with the known ones', kind: 'webhook', input: { event_type: 'a.b', verify: 'bearer', secret: 'k', url: '/x' }, where: 'url', message: /not a field of a webhook/, hint: /event_type, stack, verify/ },
  { name: 'not an object', kind: 'webhook', input: ['github'], where: 'config', message: /must be an object, not a list/ },

  // ── schedules ──
  {
    name: 'a schedule with defaults',
    kind: 'schedule',
    input: { cron: '  0   3 * * * ' },
    valid: { cron: '0 3 * * *', timezone: null, event_type: 'schedule.triggered', payload: {}, stack: null, catch_up: false },
  },
  {
    name: 'seconds, a time zone, a type of its own, a payload',
    kind: 'schedule',
    input: { cron: '*/10 * * * * *', timezone: 'Europe/Paris', event_type: 'backup.requested', payload: { target: 'db' }, catch_up: true, stack: 'ops' },
    valid: { cron: '*/10 * * * * *', timezone: 'Europe/Paris', event_type: 'backup.requested', payload: { target: 'db' }, stack: 'ops', catch_up: true },
  },
  { name: 'a nickname', kind: 'schedule', input: { cron: '@hourly' }, valid: { cron: '@hourly', timezone: null, event_type: 'schedule.triggered', payload: {}, stack: null, catch_up: false } },
  { name: 'no cron', kind: 'schedule', input: {}, where: 'cron', message: /is required/, hint: /5 fields/ },
  { name: 'too few fields', kind: 'schedule', input: { cron: '* * *' }, where: 'cron', message: /not a cron expression: invalid configuration format/ },
  { name: 'a minute of 61', kind: 'schedule', input: { cron: '61 * * * *' }, where: 'cron', message: /Invalid value for minute: 61/ },
  { name: 'a date that never comes', kind: 'schedule', input: { cron: '0 0 30 2 *' }, where: 'cron', message: /never fires/, hint: /February 30/ },
  { name: 'an unknown time zone', kind: 'schedule', input: { cron: '@daily', timezone: 'Mars/Olympus' }, where: 'timezone', message: /"Mars\/Olympus" is not a time zone/, hint: /IANA/ },
  { name: 'a payload that is a list', kind: 'schedule', input: { cron: '@daily', payload: [1] }, where: 'payload', message: /must be a JSON object, not a list/ },
  { name: 'catch_up as a string', kind: 'schedule', input: { cron: '@daily', catch_up: 'yes' }, where: 'catch_up', message: /must be true or false/ },
  { name: 'a misspelt field', kind: 'schedule', input: { cron: '@daily', catchup: true }, where: 'catchup', message: /not a field of a schedule/, hint: /catch_up/ },

  // ── watchers ──
  {
    name: 'a watcher with defaults; paths normalised',
    kind: 'watcher',
    input: { paths: ['/srv/uploads/', '/srv//logs/./'] },
    valid: { paths: ['/srv/uploads', '/srv/logs'], patterns: ['**'], ignore: [], recursive: true, debounce_ms: 200, stack: null },
  },
  {
    name: 'patterns, ignores, not recursive, no debounce',
    kind: 'watcher',
    input: { paths: ['/data'], patterns: ['*.csv', 'in/**'], ignore: ['*.tmp'], recursive: false, debounce_ms: 0 },
    valid: { paths: ['/data'], patterns: ['*.csv', 'in/**'], ignore: ['*.tmp'], recursive: false, debounce_ms: 0, stack: null },
  },
  { name: 'no paths', kind: 'watcher', input: {}, where: 'paths', message: /is required/, hint: /absolute paths/ },
  { name: 'an empty list of paths', kind: 'watcher', input: { paths: [] }, where: 'paths', message: /is empty/ },
  { name: 'a relative path', kind: 'watcher', input: { paths: ['/ok', 'uploads'] }, where: 'paths[1]', message: /"uploads" is not absolute/ },
  { name: 'a path that is a number', kind: 'watcher', input: { paths: [3] }, where: 'paths[0]', message: /must be a non-empty string, not number 3/ },
  { name: 'an absolute pattern', kind: 'watcher', input: { paths: ['/d'], patterns: ['/etc/*'] }, where: 'patterns[0]', message: /is absolute/ },
  { name: 'a negated pattern', kind: 'watcher', input: { paths: ['/d'], patterns: ['!*.tmp'] }, where: 'patterns[0]', message: /is a negation/, hint: /ignore/ },
  { name: 'a debounce of an hour', kind: 'watcher', input: { paths: ['/d'], debounce_ms: 3_600_000 }, where: 'debounce_ms', message: /from 0 to 60000/ },
  { name: 'a bad stack', kind: 'watcher', input: { paths: ['/d'], stack: 'has space' }, where: 'stack', message: /"has space" is not valid: use letters, digits/ },
];

describe('source configuration validators', () => {
  for (const c of cases) {
    it(`${c.kind}: ${c.name}`, () => {
      if ('valid' in c) {
        assert.deepEqual(validateSourceConfig(c.kind, c.input), c.valid);
        // What is stored validates to itself: a stored config read back is unchanged.
        assert.deepEqual(validateSourceConfig(c.kind, c.valid), c.valid);
        return;
      }
      assert.throws(
        () => validateSourceConfig(c.kind, c.input),
        (error: unknown) => {
          assert.ok(error instanceof HookflowError);
          assert.equal(error.code, 'HF_ERR_VALIDATION');
          assert.equal(error.details.where, c.where);
          assert.match(error.message, new RegExp(`^${c.where.replace(/[[\]]/g, '\\$&')}: `));
          assert.match(error.message, c.message);
          if (c.hint) assert.match(String(error.details.hint), c.hint);
          return true;
        },
      );
    });
  }

  const names: Array<[unknown, boolean]> = [
    ['github-push', true],
    ['Nightly_backup.v2', true],
    ['a', true],
    ['-leading-dash', false],
    ['has space', false],
    ['slash/inside', false],
    ['', false],
    ['x'.repeat(129), false],
    [42, false],
  ];
  for (const [name, ok] of names) {
    it(`name ${JSON.stringify(name)} is ${ok ? 'valid' : 'refused'}`, () => {
      if (ok) assert.equal(validateSourceName(name), name);
      else assert.throws(() => validateSourceName(name), /name: .* is not a valid name/);
    });
  }
});
