import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planWait, TIMER_FIRED_EVENT, WAIT_UNTIL_GRACE_SECONDS, waitUntilAction } from '../../../src/actions/builtin/wait-until.js';
import { parseUntilTime, wallTimeAt, wallTimeToEpoch } from '../../../src/actions/builtin/zoned-time.js';
import type { EventContext } from '../../../src/actions/model.js';
import type { JsonObject } from '../../../src/events/model.js';
import { run } from './support.js';

const at = (iso: string) => Date.parse(iso);

describe('wall-clock times in a zone', () => {
  const cases: Array<[string, string, string, string]> = [
    // [until_time, zone, now, expected instant]
    ['2030-01-27T09:00:00', 'UTC', '2030-01-01T00:00:00Z', '2030-01-27T09:00:00.000Z'],
    ['2030-01-27T09:00', 'America/New_York', '2030-01-01T00:00:00Z', '2030-01-27T14:00:00.000Z'],
    ['2030-07-27T09:00:00', 'America/New_York', '2030-01-01T00:00:00Z', '2030-07-27T13:00:00.000Z'],
    ['2030-01-27 09:00:00.5', 'Asia/Kolkata', '2030-01-01T00:00:00Z', '2030-01-27T03:30:00.500Z'],
    ['2030-01-27T09:00:00Z', 'Asia/Tokyo', '2030-01-01T00:00:00Z', '2030-01-27T09:00:00.000Z'],
    ['2030-01-27T09:00:00+02:00', 'UTC', '2030-01-01T00:00:00Z', '2030-01-27T07:00:00.000Z'],
    ['2030-01-27T09:00:00-0330', 'UTC', '2030-01-01T00:00:00Z', '2030-01-27T12:30:00.000Z'],
    // A time of day: today's when still ahead, else tomorrow's (wall-clock, so DST-safe).
    ['09:00', 'UTC', '2030-03-10T08:00:00Z', '2030-03-10T09:00:00.000Z'],
    ['09:00', 'UTC', '2030-03-10T09:00:00Z', '2030-03-11T09:00:00.000Z'],
    ['23:30:15', 'Europe/Paris', '2030-06-01T22:00:00Z', '2030-06-02T21:30:15.000Z'],
    ['09:00', 'America/New_York', '2030-03-09T15:00:00Z', '2030-03-10T13:00:00.000Z'],
    // Clocks going back: the first 01:30 wins. Clocks going forward: 02:30 does not exist and lands after the gap.
    ['2030-11-03T01:30:00', 'America/New_York', '2030-01-01T00:00:00Z', '2030-11-03T05:30:00.000Z'],
    ['2030-03-10T02:30:00', 'America/New_York', '2030-01-01T00:00:00Z', '2030-03-10T07:30:00.000Z'],
  ];
  for (const [text, zone, now, expected] of cases) {
    it(`${text} in ${zone} at ${now} → ${expected}`, () => {
      assert.equal(new Date(parseUntilTime(text, zone, at(now))).toISOString(), expected);
    });
  }

  it('refuses what is not a time', () => {
    for (const text of ['tomorrow', '25:00', '2030-02-30T09:00:00', '2030-13-01T00:00', '9h']) {
      assert.throws(() => parseUntilTime(text, 'UTC', at('2030-01-01T00:00:00Z')), RangeError, text);
    }
  });

  it('round-trips wall time and instants', () => {
    const instant = at('2030-06-15T12:34:56.789Z');
    assert.equal(wallTimeToEpoch(wallTimeAt(instant, 'Australia/Sydney'), 'Australia/Sydney'), instant);
  });
});

describe('planning a wait', () => {
  const now = at('2030-01-01T00:00:00Z');
  it('by duration and by time', () => {
    assert.deepEqual(planWait({ duration_hours: 2.5 }, now), { wakeAtMs: now + 9_000_000, waitSeconds: 9000 });
    assert.deepEqual(planWait({ until_time: '2030-01-01T01:00:00', timezone: 'UTC' }, now), { wakeAtMs: now + 3_600_000, waitSeconds: 3600 });
  });

  const refusals: Array<[JsonObject, RegExp]> = [
    [{}, /give duration_hours or until_time$/],
    [{ duration_hours: 1, until_time: '09:00' }, /not both/],
    [{ duration_hours: 0.001 }, /at least 0\.0167/],
    [{ duration_hours: 169 }, /cannot exceed 168/],
    [{ until_time: '2029-12-31T23:00:00' }, /must be in the future/],
    [{ until_time: '2030-02-01T00:00:00' }, /more than 168 hours ahead/],
    [{ until_time: '09:00', timezone: 'Mars/Olympus' }, /"Mars\/Olympus" is not a time zone/],
  ];
  for (const [params, expected] of refusals) {
    it(`refuses ${JSON.stringify(params)}`, () => assert.throws(() => planWait(params, now), expected));
  }
});

