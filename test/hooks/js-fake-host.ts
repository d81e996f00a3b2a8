/** An in-memory HookHost and record builders for the JS and commands runtime tests. */
import type { EventRecord } from '../../src/events/model.js';

// One fake host for every runtime's tests: the Lua tests' one.
export { FakeHost, makeHook, type Dispatched as DispatchedEvent } from './fake-host.js';

let eventCounter = 0;

export function makeEvent(overrides: Partial<EventRecord> = {}): EventRecord {
  eventCounter += 1;
  return {
    id: `event-${eventCounter}`,
    type: 'task.failed',
    stack: null,
    source: 'test',
    data: {},
    status: 'processing',
    attempts: 1,
    error: null,
    created_at: 1_700_000_000_000,
    processed_at: null,
    correlation_id: null,
    idempotency_key: null,
    parent_id: null,
    ...overrides,
  };
}
