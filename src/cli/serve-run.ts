import { availableParallelism, hostname } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Engine } from '../engine.js';
import { errorMessage } from '../errors.js';
import type { ProcessedEvent } from '../events/dispatcher.js';
import type { SavedHook } from '../hooks/service.js';
import { PACKAGE_ROOT, packageVersion, type CliSession } from './context.js';
import { eventJson, executionJson, formatDuration, formatProcessedLine, type Output } from './output.js';
import { maskStoreUrl } from './parse.js';
import { serverOptionsFromEnv, startServer, type RunningServer } from '../server/serve.js';
import { adminBox } from './credentials.js';
import type { Worker } from '../workflows/worker.js';

/**
 * What `hookflow serve` runs (its options are declared in serve.ts): the engine, the HTTP server,
 * the embedded worker and the programs' hub, loaded only by this command.
 */

export interface ServeFlags {
  host?: string;
  port?: number;
  http: boolean;
  concurrency?: number;
  prefetch?: number;
  lease?: number;
  poll?: number;
  examples?: boolean;
  quiet?: boolean;
  worker: boolean;
  executions: boolean;
  shutdownTimeout: number;
}

/** Runs the dispatcher (and, unless switched off, the HTTP API, a worker and the programs) until a signal. */
export async function serve(session: CliSession, flags: ServeFlags, command: Command): Promise<void> {
  const out = session.output(command);
  // With --json, stdout carries one JSON line per processed event; everything else goes to stderr.
  const say = (text: string) => (out.json ? out.note(text) : out.line(text));
  const engineOptions = session.engineOptions(command, { concurrency: flags.concurrency, prefetch: flags.prefetch, leaseMs: flags.lease, pollMs: flags.poll });
  // With --examples and no config.yaml of one's own, the example programs are served too.
  if (flags.examples && !engineOptions.programsFile && !session.io.env.HOOKFLOW_PROGRAMS && !existsSync(join(engineOptions.home, 'config.yaml'))) {
    engineOptions.programsFile = join(PACKAGE_ROOT, 'examples', 'programs', 'config.yaml');
  }
  const engine = await Engine.open(engineOptions);
  const { dispatcher } = engine;
  dispatcher.on('error', (error: unknown) => out.error(`dispatcher: ${errorMessage(error)}`));
  const signals = new SignalWaiter(session.io.shutdown);
  let server: RunningServer | null = null;
  let worker: { worker: Worker; run: Promise<unknown> } | null = null;
  const stopWorker = async () => {
    if (!worker) return;
    await worker.worker.stop(flags.shutdownTimeout);
    await worker.run;
  };
  try {
    say(`${out.colors.bold('hookflow')} ${packageVersion()}`);
    say(`  store        ${maskStoreUrl(engine.options.storeUrl)}`);
    say(`  home         ${engine.options.home}`);
    say(`  concurrency  ${dispatcher.concurrency} (local queue ${dispatcher.prefetch}, lease ${formatDuration(dispatcher.leaseMs)}, poll ${formatDuration(dispatcher.pollMs)})`);
    await loadHooks(out, say, 'hooks folder', () => engine.hooks.loadDirectory(), join(engine.options.home, 'hooks'));
    if (flags.examples) {
      const folder = join(PACKAGE_ROOT, 'examples', 'hooks');
      await loadHooks(out, say, 'examples', () => engine.hooks.loadDirectory(folder), folder);
    }
    // Action plugins are discovered now, not on first use, so what loaded (and what did not) is listed here.
    const actions = await engine.actions();
    const builtins = actions.list().filter((action) => action.source === 'builtin').length;
    say(`  actions      ${builtins} built-in${actions.discovery.loaded.length > 0 ? `, plugins: ${actions.discovery.loaded.map((plugin) => `${plugin.source} (${plugin.types.join(', ') || 'resolvers'})`).join('; ')}` : ', no plugins'}`);
    for (const failure of actions.discovery.failed) out.error(`action plugin ${failure.source} did not load: ${failure.error}`);
    if (!flags.quiet) {
      dispatcher.on('processed', ({ event, executions }: ProcessedEvent) => {
        if (out.json) out.line(JSON.stringify({ ...eventJson(event), executions: executions.map((execution) => executionJson(execution)) }));
        else out.line(formatProcessedLine(out.colors, event, executions));
      });
    }
    await dispatcher.start();
    if (flags.http) {
      const env = session.io.env;
      const options = serverOptionsFromEnv(env, { host: flags.host, port: flags.port });
      server = await startServer(engine, options, env, { write: (line) => session.io.stderr.write(line) });
      say(`  http         ${server.url} (API docs ${server.url}/docs)`);
      if (server.firstAdmin) out.note(adminBox(server.firstAdmin, server.url));
    }
    // Started once the API is up: its launcher and first claims would only slow the start-up down.
    if (flags.worker) {
      const embedded = await engine.createWorker({ workflowId: null, maxParallelJobs: availableParallelism(), capacity: null, idleTimeoutMs: null, onError: (error, where) => out.error(`workflow worker (${where}): ${errorMessage(error)}`) });
      worker = { worker: embedded, run: embedded.run().catch((error: unknown) => out.error(`the workflow worker stopped: ${errorMessage(error)}`)) };
      say(`  worker       ${embedded.id} (up to ${availableParallelism()} workflow jobs at once)`);
    }
    if (flags.executions) {
      const programs = await engine.programs();
      await programs.start();
      const config = programs.config();
      const problems = programs.catalog.lastProblems();
      say(`  programs     ${config.file} (${programs.programs().length} enabled, up to ${config.settings.max_concurrent_executions} at once${problems.length > 0 ? `, ${problems.length} problems` : ''})`);
      for (const problem of problems) out.error(`${problem.where}: ${problem.message}${problem.hint ? ` (${problem.hint})` : ''}`);
      for (const warning of config.warnings) out.warn(`${warning.where}: ${warning.message}${warning.hint ? ` (${warning.hint})` : ''}`);
      // An edit of config.yaml while serving: said at once; a refused one keeps the last good configuration.
      programs.catalog.on('reloaded', (reloaded) => say(`  programs     ${reloaded.file} reloaded (${programs.programs().length} enabled)`));
      programs.catalog.on('invalid', (refused) => {
        out.error(`${config.file}: the edit was refused, the last good configuration stays in force:`);
        for (const problem of refused) out.error(`  ${problem.where}: ${problem.message}${problem.hint ? ` (${problem.hint})` : ''}`);
      });
    }
    const facts = { host: hostname(), pid: process.pid, version: packageVersion() };
    await engine.events.dispatch({ type: 'system.startup', data: facts, source: 'hookflow' });
    say(out.colors.green('ready: processing events (Ctrl-C to stop)'));

    // Waiting for a signal must keep the process alive whatever the dispatcher's timers do.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const signal = await signals.next().finally(() => clearInterval(keepAlive));
    say(`${signal}: stopping (waiting up to ${formatDuration(flags.shutdownTimeout)} for running hooks)`);
    await engine.events.dispatch({ type: 'system.shutdown', data: { ...facts, signal }, source: 'hookflow' }).catch((error: unknown) => {
      out.error(`could not publish system.shutdown: ${errorMessage(error)}`);
    });
    await server?.close();
    const stopped = await Promise.race([stopWorker().then(() => engine.close(flags.shutdownTimeout)).then(() => 'stopped' as const), signals.next()]);
    if (stopped !== 'stopped') {
      out.error('forced stop: events still running go back to pending when their lease expires');
      session.exitCode = 1;
      return;
    }
    say('stopped');
  } catch (error) {
    await server?.close().catch(() => undefined);
    await stopWorker().catch(() => undefined);
    await engine.close(flags.shutdownTimeout).catch(() => undefined);
    throw error;
  } finally {
    signals.dispose();
  }
}

