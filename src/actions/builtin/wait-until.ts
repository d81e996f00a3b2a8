import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../../events/model.js';
import { defineAction } from '../model.js';
import { isTimeZone, parseUntilTime } from './zoned-time.js';

/** The event the event-driven engine publishes when a wait_until timer is due. */
export const TIMER_FIRED_EVENT = 'timer.fired';
/** How long after the wake time the step still waits for the timer event before it is TIMEOUT. */
export const WAIT_UNTIL_GRACE_SECONDS = 120;
export const MIN_WAIT_HOURS = 1 / 60;
export const MAX_WAIT_HOURS = 168;

export interface WaitPlan {
  wakeAtMs: number;
  waitSeconds: number;
}

/**
 * When a wait_until step wakes: `duration_hours` from now, or `until_time` in `timezone`. Throws a
 * RangeError saying what is wrong (no mode, both, an unknown zone, a time in the past or more
 * than a week ahead).
 */
export function planWait(params: { duration_hours?: unknown; until_time?: unknown; timezone?: unknown }, nowMs: number): WaitPlan {
  const hasDuration = params.duration_hours !== undefined && params.duration_hours !== null;
  const hasUntil = params.until_time !== undefined && params.until_time !== null && params.until_time !== '';
  if (hasDuration === hasUntil) throw new RangeError(hasDuration ? 'give duration_hours or until_time, not both' : 'give duration_hours or until_time');
  const timeZone = typeof params.timezone === 'string' && params.timezone !== '' ? params.timezone : 'UTC';
  if (!isTimeZone(timeZone)) throw new RangeError(`"${timeZone}" is not a time zone: use an IANA name such as UTC, Europe/London or America/New_York`);
  let wakeAtMs: number;
  if (hasDuration) {
    const hours = Number(params.duration_hours);
    if (!Number.isFinite(hours)) throw new RangeError(`duration_hours must be a number, not ${JSON.stringify(params.duration_hours)}`);
    if (hours < MIN_WAIT_HOURS - 1e-9) throw new RangeError(`duration_hours must be at least ${MIN_WAIT_HOURS.toFixed(4)} (one minute)`);
    if (hours > MAX_WAIT_HOURS) throw new RangeError(`duration_hours cannot exceed ${MAX_WAIT_HOURS} (one week)`);
    wakeAtMs = nowMs + Math.round(hours * 3_600_000);
  } else {
    wakeAtMs = parseUntilTime(String(params.until_time), timeZone, nowMs);
    if (wakeAtMs <= nowMs) throw new RangeError(`until_time must be in the future: ${String(params.until_time)} (${timeZone}) is ${new Date(wakeAtMs).toISOString()}`);
    if (wakeAtMs > nowMs + MAX_WAIT_HOURS * 3_600_000) throw new RangeError(`until_time cannot be more than ${MAX_WAIT_HOURS} hours ahead`);
  }
  return { wakeAtMs, waitSeconds: Math.ceil((wakeAtMs - nowMs) / 1000) };
}

/**
 * A durable timer: execute parks the step on a timer id of its own and returns at once; the
 * event-driven engine publishes `timer.fired` with `{workflow_id: <timer id>}` at the wake time,
 * and onEvent completes the step. The deadline is the wake time plus a grace period: passing it
 * without the event is a TIMEOUT (BudPipeline marked it completed; hookflow does not).
 */
export const waitUntilAction = defineAction({
  meta: {
    type: 'wait_until',
    version: '1.0.0',
    name: 'Wait Until',
    description:
      'Pauses the run for duration_hours, or until until_time in timezone (an ISO date and time, or a time of day for its next occurrence), from one minute to one week; durable across restarts. ' +
      `Event-driven: the step parks on its timer id (outputs.timer_id) and completes when a \`${TIMER_FIRED_EVENT}\` event with data {workflow_id: <timer_id>} arrives, which the engine publishes at scheduled_wake_time. ` +
      `If that event has not come ${WAIT_UNTIL_GRACE_SECONDS} s after the wake time, the step ends TIMEOUT.`,
    category: 'Control Flow',
    icon: 'clock',
    color: '#6366f1',
    executionMode: 'event_driven',
    // execute only computes the wake time; the wait itself is bounded by the result's timeoutSeconds.
    timeoutSeconds: 30,
    idempotent: true,
    params: [
      {
        name: 'duration_hours',
        label: 'Duration (hours)',
        type: 'number',
        description: 'Hours to wait, from 0.0167 (one minute) to 168 (one week).',
        placeholder: '2.5',
        validation: { min: MIN_WAIT_HOURS, max: MAX_WAIT_HOURS },
      },
      { name: 'until_time', label: 'Until', type: 'string', description: "The time to wait until: ISO 8601 ('2024-01-27T09:00:00') or a time of day ('09:00', the next one).", placeholder: '09:00 or 2024-01-27T09:00:00' },
      { name: 'timezone', label: 'Time zone', type: 'string', default: 'UTC', description: "The IANA zone until_time is read in ('Europe/London', 'America/New_York').", placeholder: 'UTC' },
    ],
    outputs: [
      { name: 'waited', type: 'boolean', description: 'False while waiting, true once the timer fired' },
      { name: 'scheduled_wake_time', type: 'string', description: 'When the step is due to wake (ISO 8601, UTC)' },
      { name: 'actual_wake_time', type: 'string', description: 'When the timer event came (null while waiting)' },
      { name: 'wait_duration_seconds', type: 'number', description: 'Seconds from the start of the wait to the wake time' },
      { name: 'timer_id', type: 'string', description: `The id the ${TIMER_FIRED_EVENT} event must carry as workflow_id` },
    ],
    examples: [
      { title: 'Wait two and a half hours', params: { duration_hours: 2.5 } },
      { title: 'Wait until 9 in the morning in New York', params: { until_time: '09:00', timezone: 'America/New_York' } },
    ],
  },
  validateParams(params) {
    try {
      planWait(params, Date.now());
      return [];
    } catch (error) {
      return [{ field: params.duration_hours !== undefined ? 'duration_hours' : 'until_time', message: `is not usable: ${(error as Error).message}` }];
    }
  },
  execute(ctx) {
    const nowMs = Date.now();
    let plan: WaitPlan;
    try {
      plan = planWait(ctx.params, nowMs);
    } catch (error) {
      return { success: false, error: (error as Error).message };
    }
    const timerId = `timer:${ctx.stepId}:${randomUUID()}`;
    const scheduled = new Date(plan.wakeAtMs).toISOString();
    ctx.log.info(`waiting until ${scheduled} (${plan.waitSeconds} s) for ${TIMER_FIRED_EVENT} ${timerId}`);
    return {
      success: true,
      awaitingEvent: true,
      externalWorkflowId: timerId,
      timeoutSeconds: plan.waitSeconds + WAIT_UNTIL_GRACE_SECONDS,
      outputs: { waited: false, scheduled_wake_time: scheduled, actual_wake_time: null, wait_duration_seconds: plan.waitSeconds, timer_id: timerId },
    };
  },
  onEvent(ctx) {
    if (ctx.eventType !== TIMER_FIRED_EVENT) return { action: 'ignore' };
    const target = ctx.eventData.workflow_id;
    if (target !== undefined && target !== ctx.externalWorkflowId) return { action: 'ignore' };
    const outputs: JsonObject = { ...ctx.stepOutputs, waited: true, actual_wake_time: new Date().toISOString(), timer_id: ctx.externalWorkflowId };
    ctx.log.info(`${TIMER_FIRED_EVENT} for ${ctx.externalWorkflowId}: the wait is over`);
    return { action: 'complete', status: 'completed', outputs };
  },
});
