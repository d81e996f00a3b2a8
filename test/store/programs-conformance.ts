/**
 * The execution store conformance suite: the same tests against every backend. Two stores opened
 * on one database stand for two hookflow processes sharing the queue.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isHookflowError } from '../../src/errors.js';
import type { JsonObject } from '../../src/events/model.js';
import { newId } from '../../src/events/ids.js';
import type {
  ClaimLimits,
  ExecutionEnd,
  ExecutionRecord,
  ExecutionRetention,
  ExecutionStore,
  NewExecution,
} from '../../src/store/programs.js';
import type { StoreHarness } from './conformance.js';

const NOW = 1_800_000_000_000;
const LEASE = 60_000;

function limits(maxConcurrent: number, perProgram: Record<string, number> = {}, programs: string[] | null = null): ClaimLimits {
  return { maxConcurrent, perProgram, programs };
}

function newExecution(programId: string, extra: Partial<NewExecution> = {}): NewExecution {
  return {
    id: newId(),
    program_id: programId,
    program_name: `Program ${programId}`,
    program_kind: 'script',
    runner: 'process',
    parameters: {},
    trigger: 'api',
    requested_by: 'admin',
    image: null,
    created_at: NOW,
    ...extra,
  };
}

function ending(status: ExecutionEnd['status'] = 'completed', extra: Partial<ExecutionEnd> = {}): ExecutionEnd {
  return {
    status,
    exit_code: status === 'completed' ? 0 : status === 'failed' ? 1 : null,
    error: status === 'completed' ? null : `${status}!`,
    output: 'out\n',
    error_output: '',
    output_truncated: false,
    error_output_truncated: false,
    details: {},
    ended_at: NOW + 1_000,
    ...extra,
  };
}

interface ClaimCase {
  name: string;
  /** Programs of executions claimed (running) before the claim under test. */
  running?: string[];
  /** Programs of the queued executions, oldest first. */
  queued: string[];
  limits: ClaimLimits;
  max?: number;
  /** Indexes into `queued` that the claim takes. */
  claimed: number[];
}

const CLAIM_CASES: ClaimCase[] = [
  { name: 'the overall limit caps a claim, oldest first', queued: ['a', 'a', 'b', 'b'], limits: limits(3), claimed: [0, 1, 2] },
  { name: 'running executions count toward the overall limit', running: ['a', 'b'], queued: ['a', 'b', 'c'], limits: limits(3), claimed: [0] },
  { name: 'a limit of 1 runs exactly one', queued: ['a', 'b', 'c'], limits: limits(1), claimed: [0] },
  { name: 'a limit of 1 with one running runs none', running: ['a'], queued: ['b'], limits: limits(1), claimed: [] },
  { name: 'a program at its own limit lets later ones of others pass', queued: ['a', 'a', 'a', 'b', 'c'], limits: limits(10, { a: 1 }), claimed: [0, 3, 4] },
  { name: 'running executions count toward their program limit', running: ['a'], queued: ['a', 'b', 'a'], limits: limits(10, { a: 1 }), claimed: [1] },
  { name: 'several program limits', queued: ['a', 'a', 'b', 'b', 'c', 'c'], limits: limits(10, { a: 1, b: 2 }), claimed: [0, 2, 3, 4, 5] },
  { name: 'a program limit of 0 never runs it', queued: ['a', 'b'], limits: limits(10, { a: 0 }), claimed: [1] },
  { name: 'the overall limit stops the claim before a later program fits', running: ['a'], queued: ['b', 'c'], limits: limits(2, { a: 1 }), claimed: [0] },
  {
    name: 'many passed over before one that fits',
    queued: [...Array.from({ length: 70 }, () => 'a'), 'b', 'c'],
    limits: limits(10, { a: 1 }),
    claimed: [0, 70, 71],
  },
  { name: 'only the programs this process can run', queued: ['a', 'b', 'c', 'a'], limits: limits(10, {}, ['a', 'c']), claimed: [0, 2, 3] },
  { name: 'an empty program list runs nothing', queued: ['a', 'b'], limits: limits(10, {}, []), claimed: [] },
  { name: 'program list and program limit together', queued: ['a', 'a', 'b', 'c'], limits: limits(10, { a: 1 }, ['a', 'c']), claimed: [0, 3] },
  { name: 'max caps the claim below the limit', queued: ['a', 'b', 'c'], limits: limits(10), max: 2, claimed: [0, 1] },
  { name: 'max 0 claims nothing', queued: ['a'], limits: limits(10), max: 0, claimed: [] },
  { name: 'maxConcurrent 0 claims nothing', queued: ['a'], limits: limits(0), claimed: [] },
  { name: 'a negative maxConcurrent claims nothing', queued: ['a'], limits: limits(-1), claimed: [] },
];

