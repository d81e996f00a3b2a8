import { Type } from 'typebox';
import { registerSourceRoutes, ScheduleRunTimes } from '../../sources/routes.js';
import type { HookflowApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { JsonObjectSchema } from '../schemas.js';

const ScheduleConfig = Type.Object(
  {
    cron: Type.Optional(Type.String({ description: '5 fields, 6 with seconds first ("*/10 * * * * *"), or @hourly, @daily…' })),
    timezone: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'IANA time zone (Europe/Paris); null is the server\'s' })),
    event_type: Type.Optional(Type.String({ description: 'default schedule.triggered' })),
    payload: Type.Optional(JsonObjectSchema),
    stack: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    catch_up: Type.Optional(Type.Boolean({ description: 'after downtime, run once for the missed ticks' })),
  },
  { description: 'Each tick publishes {schedule, payload, scheduled_at, catch_up}' },
);

/** Cron schedules: `/schedules`. The ScheduleRunner of every server runs them (src/sources/schedule-runner.ts). */
export function scheduleRoutes(app: HookflowApp, ctx: ServerContext): void {
  registerSourceRoutes(app, ctx, { kind: 'schedule', noun: 'schedule', tag: 'schedules', config: ScheduleConfig, extra: ScheduleRunTimes });
}
