import { existsSync } from 'node:fs';
import type { Engine } from '../engine.js';
import { HookflowError } from '../errors.js';
import type { JsonObject, NewEvent } from '../events/model.js';
import type { SourceKind, SourceRecord, SourceStore } from '../store/sources.js';
import { cronFor, validateSourceConfig, validateSourceName, type ScheduleConfig, type SourceConfigs } from './config.js';

/** A source as the API and the CLI show it: the stored record, and for a schedule its run times. */
export interface SourceView {
  kind: SourceKind;
  name: string;
  enabled: boolean;
  config: JsonObject;
  /** epoch ms */
  created_at: number;
  updated_at: number;
  /** Schedules: the next tick (null while disabled), epoch ms. */
  next_run?: number | null;
  /** Schedules: the latest tick claimed by a server, epoch ms. */
  last_run?: number | null;
}

export interface SourceInput {
  name: string;
  enabled?: boolean;
  /** Checked by the kind's validator (src/sources/config.ts). */
  config: unknown;
}

export interface SavedSource {
  source: SourceView;
  /** Things that will not stop it from being saved but will stop it from working (a missing secret). */
  warnings: string[];
}

/** What the CLI needs, from the local store (SourceService) or over HTTP (src/sources/remote.ts). */
export interface SourceOperations {
  list(kind: SourceKind): Promise<SourceView[]>;
  get(kind: SourceKind, name: string): Promise<SourceView>;
  save(kind: SourceKind, input: SourceInput, options?: { replace?: boolean }): Promise<SavedSource>;
  setEnabled(kind: SourceKind, name: string, enabled: boolean): Promise<SourceView>;
  remove(kind: SourceKind, name: string): Promise<void>;
}

export interface SourceServiceDeps {
  sources: SourceStore;
  /** Publishes the schedule.* change events (engine.events.dispatch). */
  publish(event: NewEvent): Promise<unknown>;
  /** Tells whether a secret is set, for the warning a webhook without its secret gets. */
  secretExists?(name: string): Promise<boolean>;
  /** Who makes changes when a call does not say (`cli`); default `hookflow`. */
  by?: string;
  now?: () => number;
}

/** Who made a change, for the change events' source (`api:alice`, `cli`). */
export interface ChangeOptions {
  by?: string;
}

const NOUN: Record<SourceKind, string> = { webhook: 'webhook', schedule: 'schedule', watcher: 'watcher' };
const LIST_HINT: Record<SourceKind, string> = {
  webhook: 'see `hookflow webhook list`',
  schedule: 'see `hookflow schedule list`',
  watcher: 'see `hookflow watch list`',
};

function toJsonObject(config: SourceConfigs[SourceKind]): JsonObject {
  return config as unknown as JsonObject;
}

/**
 * Webhook endpoints, schedules and file watchers: validated, kept in the store (so every server
 * sharing it runs them), and for schedules announced as schedule.* events. Shared by the HTTP
 * routes and the CLI; the running of sources is src/sources/start.ts.
 */
export class SourceService implements SourceOperations {
  private readonly now: () => number;

