import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CliHome, ISO } from './helpers.js';

const LUA_RUNTIME = new URL('../../src/hooks/runtimes/lua/index.ts', import.meta.url);

describe('hookflow hook', () => {
  let home: CliHome;
  before(() => {
    home = new CliHome();
  });
  after(() => home.cleanup());

  it('adds a commands hook by flags and prints it', async () => {
    const { stdout, stderr } = await home.ok([
      'hook', 'add', '--name', 'notify', '--event', 'task.failed', '--event', 'deploy.*',
      '--command', 'echo "failed: $HOOKFLOW_EVENT_TYPE"', '--description', 'tell someone', '--retries', '2', '--retry-backoff', '500ms',
    ]);
    assert.match(stdout, /added hook notify/);
    assert.match(stdout, /Events: +task\.failed, deploy\.\*/);
    assert.match(stdout, /Retry: +2 time\(s\), first after 500ms/);
    assert.match(stdout, /Commands:\n {2}echo "failed: \$HOOKFLOW_EVENT_TYPE"/);
    assert.equal(stderr, '');
  });

  it('prints the record with --json: field names of the record, ISO timestamps', async () => {
    const hook = await home.json<Record<string, unknown>>(['hook', 'get', 'notify']);
    assert.equal(hook.name, 'notify');
    assert.deepEqual(hook.events, ['task.failed', 'deploy.*']);
    assert.equal(hook.runtime, 'commands');
    assert.equal(hook.enabled, true);
    assert.deepEqual(hook.retry, { max_attempts: 3, backoff_ms: 500, backoff_multiplier: 2 });
    assert.match(String(hook.created_at), ISO);
    assert.equal(hook.last_run, null);
  });

  it('refuses a second hook of the same name unless --replace', async () => {
    const again = await home.run(['hook', 'add', '--name', 'notify', '--event', 'task.failed', '--command', 'true']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: /);
    const replaced = await home.ok(['hook', 'add', '--name', 'notify', '--event', 'task.failed', '--command', 'true', '--replace']);
    assert.match(replaced.stdout, /saved hook notify/);
  });

  it('warns in yellow-on-stderr about an event type outside the catalogue, and still adds the hook', async () => {
    const { stdout, stderr } = await home.ok(['hook', 'add', '--name', 'typo', '--event', 'task.faild', '--command', 'true']);
    assert.equal(stderr, 'warning: event type "task.faild" is not in the catalogue: did you mean task.failed?\n');
    assert.match(stdout, /added hook typo/);
  });

  it('adds a commands hook from a YAML file, with flags overriding the file', async () => {
    const file = home.file(
      'cleanup.yaml',
      ['name: cleanup', 'description: remove temp files', 'events: [deploy.completed]', 'commands:', '  - echo cleaning', ''].join('\n'),
    );
    const hook = await home.json<Record<string, unknown>>(['hook', 'add', file, '--stack', 'production']);
    assert.equal(hook.name, 'cleanup');
    assert.deepEqual(hook.commands, ['echo cleaning']);
    assert.deepEqual(hook.events, ['deploy.completed']);
    assert.equal(hook.stack, 'production');
    assert.equal(hook.source, file);
  });

  it('adds a table-style Lua hook with no flags', { skip: existsSync(LUA_RUNTIME) ? false : 'the Lua runtime (src/hooks/runtimes/lua/index.ts) is not written yet' }, async () => {
    const file = home.file(
      'notify_lua.lua',
      [
        'local hook = { name = "lua_notify", description = "from Lua", event_type = "task.failed", stack = "production" }',
        'function hook.execute(event) return true, "sent" end',
        'return hook',
      ].join('\n'),
    );
    const hook = await home.json<Record<string, unknown>>(['hook', 'add', file]);
    assert.equal(hook.name, 'lua_notify');
    assert.equal(hook.runtime, 'lua');
    assert.deepEqual(hook.events, ['task.failed']);
    assert.equal(hook.stack, 'production');
    await home.ok(['hook', 'remove', 'lua_notify']);
  });

  it('lists hooks in a table, filtered by stack, and as JSON', async () => {
    const { stdout } = await home.ok(['hook', 'list']);
    for (const header of ['Name', 'Events', 'Stack', 'Runtime', 'Enabled', 'Runs', 'Last Run']) assert.match(stdout, new RegExp(header));
    assert.match(stdout, /notify .*task\.failed/);
    assert.match(stdout, /cleanup .*production .*commands .*✅/);
    const production = await home.json<Array<{ name: string }>>(['hook', 'list', '--stack', 'production']);
    assert.deepEqual(
      production.map((h) => h.name),
      ['cleanup'],
    );
  });

  it('disables and enables a hook', async () => {
    assert.match((await home.ok(['hook', 'disable', 'cleanup'])).stdout, /disabled hook cleanup/);
    assert.match((await home.ok(['hook', 'list'])).stdout, /cleanup .*⏸/);
    assert.equal((await home.json<{ enabled: boolean }>(['hook', 'get', 'cleanup'])).enabled, false);
    await home.ok(['hook', 'enable', 'cleanup']);
    assert.equal((await home.json<{ enabled: boolean }>(['hook', 'get', 'cleanup'])).enabled, true);
  });

  it('names an unknown hook with a suggestion, exit 1, no stack trace', async () => {
    const result = await home.run(['hook', 'get', 'notfy']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^error: no hook named "notfy"/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
    const close = await home.run(['hook', 'enable', 'notif']);
    assert.match(close.stderr, /did you mean notify\?/);
  });

  it('prints the stack trace only with HOOKFLOW_DEBUG=1', async () => {
    const result = await home.run(['hook', 'get', 'nope'], { env: { HOOKFLOW_DEBUG: '1' } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /\n\s+at /);
  });

  it('colours errors red on a terminal, and never with NO_COLOR', async () => {
    const red = '\u001b[31m';
    assert.ok((await home.run(['hook', 'get', 'nope'], { isTTY: true, env: { NO_COLOR: undefined } })).stderr.startsWith(`${red}error: `));
    assert.ok((await home.run(['hook', 'get', 'nope'], { isTTY: true })).stderr.startsWith('error: '));
    assert.ok((await home.run(['hook', 'get', 'nope'], { env: { NO_COLOR: undefined } })).stderr.startsWith('error: '));
  });

  it('prints the version and help, exit 0', async () => {
    assert.match((await home.ok(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
    assert.match((await home.ok(['hook', '--help'])).stdout, /Usage: hookflow hook \[options\] \[command\]/);
  });

  it('tests a hook on a synthetic event without recording anything', async () => {
    await home.ok(['hook', 'add', '--name', 'echoer', '--event', 'task.failed', '--command', 'echo tested']);
    const { stdout } = await home.ok(['hook', 'test', 'echoer', '--data', '{"task": {"task_name": "build"}}']);
    assert.match(stdout, /Result: +✅ Success/);
    assert.match(stdout, /tested/);
    const tested = await home.json<{ result: { success: boolean }; event: { type: string; data: unknown } }>(['hook', 'test', 'echoer']);
    assert.equal(tested.result.success, true);
    assert.equal(tested.event.type, 'task.failed');
    assert.deepEqual(await home.json(['hook', 'history', 'echoer']), []);
    assert.deepEqual(await home.json(['events', 'list']), []);
  });

  it('exits 1 when the tested hook fails', async () => {
    await home.ok(['hook', 'add', '--name', 'broken', '--event', 'task.failed', '--command', 'echo oops >&2; exit 3']);
    const result = await home.run(['hook', 'test', 'broken']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /Result: +❌ Failed/);
    assert.match(result.stdout, /Error:/);
  });

  it('shows the history of a hook after it ran', async () => {
    await home.run(['events', 'dispatch', 'task.failed', '--wait']);
    const history = await home.json<Array<Record<string, unknown>>>(['hook', 'history', 'broken']);
    assert.equal(history.length, 1);
    assert.deepEqual(Object.keys(history[0]).sort(), ['attempt', 'duration_ms', 'error', 'event_id', 'executed_at', 'hook_name', 'output', 'success']);
    assert.equal(history[0].success, false);
    assert.match(String(history[0].executed_at), ISO);
    const table = await home.ok(['hook', 'history', 'broken', '--only-failed', '--limit', '5']);
    assert.match(table.stdout, /❌ Failed/);
    assert.match(table.stdout, new RegExp(String(history[0].event_id)));
    assert.match((await home.ok(['hook', 'history', 'echoer', '--only-failed'])).stdout, /no failed executions of hook echoer/);
  });

  it('removes a hook', async () => {
    assert.match((await home.ok(['hook', 'remove', 'typo'])).stdout, /removed hook typo/);
    assert.equal((await home.run(['hook', 'get', 'typo'])).code, 1);
  });

  describe('usage errors exit 2', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['nothing to add', ['hook', 'add'], /nothing to add/],
      ['a file and --command', ['hook', 'add', 'x.lua', '--command', 'true'], /not both/],
      ['--command without --name', ['hook', 'add', '--event', 'task.failed', '--command', 'true'], /needs --name/],
      ['a bad --timeout', ['hook', 'add', '--name', 'x', '--event', 'a.b', '--command', 'true', '--timeout', 'soon'], /--timeout/],
      ['a bad --limit', ['hook', 'history', 'notify', '--limit', '0'], /--limit/],
      ['an unknown command', ['hook', 'frobnicate'], /unknown command/],
    ];
    for (const [what, args, message] of cases) {
      it(what, async () => {
        const result = await home.run(args);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, message);
      });
    }
  });
});
