import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  env?: NodeJS.ProcessEnv;
  shutdown?: AbortSignal;
  /** Pretend stdout is a terminal (colour). */
  isTTY?: boolean;
  /** Receives stdout as it is written (serve). */
  onStdout?: (chunk: string) => void;
}

/** The environment without the caller's HOOKFLOW_* settings, and without colour. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1' };
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('HOOKFLOW_')) env[key] = value;
  // The system monitor is off: its events would land among the ones a test counts.
  return { ...env, NO_COLOR: '1', HOOKFLOW_MONITOR: '0', ...extra };
}

/** A temporary hookflow home and a way to run `hookflow --home HOME …` in-process. */
export class CliHome {
  readonly dir = mkdtempSync(join(tmpdir(), 'hookflow-cli-'));

  async run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['--home', this.dir, ...args], {
      stdout: {
        write: (chunk: string) => {
          stdout += chunk;
          options.onStdout?.(chunk);
          return true;
        },
      },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
      env: cleanEnv(options.env),
      isTTY: options.isTTY ?? false,
      shutdown: options.shutdown,
    });
    return { code, stdout, stderr };
  }

  /** Runs and fails the test with the command's stderr unless it exits 0. */
  async ok(args: string[], options: RunOptions = {}): Promise<CliResult> {
    const result = await this.run(args, options);
    if (result.code !== 0) throw new Error(`hookflow ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    return result;
  }

  async json<T = unknown>(args: string[], options: RunOptions = {}): Promise<T> {
    return JSON.parse((await this.ok([...args, '--json'], options)).stdout) as T;
  }

  file(name: string, content: string): string {
    const path = join(this.dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
