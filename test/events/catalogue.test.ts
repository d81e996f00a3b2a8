import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import {
  EVENT_CATALOGUE,
  EVENT_CATEGORY_DESCRIPTIONS,
  eventCategories,
  getEventType,
  isCatalogued,
  isEventCategory,
  listEventTypes,
} from '../../src/events/catalogue.js';
import { EVENT_TYPE_PATTERN } from '../../src/events/validate.js';
import { isValidPattern } from '../../src/events/patterns.js';

// Sloth Runner's list, vendored from shared/compat so the test runs wherever the repository is
// cloned; when shared/ is beside it, a separate test checks the copy has not drifted.
const SLOTH_TYPES_FILE = fileURLToPath(new URL('../fixtures/compat/sloth/event-types.txt', import.meta.url));
const SHARED_TYPES_FILE = fileURLToPath(new URL('../../../shared/compat/sloth/event-types.txt', import.meta.url));

/** Sloth Runner's category of a type: its first segment, except restore.* (backup) and dir.* (file). */
function slothCategory(type: string): string {
  const head = type.split('.')[0];
  if (head === 'restore') return 'backup';
  if (head === 'dir') return 'file';
  return head;
}

const AGENT_WATCHER_TYPES: ReadonlyArray<[string, string]> = [
  ['cpu.high_usage', 'cpu'],
  ['cpu.low_usage', 'cpu'],
  ['memory.high_usage', 'memory'],
  ['disk.high_usage', 'disk'],
  ['process.started', 'process'],
  ['process.stopped', 'process'],
  ['port.opened', 'port'],
  ['port.closed', 'port'],
  ['service.status_changed', 'service'],
  ['command.output_changed', 'command'],
  ['log.pattern_matched', 'log'],
  ['dir.changed', 'file'],
  ['custom.triggered', 'custom'],
];

