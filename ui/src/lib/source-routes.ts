/**
 * Each source kind's management routes. The same table as src/sources/remote.ts (the CLI's),
 * restated because that module's imports reach Node; test/ui/ui-lib.test.ts checks they agree.
 */
export const SOURCE_ROUTES = {
  webhook: { path: '/webhook-endpoints', list: 'webhooks' },
  schedule: { path: '/schedules', list: 'schedules' },
  watcher: { path: '/watchers', list: 'watchers' },
} as const satisfies Record<'webhook' | 'schedule' | 'watcher', { path: string; list: string }>;
