import type { Command } from 'commander';
import type { CliSession } from './context.js';
import { duration } from './parse.js';

const run = () => import('./accounts-run.js');

/** `hookflow login|logout`, `hookflow user …`, `hookflow token …`: on the local store or, with --url, a server. */
export function registerAccountCommands(program: Command, session: CliSession): void {
  program
    .command('login')
    .description('sign in to a hookflow server; later commands with --url / HOOKFLOW_URL use the saved token')
    .option('--username <name>', 'who signs in (default: admin)')
    .action(async (flags: { username?: string }, command: Command) => (await run()).login(session, flags, command));

  program
    .command('logout')
    .description('forget the token saved for a server')
    .action(async (_flags: unknown, command: Command) => (await run()).logout(session, command));

  const user = program.command('user').alias('users').description('manage the people who may use the API and UI');

  user
    .command('add')
    .description('add a user; the password is read from a hidden prompt or standard input')
    .argument('<username>')
    .option('--role <role>', 'admin, operator or viewer', 'viewer')
    .action(async (username: string, flags: { role: string }, command: Command) => (await run()).addUser(session, username, flags, command));

  user
    .command('list')
    .description('list users')
    .action(async (_flags: unknown, command: Command) => (await run()).listUsers(session, command));

  user
    .command('remove')
    .description('remove a user (not the last admin)')
    .argument('<username>')
    .action(async (username: string, _flags: unknown, command: Command) => (await run()).removeUser(session, username, command));

  user
    .command('passwd')
    .description("set a user's password (read from a hidden prompt or standard input); signs them out everywhere")
    .argument('<username>')
    .action(async (username: string, _flags: unknown, command: Command) => (await run()).setPassword(session, username, command));

  user
    .command('role')
    .description("change a user's role")
    .argument('<username>')
    .argument('<role>', 'admin, operator or viewer')
    .action(async (username: string, role: string, _flags: unknown, command: Command) => (await run()).setRole(session, username, role, command));

  const token = program.command('token').alias('tokens').description('manage API tokens for machines');

  token
    .command('create')
    .description('create an API token; it is printed once and stored only as a hash')
    .requiredOption('--name <name>', 'what the token is for (unique)')
    .option('--role <role>', 'admin, operator or viewer', 'viewer')
    .option('--expires-in <duration>', 'expire after this long (30d, 12h); default never', duration)
    .action(async (flags: { name: string; role: string; expiresIn?: number }, command: Command) => (await run()).createToken(session, flags, command));

  token
    .command('list')
    .description('list API tokens (never their secrets)')
    .action(async (_flags: unknown, command: Command) => (await run()).listTokens(session, command));

  token
    .command('revoke')
    .description('revoke an API token by id or name (refused from then on)')
    .argument('<token>', 'id or name')
    .action(async (idOrName: string, _flags: unknown, command: Command) => (await run()).revokeToken(session, idOrName, command));

}
