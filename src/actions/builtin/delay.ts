import { setTimeout as sleep } from 'node:timers/promises';
import { defineAction } from '../model.js';

export const MAX_DELAY_SECONDS = 3600;

function seconds(params: { seconds?: unknown; duration_seconds?: unknown }): number {
  const given = params.seconds ?? params.duration_seconds;
  return typeof given === 'number' ? given : 1;
}

/** Waits in-process for a number of seconds; a cancel or timeout ends the wait at once. */
export const delayAction = defineAction({
  meta: {
    type: 'delay',
    version: '1.0.0',
    name: 'Delay',
    description:
      'Waits a number of seconds (at most an hour) inside the running process, then succeeds; cancelling the run ends the wait at once. For long or durable waits use wait_until.',
    category: 'Control Flow',
    icon: 'timer',
    color: '#6b7280',
    executionMode: 'sync',
    // Slightly more than the longest delay, so the delay itself never times out.
    timeoutSeconds: MAX_DELAY_SECONDS + 60,
    idempotent: true,
    params: [
      { name: 'duration_seconds', label: 'Duration (seconds)', type: 'number', description: 'How long to wait (default 1).', placeholder: '1.0', validation: { min: 0, max: MAX_DELAY_SECONDS } },
      { name: 'seconds', label: 'Seconds', type: 'number', description: 'The same as duration_seconds (give one of them).', validation: { min: 0, max: MAX_DELAY_SECONDS } },
      { name: 'reason', label: 'Reason', type: 'string', default: '', description: 'Why the run waits (logged).', placeholder: 'Waiting for the rate limit' },
    ],
    outputs: [
      { name: 'delayed', type: 'boolean', description: 'Always true once the wait is over' },
      { name: 'duration_seconds', type: 'number', description: 'How long it waited' },
      { name: 'reason', type: 'string', description: 'The reason given' },
    ],
    examples: [{ title: 'Wait five seconds', params: { duration_seconds: 5, reason: 'let the service settle' } }],
  },
  validateParams(params) {
    return params.seconds !== undefined && params.duration_seconds !== undefined ? [{ field: 'seconds', message: 'and duration_seconds say the same thing: give only one' }] : [];
  },
  async execute(ctx) {
    const duration = seconds(ctx.params);
    const reason = String(ctx.params.reason ?? '');
    ctx.log.info(`waiting ${duration} s${reason ? `: ${reason}` : ''}`);
    await sleep(duration * 1000, undefined, { signal: ctx.signal });
    return { success: true, outputs: { delayed: true, duration_seconds: duration, reason } };
  },
});
