import type { Command } from 'commander';
import { HookflowError } from '../errors.js';
import type { CliSession } from './context.js';
import { compactJson, formatTime, iso, truncate } from './output.js';
import { parseStateValue } from './parse.js';

/** What the `hookflow state …` commands do (declared in state.ts). */

export async function get(session: CliSession, key: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const value = await services.state.get(key);
    if (value === null) throw new HookflowError('HF_ERR_NOT_FOUND', `no state key "${key}"`, { hint: 'see `hookflow state list`' });
    if (out.json) return out.data(value);
    out.line(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  });
}

export async function set(session: CliSession, key: string, text: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    const value = parseStateValue(text);
    await services.state.set(key, value);
    if (out.json) return out.data({ key, value });
    out.line(`${key} = ${compactJson(value)}`);
  });
}

export async function list(session: CliSession, flags: { prefix?: string }, command: Command): Promise<void> {
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
}

export async function remove(session: CliSession, key: string, command: Command): Promise<void> {
  await session.withServices(command, async (services, out) => {
    if (!(await services.state.delete(key))) {
      throw new HookflowError('HF_ERR_NOT_FOUND', `no state key "${key}"`, { hint: 'see `hookflow state list`' });
    }
    if (out.json) return out.data({ deleted: key });
    out.line(`deleted ${key}`);
  });
}
