import { Option, type Command } from 'commander';
import type { ProcessedEvent } from '../events/dispatcher.js';
import type { CliSession } from './context.js';
import { duration, nonNegativeInt, positiveInt } from './parse.js';
import type { ServeFlags } from './serve-run.js';

const PREFETCH_HELP = 'events claimed ahead of free slots, waiting in this process (default 1000; 0 claims only for free slots)';

/** `hookflow serve` (run the dispatcher until a signal) and `hookflow drain` (process the backlog, then exit). */
export function registerServeCommands(program: Command, session: CliSession): void {
  program
    .command('serve')
    .description('run the dispatcher: load the hooks folder, process events until SIGINT/SIGTERM')
    .option('--host <host>', 'HTTP address to listen on (env HOOKFLOW_HOST, default 127.0.0.1)')
    .option('--port <port>', 'HTTP port (env HOOKFLOW_PORT, default 8001; 0 picks a free one)', nonNegativeInt)
    .option('--no-http', 'run the dispatcher only: no HTTP API, UI or event sources')
    .option('--concurrency <n>', 'events processed at once (default 100)', positiveInt)
    .option('--prefetch <n>', PREFETCH_HELP, nonNegativeInt)
    .option('--lease <duration>', 'claim lease: the events of a server that died come back after it (default 30s)', duration)
    .option('--poll <duration>', 'fallback poll for events from other processes (default 250ms SQLite, 2s PostgreSQL)', duration)
    .option('--examples', "also load this package's examples/hooks (and examples/programs when HOOKFLOW_HOME has no config.yaml)")
    .option('--quiet', 'do not print a line per processed event')
    .option('--no-worker', 'do not run workflow jobs in this process (`hookflow worker` processes run them)')
    .option('--no-executions', 'do not run program executions in this process (another server on the store runs them); the programs API still answers')
    .addOption(new Option('--shutdown-timeout <duration>', 'on a signal, wait this long for running hooks').argParser(duration).default(10_000, '10s'))
    .action(async (flags: ServeFlags, command: Command) => {
      const { serve } = await import('./serve-run.js');
      await serve(session, flags, command);
    });

  // drain stays here: it needs only the engine, which withEngine imports; serve-run.ts brings the HTTP server.
  program
    .command('drain')
    .description('process every pending event, then exit')
    .option('--concurrency <n>', 'events processed at once (default 100)', positiveInt)
    .option('--prefetch <n>', PREFETCH_HELP, nonNegativeInt)
    .action(async (flags: { concurrency?: number; prefetch?: number }, command: Command) => {
      await session.withEngine(
        command,
        async (engine, out) => {
          let failed = 0;
          engine.dispatcher.on('processed', ({ event }: ProcessedEvent) => {
            if (event.status === 'failed') failed += 1;
          });
          await engine.dispatcher.start();
          const processed = await engine.dispatcher.drain();
          if (out.json) return out.data({ processed, failed });
          out.line(`processed ${processed} event${processed === 1 ? '' : 's'}${failed > 0 ? ` (${failed} failed)` : ''}`);
        },
        { concurrency: flags.concurrency, prefetch: flags.prefetch },
      );
    });
}
