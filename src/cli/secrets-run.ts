import type { Command } from 'commander';
import { HookflowError } from '../errors.js';
import type { CliSession } from './context.js';
import { formatTime, iso } from './output.js';
import { UsageError } from './parse.js';
import { promptHidden } from './prompt.js';
import { stripFinalNewline } from './secrets.js';

/** What the `hookflow secret …` commands do (declared in secrets.ts). */

export async function set(session: CliSession, name: string, command: Command): Promise<void> {
  if (command.args.length > 1) {
    throw new UsageError(
      'a secret value is never taken as an argument',
      `arguments end up in shell history and the process list; pipe it (printf %s "$TOKEN" | hookflow secret set ${name}) or type it at the prompt`,
    );
  }
  const value = session.io.stdin.isTTY ? await promptHidden(session.io, `value of secret ${name}: `, 'the secret') : stripFinalNewline(await session.readStdin());
  await session.withServices(command, async (services, out) => {
    await services.secrets.set(name, value);
    if (out.json) return out.data({ name, set: true });
    out.line(`secret ${name} set`);
  });
}

export async function list(session: CliSession, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const secrets = await services.secrets.list();
    if (out.json) return out.data(secrets.map((s) => ({ name: s.name, created_at: iso(s.created_at), updated_at: iso(s.updated_at) })));
    if (secrets.length === 0) {
      out.line('no secrets yet: add one with `hookflow secret set NAME`');
      return;
    }
    out.table(
      ['Name', 'Created', 'Updated'],
      secrets.map((s) => [s.name, formatTime(s.created_at), formatTime(s.updated_at)]),
    );
  });
}

export async function remove(session: CliSession, name: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    if (!(await services.secrets.delete(name))) {
      throw new HookflowError('HF_ERR_NOT_FOUND', `no secret named "${name}"`, { hint: 'see `hookflow secret list`' });
    }
    if (out.json) return out.data({ deleted: name });
    out.line(`secret ${name} deleted`);
  });
}
