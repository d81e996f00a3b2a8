import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AllocationState } from '../../../src/store/workflows.js';
import { allocationStateOf, ENDED_UNKNOWN, NATIVE_ALLOCATION_STATES } from '../../../src/workflows/slurm/client.js';

describe('allocationStateOf', () => {
  const table: Array<[string, AllocationState | null]> = [
    ['PENDING', 'queued'],
    ['CONFIGURING', 'queued'],
    ['REQUEUED', 'queued'],
    ['RUNNING', 'running'],
    ['COMPLETING', 'running'],
    ['SUSPENDED', 'running'],
    ['COMPLETED', 'completed'],
    [ENDED_UNKNOWN, 'completed'],
    ['CANCELLED', 'canceled'],
    ['CANCELLED by 0', 'canceled'],
    ['FAILED', 'failed'],
    ['TIMEOUT', 'failed'],
    ['NODE_FAIL', 'failed'],
    ['OUT_OF_MEMORY', 'failed'],
    ['OUT_OF_ME+', null],
    ['BOOT_FAIL', 'failed'],
    ['PREEMPTED', 'failed'],
    ['DEADLINE', 'failed'],
    // sacct and squeue agree on upper case; a lower-case word is the same state.
    ['running', 'running'],
    ['  COMPLETED  ', 'completed'],
    ['COMPLETED+', 'completed'],
    ['', null],
    ['MYSTERY', null],
  ];
  for (const [native, state] of table) {
    it(`${JSON.stringify(native)} → ${String(state)}`, () => assert.equal(allocationStateOf(native), state));
  }

  it('maps every native state of the table to a known allocation state', () => {
    const allowed = new Set<AllocationState>(['queued', 'running', 'completed', 'failed', 'canceled']);
    for (const [native, state] of Object.entries(NATIVE_ALLOCATION_STATES)) assert.ok(allowed.has(state), native);
  });
});
