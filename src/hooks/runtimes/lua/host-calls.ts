import type { EventRecord, JsonObject, JsonValue } from '../../../events/model.js';
import type { HookHost } from '../../model.js';
import type { HostOp, LuaEventSpec } from './job.js';

/**
 * What a script's module call does on the host. Events dispatched from a hook carry the current
 * event as their parent and inherit its stack; only an event without a stack lets the data name
 * one (`event.dispatch("custom.deployment", {stack = "production"})` in Sloth Runner's
 * documentation), so a hook cannot publish into another stack than its own event's.
 */
export async function callHost(host: HookHost, event: Pick<LuaEventSpec, 'id' | 'stack'>, op: HostOp, args: JsonValue[]): Promise<JsonValue> {
  switch (op) {
    case 'state_get':
      return host.stateGet(String(args[0]));
    case 'state_set':
      await host.stateSet(String(args[0]), args[1] ?? null);
      return true;
    case 'state_delete':
      return host.stateDelete(String(args[0]));
    case 'state_increment':
      return host.stateIncrement(String(args[0]), typeof args[1] === 'number' ? args[1] : 1);
    case 'secret_get':
      return host.secretGet(String(args[0]));
    case 'dispatch': {
      const type = String(args[0]);
      const data = args[1] ?? {};
      if (typeof data !== 'object' || data === null) throw new Error('event data must be a table');
      const fields: JsonObject = Array.isArray(data) ? {} : data;
      if (Array.isArray(data) && data.length > 0) throw new Error('event data must be a table with named fields, not a list');
      const stack = event.stack ?? (typeof fields.stack === 'string' && fields.stack !== '' ? fields.stack : null);
      return host.dispatch(type, fields, { stack, parent_id: event.id });
    }
  }
}

/** The fields of an event a script sees (a copy small enough to send to a worker). */
export function eventSpec(event: EventRecord): LuaEventSpec {
  return {
    id: event.id,
    type: event.type,
    stack: event.stack,
    source: event.source,
    data: event.data,
    created_at: event.created_at,
    correlation_id: event.correlation_id,
    parent_id: event.parent_id,
  };
}
