import type { Command } from 'commander';
import { saveCredential, normaliseUrl } from '../client/credentials.js';
import { ApiClient } from '../client/remote.js';
import type { LoginResult } from '../auth/service.js';
import type { CliSession } from './context.js';
import { formatTime, iso } from './output.js';
import { duration, UsageError } from './parse.js';
import { promptHidden } from './prompt.js';
import { stripFinalNewline } from './secrets.js';

const DEFAULT_URL = 'http://127.0.0.1:8001';

/** A password from a hidden prompt (terminal) or standard input (scripts); never an argument. */
async function readPassword(session: CliSession, question: string): Promise<string> {
  const password = session.io.stdin.isTTY ? await promptHidden(session.io, question, 'the password') : stripFinalNewline(await session.readStdin());
  if (password.length === 0) throw new UsageError('no password given', 'type it at the prompt, or pipe it on standard input');
  return password;
}

/** `hookflow login|logout`, `hookflow user …`, `hookflow token …`: on the local store or, with --url, a server. */
export function registerAccountCommands(program: Command, session: CliSession): void {
  program
    .command('login')
    .description('sign in to a hookflow server; later commands with --url / HOOKFLOW_URL use the saved token')
    .option('--username <name>', 'who signs in (default: admin)')
    .action(async (flags: { username?: string }, command: Command) => {
      const out = session.output(command);
      const url = session.remoteUrl(command) ?? normaliseUrl(DEFAULT_URL);
      const username = flags.username ?? 'admin';
      const password = await readPassword(session, `password for ${username} at ${url}: `);
      const answer = await new ApiClient(url, null).call<LoginResult>('POST', '/auth/login', { body: { username, password } });
      const file = saveCredential(session.io.env, url, {
        token: answer.access_token,
        username: answer.username,
        expires_at: Date.now() + answer.expires_in * 1000,
      });
      if (out.json) return out.data({ url, username: answer.username, role: answer.role, expires_in: answer.expires_in, saved_to: file });
      out.line(`signed in to ${url} as ${answer.username} (${answer.role}); token saved in ${file}`);
      if (!session.io.env.HOOKFLOW_URL) out.note(`use it with --url ${url}, or export HOOKFLOW_URL=${url}`);
    });

  program
    .command('logout')
    .description('forget the token saved for a server')
    .action(async (_flags: unknown, command: Command) => {
      const out = session.output(command);
      const url = session.remoteUrl(command) ?? normaliseUrl(DEFAULT_URL);
      saveCredential(session.io.env, url, null);
      if (out.json) return out.data({ url, logged_out: true });
      out.line(`forgot the token for ${url}`);
    });

  const user = program.command('user').alias('users').description('manage the people who may use the API and UI');

  user
    .command('add')
    .description('add a user; the password is read from a hidden prompt or standard input')
    .argument('<username>')
    .option('--role <role>', 'admin, operator or viewer', 'viewer')
    .action(async (username: string, flags: { role: string }, command: Command) => {
      const password = await readPassword(session, `password for ${username}: `);
      await session.withServices(command, async (services, out) => {
        const created = await services.accounts.addUser(username, password, flags.role);
        if (out.json) return out.data({ ...created, created_at: iso(created.created_at), updated_at: iso(created.updated_at) });
        out.line(`added user ${created.username} (${created.role})`);
      });
    });

  user
    .command('list')
    .description('list users')
    .action(async (_flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const users = await services.accounts.listUsers();
        if (out.json) return out.data(users.map((entry) => ({ ...entry, created_at: iso(entry.created_at), updated_at: iso(entry.updated_at) })));
        out.table(['Username', 'Role', 'Created', 'Changed'], users.map((entry) => [entry.username, entry.role, formatTime(entry.created_at), formatTime(entry.updated_at)]));
      });
    });

  user
    .command('remove')
    .description('remove a user (not the last admin)')
    .argument('<username>')
    .action(async (username: string, _flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        await services.accounts.removeUser(username);
        if (out.json) return out.data({ removed: username });
        out.line(`removed user ${username}`);
      });
    });

  user
    .command('passwd')
    .description("set a user's password (read from a hidden prompt or standard input); signs them out everywhere")
    .argument('<username>')
    .action(async (username: string, _flags: unknown, command: Command) => {
      const password = await readPassword(session, `new password for ${username}: `);
      await session.withServices(command, async (services, out) => {
        await services.accounts.setPassword(username, password);
        if (out.json) return out.data({ username, password_changed: true });
        out.line(`password of ${username} changed`);
      });
    });

  user
    .command('role')
    .description("change a user's role")
    .argument('<username>')
    .argument('<role>', 'admin, operator or viewer')
    .action(async (username: string, role: string, _flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const changed = await services.accounts.setRole(username, role);
        if (out.json) return out.data({ username: changed.username, role: changed.role });
        out.line(`${changed.username} is now ${changed.role}`);
      });
    });

  const token = program.command('token').alias('tokens').description('manage API tokens for machines');

  token
    .command('create')
    .description('create an API token; it is printed once and stored only as a hash')
    .requiredOption('--name <name>', 'what the token is for (unique)')
    .option('--role <role>', 'admin, operator or viewer', 'viewer')
    .option('--expires-in <duration>', 'expire after this long (30d, 12h); default never', duration)
    .action(async (flags: { name: string; role: string; expiresIn?: number }, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const created = await services.accounts.createToken(flags.name, flags.role, 'cli', flags.expiresIn ?? null);
        if (out.json) {
          return out.data({ ...created, created_at: iso(created.created_at), expires_at: iso(created.expires_at), revoked_at: null });
        }
        out.line(created.token);
        out.note(`API token "${created.name}" (${created.role}, id ${created.id}): shown once, keep it now. Send it as Authorization: Bearer TOKEN`);
      });
    });

  token
    .command('list')
    .description('list API tokens (never their secrets)')
    .action(async (_flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const tokens = await services.accounts.listTokens();
        if (out.json) return out.data(tokens.map((entry) => ({ ...entry, created_at: iso(entry.created_at), expires_at: iso(entry.expires_at), revoked_at: iso(entry.revoked_at) })));
        out.table(
          ['ID', 'Name', 'Role', 'Created', 'Expires', 'Revoked'],
          tokens.map((entry) => [entry.id, entry.name, entry.role, formatTime(entry.created_at), formatTime(entry.expires_at), formatTime(entry.revoked_at)]),
        );
      });
    });

  token
    .command('revoke')
    .description('revoke an API token by id or name (refused from then on)')
    .argument('<token>', 'id or name')
    .action(async (idOrName: string, _flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const revoked = await services.accounts.revokeToken(idOrName);
        if (out.json) return out.data({ id: revoked.id, name: revoked.name, revoked_at: iso(revoked.revoked_at) });
        out.line(`revoked API token ${revoked.name} (${revoked.id})`);
      });
    });

}
