import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WORKFLOW_ID_PATHS, withWorkflowCorrelation, workflowIdOf } from '../../src/actions/correlation.js';
import { decideEventResult, stepEventData, stepEventType, timerWakeAt, type EventDecision } from '../../src/actions/wait-rules.js';
import type { JsonObject } from '../../src/events/model.js';
import type { WaitRecord } from '../../src/store/waits.js';

describe('workflowIdOf: the workflow id paths of REFERENCE.md, in order', () => {
  const cases: Array<[string, JsonObject | null, string | null]> = [
    ['top level', { workflow_id: 'wf-1' }, 'wf-1'],
    ['payload', { payload: { workflow_id: 'wf-2' } }, 'wf-2'],
    ['notification_metadata', { notification_metadata: { workflow_id: 'wf-3' } }, 'wf-3'],
    ['payload.content.result', { payload: { content: { result: { workflow_id: 'wf-4' } } } }, 'wf-4'],
    ['top level wins over payload', { workflow_id: 'top', payload: { workflow_id: 'inner' } }, 'top'],
    ['payload wins over notification_metadata', { payload: { workflow_id: 'p' }, notification_metadata: { workflow_id: 'n' } }, 'p'],
    ['notification_metadata wins over the result', { notification_metadata: { workflow_id: 'n' }, payload: { content: { result: { workflow_id: 'r' } } } }, 'n'],
    ['an empty id is skipped for the next path', { workflow_id: '', payload: { workflow_id: 'next' } }, 'next'],
    ['a blank id is skipped', { workflow_id: '   ', notification_metadata: { workflow_id: 'n' } }, 'n'],
    ['null is skipped', { workflow_id: null, payload: { workflow_id: 'p' } }, 'p'],
    ['a number counts, as text', { workflow_id: 42 }, '42'],
    ['an object is not an id', { workflow_id: { id: 'x' } }, null],
    ['a list is not a path', { payload: [{ workflow_id: 'x' }] }, null],
    ['a boolean is not an id', { workflow_id: true }, null],
    ['nothing', {}, null],
    ['no data', null, null],
    ['other keys only', { task: { workflow: 'x' } }, null],
    ['a too long id is not an id', { workflow_id: 'x'.repeat(513) }, null],
  ];
  for (const [title, data, expected] of cases) {
    it(title, () => assert.equal(workflowIdOf(data), expected));
  }

  it('knows the four paths', () => assert.equal(WORKFLOW_ID_PATHS.length, 4));

  it('withWorkflowCorrelation fills a missing correlation id only', () => {
    assert.equal(withWorkflowCorrelation({ data: { workflow_id: 'wf' } }).correlation_id, 'wf');
    assert.equal(withWorkflowCorrelation({ data: { workflow_id: 'wf' }, correlation_id: null }).correlation_id, 'wf');
    assert.equal(withWorkflowCorrelation({ data: { workflow_id: 'wf' }, correlation_id: 'given' }).correlation_id, 'given');
    const plain = { data: { x: 1 } };
    assert.equal(withWorkflowCorrelation(plain), plain, 'untouched when there is no id');
  });
});

