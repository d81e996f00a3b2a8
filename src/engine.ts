import type { LoadedActions } from './actions/catalog.js';
import type { ActionService } from './actions/service.js';
import { withWorkflowCorrelation } from './actions/correlation.js';
import { Dispatcher, type RuntimeProvider } from './events/dispatcher.js';
import { EventService } from './events/service.js';
import { createHookHost } from './hooks/host.js';
import { HookflowError } from './errors.js';
import type { HookRuntime, HookRuntimeName } from './hooks/model.js';
import type { ActionRuntimeOptions } from './hooks/runtimes/action.js';
import { HookService } from './hooks/service.js';
import { SecretBox } from './secrets/crypto.js';
import { SecretService, StateService } from './store/services.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';
import type { NewEvent } from './events/model.js';
import type { WorkflowService } from './workflows/service.js';
import type { Worker, WorkerOptions } from './workflows/worker.js';
import type { SlurmAccess } from './workflows/slurm/access.js';
import type { EndingHooks } from './workflows/ending.js';
import type { ProgramService } from './programs/service.js';
import { delimiter, join, resolve } from 'node:path';

/** What happens when a workflow ends, wherever the ending change was made: queued allocations go. */
function workflowEnding(slurm: SlurmAccess | null): EndingHooks {
  return slurm ? { cancelQueuedAllocations: (workflowId) => slurm.cancel({ workflowId, onlyQueued: true }) } : {};
}

/** What a caller chooses about a worker; the engine supplies its store, events and actions. */
export type WorkerSettings = Pick<WorkerOptions, 'workflowId' | 'maxParallelJobs' | 'capacity' | 'idleTimeoutMs'> &
  Partial<Pick<WorkerOptions, 'leaseMs' | 'heartbeatMs' | 'pollMs' | 'id' | 'onJobEnd' | 'onError' | 'launcher' | 'outputDir'>>;

export interface EngineOptions {
  home: string;
  storeUrl: string;
  concurrency?: number;
  /** Events claimed ahead of free slots (the dispatcher's local queue). */
  prefetch?: number;
  leaseMs?: number;
  pollMs?: number;
  maxEventBytes?: number;
  /** Environment variables Lua's env module may read; null means all. */
  envAllowlist?: string[] | null;
  /** Where action plugins are looked for (its node_modules); default this package's root. */
  projectRoot?: string;
  /** The environment to read settings from (HOOKFLOW_SECRET_KEY, HOOKFLOW_SQLITE_SYNC); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** PyExecutorHub's config.yaml (`--programs FILE`, HOOKFLOW_PROGRAMS); default HOOKFLOW_HOME/config.yaml. */
  programsFile?: string;
}

/**
 * Loads a runtime's module and creates it. Modules are imported only when a hook of that runtime
 * first runs (or is inspected): the Lua VM and the worker pools cost start-up time that
 * `hookflow state list` should not pay.
 */
export async function loadRuntime(
  name: HookRuntimeName,
  options: Pick<EngineOptions, 'home' | 'envAllowlist'> & { actions?: ActionRuntimeOptions },
): Promise<HookRuntime> {
  switch (name) {
    case 'lua': {
      const { LuaRuntime } = await import('./hooks/runtimes/lua/index.js');
      return new LuaRuntime({ home: options.home, envAllowlist: options.envAllowlist ?? null });
    }
    case 'js': {
      const { JsRuntime } = await import('./hooks/runtimes/js/index.js');
      return new JsRuntime({});
    }
    case 'commands': {
      const { CommandsRuntime } = await import('./hooks/runtimes/commands.js');
      return new CommandsRuntime({ home: options.home });
    }
    case 'action': {
      if (!options.actions) throw new HookflowError('HF_ERR_INVALID_HOOK', 'the action runtime needs an action catalogue and a store', { hint: 'open an Engine, or pass options.actions' });
      const { ActionRuntime } = await import('./hooks/runtimes/action.js');
      return new ActionRuntime(options.actions);
    }
  }
}

/** Creates each runtime on first use, once, however many callers ask at the same time. */
class LazyRuntimes implements RuntimeProvider {
  private readonly created = new Map<HookRuntimeName, Promise<HookRuntime>>();
  /** Runtimes already created: handed out as they are, so a hook run does not wait a turn for one. */
  private readonly loaded = new Map<HookRuntimeName, HookRuntime>();
  /** What the action runtime needs from the engine, set once the engine exists. */
  actions: ActionRuntimeOptions | undefined;
  constructor(private readonly options: EngineOptions) {}

