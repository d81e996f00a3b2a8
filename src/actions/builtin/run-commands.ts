import { stat } from 'node:fs/promises';
import type { JsonValue } from '../../events/model.js';
import { runCommand } from '../../hooks/modules/exec.js';
import { defineAction } from '../model.js';
import { isJsonObject, jsonKind } from './values.js';

/** The commands as a list: a list of strings as is, one string as one command. */
export function commandList(value: JsonValue | undefined): string[] {
  if (typeof value === 'string') return value.trim() === '' ? [] : [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * Torc's run_commands: each command runs through the shell (bash by default) one after the
 * other, and the first non-zero exit stops the rest. Each command is its own process group, so a
 * cancel or timeout (ctx.signal) kills it and everything it started.
 */
export const runCommandsAction = defineAction({
  meta: {
    type: 'run_commands',
    version: '1.0.0',
    name: 'Run Commands',
    description:
      'Runs shell commands one after the other (each through bash -c, or sh -c) in cwd with extra env, stopping at the first that exits non-zero. Outputs the exit code and the collected stdout and stderr; a cancel or timeout kills the running command and its children.',
    category: 'System',
    icon: 'terminal',
    color: '#0f766e',
    executionMode: 'sync',
    idempotent: false,
    params: [
      { name: 'commands', label: 'Commands', type: 'json', required: true, description: 'A list of shell commands (or one command as a string).', placeholder: '["mkdir -p output", "echo started > output/status.txt"]' },
      { name: 'cwd', label: 'Working directory', type: 'string', description: 'Where the commands run (default: the process’s directory).' },
      { name: 'env', label: 'Environment', type: 'json', description: 'Variables added to the inherited environment ({NAME: value}).' },
      {
        name: 'shell',
        label: 'Shell',
        type: 'select',
        default: 'bash',
        options: [
          { label: 'bash', value: 'bash' },
          { label: 'sh', value: 'sh' },
        ],
      },
    ],
    outputs: [
      { name: 'exit_code', type: 'integer', description: 'The exit code of the last command run (0 when all succeeded)' },
      { name: 'stdout', type: 'string', description: 'The standard output of every command run, in order' },
      { name: 'stderr', type: 'string', description: 'The standard error of every command run, in order' },
      { name: 'commands_run', type: 'integer', description: 'How many commands ran (the failed one included)' },
      { name: 'failed_command', type: 'string', description: 'The command that failed, or null' },
    ],
    examples: [{ title: 'Prepare an output folder', params: { commands: ['mkdir -p output logs', "echo 'Workflow started' > logs/status.txt"] } }],
  },
  validateParams(params) {
    const problems: Array<{ field: string; message: string }> = [];
    const commands = params.commands;
    if (Array.isArray(commands)) {
      commands.forEach((item, index) => {
        if (typeof item !== 'string' || item.trim() === '') problems.push({ field: `commands.${index}`, message: `must be a command (a non-empty string), not ${JSON.stringify(item)}` });
      });
      if (commands.length === 0) problems.push({ field: 'commands', message: 'needs at least one command' });
    } else if (typeof commands !== 'string' || commands.trim() === '') problems.push({ field: 'commands', message: `must be a list of commands or one command, not ${jsonKind(commands)}` });
    const env = params.env;
    if (env !== undefined && env !== null) {
      if (!isJsonObject(env)) problems.push({ field: 'env', message: `must be an object {NAME: value}, not ${jsonKind(env)}` });
      else {
        for (const [name, value] of Object.entries(env)) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problems.push({ field: `env.${name}`, message: 'is not a valid variable name' });
          else if (typeof value === 'object') problems.push({ field: `env.${name}`, message: `must be a string, number or boolean, not ${jsonKind(value)}` });
        }
      }
    }
    return problems;
  },
  async execute(ctx) {
    const commands = commandList(ctx.params.commands);
    const cwd = typeof ctx.params.cwd === 'string' && ctx.params.cwd !== '' ? ctx.params.cwd : undefined;
    if (cwd) {
      const found = await stat(cwd).catch(() => null);
      if (!found?.isDirectory()) return { success: false, error: `cwd ${cwd} is not a directory`, outputs: { exit_code: 127, stdout: '', stderr: '', commands_run: 0, failed_command: null } };
    }
    const env = isJsonObject(ctx.params.env) ? Object.fromEntries(Object.entries(ctx.params.env).map(([name, value]) => [name, String(value)])) : {};
    const shell = ctx.params.shell === 'sh' ? '/bin/sh' : 'bash';
    let stdout = '';
    let stderr = '';
    for (const [index, command] of commands.entries()) {
      ctx.log.info(`$ ${command}`);
      // The executor's timeout aborts ctx.signal; runCommand's own limit only backs it up.
      const result = await runCommand([shell, '-c', command], { cwd, env, timeout_ms: (ctx.timeoutSeconds + 5) * 1000 }, ctx.signal);
      stdout += result.stdout;
      stderr += result.stderr;
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (result.exit_code !== 0) {
        const tail = result.stderr.trim().split('\n').slice(-3).join('\n');
        return {
          success: false,
          error: `command ${index + 1} of ${commands.length} exited with ${result.exit_code}: ${command}${tail ? `\n${tail}` : ''}`,
          outputs: { exit_code: result.exit_code, stdout, stderr, commands_run: index + 1, failed_command: command },
        };
      }
    }
    return { success: true, outputs: { exit_code: 0, stdout, stderr, commands_run: commands.length, failed_command: null } };
  },
});
