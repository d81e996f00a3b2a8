import { userInfo } from 'node:os';
import { isFinished } from '../programs/execution-states.js';
import type { ProgramService } from '../programs/service.js';
import { executionJson, executionLogsJson, programJson, programsConfigJson, statsJson } from '../programs/views.js';
import type { ExecutionRecord } from '../store/programs.js';
import { pause } from '../util/pause.js';
import { DeliveredOutput } from './programs-follow.js';
import type { FollowOptions, ProgramExecutionJson, ProgramExecutionLogsJson, ProgramServices, ProgramsConfigJson, ProgramStatsJson, ProgramStreamMessage } from './services.js';

/**
 * Programs on the local store: the engine's ProgramService, its records shown through the views
 * the API answers with (src/programs/views.ts), so `--json` prints the same locally and remotely.
 */

/** How often the store is looked at while following, in case the stream's last message never comes. */
const CHECK_MS = 500;
/** How long the stream gets to deliver the end after the store has it. */
const GRACE_MS = 1_000;

function json(execution: ExecutionRecord, queuePosition: number | null = null): ProgramExecutionJson {
  return executionJson(execution, { queue_position: queuePosition }) as unknown as ProgramExecutionJson;
}

/** Who asks, as executions record it: the account running the command. */
function localUser(): string | null {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
}

export function localPrograms(open: () => Promise<ProgramService>, requestedBy: string | null = localUser()): ProgramServices {
  const show = async (service: ProgramService, id: string) => {
    const execution = await service.require(id);
    return json(execution, execution.status === 'queued' ? await service.queuePosition(id) : null);
  };
  return {
    async list() {
      const service = await open();
      const config = service.config();
      return service.programs().map((program) => programJson(program, config));
    },
    async config() {
      const service = await open();
      return programsConfigJson(service.config(), service.programs().length, service.catalog.lastProblems()) as unknown as ProgramsConfigJson;
    },
    async run(request) {
      const service = await open();
      const execution = await service.submit({ program_id: request.program_id, parameters: request.parameters, trigger: 'cli', requested_by: requestedBy });
      return json(execution, await service.queuePosition(execution.id));
    },
    async executions(query = {}) {
      const service = await open();
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const page = await service.list({ program_id: query.program_id, status: query.status, limit, offset });
      return { total: page.total, limit, offset, executions: page.executions.map((execution) => json(execution)) };
    },
    async show(id) {
      return show(await open(), id);
    },
    async logs(id) {
      return executionLogsJson(await (await open()).require(id)) as unknown as ProgramExecutionLogsJson;
    },
    async cancel(id) {
      return json(await (await open()).cancel(id, `canceled by ${requestedBy ?? 'a command'} (hookflow execution cancel)`));
    },
    async stats() {
      const service = await open();
      const [counts, recent] = await Promise.all([service.counts(), service.list({ limit: 10 })]);
      return statsJson(counts, recent.executions, service.config()) as unknown as ProgramStatsJson;
    },
    async follow(id, listener, options = {}) {
      const service = await open();
      if (options.runHere) await service.start({ schedules: false });
      const final = await followLocal(service, id, listener, options.signal);
      if (final === null) return show(service, id);
      if (options.runHere) await waitForOthersHere(service, id, options);
      return json(final);
    },
  };
}

/** The service's stream of the execution, with the store as a safety net; null when `signal` stopped it first. */
async function followLocal(service: ProgramService, id: string, listener: (message: ProgramStreamMessage) => void, signal: AbortSignal | undefined): Promise<ExecutionRecord | null> {
  const output = new DeliveredOutput(listener);
  const stopChecking = new AbortController();
  const stopped = AbortSignal.any([stopChecking.signal, ...(signal ? [signal] : [])]);
  let settle: (execution: ExecutionRecord | null) => void = () => undefined;
  const ended = new Promise<ExecutionRecord | null>((resolve) => (settle = resolve));
  stopped.addEventListener('abort', () => settle(null), { once: true });
  const stop = await service.follow(id, (message) => {
    if (message.type === 'output') return output.output(message.stream, message.text);
    if (isFinished(message.execution.status)) settle(message.execution);
    else listener({ type: 'status', execution: json(message.execution) });
  });
  // Should the stream's last message not come (it ended in a way the stream missed), the store has the end.
  void (async () => {
    while (!stopped.aborted) {
      await pause(CHECK_MS, stopped);
      const execution = await service.get(id).catch(() => null);
      if (execution && isFinished(execution.status)) {
        await pause(GRACE_MS, stopped);
        settle(execution);
        return;
      }
    }
  })();
  try {
    const final = await ended;
    if (final) {
      const shown = json(final);
      output.finish(shown);
      listener({ type: 'status', execution: shown });
    }
    return final;
  } finally {
    stopChecking.abort();
    stop();
  }
}

/**
 * FIFO claims may have started other executions in this process besides the followed one; leaving
 * now would cancel them at close, so they are waited for (until `signal` aborts).
 */
async function waitForOthersHere(service: ProgramService, id: string, options: FollowOptions): Promise<void> {
  let announced = false;
  const aborted = new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve(), { once: true }));
  while (!options.signal?.aborted) {
    const others = (await service.running()).filter((execution) => execution.owner === service.owner && execution.id !== id);
    if (others.length === 0) return;
    if (!announced) options.onRunningHere?.(others.map((execution) => execution.id));
    announced = true;
    await Promise.race([Promise.all(others.map((execution) => service.waitFor(execution.id))), aborted]);
  }
}
