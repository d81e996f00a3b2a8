import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CliHome } from './helpers.js';

describe('hookflow serve', () => {
  let home: CliHome;
  before(() => {
    home = new CliHome();
  });
  after(() => home.cleanup());

  it('loads the hooks folder, processes events, publishes startup/shutdown, stops on a signal', async () => {
    home.file('hooks/shout.yaml', ['name: shout', 'events: [deploy.completed]', 'commands:', '  - echo shouting', ''].join('\n'));
    home.file('hooks/broken.yaml', 'commands: [\n');
    const shutdown = new AbortController();
    let stdout = '';
    const waitFor = async (pattern: RegExp) => {
      const deadline = Date.now() + 15_000; // a loaded CI machine starts serve slowly; passing runs do not wait for it
      while (!pattern.test(stdout)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const serving = home.run(['serve', '--poll', '20ms', '--concurrency', '4', '--prefetch', '16'], {
      shutdown: shutdown.signal,
      env: { HOOKFLOW_STORE: undefined, HOOKFLOW_PORT: '0', HOOKFLOW_ADMIN_PASSWORD: 'serve-test-password' },
      onStdout: (chunk) => (stdout += chunk),
    });
    try {
      await waitFor(/ready/);
      assert.match(stdout, /store +sqlite:/);
      assert.match(stdout, /concurrency +4 \(local queue 16, lease 30s, poll 20ms\)/);
      assert.match(stdout, /✅ shout \(commands\) on deploy\.completed/);
      assert.match(stdout, /actions +\d+ built-in, no plugins/);
      await home.ok(['events', 'dispatch', 'deploy.completed']);
      await waitFor(/deploy\.completed \S+ → shout ✅/);
    } finally {
      // Stop the server whatever happened, or a failed assertion would leave the test hanging.
      shutdown.abort();
    }
    const result = await serving;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /broken\.yaml/);
    assert.match(result.stdout, /stopped\n$/);
    const types = (await home.json<Array<{ type: string }>>(['events', 'list', '--type', 'system.*'])).map((event) => event.type);
    assert.deepEqual(types, ['system.shutdown', 'system.startup']);
  });
});