  constructor(private readonly deps: SourceServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async list(kind: SourceKind): Promise<SourceView[]> {
    return Promise.all((await this.deps.sources.listSources(kind)).map((record) => this.view(record)));
  }

  async get(kind: SourceKind, name: string): Promise<SourceView> {
    return this.view(await this.record(kind, name));
  }

  async save(kind: SourceKind, input: SourceInput, options: { replace?: boolean } & ChangeOptions = {}): Promise<SavedSource> {
    const name = validateSourceName(input.name);
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
      throw new HookflowError('HF_ERR_VALIDATION', `enabled: must be true or false`, { where: 'enabled' });
    }
    const config = validateSourceConfig(kind, input.config);
    // Several servers must compute the same ticks: a schedule without a zone gets this machine's, explicitly.
    if (kind === 'schedule' && (config as ScheduleConfig).timezone === null) (config as ScheduleConfig).timezone = localTimeZone();
    const existing = options.replace ? await this.deps.sources.getSource(kind, name) : null;
    const now = this.now();
    const record: SourceRecord = {
      kind,
      name,
      enabled: input.enabled ?? existing?.enabled ?? true,
      config: toJsonObject(config),
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    await this.deps.sources.saveSource(record, { replace: options.replace === true });
    const source = await this.get(kind, name);
    if (kind === 'schedule') await this.announce(existing ? 'schedule.updated' : 'schedule.created', source, options.by);
    return { source, warnings: await this.warnings(kind, config) };
  }

  async setEnabled(kind: SourceKind, name: string, enabled: boolean, options: ChangeOptions = {}): Promise<SourceView> {
    if (!(await this.deps.sources.setSourceEnabled(kind, name, enabled))) throw this.notFound(kind, name);
    const source = await this.get(kind, name);
    if (kind === 'schedule') await this.announce(enabled ? 'schedule.enabled' : 'schedule.disabled', source, options.by);
    return source;
  }

  async remove(kind: SourceKind, name: string, options: ChangeOptions = {}): Promise<void> {
    const existing = await this.deps.sources.getSource(kind, name);
    if (!existing || !(await this.deps.sources.deleteSource(kind, name))) throw this.notFound(kind, name);
    if (kind === 'schedule') await this.announce('schedule.deleted', { ...(await this.view(existing)), next_run: null }, options.by);
  }

  private async record(kind: SourceKind, name: string): Promise<SourceRecord> {
    const record = await this.deps.sources.getSource(kind, name);
    if (!record) throw this.notFound(kind, name);
    return record;
  }

  private notFound(kind: SourceKind, name: string): HookflowError {
    return new HookflowError('HF_ERR_NOT_FOUND', `no ${NOUN[kind]} named "${name}"`, { hint: LIST_HINT[kind] });
  }

  private async view(record: SourceRecord): Promise<SourceView> {
    const view: SourceView = { ...record };
    if (record.kind === 'schedule') {
      view.next_run = record.enabled ? nextRun(record.config as unknown as ScheduleConfig, this.now()) : null;
      view.last_run = await this.deps.sources.lastScheduleTick(record.name);
    }
    return view;
  }

  private async announce(type: string, source: SourceView, by: string | undefined): Promise<void> {
    const config = source.config as unknown as ScheduleConfig;
    await this.deps.publish({
      type,
      source: by ?? this.deps.by ?? 'hookflow',
      stack: config.stack,
      data: {
        schedule: source.name,
        cron: config.cron,
        timezone: config.timezone,
        event_type: config.event_type,
        enabled: source.enabled,
        next_run: source.next_run ? new Date(source.next_run).toISOString() : null,
      },
    });
  }

  private async warnings(kind: SourceKind, config: SourceConfigs[SourceKind]): Promise<string[]> {
    const warnings: string[] = [];
    if (kind === 'webhook' && this.deps.secretExists) {
      const { secret } = config as SourceConfigs['webhook'];
      if (!(await this.deps.secretExists(secret))) {
        warnings.push(`secret "${secret}" is not set: every delivery is refused until it is (hookflow secret set ${secret})`);
      }
    }
    if (kind === 'watcher') {
      for (const path of (config as SourceConfigs['watcher']).paths) {
        if (!existsSync(path)) warnings.push(`${path} does not exist (yet): it is watched from when it appears`);
      }
    }
    return warnings;
  }
}

/** This machine's IANA time zone (TZ, or the system's). */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The next tick of a schedule after `now`, epoch ms; null when it never fires again or is not valid. */
export function nextRun(config: Pick<ScheduleConfig, 'cron' | 'timezone'>, now: number): number | null {
  try {
    return cronFor(config.cron, config.timezone).nextRun(new Date(now))?.getTime() ?? null;
  } catch {
    return null;
  }
}

/** The service over an engine's store, events and secrets: what the routes and the CLI use. */
export function sourceServiceFor(engine: Pick<Engine, 'store' | 'events' | 'secrets'>, by?: string): SourceService {
  return new SourceService({
    by,
    sources: engine.store.sources,
    publish: (event) => engine.events.dispatch(event),
    secretExists: async (name) => (await engine.secrets.list()).some((secret) => secret.name === name),
  });
}