interface RetentionCase {
  name: string;
  rule: ExecutionRetention;
  /** Names of the finished executions that remain (see the fixture in the test). */
  remaining: string[];
}

// Fixture: finished a1 (+1 s), a2 (+2 s, failed), b1 (+3 s), a3 (+4 s, canceled while queued), b2 (+5 s, timeout);
// plus a running and a queued execution, which no rule touches.
const RETENTION_CASES: RetentionCase[] = [
  { name: 'no rule keeps everything', rule: { endedBefore: null, keepLast: null }, remaining: ['a1', 'a2', 'b1', 'a3', 'b2'] },
  { name: 'by age', rule: { endedBefore: NOW + 3_000, keepLast: null }, remaining: ['b1', 'a3', 'b2'] },
  { name: 'by age, one program', rule: { endedBefore: NOW + 5_000, keepLast: null, program_id: 'a' }, remaining: ['b1', 'b2'] },
  { name: 'keep the newest 2 overall', rule: { endedBefore: null, keepLast: 2 }, remaining: ['a3', 'b2'] },
  { name: 'keep the newest 1 of a program', rule: { endedBefore: null, keepLast: 1, program_id: 'a' }, remaining: ['b1', 'a3', 'b2'] },
  { name: 'keep 0 deletes every finished one', rule: { endedBefore: null, keepLast: 0 }, remaining: [] },
  { name: 'age and count together', rule: { endedBefore: NOW + 2_000, keepLast: 3 }, remaining: ['b1', 'a3', 'b2'] },
  { name: 'count keeps fewer than age would', rule: { endedBefore: NOW + 2_000, keepLast: 1 }, remaining: ['b2'] },
  { name: 'keep more than there are', rule: { endedBefore: null, keepLast: 100 }, remaining: ['a1', 'a2', 'b1', 'a3', 'b2'] },
];

