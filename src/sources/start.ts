import type { NewEvent } from '../events/model.js';
import type { SourceStore } from '../store/sources.js';
import { monitorOptionsFromEnv, ResourceMonitor, type MonitorOptions } from './monitor.js';
import { ScheduleRunner } from './schedule-runner.js';
import { WatcherSet } from './watchers.js';

export interface SourcesDeps {
  sources: SourceStore;
  /** engine.events.dispatch */
  publish(event: NewEvent): Promise<unknown>;
  /** The hookflow home: the default filesystem the monitor checks. */
  home: string;
  /** Where the monitor's settings come from (HOOKFLOW_MONITOR…). */
  env: NodeJS.ProcessEnv;
  /** Overrides of the monitor's settings from the environment (tests). */
  monitor?: Partial<MonitorOptions>;
  /** How often the store's sources revision is checked (default 2 s). */
  reloadEveryMs?: number;
  /** Schedule options: the grace for late ticks (default 5 s). */
  graceMs?: number;
  /** A failure of a running source: logged, never fatal. */
  onError?(error: unknown, source: string): void;
}

export interface RunningSources {
  readonly schedules: ScheduleRunner;
  readonly watchers: WatcherSet;
  readonly monitor: ResourceMonitor;
  /** Reloads schedules and watchers now, if the store's sources changed since the last look. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs this server's event sources: every schedule and file watcher of the store (reloaded when
 * the store's sources revision changes, so a change made through any server or the CLI reaches
 * all of them) and the system monitor. Webhooks need nothing running: the route reads the store.
 */
export async function startSources(deps: SourcesDeps): Promise<RunningSources> {
  const onError = deps.onError ?? (() => undefined);
  const monitorOptions = { ...monitorOptionsFromEnv(deps.env, deps.home), ...deps.monitor };
  const schedules = new ScheduleRunner({
    sources: deps.sources,
    publish: deps.publish,
    graceMs: deps.graceMs,
    onError: (error, name) => onError(error, `schedule ${name}`),
  });
  const watchers = new WatcherSet({ publish: deps.publish, onError: (error, name) => onError(error, `watcher ${name}`) });
  const monitor = new ResourceMonitor(monitorOptions, { publish: deps.publish, onError: (error) => onError(error, 'monitor') });

  let revision = await deps.sources.sourcesRevision();
  let checking: Promise<void> | null = null;
  const check = async () => {
    const now = await deps.sources.sourcesRevision();
    if (now === revision) return;
    revision = now;
    await schedules.reload();
    await watchers.reload(await deps.sources.listSources('watcher'));
  };
  const reload = (): Promise<void> => {
    checking ??= check()
      .catch((error: unknown) => onError(error, 'sources reload'))
      .finally(() => {
        checking = null;
      });
    return checking;
  };

  await schedules.start();
  await watchers.reload(await deps.sources.listSources('watcher')).catch((error: unknown) => onError(error, 'watchers'));
  monitor.start();
  const poll = setInterval(() => void reload(), deps.reloadEveryMs ?? 2_000);
  poll.unref();

  return {
    schedules,
    watchers,
    monitor,
    reload,
    async stop() {
      clearInterval(poll);
      await checking;
      await Promise.all([schedules.stop(), watchers.stop(), monitor.stop()]);
    },
  };
}
