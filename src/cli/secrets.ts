import type { Command } from 'commander';
import type { CliSession } from './context.js';

const run = () => import('./secrets-run.js');

/** `hookflow secret …`: set (from stdin or a hidden prompt, never an argument), list, delete. */
export function registerSecretCommands(program: Command, session: CliSession): void {
  const secret = program.command('secret').alias('secrets').description('manage secrets hooks can read (encrypted at rest)');

  secret
    .command('set')
    .description('set a secret; the value is read from standard input when piped, else from a hidden prompt')
    .argument('<name>', 'secret name')
    // Extra arguments are accepted here only so they can be refused with the reason.
    .allowExcessArguments(true)
    .action(async (name: string, _flags: unknown, command: Command) => (await run()).set(session, name, command));

  secret
    .command('list')
    .description('secret names and dates (never values)')
    .action(async (_flags: unknown, command: Command) => (await run()).list(session, command));

  secret
    .command('delete')
    .description('delete a secret')
    .argument('<name>', 'secret name')
    .action(async (name: string, _flags: unknown, command: Command) => (await run()).remove(session, name, command));
}

/** A piped value keeps everything but the one newline `echo` adds. */
export function stripFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}
