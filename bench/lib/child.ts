/** Runs one benchmark case in a fresh Node process and returns the result it printed. */
import { spawn } from 'node:child_process';
import { parseResult } from './protocol.js';

export interface ChildOptions {
  /** Extra Node flags (e.g. --cpu-prof). */
  nodeArgs?: readonly string[];
  /** Killed after this long; a case that hangs must not hang the run. */
  timeoutMs: number;
  /** Prefix for the child's stderr lines, which are passed through. */
  label: string;
  /** Pass the child's stderr through (it is kept for the error message either way). */
  echo: boolean;
}

export function runCase(script: string, config: unknown, options: ChildOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', script, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_LOG_SUCCESS: '1' },
    });
    let stdout = '';
    const stderrTail: string[] = [];
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        stderrTail.push(line);
        if (stderrTail.length > 40) stderrTail.shift();
        if (options.echo) process.stderr.write(`  [${options.label}] ${line}\n`);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partial) stderrTail.push(partial);
      let result: unknown = null;
      try {
        result = parseResult(stdout);
      } catch (error) {
        reject(new Error(`${options.label}: unreadable result: ${(error as Error).message}`));
        return;
      }
      if (code === 0 && result !== null) {
        resolve(result);
        return;
      }
      const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (time limit ${Math.round(options.timeoutMs / 1000)} s?)` : ''}` : `exit code ${code}`;
      reject(new Error(`${options.label} failed (${why})${stderrTail.length ? `:\n    ${stderrTail.join('\n    ')}` : ''}`));
    });
  });
}