describe('event catalogue', () => {
  it('the vendored event-types.txt is the one in shared/compat', { skip: !existsSync(SHARED_TYPES_FILE) && 'shared/ is not beside the repository' }, () => {
    assert.equal(readFileSync(SLOTH_TYPES_FILE, 'utf8'), readFileSync(SHARED_TYPES_FILE, 'utf8'));
  });

  it('has every Sloth Runner type of event-types.txt in its category (97 types, 17 categories)', () => {
    const lines = readFileSync(SLOTH_TYPES_FILE, 'utf8').split('\n').map((line) => line.trim()).filter(Boolean);
    assert.equal(lines.length, 97);
    for (const type of lines) {
      const info = getEventType(type);
      assert.ok(info, `${type} is missing from the catalogue`);
      assert.equal(info.category, slothCategory(type), `category of ${type}`);
      assert.equal(info.origin, 'sloth', `origin of ${type}`);
    }
    assert.equal(new Set(lines.map(slothCategory)).size, 17);
    const slothInCatalogue = EVENT_CATALOGUE.filter((info) => info.origin === 'sloth').map((info) => info.type).sort();
    assert.deepEqual(slothInCatalogue, [...lines].sort(), 'no type is marked sloth that Sloth Runner lacks');
  });

  it('has the 13 agent-watcher types', () => {
    for (const [type, category] of AGENT_WATCHER_TYPES) {
      const info = getEventType(type);
      assert.ok(info, `${type} is missing`);
      assert.equal(info.category, category, type);
      assert.equal(info.origin, 'agent', type);
    }
    assert.equal(EVENT_CATALOGUE.filter((info) => info.origin === 'agent').length, 13);
  });

  it("has hookflow's own types", () => {
    const expected = [
      ...['queued', 'started', 'completed', 'failed', 'timeout', 'canceled'].map((name) => `execution.${name}`),
      ...['ready', 'started', 'completed', 'failed', 'retrying', 'canceled', 'skipped'].map((name) => `job.${name}`),
      ...['started', 'completed', 'failed', 'skipped', 'retrying', 'progress', 'timeout'].map((name) => `step.${name}`),
      'worker.started',
      'worker.stopped',
      'action.started',
      'action.completed',
      'action.failed',
      'hook.failed',
      'workflow.submitted',
    ];
    for (const type of expected) assert.equal(getEventType(type)?.origin, 'hookflow', type);
  });

  it('counts 97 Sloth Runner types in 17 categories even without shared/', () => {
    const sloth = EVENT_CATALOGUE.filter((info) => info.origin === 'sloth');
    assert.equal(sloth.length, 97);
    assert.equal(new Set(sloth.map((info) => info.category)).size, 17);
    for (const info of sloth) assert.equal(info.category, slothCategory(info.type), info.type);
  });

  it('lists no type twice', () => {
    const seen = new Set<string>();
    for (const { type } of EVENT_CATALOGUE) {
      assert.ok(!seen.has(type), `${type} appears twice`);
      seen.add(type);
    }
  });

  it('has well-formed entries: valid type, known category, description and data shape', () => {
    for (const info of EVENT_CATALOGUE) {
      assert.match(info.type, EVENT_TYPE_PATTERN, info.type);
      assert.ok(info.type.length <= 128);
      assert.ok(isValidPattern(info.type), `${info.type} must also be usable as a hook pattern`);
      assert.ok(isEventCategory(info.category), `${info.type}: category ${info.category}`);
      assert.ok(info.description.length > 0 && !info.description.includes('\n'), `${info.type}: description`);
      assert.match(info.data, /^\{.*\}$/, `${info.type}: data shape`);
      assert.ok(Object.isFrozen(info), `${info.type} is frozen`);
    }
    assert.ok(Object.isFrozen(EVENT_CATALOGUE));
  });

  it('documents the data shapes the seeds give', () => {
    const table: ReadonlyArray<[string, string]> = [
      ['task.failed', '{task: {task_name, agent_name, status, exit_code, error, duration'],
      ['agent.registered', '{agent: {name, address, tags, version, system_info}}'],
      ['file.deleted', '{path, watcher}'],
      ['custom', '{name, message, timestamp}'],
      ['schedule.triggered', '{schedule, payload}'],
      ['system.cpu_high', '{resource: {name, current, threshold, unit}}'],
      ['execution.failed', '{execution_id, program_id, status, exit_code, duration_seconds, error}'],
      ['job.retrying', '{workflow_id, run_id, job_name, job_id, status, exit_code, attempt}'],
      ['step.progress', '{workflow_id, run_id, step_id, status, outputs, progress, eta_minutes}'],
      ['worker.started', '{worker_id, host, pid, workflow_id}'],
      ['action.failed', '{action_type, trigger_type, workflow_id, worker_id, error}'],
      ['hook.failed', '{hook_name, event_id, event_type, error, attempt}'],
      ['workflow.started', '{workflow_id, run_id, name, status}'],
    ];
    // The seed's fields come first; hookflow may add more after them.
    for (const [type, shape] of table) assert.ok(getEventType(type)?.data.startsWith(shape.slice(0, -1)), `${type}: ${getEventType(type)?.data}`);
  });

  it('answers lookups', () => {
    assert.equal(isCatalogued('task.failed'), true);
    assert.equal(isCatalogued('task.faild'), false);
    assert.equal(isCatalogued('task'), false);
    assert.equal(getEventType('nope.nope'), undefined);
    assert.deepEqual(
      listEventTypes('backup').map((info) => info.type),
      ['backup.started', 'backup.completed', 'backup.failed', 'restore.started', 'restore.completed', 'restore.failed'],
    );
    assert.deepEqual(listEventTypes('no-such-category'), []);
    assert.equal(listEventTypes().length, EVENT_CATALOGUE.length);
    const copy = listEventTypes();
    copy.pop();
    assert.equal(listEventTypes().length, EVENT_CATALOGUE.length, 'callers get a copy');
  });

  it('lists categories in catalogue order, each described and each non-empty', () => {
    const categories = eventCategories();
    assert.equal(categories[0], 'agent');
    assert.equal(new Set(categories).size, categories.length);
    assert.deepEqual([...categories].sort(), Object.keys(EVENT_CATEGORY_DESCRIPTIONS).sort());
    for (const category of categories) assert.ok(listEventTypes(category).length > 0, category);
    assert.equal(isEventCategory('toString'), false);
  });
});
