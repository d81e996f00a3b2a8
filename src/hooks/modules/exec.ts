import { spawn } from 'node:child_process';

/** Runs a command for a hook: `{exit_code, stdout, stderr}`, never throws for a non-zero exit. */
export interface ExecOptions {
  cwd?: string;
  /** Added to (not replacing) the inherited environment. */
  env?: Record<string, string>;
  timeout_ms?: number;
  input?: string;
  /** Output beyond this many bytes per stream is dropped with a marker. */
  max_output_bytes?: number;
}

export interface ExecResult {
  exit_code: number;
  stdout: string;
  stderr: string;
}

export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 1024 * 1024;

/**
 * A string runs through `/bin/sh -c`; an array runs the program directly with its arguments.
 * The child gets its own process group so a timeout or abort kills everything it started.
 */
export function runCommand(command: string | readonly string[], options: ExecOptions = {}, signal?: AbortSignal): Promise<ExecResult> {
  const [file, args] = typeof command === 'string' ? ['/bin/sh', ['-c', command]] : [command[0], command.slice(1)];
  if (!file) return Promise.resolve({ exit_code: 127, stdout: '', stderr: 'exec: empty command' });
  const limit = options.max_output_bytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...(options.env ?? {}) },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out = new OutputBuffer(limit);
    const err = new OutputBuffer(limit);
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    if (options.input !== undefined) child.stdin?.end(options.input);
    let killedFor: string | null = null;
    const kill = (reason: string) => {
      if (killedFor || child.exitCode !== null) return;
      killedFor = reason;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${options.timeout_ms ?? DEFAULT_EXEC_TIMEOUT_MS} ms`), options.timeout_ms ?? DEFAULT_EXEC_TIMEOUT_MS);
    const onAbort = () => kill('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (code: number, extra?: string) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      let stderr = err.text();
      if (killedFor) stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}exec: ${killedFor}`;
      if (extra) stderr += extra;
      resolve({ exit_code: code, stdout: out.text(), stderr });
    };
    child.on('error', (error) => finish(127, `exec: ${error.message}`));
    child.on('close', (code, sig) => finish(code ?? (sig ? 128 + signalNumber(sig) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return table[signal] ?? 0;
}

class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
    this.dropped += chunk.length - kept.length;
  }
  text(): string {
    const body = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `${body}\n[… ${this.dropped} bytes truncated]` : body;
  }
}
