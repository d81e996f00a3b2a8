import type { AllocationRecord, AllocationState } from '../../../src/store/workflows.js';
import type { AllocationStore } from '../../../src/workflows/slurm/allocations.js';
import type { SlurmClient } from '../../../src/workflows/slurm/client.js';

/** The three allocation methods of WorkflowStore, in memory, as the contract describes them. */
export class MemoryAllocationStore implements AllocationStore {
  readonly rows = new Map<string, AllocationRecord>();

  createAllocation(allocation: AllocationRecord): Promise<void> {
    if (this.rows.has(allocation.id)) return Promise.reject(new Error(`allocation ${allocation.id} exists`));
    this.rows.set(allocation.id, { ...allocation });
    return Promise.resolve();
  }

  updateAllocation(id: string, state: AllocationState, nativeState: string | null, now: number): Promise<AllocationRecord | null> {
    const row = this.rows.get(id);
    if (!row) return Promise.resolve(null);
    const updated = { ...row, state, native_state: nativeState, updated_at: now };
    this.rows.set(id, updated);
    return Promise.resolve({ ...updated });
  }

  listAllocations(query: { workflow_id?: string; states?: readonly AllocationState[]; limit: number }): Promise<AllocationRecord[]> {
    const rows = [...this.rows.values()]
      .filter((row) => query.workflow_id === undefined || row.workflow_id === query.workflow_id)
      .filter((row) => query.states === undefined || query.states.includes(row.state))
      .slice(0, query.limit)
      .map((row) => ({ ...row }));
    return Promise.resolve(rows);
  }
}

/** A Slurm whose job states the test sets; records what it was asked. */
export class FakeSlurmClient implements SlurmClient {
  readonly native = new Map<string, string>();
  readonly submitted: Array<{ scriptPath: string; env: Record<string, string> }> = [];
  readonly cancelled: string[][] = [];
  /** Submissions after this many fail. */
  failAfter = Infinity;
  private next = 100;

  submit(scriptPath: string, env: Readonly<Record<string, string>>): Promise<string> {
    if (this.submitted.length >= this.failAfter) return Promise.reject(new Error('sbatch: error: QOSMaxSubmitJobPerUserLimit'));
    this.submitted.push({ scriptPath, env: { ...env } });
    const id = String(this.next++);
    this.native.set(id, 'PENDING');
    return Promise.resolve(id);
  }

  states(ids: readonly string[]): Promise<Map<string, string>> {
    return Promise.resolve(new Map(ids.map((id) => [id, this.native.get(id) ?? 'ENDED'])));
  }

  cancel(ids: readonly string[]): Promise<void> {
    this.cancelled.push([...ids]);
    for (const id of ids) {
      const state = this.native.get(id);
      if (state === 'PENDING' || state === 'RUNNING') this.native.set(id, state === 'PENDING' ? 'CANCELLED' : 'COMPLETING');
    }
    return Promise.resolve();
  }

  available(): Promise<boolean> {
    return Promise.resolve(true);
  }
}
