import type { FirstAdmin } from '../auth/service.js';

/** The first admin's credentials, boxed so they stand out in a start-up log; printed once. */
export function adminBox(admin: FirstAdmin, url: string): string {
  const lines = [
    'hookflow created the first user:',
    '',
    `  username  ${admin.username}`,
    admin.password ? `  password  ${admin.password}` : '  password  (from HOOKFLOW_ADMIN_PASSWORD)',
    '',
    admin.password ? 'This password is shown once and stored only as a hash: keep it now.' : 'Sign in with it now.',
    `Sign in at ${url} or: hookflow login --url ${url}`,
    'Change it with: hookflow user passwd ' + admin.username,
  ];
  const width = Math.max(...lines.map((line) => line.length));
  const border = '─'.repeat(width + 2);
  return [`┌${border}┐`, ...lines.map((line) => `│ ${line.padEnd(width)} │`), `└${border}┘`].join('\n');
}