  get(name: HookRuntimeName): HookRuntime | Promise<HookRuntime> {
    const ready = this.loaded.get(name);
    if (ready) return ready;
    let runtime = this.created.get(name);
    if (!runtime) {
      runtime = loadRuntime(name, { ...this.options, actions: this.actions });
      this.created.set(name, runtime);
      runtime.then(
        (value) => {
          if (this.created.get(name) === runtime) this.loaded.set(name, value);
        },
        () => undefined,
      );
    }
    return runtime;
  }

  async close(): Promise<void> {
    const runtimes = await Promise.allSettled(this.created.values());
    this.created.clear();
    this.loaded.clear();
    await Promise.all(runtimes.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)));
  }
}

/** One engine per process: the store, secrets, runtimes, the dispatcher and the services over them. */
export class Engine {
  readonly events: EventService;
  readonly hooks: HookService;
  readonly state: StateService;
  readonly secrets: SecretService;

  private constructor(
    readonly options: EngineOptions,
    readonly store: Store,
    readonly secretBox: SecretBox,
    readonly runtimes: LazyRuntimes,
    readonly dispatcher: Dispatcher,
  ) {
    this.events = new EventService(store, dispatcher);
    this.hooks = new HookService(store, runtimes, secretBox, options.home);
    this.state = new StateService(store);
    this.secrets = new SecretService(store, secretBox);
    runtimes.actions = { store, loadActions: () => this.loadActions() };
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const env = options.env ?? process.env;
    const store = await openStore(options.storeUrl, env);
    const secretBox = SecretBox.fromEnvironment(options.home, env);
    const runtimes = new LazyRuntimes(options);
    const dispatcher = new Dispatcher({
      store,
      runtimes,
      concurrency: options.concurrency,
      prefetch: options.prefetch,
      leaseMs: options.leaseMs,
      pollMs: options.pollMs,
      maxEventBytes: options.maxEventBytes,
      host: (self) =>
        createHookHost(store, secretBox, async (type, data, dispatchOptions) => {
          // As EventService.dispatch: a workflow id in the data finds its parked step.
          const { event } = await self.publish(
            withWorkflowCorrelation({
              type,
              data,
              stack: dispatchOptions.stack ?? null,
              parent_id: dispatchOptions.parent_id ?? null,
              correlation_id: dispatchOptions.correlation_id ?? null,
              source: dispatchOptions.source ?? 'hook',
            }),
          );
          return event.id;
        }),
    });
    return new Engine(options, store, secretBox, runtimes, dispatcher);
  }

  private actionsLoading: Promise<LoadedActions> | null = null;

  /**
   * The action catalogue: built-ins, then plugins from node_modules and HOOKFLOW_HOME/actions.
   * Loaded on first use (plugin discovery imports modules), once per engine.
   */
  loadActions(): Promise<LoadedActions> {
    this.actionsLoading ??= (async () => {
      const [{ loadActions }, { builtinActions }, { createServiceInvoker }, { PACKAGE_ROOT }] = await Promise.all([
        import('./actions/catalog.js'),
        import('./actions/builtin/index.js'),
        import('./actions/invoke-service.js'),
        import('./version.js'),
      ]);
      const env = this.options.env ?? process.env;
      return loadActions({
        builtins: builtinActions({ state: this.state }),
        projectRoot: this.options.projectRoot ?? PACKAGE_ROOT,
        home: this.options.home,
        env,
        revealSecret: (name) => this.secrets.reveal(name),
        services: {
          publish: async (type, data, options) =>
            (await this.events.dispatch({ type, data: data ?? {}, source: 'action', stack: options?.stack ?? null, correlation_id: options?.correlationId ?? null })).event.id,
          invokeService: createServiceInvoker({ env }),
        },
      });
    })();
    return this.actionsLoading;
  }

  /** Listing, describing and running actions (the CLI, the API and hooks share it). */
  async actions(): Promise<ActionService> {
    const { ActionService } = await import('./actions/service.js');
    return new ActionService(await this.loadActions());
  }

  private workflowService: WorkflowService | null = null;

