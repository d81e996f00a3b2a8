import { Option, type Command } from 'commander';
import type { ProgramExecutionJson } from '../client/services.js';
import { EXECUTION_STATUSES, type ExecutionStatus } from '../store/programs.js';
import type { CliSession } from './context.js';
import { collect, nonNegativeInt, positiveInt, UsageError } from './parse.js';
import type { RunFlags } from './programs-run.js';

const run = () => import('./programs-run.js');

/**
 * `hookflow program …` and `hookflow execution …`: PyExecutorHub's programs (config.yaml) and
 * their executions. Every command goes through ProgramServices, on the local store or through
 * the API with --url, and `--json` prints the API's shapes (src/programs/views.ts).
 */

/** `program run`'s exit code when the execution timed out (as timeout(1) does). */
export const EXIT_TIMEOUT = 124;
/** `program run`'s exit code when the execution was canceled, or Ctrl-C stopped the wait (128 + SIGINT). */
export const EXIT_CANCELED = 130;

/**
 * The exit code of `program run` for how its execution ended: 0 completed; the program's own code
 * when it failed with one (1 when it has none, or one a process cannot exit with); 124 timeout;
 * 130 canceled.
 */
export function runExitCode(execution: Pick<ProgramExecutionJson, 'status' | 'exit_code'>): number {
  switch (execution.status) {
    case 'completed':
      return 0;
    case 'timeout':
      return EXIT_TIMEOUT;
    case 'canceled':
      return EXIT_CANCELED;
    case 'failed': {
      const code = execution.exit_code;
      return code !== null && Number.isInteger(code) && code >= 1 && code <= 255 ? code : 1;
    }
    default:
      return 1;
  }
}

/** `--param k=v` (repeatable): the value is everything after the first `=`, kept as text; a later one wins. */
export function parseProgramParams(assignments: readonly string[]): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at <= 0) throw new UsageError(`--param "${assignment}" is not KEY=VALUE`, 'e.g. --param name=world --param query="a=b" (each becomes PARAM_<KEY> in the program)');
    parameters[assignment.slice(0, at)] = assignment.slice(at + 1);
  }
  return parameters;
}

export function registerProgramCommands(program: Command, session: CliSession): void {
  const group = program
    .command('program')
    .alias('programs')
    .description("PyExecutorHub's programs (config.yaml: scripts and bots): list, run, executions, check the configuration");

  group
    .command('list')
    .description('the enabled programs, scripts before bots')
    .action(async (_flags: unknown, command: Command) => (await run()).list(session, command));

  group
    .command('run')
    .description("run a program and wait for it: prints its output and exits with its exit code (124 timeout, 130 canceled; Ctrl-C cancels it)")
    .argument('<id>', "the program's id or its key in config.yaml")
    .option('--param <key=value>', 'a parameter (the program sees PARAM_<KEY>); repeat for several', collect)
    .option('--follow', 'stream its stdout and stderr as they come instead of at the end')
    .option('--detach', 'only queue it: print the execution id and return')
    .action(async (id: string, flags: RunFlags, command: Command) => (await run()).runProgram(session, id, flags, command));

  group
    .command('executions')
    .description('executions, newest first')
    .option('--program <id>', "only this program's")
    .addOption(new Option('--status <status>', 'only executions in this state').choices([...EXECUTION_STATUSES]))
    .option('--limit <n>', 'at most this many (default 20)', positiveInt)
    .option('--offset <n>', 'skip the newest N', nonNegativeInt)
    .action(async (flags: { program?: string; status?: ExecutionStatus; limit?: number; offset?: number }, command: Command) => (await run()).executions(session, flags, command));

  group
    .command('config')
    .description("the programs configuration in force: its file, settings, and every problem at file:line:column (exit 1 when the file's last edit was refused)")
    .action(async (_flags: unknown, command: Command) => (await run()).config(session, command));

  const execution = program.command('execution').alias('executions').description("program executions: show, logs (live with --follow), cancel, stats");

  execution
    .command('show')
    .description('one execution: its state, exit code, times, parameters, and the end of its output')
    .argument('<id>')
    .action(async (id: string, _flags: unknown, command: Command) => (await run()).show(session, id, command));

  execution
    .command('logs')
    .description("an execution's stdout (on stdout) and stderr (on stderr); with --follow, live until it ends")
    .argument('<id>')
    .option('--follow', 'keep printing its output as it comes until it ends (Ctrl-C stops following; the execution goes on)')
    .action(async (id: string, flags: { follow?: boolean }, command: Command) => (await run()).logs(session, id, flags, command));

  execution
    .command('cancel')
    .description('cancel an execution: a queued one at once; a running one is stopped (its act_after still runs)')
    .argument('<id>')
    .action(async (id: string, _flags: unknown, command: Command) => (await run()).cancel(session, id, command));

  execution
    .command('stats')
    .description('executions by program and state, the concurrency in use, and the latest ones')
    .action(async (_flags: unknown, command: Command) => (await run()).stats(session, command));
}
