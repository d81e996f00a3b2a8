/** An in-memory HookHost and record builders for the JS and commands runtime tests. */
import type { EventRecord } from '../../src/events/model.js';
import { NO_RETRY, type HookRecord, type HookRuntimeName } from '../../src/hooks/model.js';

// One fake host for every runtime's tests: the Lua tests' one.
export { FakeHost, type Dispatched as DispatchedEvent } from './fake-host.js';

export function makeHook(overrides: Partial<HookRecord> & { name: string; runtime: HookRuntimeName }): HookRecord {
  return {
    description: '',
    events: ['*'],
    stack: null,
    filter: null,
    source: null,
    commands: null,
    cwd: null,
    action: null,
    params: null,
    timeout_ms: 5_000,
    memory_mb: 64,
    enabled: true,
    retry: NO_RETRY,
    created_at: 0,
    updated_at: 0,
    last_run: null,
    run_count: 0,
    ...overrides,
  };
}

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