  /** Where workflows keep their logs and run their commands: HOOKFLOW_HOME/workflows. */
  get workflowsDir(): string {
    return join(this.options.home, 'workflows');
  }

  /** Workflows: validate, submit, inspect, cancel, restart (the CLI, the API and the UI share it). */
  async workflows(): Promise<WorkflowService> {
    if (this.workflowService) return this.workflowService;
    const { WorkflowService } = await import('./workflows/service.js');
    const slurm = await this.slurm();
    this.workflowService = new WorkflowService({
      store: this.store,
      publish: (event) => this.dispatcher.publish(event),
      registry: async () => (await this.loadActions()).registry,
      workflowsDir: this.workflowsDir,
      ending: workflowEnding(slurm),
      cancelAllocations: slurm ? (query) => slurm.cancel(query) : undefined,
      refreshAllocations: slurm ? (workflowId) => slurm.refresh(workflowId) : undefined,
    });
    return this.workflowService;
  }

  private slurmLoading: Promise<SlurmAccess | null> | null = null;

  /** Slurm, when sbatch is on PATH: submits allocations whose workers join this store. */
  slurm(): Promise<SlurmAccess | null> {
    this.slurmLoading ??= (async () => {
      const { openSlurm } = await import('./workflows/slurm/access.js');
      return openSlurm({ store: this.store, storeUrl: this.options.storeUrl });
    })();
    return this.slurmLoading;
  }

  /** A worker on this engine's store (`hookflow worker`, and the one `serve` embeds). */
  async createWorker(options: WorkerSettings): Promise<Worker> {
    const [{ Worker }, { WorkflowActionRunner }, { settleOutcome }] = await Promise.all([
      import('./workflows/worker.js'),
      import('./workflows/actions.js'),
      import('./actions/waits.js'),
    ]);
    const publish = (event: NewEvent) => this.dispatcher.publish(event);
    const actions = async () => {
      const loaded = await this.loadActions();
      return { registry: loaded.registry, services: loaded.services };
    };
    const slurm = await this.slurm();
    const dispatcher = this.dispatcher;
    return new Worker({
      ...options,
      store: this.store,
      publish,
      outbox: { prepare: () => dispatcher.prepareOutbox(), insert: (event) => dispatcher.outboxInsert(event), committed: (inserted) => dispatcher.outboxCommitted(inserted) },
      actions,
      settle: async (outcome, request) =>
        settleOutcome(outcome, {
          store: this.store,
          actions: async () => (await this.loadActions()).registry,
          publish,
          actionType: request.actionType,
          params: request.params,
          owner: { kind: 'workflow', id: request.ownerId },
          signal: request.signal,
        }),
      workflowActions: new WorkflowActionRunner({ store: this.store, publish, actions, scheduleNodes: slurm ? (request) => slurm.schedule(request) : null }),
      ending: workflowEnding(slurm),
    });
  }

  /** Where PyExecutorHub's config.yaml is read from. */
  get programsFile(): string {
    const env = this.options.env ?? process.env;
    return resolve(this.options.programsFile ?? env.HOOKFLOW_PROGRAMS ?? join(this.options.home, 'config.yaml'));
  }

  private programsLoading: Promise<ProgramService> | null = null;

  /**
   * Programs: the configuration (loaded, not yet watched), the runners and the execution hub. The
   * hub runs nothing until `startPrograms()` (servers do; the CLI's `program run` while it waits).
   */
  programs(): Promise<ProgramService> {
    this.programsLoading ??= (async () => {
      const { openPrograms } = await import('./programs/open.js');
      const env = this.options.env ?? process.env;
      return openPrograms({
        file: this.programsFile,
        home: this.options.home,
        store: this.store,
        publish: (event) => this.dispatcher.publish(event),
        actions: () => this.actions(),
        roots: (env.HOOKFLOW_PROGRAM_ROOTS ?? '').split(delimiter).filter((root) => root.trim() !== ''),
        onError: (error, where) => process.stderr.write(`hookflow programs (${where}): ${error instanceof Error ? error.message : String(error)}\n`),
      });
    })();
    return this.programsLoading;
  }

  async close(deadlineMs = 10_000): Promise<void> {
    if (this.programsLoading) await (await this.programsLoading.catch(() => null))?.close(deadlineMs);
    await this.dispatcher.stop(deadlineMs);
    await this.runtimes.close();
    await this.store.close();
  }
}
