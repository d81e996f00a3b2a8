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

export interface EngineOptions {
  home: string;
  storeUrl: string;
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  maxEventBytes?: number;
  /** Environment variables Lua's env module may read; null means all. */
  envAllowlist?: string[] | null;
  /** Where action plugins are looked for (its node_modules); default this package's root. */
  projectRoot?: string;
  /** The environment to read settings from (HOOKFLOW_SECRET_KEY, HOOKFLOW_SQLITE_SYNC); default process.env. */
  env?: NodeJS.ProcessEnv;
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
  /** What the action runtime needs from the engine, set once the engine exists. */
  actions: ActionRuntimeOptions | undefined;
  constructor(private readonly options: EngineOptions) {}

  get(name: HookRuntimeName): Promise<HookRuntime> {
    let runtime = this.created.get(name);
    if (!runtime) {
      runtime = loadRuntime(name, { ...this.options, actions: this.actions });
      this.created.set(name, runtime);
    }
    return runtime;
  }

  async close(): Promise<void> {
    const runtimes = await Promise.allSettled(this.created.values());
    this.created.clear();
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

  async close(deadlineMs = 10_000): Promise<void> {
    await this.dispatcher.stop(deadlineMs);
    await this.runtimes.close();
    await this.store.close();
  }
}