function eventContext(overrides: Partial<EventContext> = {}): EventContext {
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  return {
    stepExecutionId: 'se-1',
    executionId: 'ex-1',
    externalWorkflowId: 'timer:wait:abc',
    eventType: TIMER_FIRED_EVENT,
    eventData: { workflow_id: 'timer:wait:abc' },
    stepOutputs: { waited: false, scheduled_wake_time: '2030-01-01T01:00:00.000Z', actual_wake_time: null, wait_duration_seconds: 3600, timer_id: 'timer:wait:abc' },
    params: { duration_hours: 1 },
    log: { debug: log, info: log, warn: log, error: log },
    ...overrides,
  };
}

describe('wait_until as an event-driven step', () => {
  it('parks on a timer id of its own, with a deadline after the wake time', async () => {
    const before = Date.now();
    const outcome = await run(waitUntilAction, { duration_hours: 0.5 }, { stepId: 'pause' });
    assert.equal(outcome.status, 'running');
    assert.equal(outcome.awaitingEvent, true);
    assert.match(outcome.externalWorkflowId ?? '', /^timer:pause:[0-9a-f-]{36}$/);
    assert.equal(outcome.outputs.timer_id, outcome.externalWorkflowId);
    assert.equal(outcome.outputs.waited, false);
    assert.equal(outcome.outputs.actual_wake_time, null);
    assert.equal(outcome.outputs.wait_duration_seconds, 1800);
    const wake = Date.parse(String(outcome.outputs.scheduled_wake_time));
    assert.ok(wake >= before + 1_800_000 && wake <= Date.now() + 1_800_000);
    const expectedDeadline = before + (1800 + WAIT_UNTIL_GRACE_SECONDS) * 1000;
    assert.ok(outcome.deadline! >= expectedDeadline && outcome.deadline! <= Date.now() + (1800 + WAIT_UNTIL_GRACE_SECONDS) * 1000 + 1000);
    assert.deepEqual(outcome.warnings, []);
    const again = await run(waitUntilAction, { duration_hours: 0.5 }, { stepId: 'pause' });
    assert.notEqual(again.externalWorkflowId, outcome.externalWorkflowId, 'each run waits on its own timer');
  });

  it('fails at once on a time in the past, never parking', async () => {
    const outcome = await run(waitUntilAction, { until_time: '2001-01-01T00:00:00' });
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.awaitingEvent, false);
    assert.match(outcome.error ?? '', /until_time is not usable: until_time must be in the future/);
  });

  it('completes COMPLETED on its timer event, keeping the parked outputs', async () => {
    const result = await waitUntilAction.onEvent!(eventContext());
    assert.equal(result.action, 'complete');
    assert.equal(result.status, 'completed');
    assert.equal(result.outputs?.waited, true);
    assert.equal(result.outputs?.scheduled_wake_time, '2030-01-01T01:00:00.000Z');
    assert.equal(result.outputs?.wait_duration_seconds, 3600);
    assert.ok(Math.abs(Date.parse(String(result.outputs?.actual_wake_time)) - Date.now()) < 5000);
  });

  it('ignores other events and timer events for another timer', async () => {
    assert.deepEqual(await waitUntilAction.onEvent!(eventContext({ eventType: 'step.progress' })), { action: 'ignore' });
    assert.deepEqual(await waitUntilAction.onEvent!(eventContext({ eventData: { workflow_id: 'timer:other:1' } })), { action: 'ignore' });
  });

  it('documents the event it waits for in its meta', () => {
    assert.match(waitUntilAction.meta.description, /`timer\.fired` event with data \{workflow_id: <timer_id>\}/);
    assert.match(waitUntilAction.meta.description, /ends TIMEOUT/);
  });
});