export function runProgramStoreConformance(label: string, openStore: () => Promise<StoreHarness>, options: { skip?: string | false } = {}): void {
  describe(label, { skip: options.skip ?? false }, () => {
    let harness: StoreHarness;
    let store: ExecutionStore;

    beforeEach(async () => {
      harness = await openStore();
      store = harness.store.programs;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    async function queue(programId: string, extra: Partial<NewExecution> = {}): Promise<ExecutionRecord> {
      return store.insertExecution(newExecution(programId, extra));
    }

    /** Queues one execution and claims exactly it. */
    async function start(programId: string, owner = 'p1', extra: { now?: number; lease?: number; execution?: Partial<NewExecution> } = {}): Promise<ExecutionRecord> {
      const queued = await queue(programId, extra.execution);
      const [claimed] = await store.claimExecutions(owner, extra.lease ?? LEASE, limits(1_000, {}, [programId]), 1, extra.now ?? NOW);
      assert.equal(claimed?.id, queued.id, 'the execution just queued is the one claimed');
      return claimed;
    }

    async function status(id: string): Promise<string | undefined> {
      return (await store.getExecution(id))?.status;
    }

    describe('storing', () => {
      it('inserts queued and reads back every field', async () => {
        const parameters: JsonObject = { name: 'world', count: 3, nested: { list: [1, 'two', null] } };
        const inserted = await queue('hello', { parameters, program_kind: 'bot', runner: 'docker', image: 'python:3.12', trigger: 'schedule', requested_by: null });
        const expected: ExecutionRecord = {
          id: inserted.id,
          program_id: 'hello',
          program_name: 'Program hello',
          program_kind: 'bot',
          runner: 'docker',
          status: 'queued',
          parameters,
          trigger: 'schedule',
          requested_by: null,
          image: 'python:3.12',
          exit_code: null,
          error: null,
          output: '',
          error_output: '',
          output_truncated: false,
          error_output_truncated: false,
          details: {},
          owner: null,
          lease_expires_at: null,
          cancel_requested: false,
          created_at: NOW,
          started_at: null,
          ended_at: null,
        };
        assert.deepEqual(inserted, expected);
        assert.deepEqual(await store.getExecution(inserted.id), expected);
        assert.equal(await store.getExecution(newId()), null);
      });

      it('refuses a second execution with the same id', async () => {
        const first = await queue('a');
        await assert.rejects(
          store.insertExecution(newExecution('b', { id: first.id })),
          (error: unknown) => isHookflowError(error) && error.code === 'HF_ERR_CONFLICT',
        );
        assert.equal((await store.getExecution(first.id))?.program_id, 'a');
      });

      it('keeps a large output whole, and NUL characters as U+FFFD on every backend', async () => {
        const running = await start('big');
        const output = 'x'.repeat(1024 * 1024 - 7) + 'a\u0000b\n';
        const finished = await store.finishExecution(running.id, 'p1', ending('completed', { output, output_truncated: true, error_output: 'warn\u0000', details: { note: 'a\u0000b', path: 'C:\\u0000' } }));
        assert.ok(finished);
        const stored = await store.getExecution(running.id);
        assert.ok(stored);
        assert.equal(stored.output.length, output.length);
        assert.equal(stored.output.slice(-4), 'a\uFFFDb\n');
        assert.equal(stored.error_output, 'warn\uFFFD');
        assert.equal(stored.output_truncated, true);
        assert.deepEqual(stored.details, { note: 'a\uFFFDb', path: 'C:\\u0000' });
        assert.deepEqual(finished, stored);
      });
    });

    describe('claiming', () => {
      it('moves the oldest queued to running with the owner and a lease (FIFO)', async () => {
        const [a, b, c] = [await queue('x'), await queue('y'), await queue('x')];
        const claimed = await store.claimExecutions('p1', LEASE, limits(10), 2, NOW + 5);
        assert.deepEqual(
          claimed.map((e) => [e.id, e.status, e.owner, e.lease_expires_at, e.started_at, e.cancel_requested]),
          [
            [a.id, 'running', 'p1', NOW + 5 + LEASE, NOW + 5, false],
            [b.id, 'running', 'p1', NOW + 5 + LEASE, NOW + 5, false],
          ],
        );
        assert.deepEqual(await store.getExecution(a.id), claimed[0]);
        assert.deepEqual((await store.claimExecutions('p2', LEASE, limits(10), 10, NOW)).map((e) => e.id), [c.id]);
        assert.deepEqual(await store.claimExecutions('p2', LEASE, limits(10), 10, NOW), []);
        assert.deepEqual((await store.listRunningExecutions()).map((e) => [e.id, e.owner]), [
          [a.id, 'p1'],
          [b.id, 'p1'],
          [c.id, 'p2'],
        ]);
      });

      for (const row of CLAIM_CASES) {
        it(row.name, async () => {
          for (const program of row.running ?? []) await start(program, 'before');
          // Ids are made as queue() is called, so a parallel insert keeps the queue's order.
          const queued = await Promise.all(row.queued.map((program) => queue(program)));
          const claimed = await store.claimExecutions('p1', LEASE, row.limits, row.max ?? 100, NOW);
          assert.deepEqual(
            claimed.map((e) => queued.findIndex((q) => q.id === e.id)),
            row.claimed,
          );
          const stillQueued = queued.filter((_, index) => !row.claimed.includes(index)).map((e) => e.id);
          assert.deepEqual((await store.listExecutions({ status: 'queued', limit: 1_000 })).map((e) => e.id).sort(), stillQueued.sort());
        });
      }

      it('an expired lease still holds its slot until failExpiredExecutions ends it', async () => {
        const first = await start('a', 'dead', { lease: 1_000 });
        const second = await queue('b');
        assert.deepEqual(await store.claimExecutions('p2', LEASE, limits(1), 10, NOW + 5_000), [], 'the expired execution still counts');
        assert.deepEqual(await store.failExpiredExecutions(NOW + 500, 'lost'), [], 'not expired yet');
        const failed = await store.failExpiredExecutions(NOW + 5_000, 'the process running it stopped');
        assert.deepEqual(
          failed.map((e) => [e.id, e.status, e.error, e.ended_at, e.owner, e.lease_expires_at]),
          [[first.id, 'failed', 'the process running it stopped', NOW + 5_000, null, null]],
        );
        assert.deepEqual(await store.getExecution(first.id), failed[0]);
        assert.deepEqual(await store.failExpiredExecutions(NOW + 10_000, 'again'), []);
        assert.deepEqual((await store.claimExecutions('p2', LEASE, limits(1), 10, NOW + 5_000)).map((e) => e.id), [second.id]);
      });

      it('fails only expired ones; a renewed lease is not expired', async () => {
        const short = await start('a', 'p1', { lease: 1_000 });
        const long = await start('b', 'p2', { lease: 10_000 });
        const renewed = await start('c', 'p3', { lease: 1_000 });
        assert.deepEqual(await store.renewExecutionLeases('p3', 10_000, NOW + 900), { renewed: 1, cancelRequested: [] });
        assert.equal((await store.getExecution(renewed.id))?.lease_expires_at, NOW + 10_900);
        assert.deepEqual((await store.failExpiredExecutions(NOW + 2_000, 'lost')).map((e) => e.id), [short.id]);
        assert.equal(await status(long.id), 'running');
        assert.equal(await status(renewed.id), 'running');
      });

      it('never exceeds the limits: two stores claiming in parallel, round after round', async () => {
        const other = (await harness.second()).programs;
        const stores = [store, other, store, other];
        const maxConcurrent = 3;
        const claimLimits = limits(maxConcurrent, { a: 1 });
        for (let round = 0; round < 12; round++) {
          await Promise.all(['a', 'b', 'a', 'b', 'a', 'b'].map((program) => queue(program)));
          const claims = await Promise.all(
            stores.map((s, index) => s.claimExecutions(`owner${index % 2}`, LEASE, claimLimits, 2 + (round % 2), NOW + round)),
          );
          const claimed = claims.flat();
          assert.equal(new Set(claimed.map((e) => e.id)).size, claimed.length, `round ${round}: an execution was claimed twice`);
          assert.equal(claimed.length, maxConcurrent, `round ${round}: ${claimed.length} claimed in total`);
          assert.equal(claimed.filter((e) => e.program_id === 'a').length, 1, `round ${round}: program a over its limit`);
          assert.equal((await store.listRunningExecutions()).length, maxConcurrent);
          // Free the slots; what stayed queued goes too, so each round starts from an empty queue.
          await Promise.all(claimed.map((e) => (e.owner === 'owner0' ? store : other).finishExecution(e.id, e.owner as string, ending())));
          await Promise.all((await store.listExecutions({ status: 'queued', limit: 100 })).map((e) => store.cancelExecution(e.id, NOW, 'round over')));
        }
        const counts = await store.countExecutionsByStatusAndProgram();
        assert.equal(counts.total, 12 * 6);
        assert.deepEqual(
          counts.by_status_program.filter((c) => c.status === 'completed').map((c) => [c.program_id, c.total]),
          [
            ['a', 12],
            ['b', 24],
          ],
        );
      });
    });

    describe('leases and finishing', () => {
      it('renews only the owner’s running executions and reports cancel requests', async () => {
        const mine = await start('a', 'p1');
        const canceled = await start('b', 'p1');
        const theirs = await start('c', 'p2');
        await store.cancelExecution(canceled.id, NOW, 'stop');
        assert.deepEqual(await store.renewExecutionLeases('p1', 5_000, NOW + 100), { renewed: 2, cancelRequested: [canceled.id] });
        assert.equal((await store.getExecution(mine.id))?.lease_expires_at, NOW + 5_100);
        assert.equal((await store.getExecution(theirs.id))?.lease_expires_at, NOW + LEASE);
        assert.deepEqual(await store.renewExecutionLeases('nobody', 5_000, NOW), { renewed: 0, cancelRequested: [] });
      });

      it('finishes only a running execution, only by its owner, once', async () => {
        const running = await start('a', 'p1');
        const queued = await queue('a');
        assert.equal(await store.finishExecution(running.id, 'p2', ending()), null, 'wrong owner');
        assert.equal(await status(running.id), 'running');
        assert.equal(await store.finishExecution(queued.id, 'p1', ending()), null, 'not running');
        assert.equal(await status(queued.id), 'queued');
        const end = ending('timeout', { exit_code: 137, error: 'Execution exceeded time limit', output: 'partial', error_output: 'killed', error_output_truncated: true, ended_at: NOW + 30_000 });
        const finished = await store.finishExecution(running.id, 'p1', end);
        assert.ok(finished);
        assert.deepEqual(
          {
            status: finished.status,
            exit_code: finished.exit_code,
            error: finished.error,
            output: finished.output,
            error_output: finished.error_output,
            output_truncated: finished.output_truncated,
            error_output_truncated: finished.error_output_truncated,
            ended_at: finished.ended_at,
            started_at: finished.started_at,
            owner: finished.owner,
            lease_expires_at: finished.lease_expires_at,
          },
          {
            status: 'timeout',
            exit_code: 137,
            error: 'Execution exceeded time limit',
            output: 'partial',
            error_output: 'killed',
            output_truncated: false,
            error_output_truncated: true,
            ended_at: NOW + 30_000,
            started_at: NOW,
            owner: null,
            lease_expires_at: null,
          },
        );
        assert.deepEqual(await store.getExecution(running.id), finished);
        assert.equal(await store.finishExecution(running.id, 'p1', ending()), null, 'finished already');
        assert.equal(await status(running.id), 'timeout');
      });

      it('merges details recorded while running with those at the end', async () => {
        const running = await start('a', 'p1');
        assert.equal(await store.updateExecutionDetails(running.id, 'p2', { container: 'nope' }), false, 'wrong owner');
        assert.equal(await store.updateExecutionDetails(running.id, 'p1', { container: 'c1', sandbox: 'bwrap' }), true);
        assert.equal(await store.updateExecutionDetails(running.id, 'p1', { sandbox: 'none', limits: { memory: 512 } }), true);
        assert.deepEqual((await store.getExecution(running.id))?.details, { container: 'c1', sandbox: 'none', limits: { memory: 512 } });
        const finished = await store.finishExecution(running.id, 'p1', ending('completed', { details: { duration_ms: 12, limits: { cpu: 1 } } }));
        assert.deepEqual(finished?.details, { container: 'c1', sandbox: 'none', limits: { cpu: 1 }, duration_ms: 12 });
        assert.equal(await store.updateExecutionDetails(running.id, 'p1', { late: true }), false, 'finished');
        const queued = await queue('a');
        assert.equal(await store.updateExecutionDetails(queued.id, 'p1', { early: true }), false, 'queued');
      });
    });

    describe('canceling', () => {
      const CANCEL_CASES: Array<{ name: string; from: 'queued' | 'running' | 'completed' | 'canceled' | 'missing'; state: 'canceled' | 'requested' | 'finished' | null; after: string | null }> = [
        { name: 'a queued execution is canceled at once', from: 'queued', state: 'canceled', after: 'canceled' },
        { name: 'a running one gets a cancel request', from: 'running', state: 'requested', after: 'running' },
        { name: 'a finished one is left alone', from: 'completed', state: 'finished', after: 'completed' },
        { name: 'a canceled one is finished', from: 'canceled', state: 'finished', after: 'canceled' },
        { name: 'an unknown one is null', from: 'missing', state: null, after: null },
      ];
      for (const row of CANCEL_CASES) {
        it(row.name, async () => {
          let id = newId();
          let before: ExecutionRecord | null = null;
          if (row.from === 'queued' || row.from === 'canceled') id = (await queue('a')).id;
          if (row.from === 'canceled') await store.cancelExecution(id, NOW + 1, 'first');
          if (row.from === 'running' || row.from === 'completed') id = (await start('a')).id;
          if (row.from === 'completed') await store.finishExecution(id, 'p1', ending());
          if (row.from !== 'missing') before = await store.getExecution(id);
          const result = await store.cancelExecution(id, NOW + 2_000, 'canceled by admin');
          assert.equal(result?.state ?? null, row.state);
          assert.equal((await store.getExecution(id))?.status ?? null, row.after);
          if (result) assert.deepEqual(result.execution, await store.getExecution(id));
          if (row.state === 'canceled') {
            assert.equal(result?.execution.ended_at, NOW + 2_000);
            assert.equal(result?.execution.error, 'canceled by admin');
            assert.deepEqual(await store.claimExecutions('p1', LEASE, limits(10), 10, NOW), [], 'a canceled execution is never claimed');
          }
          if (row.state === 'requested') {
            assert.equal(result?.execution.cancel_requested, true);
            assert.equal(result?.execution.ended_at, null);
            assert.deepEqual(await store.renewExecutionLeases('p1', LEASE, NOW), { renewed: 1, cancelRequested: [id] });
          }
          if (row.state === 'finished') assert.deepEqual(result?.execution, before);
        });
      }
    });

    describe('queue and statistics', () => {
      it('gives each queued execution its place in the queue', async () => {
        const [a, b, c, d] = [await queue('x'), await queue('y'), await queue('x'), await queue('z')];
        const positions = async () => Promise.all([a, b, c, d].map((e) => store.queuePosition(e.id)));
        assert.deepEqual(await positions(), [1, 2, 3, 4]);
        await store.claimExecutions('p1', LEASE, limits(1), 1, NOW);
        assert.deepEqual(await positions(), [null, 1, 2, 3]);
        await store.cancelExecution(c.id, NOW, 'no');
        assert.deepEqual(await positions(), [null, 1, null, 2]);
        assert.equal(await store.queuePosition(newId()), null);
      });

      it('counts by status and program', async () => {
        assert.deepEqual(await store.countExecutionsByStatusAndProgram(), { total: 0, by_status_program: [] });
        const done = await start('b');
        await store.finishExecution(done.id, 'p1', ending());
        const failed = await start('a');
        await store.finishExecution(failed.id, 'p1', ending('failed'));
        await start('a');
        await queue('b');
        await queue('a');
        await queue('a');
        assert.deepEqual(await store.countExecutionsByStatusAndProgram(), {
          total: 6,
          by_status_program: [
            { status: 'queued', program_id: 'a', total: 2 },
            { status: 'queued', program_id: 'b', total: 1 },
            { status: 'running', program_id: 'a', total: 1 },
            { status: 'completed', program_id: 'b', total: 1 },
            { status: 'failed', program_id: 'a', total: 1 },
          ],
        });
      });

      it('lists newest first with filters and pages, and counts with the same filters', async () => {
        const made: ExecutionRecord[] = [];
        for (let i = 0; i < 6; i++) {
          made.push(await queue(i % 2 === 0 ? 'a' : 'b', { created_at: NOW + i * 1_000, trigger: i < 3 ? 'api' : 'schedule' }));
        }
        // Same created_at: the later id comes first.
        const twin = await queue('a', { created_at: NOW + 5_000 });
        const named = (list: ExecutionRecord[]) => list.map((e) => (e.id === twin.id ? 'twin' : made.findIndex((m) => m.id === e.id)));
        const cases: Array<{ query: Parameters<ExecutionStore['listExecutions']>[0]; expected: Array<number | string>; total: number }> = [
          { query: { limit: 10 }, expected: ['twin', 5, 4, 3, 2, 1, 0], total: 7 },
          { query: { limit: 2 }, expected: ['twin', 5], total: 7 },
          { query: { limit: 2, offset: 2 }, expected: [4, 3], total: 7 },
          { query: { limit: 10, offset: 10 }, expected: [], total: 7 },
          { query: { limit: 10, program_id: 'a' }, expected: ['twin', 4, 2, 0], total: 4 },
          { query: { limit: 10, trigger: 'schedule' }, expected: [5, 4, 3], total: 3 },
          { query: { limit: 10, since: NOW + 2_000, until: NOW + 4_000 }, expected: [4, 3, 2], total: 3 },
          { query: { limit: 10, status: 'running' }, expected: [], total: 0 },
          { query: { limit: 10, status: 'queued', program_id: 'b', since: NOW + 2_000 }, expected: [5, 3], total: 2 },
        ];
        for (const { query, expected, total } of cases) {
          assert.deepEqual(named(await store.listExecutions(query)), expected, JSON.stringify(query));
          const { limit: _limit, offset: _offset, ...filters } = query;
          assert.equal(await store.countExecutions(filters), total, JSON.stringify(query));
        }
      });
    });

    describe('retention', () => {
      for (const row of RETENTION_CASES) {
        it(row.name, async () => {
          const names = new Map<string, string>();
          for (const [name, program, status, endedAt] of [
            ['a1', 'a', 'completed', NOW + 1_000],
            ['a2', 'a', 'failed', NOW + 2_000],
            ['b1', 'b', 'completed', NOW + 3_000],
            ['a3', 'a', 'canceled', NOW + 4_000],
            ['b2', 'b', 'timeout', NOW + 5_000],
          ] as const) {
            if (status === 'canceled') {
              const queued = await queue(program);
              await store.cancelExecution(queued.id, endedAt, 'no');
              names.set(queued.id, name);
            } else {
              const running = await start(program);
              await store.finishExecution(running.id, 'p1', ending(status, { ended_at: endedAt }));
              names.set(running.id, name);
            }
          }
          const running = await start('a');
          const queued = await queue('a');
          const deleted = await store.deleteFinishedExecutions(row.rule);
          const left = (await store.listExecutions({ limit: 100 })).filter((e) => e.status !== 'queued' && e.status !== 'running');
          assert.deepEqual(left.map((e) => names.get(e.id)).sort(), [...row.remaining].sort());
          assert.equal(deleted, names.size - row.remaining.length);
          assert.equal(await status(running.id), 'running');
          assert.equal(await status(queued.id), 'queued');
        });
      }
    });
  });
}
