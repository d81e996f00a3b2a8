import type { Command } from 'commander';
import { HookflowError } from '../errors.js';
import type { CliSession } from './context.js';
import { compactJson, formatTime, iso, truncate } from './output.js';
import { parseStateValue } from './parse.js';

/** `hookflow state …`: the key/value state hooks share (get, set, list, delete). */
export function registerStateCommands(program: Command, session: CliSession): void {
  const state = program.command('state').description('read and write the key/value state hooks share');

  state
    .command('get')
    .description('print the value of a key (strings as they are, other values as JSON)')
    .argument('<key>', 'state key')
    .action(async (key: string, _flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const value = await services.state.get(key);
        if (value === null) throw new HookflowError('HF_ERR_NOT_FOUND', `no state key "${key}"`, { hint: 'see `hookflow state list`' });
        if (out.json) return out.data(value);
        out.line(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
      });
    });

  state
    .command('set')
    .description('set a key; VALUE is JSON when it parses as JSON (42, true, {"a":1}), else a string')
    .argument('<key>', 'state key')
    .argument('<value>', 'the value')
    .action(async (key: string, text: string, _flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const value = parseStateValue(text);
        await services.state.set(key, value);
        if (out.json) return out.data({ key, value });
        out.line(`${key} = ${compactJson(value)}`);
      });
    });

  state
    .command('list')
    .description('list keys with their values')
    .option('--prefix <prefix>', 'only keys starting with this')
    .action(async (flags: { prefix?: string }, command: Command) => {
      await session.withServices(command, async (services, out) => {
        const entries = await services.state.list(flags.prefix);
        if (out.json) return out.data(entries.map((entry) => ({ key: entry.key, value: entry.value, updated_at: iso(entry.updated_at) })));
        if (entries.length === 0) {
          out.line(flags.prefix ? `no state keys starting with ${flags.prefix}` : 'no state yet');
          return;
        }
        out.table(
          ['Key', 'Value', 'Updated'],
          entries.map((entry) => [entry.key, truncate(compactJson(entry.value), 60), formatTime(entry.updated_at)]),
        );
      });
    });

  state
    .command('delete')
    .description('delete a key')
    .argument('<key>', 'state key')
    .action(async (key: string, _flags: unknown, command: Command) => {
      await session.withServices(command, async (services, out) => {
        if (!(await services.state.delete(key))) {
          throw new HookflowError('HF_ERR_NOT_FOUND', `no state key "${key}"`, { hint: 'see `hookflow state list`' });
        }
        if (out.json) return out.data({ deleted: key });
        out.line(`deleted ${key}`);
      });
    });
}
