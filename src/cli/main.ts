import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { isHookflowError } from '../errors.js';
import { CliSession, packageVersion, type CliIo } from './context.js';
import { registerAccountCommands } from './accounts.js';
import { registerActionCommands } from './actions.js';
import { registerEventCommands } from './events.js';
import { registerHookCommands } from './hooks.js';
import { colorEnabled, Output } from './output.js';
import { positiveInt, UsageError } from './parse.js';
import { registerProgramCommands } from './programs.js';
import { registerSecretCommands } from './secrets.js';
import { registerServeCommands } from './serve.js';
import { registerSourceCommands } from './sources.js';
import { registerStateCommands } from './state.js';
import { registerWorkflowCommands } from './workflows.js';
import { registerWorkerCommands } from './worker.js';
import { registerSlurmCommands } from './slurm.js';

export type { CliIo } from './context.js';

/** Exit codes: 0 success, 1 a failure (an error, a failed hook or event), 2 a usage error. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * The `hookflow` program: every command group wired to one session. A group's module only declares
 * its commands (names, options, help); what a command does lives in its `*-run.ts` module, imported
 * when the command runs, so `--help`, `--version` and each command load no other command's code.
 */
export function buildProgram(session: CliSession): Command {
  const { io } = session;
  const colors = pc.createColors(colorEnabled(io.isTTY, io.env));
  const program = new Command('hookflow')
    .description('Event-driven automation: durable events, and hooks in Lua, JS/TS and shell that react to them')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option('--home <dir>', 'hookflow home: hooks/, secret.key, the SQLite store (env HOOKFLOW_HOME, default ./.hookflow)')
    .option('--store <url>', 'store URL: sqlite:PATH or postgres://user:password@host/db (env HOOKFLOW_STORE)')
    .option('--programs <file>', "PyExecutorHub's config.yaml of programs (env HOOKFLOW_PROGRAMS, default HOOKFLOW_HOME/config.yaml)")
    .option('--url <url>', 'talk to a hookflow server instead of the local store (env HOOKFLOW_URL; sign in with `hookflow login`)')
    .option('--token <token>', 'API or session token for --url (env HOOKFLOW_TOKEN; default: the one saved by `hookflow login`)')
    .option('--json', 'print JSON for scripts instead of tables')
    .option('--max-event-bytes <n>', 'largest event data accepted, in bytes (env HOOKFLOW_MAX_EVENT_BYTES, default 1 MiB)', positiveInt)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(colors.red(text)),
    })
    .showHelpAfterError('(run with --help for usage)');
  registerHookCommands(program, session);
  registerEventCommands(program, session);
  registerSecretCommands(program, session);
  registerStateCommands(program, session);
  registerServeCommands(program, session);
  registerSourceCommands(program, session);
  registerAccountCommands(program, session);
  registerActionCommands(program, session);
  registerWorkflowCommands(program, session);
  registerWorkerCommands(program, session);
  registerSlurmCommands(program, session);
  registerProgramCommands(program, session);
  return program;
}

/** Runs one `hookflow` command line; resolves with its exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const session = new CliSession(io);
  const out = new Output(io.stdout, io.stderr, false, colorEnabled(io.isTTY, io.env));
  try {
    await buildProgram(session).parseAsync(argv, { from: 'user' });
    return session.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed its message (or the help/version) already.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      out.error(error.hint ? `${error.message}: ${error.hint}` : error.message);
      return EXIT_USAGE;
    }
    out.error(isHookflowError(error) ? error.describe() : error instanceof Error ? error.message : String(error));
    if (io.env.HOOKFLOW_DEBUG === '1' && error instanceof Error && error.stack) io.stderr.write(error.stack + '\n');
    return EXIT_FAILURE;
  }
}
