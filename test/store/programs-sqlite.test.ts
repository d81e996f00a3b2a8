import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { newId } from '../../src/events/ids.js';
import type { ClaimLimits, ExecutionEnd } from '../../src/store/programs.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/store.js';
import { runProgramStoreConformance } from './programs-conformance.js';

runProgramStoreConformance('SqliteStore executions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-executions-'));
  const path = join(dir, 'hookflow.db');
  const opened: Store[] = [];
  const open = async () => {
    // Durable across a process crash is all a test needs; a flush per commit would be most of its time.
    const store = await SqliteStore.open(path, { synchronous: 'normal' });
    opened.push(store);
    return store;
  };
  return {
    store: await open(),
    second: open,
    cleanup: async () => {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

/**
 * The same race with real processes: two child processes claim from one file while the other does,
 * in rounds this process starts. Their claims together must fill the limit exactly, never more.
 */
const CLAIMER = `
const { SqliteStore } = await import(process.env.HF_STORE_MODULE);
const store = await SqliteStore.open(process.env.HF_DB, { writerThread: false });
process.on('message', async (message) => {
  if (message.kind === 'stop') {
    await store.close();
    process.disconnect();
    return;
  }
  const claimed = [];
  // Both processes start claiming at the same instant, so their transactions contend for the lock.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, message.at - Date.now() - 2)));
  while (Date.now() < message.at);
  for (let i = 0; i < message.attempts; i++) {
    claimed.push(...(await store.programs.claimExecutions(process.env.HF_OWNER, 60000, message.limits, 1, message.now)));
  }
  process.send(claimed.map((e) => ({ id: e.id, program_id: e.program_id, owner: e.owner })));
});
process.send('ready');
`;

interface Claimed {
  id: string;
  program_id: string;
  owner: string;
}

class Claimer {
  private readonly child: ChildProcess;
  private readonly messages: unknown[] = [];
  private waiting: { resolve: (message: unknown) => void; reject: (error: Error) => void } | null = null;

  constructor(path: string, owner: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CLAIMER], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, HF_STORE_MODULE: new URL('../../src/store/sqlite/index.ts', import.meta.url).href, HF_DB: path, HF_OWNER: owner },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message) => {
      const waiting = this.waiting;
      this.waiting = null;
      if (waiting) waiting.resolve(message);
      else this.messages.push(message);
    });
    this.child.on('exit', (code) => {
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(new Error(`the claimer process exited (${code}) before answering`));
    });
  }

  next(): Promise<unknown> {
    if (this.messages.length > 0) return Promise.resolve(this.messages.shift());
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  async claim(limits: ClaimLimits, now: number): Promise<Claimed[]> {
    this.child.send({ kind: 'claim', limits, attempts: 4, now, at: now + 15 });
    return (await this.next()) as Claimed[];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    if (this.child.connected) this.child.send({ kind: 'stop' });
    else this.child.kill();
    // A claimer stuck in a transaction must not keep the test run alive.
    const stuck = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(stuck);
  }
}

describe('SqliteStore executions across processes', () => {
  it('two processes claiming from one file in parallel never exceed the limits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookflow-executions-'));
    const path = join(dir, 'hookflow.db');
    const store = await SqliteStore.open(path);
    const claimers = [new Claimer(path, 'proc1'), new Claimer(path, 'proc2')];
    try {
      for (const claimer of claimers) assert.equal(await claimer.next(), 'ready');
      const maxConcurrent = 3;
      const limits: ClaimLimits = { maxConcurrent, perProgram: { a: 1 }, programs: null };
      for (let round = 0; round < 20; round++) {
        const now = Date.now();
        await Promise.all(
          ['a', 'b', 'a', 'b', 'a', 'b', 'c', 'c'].map((program) =>
            store.programs.insertExecution({
              id: newId(),
              program_id: program,
              program_name: program,
              program_kind: 'script',
              runner: 'process',
              parameters: {},
              trigger: 'api',
              requested_by: null,
              image: null,
              created_at: now,
            }),
          ),
        );
        const claimed = (await Promise.all(claimers.map((claimer) => claimer.claim(limits, now)))).flat();
        assert.equal(new Set(claimed.map((e) => e.id)).size, claimed.length, `round ${round}: an execution was claimed twice`);
        assert.equal(claimed.length, maxConcurrent, `round ${round}: ${claimed.length} claimed in total`);
        assert.ok(claimed.filter((e) => e.program_id === 'a').length <= 1, `round ${round}: program a over its limit`);
        const end: ExecutionEnd = { status: 'completed', exit_code: 0, error: null, output: '', error_output: '', output_truncated: false, error_output_truncated: false, details: {}, ended_at: now };
        for (const e of claimed) assert.ok(await store.programs.finishExecution(e.id, e.owner, end));
        const left = await store.programs.listExecutions({ status: 'queued', limit: 100 });
        await Promise.all(left.map((e) => store.programs.cancelExecution(e.id, now, 'round over')));
      }
    } finally {
      await Promise.all(claimers.map((claimer) => claimer.stop()));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
