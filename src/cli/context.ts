import type { Command } from 'commander';
import { resolve } from 'node:path';
import { resolvePaths } from '../config.js';
import { AuthService } from '../auth/service.js';
import { loadCredential, normaliseUrl } from '../client/credentials.js';
import { localPrograms } from '../client/programs-local.js';
import { ApiClient, remoteServices } from '../client/remote.js';
import type { HookflowServices, WorkflowServices } from '../client/services.js';
import { Engine, type EngineOptions } from '../engine.js';
import { HookflowError } from '../errors.js';
import { colorEnabled, Output, type TextSink } from './output.js';
import { maxEventBytes } from './parse.js';

/** The process around a command, injectable so tests run commands in-process. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal (colour, prompts). */
  isTTY: boolean;
  /** Aborting it stops `serve` as SIGTERM would (tests); the binary relies on the real signals. */
  shutdown?: AbortSignal;
}

/** Options every command accepts (`hookflow --home DIR events list`, or after the command). */
export interface GlobalOptions {
  home?: string;
  store?: string;
  programs?: string;
  json?: boolean;
  maxEventBytes?: number;
  url?: string;
  token?: string;
}

export { PACKAGE_ROOT, packageVersion } from '../version.js';

/** One run of the CLI: its streams, and the exit code a command may set without throwing. */
export class CliSession {
  exitCode = 0;

  constructor(readonly io: CliIo) {}

  globals(command: Command): GlobalOptions {
    return command.optsWithGlobals<GlobalOptions>();
  }

  output(command: Command): Output {
    const { json } = this.globals(command);
    return new Output(this.io.stdout, this.io.stderr, json === true, colorEnabled(this.io.isTTY, this.io.env));
  }

  /** The engine options the global flags and the environment give. */
  engineOptions(command: Command, extra: Partial<EngineOptions> = {}): EngineOptions {
    const globals = this.globals(command);
    const { home, storeUrl } = resolvePaths({ home: globals.home, store: globals.store }, this.io.env);
    const programsFile = globals.programs ? resolve(globals.programs) : undefined;
    return { home, storeUrl, env: this.io.env, maxEventBytes: maxEventBytes(globals.maxEventBytes, this.io.env), ...(programsFile ? { programsFile } : {}), ...extra };
  }

  /** Opens the engine on the local store, runs `body`, and always closes the engine again. */
  async withEngine(command: Command, body: (engine: Engine, out: Output) => Promise<void>, extra: Partial<EngineOptions> = {}): Promise<void> {
    const out = this.output(command);
    const engine = await Engine.open(this.engineOptions(command, extra));
    // A dispatcher error (a failed write of a follow-up event) must not crash the command.
    engine.dispatcher.on('error', (error: unknown) => out.warn(`dispatcher: ${error instanceof Error ? error.message : String(error)}`));
    let failed = false;
    try {
      await body(engine, out);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      await engine.close().catch((error: unknown) => {
        if (!failed) throw error;
      });
    }
  }

  /** The server this command talks to (`--url`, HOOKFLOW_URL), or null to work on the local store. */
  remoteUrl(command: Command): string | null {
    const globals = this.globals(command);
    const url = globals.url ?? (globals.store || globals.home ? undefined : this.io.env.HOOKFLOW_URL);
    return url ? normaliseUrl(url) : null;
  }

  /** An API client for the remote server, with `--token`, HOOKFLOW_TOKEN or the token saved by `hookflow login`. */
  apiClient(command: Command, url: string): ApiClient {
    const token = this.globals(command).token ?? this.io.env.HOOKFLOW_TOKEN ?? loadCredential(this.io.env, url)?.token;
    if (!token) {
      throw new HookflowError('HF_ERR_UNAUTHORIZED', `no token for ${url}`, { hint: `run \`hookflow login --url ${url}\`, or pass --token / HOOKFLOW_TOKEN` });
    }
    return new ApiClient(url, token);
  }

  /**
   * Runs `body` with the services of the server named by --url / HOOKFLOW_URL, or else of the
   * local store (opened for the command and closed after it).
   */
  async withServices(command: Command, body: (services: HookflowServices, out: Output) => Promise<void>): Promise<void> {
    const url = this.remoteUrl(command);
    if (url) return body(remoteServices(this.apiClient(command, url)), this.output(command));
    await this.withEngine(command, async (engine, out) => {
      let accounts: AuthService | null = null;
      const lazyAccounts = async () => (accounts ??= await AuthService.open(engine.store, engine.secretBox));
      const services: HookflowServices = {
        target: engine.options.storeUrl,
        maxEventBytes: engine.dispatcher.maxEventBytes,
        events: engine.events,
        hooks: engine.hooks,
        secrets: engine.secrets,
        state: engine.state,
        workflows: lazyWorkflows(engine),
        programs: localPrograms(() => engine.programs()),
        accounts: {
          addUser: async (...args) => (await lazyAccounts()).addUser(...args),
          listUsers: async () => (await lazyAccounts()).listUsers(),
          removeUser: async (...args) => (await lazyAccounts()).removeUser(...args),
          setPassword: async (...args) => (await lazyAccounts()).setPassword(...args),
          setRole: async (...args) => (await lazyAccounts()).setRole(...args),
          createToken: async (...args) => (await lazyAccounts()).createToken(...args),
          listTokens: async () => (await lazyAccounts()).listTokens(),
          revokeToken: async (...args) => (await lazyAccounts()).revokeToken(...args),
        },
      };
      await body(services, out);
    });
  }

  /** All of standard input as text (piped secrets, `--data @-`). */
  async readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
}

/** The engine's WorkflowService, loaded on first use: its modules cost start-up time other commands need not pay. */
function lazyWorkflows(engine: Engine): WorkflowServices {
  const load = () => engine.workflows();
  return {
    validate: async (...args) => (await load()).validate(...args),
    submit: async (...args) => (await load()).submit(...args),
    get: async (...args) => (await load()).get(...args),
    list: async (...args) => (await load()).list(...args),
    status: async (...args) => (await load()).status(...args),
    jobs: async (...args) => (await load()).jobs(...args),
    job: async (...args) => (await load()).job(...args),
    logs: async (...args) => (await load()).logs(...args),
    outputs: async (...args) => (await load()).outputs(...args),
    cancel: async (...args) => (await load()).cancel(...args),
    restart: async (...args) => (await load()).restart(...args),
    actions: async (...args) => (await load()).actions(...args),
    graph: async (...args) => (await load()).graph(...args),
    workers: async (...args) => (await load()).workers(...args),
    allocations: async (...args) => (await load()).allocations(...args),
    cancelAllocations: async (...args) => (await load()).cancelAllocations(...args),
    waitForEnd: async (...args) => (await load()).waitForEnd(...args),
  };
}
