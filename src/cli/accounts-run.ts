import type { Command } from 'commander';
import { saveCredential, normaliseUrl } from '../client/credentials.js';
import type { LoginResult } from '../auth/service.js';
import type { CliSession } from './context.js';
import { formatTime, iso } from './output.js';
import { UsageError } from './parse.js';
import { promptHidden } from './prompt.js';
import { stripFinalNewline } from './secrets.js';

/** What `hookflow login|logout`, `hookflow user …` and `hookflow token …` do (declared in accounts.ts). */

const DEFAULT_URL = 'http://127.0.0.1:8001';

/** A password from a hidden prompt (terminal) or standard input (scripts); never an argument. */
async function readPassword(session: CliSession, question: string): Promise<string> {
  const password = session.io.stdin.isTTY ? await promptHidden(session.io, question, 'the password') : stripFinalNewline(await session.readStdin());
  if (password.length === 0) throw new UsageError('no password given', 'type it at the prompt, or pipe it on standard input');
  return password;
}

export async function login(session: CliSession, flags: { username?: string }, command: Command): Promise<void> {
  const out = session.output(command);
  const url = session.remoteUrl(command) ?? normaliseUrl(DEFAULT_URL);
  const username = flags.username ?? 'admin';
  const password = await readPassword(session, `password for ${username} at ${url}: `);
  const { ApiClient } = await import('../client/remote.js');
  const answer = await new ApiClient(url, null).call<LoginResult>('POST', '/auth/login', { body: { username, password } });
  const file = saveCredential(session.io.env, url, {
    token: answer.access_token,
    username: answer.username,
    expires_at: Date.now() + answer.expires_in * 1000,
  });
  if (out.json) return out.data({ url, username: answer.username, role: answer.role, expires_in: answer.expires_in, saved_to: file });
  out.line(`signed in to ${url} as ${answer.username} (${answer.role}); token saved in ${file}`);
  if (!session.io.env.HOOKFLOW_URL) out.note(`use it with --url ${url}, or export HOOKFLOW_URL=${url}`);
}

export async function logout(session: CliSession, command: Command): Promise<void> {
  const out = session.output(command);
  const url = session.remoteUrl(command) ?? normaliseUrl(DEFAULT_URL);
  saveCredential(session.io.env, url, null);
  if (out.json) return out.data({ url, logged_out: true });
  out.line(`forgot the token for ${url}`);
}

export async function addUser(session: CliSession, username: string, flags: { role: string }, command: Command): Promise<void> {
  const password = await readPassword(session, `password for ${username}: `);
  await session.withServices(command, async (services, out) => {
    const created = await services.accounts.addUser(username, password, flags.role);
    if (out.json) return out.data({ ...created, created_at: iso(created.created_at), updated_at: iso(created.updated_at) });
    out.line(`added user ${created.username} (${created.role})`);
  });
}

export async function listUsers(session: CliSession, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const users = await services.accounts.listUsers();
    if (out.json) return out.data(users.map((entry) => ({ ...entry, created_at: iso(entry.created_at), updated_at: iso(entry.updated_at) })));
    out.table(['Username', 'Role', 'Created', 'Changed'], users.map((entry) => [entry.username, entry.role, formatTime(entry.created_at), formatTime(entry.updated_at)]));
  });
}

export async function removeUser(session: CliSession, username: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    await services.accounts.removeUser(username);
    if (out.json) return out.data({ removed: username });
    out.line(`removed user ${username}`);
  });
}

export async function setPassword(session: CliSession, username: string, command: Command): Promise<void> {
  const password = await readPassword(session, `new password for ${username}: `);
  await session.withServices(command, async (services, out) => {
    await services.accounts.setPassword(username, password);
    if (out.json) return out.data({ username, password_changed: true });
    out.line(`password of ${username} changed`);
  });
}

export async function setRole(session: CliSession, username: string, role: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const changed = await services.accounts.setRole(username, role);
    if (out.json) return out.data({ username: changed.username, role: changed.role });
    out.line(`${changed.username} is now ${changed.role}`);
  });
}

export async function createToken(session: CliSession, flags: { name: string; role: string; expiresIn?: number }, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const created = await services.accounts.createToken(flags.name, flags.role, 'cli', flags.expiresIn ?? null);
    if (out.json) {
      return out.data({ ...created, created_at: iso(created.created_at), expires_at: iso(created.expires_at), revoked_at: null });
    }
    out.line(created.token);
    out.note(`API token "${created.name}" (${created.role}, id ${created.id}): shown once, keep it now. Send it as Authorization: Bearer TOKEN`);
  });
}

export async function listTokens(session: CliSession, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const tokens = await services.accounts.listTokens();
    if (out.json) return out.data(tokens.map((entry) => ({ ...entry, created_at: iso(entry.created_at), expires_at: iso(entry.expires_at), revoked_at: iso(entry.revoked_at) })));
    out.table(
      ['ID', 'Name', 'Role', 'Created', 'Expires', 'Revoked'],
      tokens.map((entry) => [entry.id, entry.name, entry.role, formatTime(entry.created_at), formatTime(entry.expires_at), formatTime(entry.revoked_at)]),
    );
  });
}

export async function revokeToken(session: CliSession, idOrName: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const revoked = await services.accounts.revokeToken(idOrName);
    if (out.json) return out.data({ id: revoked.id, name: revoked.name, revoked_at: iso(revoked.revoked_at) });
    out.line(`revoked API token ${revoked.name} (${revoked.id})`);
  });
}
