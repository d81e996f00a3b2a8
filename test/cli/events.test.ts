import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CliHome, ISO } from './helpers.js';

interface EventJson {
  id: string;
  type: string;
  stack: string | null;
  status: string;
  data: Record<string, unknown>;
  error: string | null;
  created_at: string;
  processed_at: string | null;
  parent_id: string | null;
  executions?: Array<Record<string, unknown>>;
}

describe('hookflow events', () => {
  let home: CliHome;
  const ids: Record<string, string> = {};

  before(async () => {
    home = new CliHome();
    await home.ok(['hook', 'add', '--name', 'greet', '--event', 'deploy.completed', '--command', 'echo deployed']);
    await home.ok(['hook', 'add', '--name', 'fail', '--event', 'deploy.failed', '--command', 'echo "no route to host" >&2; exit 7']);
    await home.ok(['hook', 'add', '--name', 'also', '--event', 'deploy.failed', '--command', 'echo fine']);
  });
  after(() => home.cleanup());

  it('dispatches and prints the event id', async () => {
    const { stdout } = await home.ok(['events', 'dispatch', 'user.signup', '--data', '{"user": "ada"}', '--stack', 'staging']);
    assert.match(stdout, /^[0-9a-f-]{36}\n$/);
    ids.signup = stdout.trim();
  });

  it('says when an idempotency key was used before', async () => {
    const first = await home.ok(['events', 'dispatch', 'user.login', '--idempotency-key', 'k1']);
    const second = await home.ok(['events', 'dispatch', 'user.login', '--idempotency-key', 'k1']);
    assert.equal(second.stdout, `${first.stdout.trim()} (existing event: idempotency key already used)\n`);
    const json = await home.json<{ id: string; created: boolean }>(['events', 'dispatch', 'user.login', '--idempotency-key', 'k1']);
    assert.deepEqual([json.id, json.created], [first.stdout.trim(), false]);
  });

  it('--wait runs the hooks here (no server) and shows the event with its executions', async () => {
    const { stdout } = await home.ok(['events', 'dispatch', 'deploy.completed', '--data', '{"version": "2.0"}', '--wait']);
    ids.deployed = /Event: +(\S+)/.exec(stdout)?.[1] ?? '';
    assert.match(stdout, /Type: +deploy\.completed/);
    assert.match(stdout, /Status: +✅ completed/);
    assert.match(stdout, /Hook Executions/);
    assert.match(stdout, /greet +│ ✅ Success/);
  });

  it('--wait exits 1 when the event failed, and names each failed hook and its error under the table', async () => {
    const result = await home.run(['events', 'dispatch', 'deploy.failed', '--wait']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /Status: +❌ failed/);
    assert.match(result.stdout, /fail +│ ❌ Failed/);
    assert.match(result.stdout, /also +│ ✅ Success/);
    assert.match(result.stdout, /Hook: fail\nError:\n.*no route to host/);
    assert.doesNotMatch(result.stdout, /Hook: also/);
    ids.failed = /Event: +(\S+)/.exec(result.stdout)?.[1] ?? '';
  });

  it('--wait --json prints the event with its executions in the record field names', async () => {
    const event = await home.json<EventJson>(['events', 'dispatch', 'deploy.completed', '--wait']);
    assert.equal(event.status, 'completed');
    assert.match(event.created_at, ISO);
    assert.match(String(event.processed_at), ISO);
    assert.equal(event.executions?.length, 1);
    const [execution] = event.executions ?? [];
    assert.deepEqual(Object.keys(execution).sort(), ['attempt', 'duration_ms', 'error', 'executed_at', 'hook_name', 'output', 'success']);
    assert.equal(execution.hook_name, 'greet');
    assert.match(String(execution.output), /deployed/);
    assert.match(String(execution.executed_at), ISO);
  });

  describe('invalid data is an error naming line:column', () => {
    it('inline', async () => {
      const result = await home.run(['events', 'dispatch', 'task.failed', '--data', '{"a": 1,}']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^error: --data is not valid JSON at line 1, column 9/);
    });
    it('from @FILE', async () => {
      const file = home.file('bad.json', '{\n  "task": {"name": "x",}\n}\n');
      const result = await home.run(['events', 'dispatch', 'task.failed', '--data', `@${file}`]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /bad\.json is not valid JSON at line 2, column 24/);
    });
    it('over --max-event-bytes', async () => {
      const result = await home.run(['events', 'dispatch', 'task.failed', '--data', '{"text": "0123456789"}', '--max-event-bytes', '10']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /limit is 10 bytes/);
    });
    it('over HOOKFLOW_MAX_EVENT_BYTES', async () => {
      const result = await home.run(['events', 'dispatch', 'task.failed', '--data', '{"text": "0123456789"}'], { env: { HOOKFLOW_MAX_EVENT_BYTES: '12' } });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /limit is 12 bytes/);
    });
    it('an invalid type, with a suggestion', async () => {
      const result = await home.run(['events', 'dispatch', 'Task.Failed']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /did you mean "task\.failed"\?/);
    });
  });

  it('reads --data from a file and from standard input', async () => {
    const file = home.file('event.json', '{"from": "file"}');
    const fromFile = await home.json<EventJson>(['events', 'dispatch', 'custom.note', '--data', `@${file}`]);
    assert.deepEqual(fromFile.data, { from: 'file' });
    const fromStdin = await home.json<EventJson>(['events', 'dispatch', 'custom.note', '--data', '@-'], { stdin: '{"from": "stdin"}' });
    assert.deepEqual(fromStdin.data, { from: 'stdin' });
  });

  it('lists events with filters', async () => {
    const all = await home.json<EventJson[]>(['events', 'list']);
    assert.ok(all.length >= 7);
    assert.ok(all.every((event, i) => i === 0 || event.id < all[i - 1].id), 'newest first');
    const failed = await home.json<EventJson[]>(['events', 'list', '--status', 'failed']);
    assert.ok(failed.some((event) => event.id === ids.failed));
    assert.ok(failed.every((event) => event.status === 'failed'));
    const deploys = await home.json<EventJson[]>(['events', 'list', '--type', 'deploy.*']);
    assert.ok(deploys.length >= 3 && deploys.every((event) => event.type.startsWith('deploy.')));
    const staging = await home.json<EventJson[]>(['events', 'list', '--stack', 'staging']);
    assert.deepEqual(
      staging.map((event) => event.id),
      [ids.signup],
    );
    const two = await home.json<EventJson[]>(['events', 'list', '--limit', '2']);
    assert.equal(two.length, 2);
    const next = await home.json<EventJson[]>(['events', 'list', '--limit', '2', '--before', two[1].id]);
    assert.deepEqual(
      next.map((event) => event.id),
      all.slice(2, 4).map((event) => event.id),
    );
    assert.equal((await home.json<EventJson[]>(['events', 'list', '--since', '1h'])).length, all.length);
    const table = await home.ok(['events', 'list', '--limit', '2']);
    assert.match(table.stdout, /ID .*Type .*Stack .*Status .*Created/);
    assert.match(table.stderr, /more may exist: add --before/);
  });

  it('rejects a bad status with the allowed ones', async () => {
    const result = await home.run(['events', 'list', '--status', 'done']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /status "done" is not an event status.*pending, processing, completed, failed/);
  });

  it('get prints JSON always, with executions', async () => {
    const { stdout } = await home.ok(['events', 'get', ids.failed]);
    const event = JSON.parse(stdout) as EventJson;
    assert.equal(event.id, ids.failed);
    assert.equal(event.type, 'deploy.failed');
    assert.match(String(event.error), /hooks failed: \[hook fail: /);
    assert.deepEqual(event.executions?.map((e) => e.hook_name).sort(), ['also', 'fail']);
  });

  it('show prints the event and its hook executions', async () => {
    const { stdout } = await home.ok(['events', 'show', ids.deployed]);
    assert.match(stdout, new RegExp(`^Event: +${ids.deployed}\nType: +deploy.completed\nStack: +-\n`));
    assert.match(stdout, /Created: +\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\nProcessed: +\d{4}-/);
    assert.match(stdout, /Hook Name .*Status .*Duration .*Executed At .*Attempt/);
    const signup = await home.ok(['events', 'show', ids.signup]);
    assert.match(signup.stdout, /No hook executions \(no enabled hook matched\)/);
  });

  it('names an unknown event id', async () => {
    const result = await home.run(['events', 'show', '01900000-0000-7000-8000-000000000000']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: no event with id 01900000/);
  });

  it('replays one event, and every event of a type since a time', async () => {
    const { stdout } = await home.ok(['events', 'replay', ids.deployed]);
    const copy = JSON.parse((await home.ok(['events', 'get', stdout.trim()])).stdout) as EventJson;
    assert.equal(copy.parent_id, ids.deployed);
    assert.equal(copy.type, 'deploy.completed');
    const copies = await home.json<EventJson[]>(['events', 'replay', '--type', 'user.*', '--since', '1h']);
    assert.deepEqual(copies.map((event) => event.type).sort(), ['user.login', 'user.signup']);
    assert.equal(copies.find((event) => event.type === 'user.signup')?.parent_id, ids.signup);
  });

  it('refuses replay with both an id and --type, or with neither', async () => {
    assert.equal((await home.run(['events', 'replay', ids.deployed, '--type', 'x.y', '--since', '1h'])).code, 2);
    assert.equal((await home.run(['events', 'replay', '--type', 'x.y'])).code, 2);
  });

  it('deletes a processed event and refuses a pending one', async () => {
    assert.match((await home.ok(['events', 'delete', ids.deployed])).stdout, /deleted event/);
    assert.equal((await home.run(['events', 'get', ids.deployed])).code, 1);
    const pending = (await home.ok(['events', 'dispatch', 'deploy.completed'])).stdout.trim();
    const result = await home.run(['events', 'delete', pending]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /still pending or processing/);
    ids.pending = pending;
  });

  it('cleanup deletes old processed events and never pending ones', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const kept = await home.json<{ deleted: number }>(['events', 'cleanup', '--older-than', '720h']);
    assert.equal(kept.deleted, 0);
    const before = await home.json<EventJson[]>(['events', 'list', '--limit', '1000']);
    const { stdout } = await home.ok(['events', 'cleanup', '--older-than', '0s']);
    const processed = before.filter((event) => event.status === 'completed' || event.status === 'failed');
    assert.equal(stdout, `deleted ${processed.length} events older than 0ms\n`);
    const left = await home.json<EventJson[]>(['events', 'list']);
    assert.ok(left.some((event) => event.id === ids.pending));
    assert.ok(left.every((event) => event.status === 'pending' || event.status === 'processing'));
    assert.equal((await home.run(['events', 'cleanup'])).code, 2, 'needs --older-than');
  });

  it('lists the catalogue of event types', async () => {
    const types = await home.json<Array<{ type: string; category: string; description: string; data: string }>>(['events', 'types']);
    assert.ok(types.some((info) => info.type === 'task.failed'));
    const task = await home.json<Array<{ category: string }>>(['events', 'types', '--category', 'task']);
    assert.ok(task.length > 0 && task.every((info) => info.category === 'task'));
    const { stdout } = await home.ok(['events', 'types', '--category', 'task']);
    assert.match(stdout, /Type .*Category .*Description .*Data/);
    assert.match(stdout, /task\.failed/);
    const bad = await home.run(['events', 'types', '--category', 'tasks']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no event category "tasks"/);
  });

  it('drain processes every pending event', async () => {
    await home.ok(['events', 'dispatch', 'deploy.completed']);
    // No local queue: claims only for free slots, still every event.
    const result = await home.json<{ processed: number; failed: number }>(['drain', '--concurrency', '4', '--prefetch', '0']);
    assert.deepEqual(result, { processed: 3, failed: 0 });
    assert.equal((await home.json<EventJson[]>(['events', 'list', '--status', 'pending'])).length, 0);
    assert.match((await home.ok(['drain'])).stdout, /^processed 0 events\n$/);
  });
});
