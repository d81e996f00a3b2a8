import type { Command } from 'commander';
import { HookflowError } from '../errors.js';
import type { CliSession } from './context.js';
import { formatTime, iso } from './output.js';
import { UsageError } from './parse.js';
import { promptHidden } from './prompt.js';

/** `hookflow secret …`: set (from stdin or a hidden prompt, never an argument), list, delete. */
export function registerSecretCommands(program: Command, session: CliSession): void {
  const secret = program.command('secret').alias('secrets').description('manage secrets hooks can read (encrypted at rest)');

  secret
    .command('set')
    .description('set a secret; the value is read from standard input when piped, else from a hidden prompt')
    .argument('<name>', 'secret name')
    // Extra arguments are accepted here only so they can be refused with the reason.
    .allowExcessArguments(true)
    .action(async (name: string, _flags: unknown, command: Command) => {
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
    });

  secret
    .command('list')
    .description('secret names and dates (never values)')
    .action(async (_flags: unknown, command: Command) => {
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
    });

  secret
    .command('delete')
    .description('delete a secret')
    .argument('<name>', 'secret name')
    .action(async (name: string, _flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        if (!(await services.secrets.delete(name))) {
          throw new HookflowError('HF_ERR_NOT_FOUND', `no secret named "${name}"`, { hint: 'see `hookflow secret list`' });
        }
        if (out.json) return out.data({ deleted: name });
        out.line(`secret ${name} deleted`);
      });
    });
}

/** A piped value keeps everything but the one newline `echo` adds. */
export function stripFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}
