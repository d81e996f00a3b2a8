import { Dispatcher, type RuntimeProvider } from './events/dispatcher.js';
import { EventService } from './events/service.js';
import { createHookHost } from './hooks/host.js';
import type { HookRuntime, HookRuntimeName } from './hooks/model.js';
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
  /** The environment to read settings from (HOOKFLOW_SECRET_KEY, HOOKFLOW_SQLITE_SYNC); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Creates each runtime on first use, so commands that run no hook start no worker threads. */
class LazyRuntimes implements RuntimeProvider {
  private readonly created = new Map<HookRuntimeName, HookRuntime>();
  constructor(private readonly options: EngineOptions) {}

  get(name: HookRuntimeName): HookRuntime | undefined {
    let runtime = this.created.get(name);
    if (!runtime) {
      runtime = this.create(name);
      if (runtime) this.created.set(name, runtime);
    }
    return runtime;
  }

  /** Loaded lazily: the Lua VM and the worker pools cost start-up time that `hook list` should not pay. */
  private create(name: HookRuntimeName): HookRuntime | undefined {
    return runtimeFactories[name]?.(this.options);
  }

  async close(): Promise<void> {
    await Promise.all([...this.created.values()].map((runtime) => runtime.close()));
    this.created.clear();
  }
}

type RuntimeFactory = (options: EngineOptions) => HookRuntime;
const runtimeFactories: Partial<Record<HookRuntimeName, RuntimeFactory>> = {};

/** Registered by src/hooks/runtimes/index.ts, which imports each runtime's module. */
export function registerRuntime(name: HookRuntimeName, factory: RuntimeFactory): void {
  runtimeFactories[name] = factory;
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
  }

  static async open(options: EngineOptions): Promise<Engine> {
    await import('./hooks/runtimes/index.js');
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
          const { event } = await self.publish({
            type,
            data,
            stack: dispatchOptions.stack ?? null,
            parent_id: dispatchOptions.parent_id ?? null,
            correlation_id: dispatchOptions.correlation_id ?? null,
            source: dispatchOptions.source ?? 'hook',
          });
          return event.id;
        }),
    });
    return new Engine(options, store, secretBox, runtimes, dispatcher);
  }

  async close(deadlineMs = 10_000): Promise<void> {
    await this.dispatcher.stop(deadlineMs);
    await this.runtimes.close();
    await this.store.close();
  }
}
