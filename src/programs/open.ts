import { hostname } from 'node:os';
import type { NewEvent } from '../events/model.js';
import type { ActionService } from '../actions/service.js';
import type { Store } from '../store/store.js';
import { ProgramCatalog } from './catalog.js';
import { composeProjectName, type TypedActionRunner } from './executor.js';
import { ComposeCliRunner } from './runners/compose.js';
import { DockerRunner, removeExecutionContainers } from './runners/docker.js';
import { ProcessRunner } from './runners/process.js';
import { ProgramScheduler } from './schedules.js';
import { ProgramService, programsDirectory } from './service.js';

/**
 * Puts the programs face together for an engine: the configuration, the three runners, the
 * schedules and the execution hub over the store.
 */

export interface OpenProgramsOptions {
  file: string;
  home: string;
  store: Store;
  publish(event: NewEvent): Promise<unknown>;
  actions(): Promise<ActionService>;
  /** Folders programs may be in besides config.yaml's (HOOKFLOW_PROGRAM_ROOTS). */
  roots?: readonly string[];
  onError?(error: unknown, where: string): void;
}

export async function openPrograms(options: OpenProgramsOptions): Promise<ProgramService> {
  const catalog = new ProgramCatalog(options.file, { parse: { extraRoots: options.roots ?? [] } });
  await catalog.load();
  const processRunner = new ProcessRunner({ home: options.home });
  const docker = new DockerRunner({});
  const compose = new ComposeCliRunner({});
  const runTypedAction: TypedActionRunner = async (step, context) => {
    const actions = await options.actions();
    const outcome = await actions.run(step.action, {
      params: step.params,
      timeoutSeconds: context.timeoutSeconds,
      signal: context.signal,
      scope: { vars: context.vars },
      onLog: context.log,
    });
    return { success: outcome.success, error: outcome.error, outputs: outcome.outputs };
  };
  let service: ProgramService | null = null;
  const scheduler = new ProgramScheduler({
    sources: options.store.sources,
    owner: `programs-scheduler:${hostname()}:${process.pid}`,
    submit: (program, parameters) => service!.submit({ program_id: program.id, parameters, trigger: 'schedule' }),
    onError: (error, programId) => options.onError?.(error, `schedule of ${programId}`),
  });
  service = new ProgramService({
    store: options.store.programs,
    catalog,
    publish: options.publish,
    executor: {
      process: processRunner,
      docker,
      compose,
      dockerAvailable: async () => (await docker.availability()).available,
      runTypedAction,
      programsDir: programsDirectory(options.home),
    },
    scheduler,
    removeContainers: (execution) =>
      removeExecutionContainers(execution.id, execution.runner === 'compose' ? { composeProject: composeProjectName(execution.program_id, execution.id) } : {}),
    closeRunners: async () => {
      await Promise.allSettled([processRunner.close(), docker.close(), compose.close()]);
    },
    onError: options.onError,
  });
  return service;
}
