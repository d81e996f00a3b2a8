import type { Command } from 'commander';
import { resolve } from 'node:path';
import { resolvePaths } from '../config.js';
import { loadCredential, normaliseUrl } from '../client/credentials.js';
import type { ApiClient } from '../client/remote.js';
import type { HookflowServices } from '../client/services.js';
import type { Engine, EngineOptions } from '../engine.js';
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

/**
 * One run of the CLI: its streams, and the exit code a command may set without throwing. The
 * engine, the HTTP client and the services are imported when a command first asks for them, so
 * `hookflow --help` and commands that need neither do not pay for loading them.
 */
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
    const options = this.engineOptions(command, extra);
    const { Engine } = await import('../engine.js');
    const engine = await Engine.open(options);
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
  async apiClient(command: Command, url: string): Promise<ApiClient> {
    const token = this.globals(command).token ?? this.io.env.HOOKFLOW_TOKEN ?? loadCredential(this.io.env, url)?.token;
    if (!token) {
      throw new HookflowError('HF_ERR_UNAUTHORIZED', `no token for ${url}`, { hint: `run \`hookflow login --url ${url}\`, or pass --token / HOOKFLOW_TOKEN` });
    }
    const { ApiClient } = await import('../client/remote.js');
    return new ApiClient(url, token);
  }

  /**
   * Runs `body` with the services of the server named by --url / HOOKFLOW_URL, or else of the
   * local store (opened for the command and closed after it).
   */
  async withServices(command: Command, body: (services: HookflowServices, out: Output) => Promise<void>): Promise<void> {
    const url = this.remoteUrl(command);
    if (url) {
      const client = await this.apiClient(command, url);
      const { remoteServices } = await import('../client/remote.js');
      return body(remoteServices(client), this.output(command));
    }
    const { localServices } = await import('./local-services.js');
    await this.withEngine(command, (engine, out) => body(localServices(engine), out));
  }

  /** All of standard input as text (piped secrets, `--data @-`). */
  async readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
}
