import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliHome, ISO } from '../cli/helpers.js';

interface SourceJson {
  kind: string;
  name: string;
  enabled: boolean;
  config: Record<string, unknown>;
  next_run?: string | null;
  last_run?: string | null;
  url?: string;
}

describe('hookflow schedule, watch and webhook (local store)', () => {
  let home: CliHome;
  const env = { HOOKFLOW_SECRET_KEY: 'cli-sources-test' };
  before(() => {
    home = new CliHome();
  });
  after(() => home.cleanup());

  it('schedule add, list, disable, enable, remove; each change is an event', async () => {
    const added = await home.ok(['schedule', 'add', 'nightly', '--cron', '0 3 * * *', '--timezone', 'Europe/Paris', '--payload', '{"target":"db"}', '--catch-up', '--stack', 'ops'], { env });
    assert.match(added.stdout, /added schedule nightly: 0 3 \* \* \* \(Europe\/Paris\) → schedule\.triggered/);
    assert.match(added.stdout, /next run \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);

    const [listed] = await home.json<SourceJson[]>(['schedule', 'list'], { env });
    assert.equal(listed.name, 'nightly');
    assert.deepEqual(listed.config, { cron: '0 3 * * *', timezone: 'Europe/Paris', event_type: 'schedule.triggered', payload: { target: 'db' }, stack: 'ops', catch_up: true });
    assert.match(String(listed.next_run), ISO);
    assert.equal(new Date(String(listed.next_run)).getUTCMinutes(), 0);
    assert.equal(listed.last_run, null);

    const table = await home.ok(['schedule', 'list'], { env });
    assert.match(table.stdout, /Name .*Cron .*Time Zone .*Event .*Enabled .*Next Run .*Last Run/);
    assert.match(table.stdout, /nightly .*0 3 \* \* \* .*Europe\/Paris/);

    assert.equal((await home.ok(['schedule', 'disable', 'nightly'], { env })).stdout, 'schedule nightly disabled\n');
    const disabled = await home.json<SourceJson>(['schedule', 'enable', 'nightly'], { env });
    assert.equal(disabled.enabled, true);
    assert.equal((await home.ok(['schedule', 'remove', 'nightly'], { env })).stdout, 'schedule nightly removed\n');

    const events = await home.json<Array<{ type: string; source: string; data: { schedule: string } }>>(['events', 'list', '--type', 'schedule.*'], { env });
    assert.deepEqual(
      events.map((event) => event.type).reverse(),
      ['schedule.created', 'schedule.disabled', 'schedule.enabled', 'schedule.deleted'],
    );
    assert.ok(events.every((event) => event.source === 'cli' && event.data.schedule === 'nightly'));
  });

  it('names what is wrong with a schedule', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['schedule', 'add', 'bad', '--cron', '61 * * * *'], 1, /cron: "61 \* \* \* \*" is not a cron expression: Invalid value for minute: 61/],
      [['schedule', 'add', 'bad', '--cron', '@daily', '--timezone', 'Nowhere/City'], 1, /timezone: "Nowhere\/City" is not a time zone/],
      [['schedule', 'add', 'bad', '--cron', '@daily', '--payload', '[1]'], 1, /--payload/],
      [['schedule', 'add', 'bad name', '--cron', '@daily'], 1, /name: "bad name" is not a valid name/],
      [['schedule', 'add', 'bad'], 2, /required option '--cron <expr>'/],
      [['schedule', 'remove', 'missing'], 1, /no schedule named "missing": see `hookflow schedule list`/],
    ];
    for (const [args, code, message] of cases) {
      const result = await home.run(args, { env });
      assert.equal(result.code, code, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
    }
    assert.deepEqual(await home.json(['schedule', 'list'], { env }), []);
  });

  it('watch add makes paths absolute; list and remove', async () => {
    const added = await home.json<SourceJson>(['watch', 'add', 'uploads', 'relative/dir', '/srv/in', '--pattern', '*.csv', '--ignore', 'tmp', '--no-recursive', '--debounce', '1s'], { env });
    assert.deepEqual(added.config, { paths: [join(process.cwd(), 'relative/dir'), '/srv/in'], patterns: ['*.csv'], ignore: ['tmp'], recursive: false, debounce_ms: 1000, stack: null });
    const warned = await home.run(['watch', 'add', 'uploads', '/srv/in', '--replace'], { env });
    assert.equal(warned.code, 0);
    assert.match(warned.stderr, /\/srv\/in does not exist \(yet\)/);
    assert.match(warned.stdout, /saved watcher uploads: \/srv\/in \(\*\*\)/);
    assert.match((await home.ok(['watch', 'list'], { env })).stdout, /uploads .*\/srv\/in .*\*\* .*yes .*200ms/);
    const conflict = await home.run(['watch', 'add', 'uploads', '/srv/in'], { env });
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /a watcher named "uploads" already exists/);
    await home.ok(['watch', 'remove', 'uploads'], { env });
    assert.match((await home.ok(['watch', 'list'], { env })).stdout, /no watchers yet/);
  });

  it('webhook add warns of a missing secret and says where deliveries go', async () => {
    const added = await home.run(['webhook', 'add', 'github', '--event', 'github.push', '--verify', 'github', '--secret', 'gh-secret'], { env });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /secret "gh-secret" is not set: every delivery is refused until it is \(hookflow secret set gh-secret\)/);
    assert.match(added.stdout, /added webhook github: POST \/webhooks\/github → github\.push \(verified by github, secret gh-secret\)/);

    await home.ok(['secret', 'set', 'hmac-key'], { env, stdin: 'k' });
    const signed = await home.run(['webhook', 'add', 'deploys', '--event', 'deploy.requested', '--verify', 'hmac', '--secret', 'hmac-key', '--tolerance', '2m', '--header', 'X-Request-Id'], { env });
    assert.equal(signed.stderr, '', 'no warning once the secret is set');
    const [deploys] = await home.json<SourceJson[]>(['webhook', 'list'], { env });
    assert.equal(deploys.url, '/webhooks/deploys');
    assert.deepEqual(deploys.config, { event_type: 'deploy.requested', stack: null, verify: 'hmac', secret: 'hmac-key', signature_header: 'x-hookflow-signature', tolerance_s: 120, headers: ['x-request-id'] });

    const misuse = await home.run(['webhook', 'add', 'x', '--event', 'a.b', '--verify', 'bearer', '--secret', 's', '--tolerance', '1m'], { env });
    assert.equal(misuse.code, 2);
    assert.match(misuse.stderr, /only apply to --verify hmac/);
    await home.ok(['webhook', 'disable', 'github'], { env });
    assert.match((await home.ok(['webhook', 'list'], { env })).stdout, /github .*\/webhooks\/github .*github\.push .*github .*gh-secret .*⏸/);
  });
});
