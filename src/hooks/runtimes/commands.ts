/**
 * The `commands` hook runtime: the hook's shell commands run one after the other through
 * `/bin/sh -c`, stopping at the first that exits non-zero (Torc's run_commands), with the event in
 * the environment and, whole, as JSON in a temporary file.
 *
 * One shell per command and nothing more: each command is one spawn of /bin/sh, in its own process
 * group, so the hook's time limit, which covers all its commands together, kills everything a
 * command started.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../modules/exec.js';
import { DEFAULT_HOOK_TIMEOUT_MS, type HookHost, type HookRunRequest, type HookRunResult, type HookRuntime } from '../model.js';

export interface CommandsRuntimeOptions {
  /** hookflow's home: the working directory of hooks that name none. */
  home: string;
}

/** How many closing lines of a failed command's stderr go into the error. */
const STDERR_TAIL_LINES = 5;

export class CommandsRuntime implements HookRuntime {
  readonly name = 'commands' as const;

  constructor(private readonly options: CommandsRuntimeOptions) {}

  async run(request: HookRunRequest, _host: HookHost): Promise<HookRunResult> {
    const { hook, event } = request;
    const commands = hook.commands ?? [];
    if (commands.length === 0) return { success: false, output: '', error: `HF_ERR_INVALID_HOOK: commands hook ${hook.name} has no commands` };
    const cwd = hook.cwd ?? this.options.home;
    const cwdProblem = directoryProblem(cwd);
    if (cwdProblem) return { success: false, output: '', error: `HF_ERR_HOOK_FAILED: hook ${hook.name}: working directory ${cwd} ${cwdProblem}` };
    if (request.signal?.aborted) return { success: false, output: '', error: `HF_ERR_SHUTTING_DOWN: hook ${hook.name} was aborted before it started` };

    const limitMs = hook.timeout_ms > 0 ? hook.timeout_ms : DEFAULT_HOOK_TIMEOUT_MS;
    const deadline = Date.now() + limitMs;
    const timeUp = new AbortController();
    const timer = setTimeout(() => timeUp.abort(), limitMs);
    const signal = request.signal ? AbortSignal.any([timeUp.signal, request.signal]) : timeUp.signal;

    const eventFile = join(tmpdir(), `hookflow-event-${randomUUID()}.json`);
    const output: string[] = [];
    try {
      writeFileSync(eventFile, JSON.stringify(event), { mode: 0o600 });
      const env: Record<string, string> = {
        HOOKFLOW_EVENT_ID: event.id,
        HOOKFLOW_EVENT_TYPE: event.type,
        HOOKFLOW_EVENT_STACK: event.stack ?? '',
        HOOKFLOW_EVENT_FILE: eventFile,
        HOOKFLOW_HOOK_NAME: hook.name,
        HOOKFLOW_ATTEMPT: String(request.attempt),
      };
      for (const [index, command] of commands.entries()) {
        const position = `command ${index + 1} of ${commands.length} (\`${command}\`)`;
        const remaining = deadline - Date.now();
        if (remaining <= 0 || timeUp.signal.aborted) return timedOut(hook.name, limitMs, position, output);
        const result = await runCommand(command, { cwd, env, timeout_ms: remaining + 1_000 }, signal);
        output.push(describeCommand(command, result.stdout, result.stderr));
        if (timeUp.signal.aborted) return timedOut(hook.name, limitMs, position, output);
        if (request.signal?.aborted) {
          return { success: false, output: joinOutput(output), error: `HF_ERR_SHUTTING_DOWN: hook ${hook.name} was aborted during ${position}` };
        }
        if (result.exit_code !== 0) {
          const tail = lastLines(result.stderr, STDERR_TAIL_LINES);
          return {
            success: false,
            output: joinOutput(output),
            error: `${position} exited with code ${result.exit_code}${tail ? `\n${tail}` : ''}`,
          };
        }
      }
      return { success: true, output: joinOutput(output), error: null };
    } catch (error) {
      return { success: false, output: joinOutput(output), error: `HF_ERR_HOOK_FAILED: hook ${hook.name}: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      clearTimeout(timer);
      rmSync(eventFile, { force: true });
    }
  }

  async close(): Promise<void> {
    // Nothing is kept between runs.
  }
}

function timedOut(hookName: string, limitMs: number, position: string, output: string[]): HookRunResult {
  return {
    success: false,
    output: joinOutput(output),
    error: `HF_ERR_HOOK_TIMEOUT: hook ${hookName} exceeded its ${limitMs} ms time limit during ${position}`,
  };
}

function directoryProblem(path: string): string | null {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats) return 'does not exist';
  if (!stats.isDirectory()) return 'is not a directory';
  return null;
}

/** `$ command` then what it printed, so several commands' output stays readable. */
function describeCommand(command: string, stdout: string, stderr: string): string {
  const parts = [`$ ${command}`];
  if (stdout) parts.push(stdout.replace(/\n$/, ''));
  if (stderr) parts.push(stderr.replace(/\n$/, ''));
  return parts.join('\n');
}

function joinOutput(parts: readonly string[]): string {
  return parts.join('\n');
}

function lastLines(text: string, count: number): string {
  const lines = text.replace(/\n+$/, '').split('\n');
  return lines.slice(-count).join('\n').trim() === '' ? '' : lines.slice(-count).join('\n');
}