async function loadHooks(
  out: Output,
  say: (text: string) => void,
  what: string,
  load: () => Promise<{ loaded: SavedHook[]; errors: Array<{ file: string; error: string }> }>,
  folder: string,
): Promise<void> {
  const { loaded, errors } = await load();
  say(`  ${what.padEnd(12)} ${folder} (${loaded.length} loaded${errors.length > 0 ? `, ${errors.length} failed` : ''})`);
  for (const { hook, warnings } of loaded) {
    say(`    ${hook.enabled ? '✅' : '⏸'} ${hook.name} (${hook.runtime}) on ${hook.events.join(', ')}${hook.stack ? ` [${hook.stack}]` : ''}`);
    for (const warning of warnings) out.warn(`${hook.name}: ${warning}`);
  }
  // Most errors name their file already (file:line:column); name it for those that do not.
  for (const { file, error } of errors) out.error(error.includes(file) ? error : `${file}: ${error}`);
}

/**
 * SIGINT/SIGTERM (and `io.shutdown` for tests), queued so none is lost while start-up is still
 * running: the first one stops the server, a second one forces the stop.
 */
class SignalWaiter {
  private readonly received: string[] = [];
  private waiting: Array<(signal: string) => void> = [];
  private readonly onSignal = (signal: NodeJS.Signals) => this.fire(signal);
  private readonly onAbort = () => this.fire('shutdown');

  constructor(private readonly abort?: AbortSignal) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    if (abort?.aborted) this.received.push('shutdown');
    else abort?.addEventListener('abort', this.onAbort, { once: true });
  }

  next(): Promise<string> {
    const queued = this.received.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private fire(signal: string): void {
    const resolve = this.waiting.shift();
    if (resolve) resolve(signal);
    else this.received.push(signal);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    this.abort?.removeEventListener('abort', this.onAbort);
  }
}