describe('decideEventResult: what an onEvent answer means', () => {
  const parked = { status: 'deleting', endpoint_id: 'e-1' };
  const cases: Array<[string, unknown, EventDecision | RegExp]> = [
    ['ignore', { action: 'ignore' }, { kind: 'ignore' }],
    ['complete defaults to completed, outputs merged over the parked ones', { action: 'complete', outputs: { status: 'deleted' } }, { kind: 'complete', status: 'completed', outputs: { status: 'deleted', endpoint_id: 'e-1' }, error: null }],
    ['complete without outputs keeps the parked ones', { action: 'complete' }, { kind: 'complete', status: 'completed', outputs: parked, error: null }],
    ['complete failed carries its error', { action: 'complete', status: 'failed', error: 'quota' }, { kind: 'complete', status: 'failed', outputs: parked, error: 'quota' }],
    ['complete failed without an error gets one', { action: 'complete', status: 'failed' }, { kind: 'complete', status: 'failed', outputs: parked, error: 'deploy failed' }],
    ['an error on a completed answer is dropped', { action: 'complete', error: 'noise' }, { kind: 'complete', status: 'completed', outputs: parked, error: null }],
    ['complete with another status', { action: 'complete', status: 'timeout' }, /status "timeout".*completed or failed/],
    ['complete with outputs not an object', { action: 'complete', outputs: [1] }, /outputs that are not an object/],
    ['progress', { action: 'update_progress', progress: 40 }, { kind: 'progress', progress: 40, etaMinutes: null }],
    ['eta only', { action: 'update_progress', etaMinutes: 5 }, { kind: 'progress', progress: null, etaMinutes: 5 }],
    ['both', { action: 'update_progress', progress: 0, etaMinutes: 0 }, { kind: 'progress', progress: 0, etaMinutes: 0 }],
    ['update_progress needs one of them', { action: 'update_progress' }, /without progress or etaMinutes/],
    ['progress above 100', { action: 'update_progress', progress: 101 }, /progress 101.*0 to 100/],
    ['negative progress', { action: 'update_progress', progress: -1 }, /0 to 100/],
    ['progress as text', { action: 'update_progress', progress: '50' }, /progress "50"/],
    ['negative eta', { action: 'update_progress', etaMinutes: -2 }, /etaMinutes -2/],
    ['an unknown action', { action: 'retry' }, /action "retry".*complete, update_progress or ignore/],
    ['no action', {}, /action undefined/],
    ['not an object', 'done', /returned "done"/],
    ['nothing', undefined, /returned nothing/],
  ];
  for (const [title, answer, expected] of cases) {
    it(title, () => {
      const decision = decideEventResult(answer, 'deploy', parked);
      if (expected instanceof RegExp) {
        assert.equal(decision.kind, 'invalid');
        assert.match((decision as { problem: string }).problem, expected);
        assert.match((decision as { problem: string }).problem, /^deploy\.onEvent/);
      } else assert.deepEqual(decision, expected);
    });
  }
});

describe('timerWakeAt: a parked step that wants a timer', () => {
  const cases: Array<[string, JsonObject, number | null]> = [
    ['ISO wake time of its own timer', { timer_id: 'timer:1', scheduled_wake_time: '2030-01-02T03:04:05.000Z' }, Date.parse('2030-01-02T03:04:05.000Z')],
    ['epoch ms', { timer_id: 'timer:1', scheduled_wake_time: 1_900_000_000_000 }, 1_900_000_000_000],
    ['another timer id', { timer_id: 'timer:2', scheduled_wake_time: '2030-01-02T03:04:05Z' }, null],
    ['no timer id', { scheduled_wake_time: '2030-01-02T03:04:05Z' }, null],
    ['an unreadable time', { timer_id: 'timer:1', scheduled_wake_time: 'tomorrow' }, null],
    ['no time', { timer_id: 'timer:1' }, null],
  ];
  for (const [title, outputs, expected] of cases) it(title, () => assert.equal(timerWakeAt(outputs, 'timer:1'), expected));
});

describe('step events', () => {
  const wait: WaitRecord = {
    id: 'w-1',
    action_type: 'deploy',
    correlation_id: 'ext-9',
    owner_kind: 'hook',
    owner_id: 'notify:e-1',
    params: {},
    outputs: { ok: true },
    metadata: { step_id: 'delete', run_id: 'r-1' },
    status: 'completed',
    deadline: 0,
    wake_at: null,
    progress: 50,
    eta_minutes: 2,
    error: null,
    created_at: 0,
    updated_at: 0,
  };
  const cases: Array<[WaitRecord['status'], string]> = [
    ['completed', 'step.completed'],
    ['failed', 'step.failed'],
    ['timeout', 'step.timeout'],
    ['waiting', 'step.progress'],
  ];
  for (const [status, type] of cases) it(`${status} → ${type}`, () => assert.equal(stepEventType({ ...wait, status }), type));

  it('the data never carries the external id as workflow_id (it would answer the wait itself)', () => {
    const data = stepEventData(wait);
    assert.equal(workflowIdOf(data), null);
    assert.equal(data.external_workflow_id, 'ext-9');
    assert.equal(data.step_id, 'delete');
    assert.equal(data.run_id, 'r-1');
    assert.deepEqual(data.outputs, { ok: true });
    assert.equal(stepEventData({ ...wait, owner_kind: 'workflow', owner_id: 'run-7' }).workflow_id, 'run-7');
  });
});
