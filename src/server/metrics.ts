import type { EventEmitter } from 'node:events';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProcessedEvent } from '../events/dispatcher.js';
import type { EventRecord, EventStatus } from '../events/model.js';
import { EVENT_STATUSES } from '../events/model.js';
import type { Store } from '../store/store.js';
import { idTime } from './live/event-ids.js';

/**
 * Label values taken from data (event types, hook names) up to a cap; past it, `other`. A
 * Prometheus series per distinct value would otherwise grow without bound with the types
 * publishers make up. First come, first kept: a type seen early keeps its own series.
 */
export class LabelCap {
  private readonly kept = new Set<string>();
  constructor(
    readonly max: number,
    readonly overflow = 'other',
  ) {}

  label(value: string): string {
    if (this.kept.has(value)) return value;
    if (this.kept.size >= this.max) return this.overflow;
    this.kept.add(value);
    return value;
  }
}

export interface ServerMetricsOptions {
  /** Distinct event types with their own series; the rest are `other`. */
  maxTypes: number;
  /** Distinct hook names with their own series. */
  maxHooks: number;
  /** Scrape-time store reads (queue depth, ping) are reused for this long. */
  storeCacheMs: number;
  /** Live stream clients now (the hub's count), if there is a stream. */
  streamClients?: () => number;
}

export const DEFAULT_METRICS_OPTIONS: ServerMetricsOptions = { maxTypes: 100, maxHooks: 200, storeCacheMs: 2_000 };

/** What the metrics need of the engine. */
export interface MetricsSource {
  store: Pick<Store, 'countEventsByStatus' | 'ping'>;
  /** 'processed' (ProcessedEvent), 'hook-start' (event id, hook name, epoch ms), and 'published' (EventRecord) when it emits it. */
  dispatcher: Pick<EventEmitter, 'on' | 'off'>;
}

interface StoreSample {
  at: number;
  counts: Record<EventStatus, number> | null;
  pingSeconds: number | null;
}

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * A server's Prometheus metrics, in a registry of its own (several servers in one process, as in
 * tests, do not share series). Counters move on dispatcher signals, listened to only; the queue
 * depth and store latency are read from the store when scraped.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly options: ServerMetricsOptions;
  private readonly types: LabelCap;
  private readonly hooks: LabelCap;
  private readonly published: Counter<'type'>;
  private readonly processedTotal: Counter<'type'>;
  private readonly failed: Counter<'type'>;
  private readonly hookRuns: Counter<'hook' | 'result'>;
  private readonly hookDuration: Histogram<'hook'>;
  private readonly dispatchLatency: Histogram;
  private readonly http: Histogram<'method' | 'route' | 'status_code'>;
  private sample: StoreSample = { at: 0, counts: null, pingSeconds: null };
  private sampling: Promise<StoreSample> | null = null;

  private readonly onPublished = (event: EventRecord) => this.published.inc({ type: this.types.label(event.type) });
  private readonly onProcessed = (done: ProcessedEvent) => this.processed(done);
  private readonly onHookStart = (eventId: string, _hookName: string, startedAt: number) => {
    // The id carries the event's creation time (UUIDv7), so no lookup is needed.
    this.dispatchLatency.observe(Math.max(0, startedAt - idTime(eventId)) / 1000);
  };

  constructor(
    private readonly source: MetricsSource,
    options: Partial<ServerMetricsOptions> = {},
  ) {
    this.options = { ...DEFAULT_METRICS_OPTIONS, ...options };
    this.types = new LabelCap(this.options.maxTypes);
    this.hooks = new LabelCap(this.options.maxHooks);
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.published = new Counter({ name: 'hookflow_events_published_total', help: 'Events published by this process, by type', labelNames: ['type'], registers });
    this.processedTotal = new Counter({ name: 'hookflow_events_processed_total', help: 'Events whose hooks this process ran and recorded, by type', labelNames: ['type'], registers });
    this.failed = new Counter({ name: 'hookflow_events_failed_total', help: 'Processed events with at least one failed hook, by type', labelNames: ['type'], registers });
    this.hookRuns = new Counter({ name: 'hookflow_hook_executions_total', help: 'Hook runs (each attempt), by hook and result', labelNames: ['hook', 'result'], registers });
    this.hookDuration = new Histogram({ name: 'hookflow_hook_duration_seconds', help: 'How long a hook run took', labelNames: ['hook'], buckets: SECONDS, registers });
    this.dispatchLatency = new Histogram({ name: 'hookflow_dispatch_latency_seconds', help: 'From an event being published to a hook starting on it', buckets: SECONDS, registers });
    this.http = new Histogram({
      name: 'hookflow_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status (streams excluded)',
      labelNames: ['method', 'route', 'status_code'],
      buckets: SECONDS,
      registers,
    });

    const sample = () => this.storeSample();
    new Gauge({
      name: 'hookflow_queue_depth',
      help: 'Events waiting to be processed (pending), in the whole store',
      registers,
      async collect() {
        const counts = (await sample()).counts;
        if (counts) this.set(counts.pending);
      },
    });
    new Gauge({
      name: 'hookflow_events_stored',
      help: 'Events in the store by status',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = (await sample()).counts;
        if (counts) for (const status of EVENT_STATUSES) this.set({ status }, counts[status]);
      },
    });
    new Gauge({
      name: 'hookflow_store_up',
      help: '1 if the store answered the last scrape, else 0',
      registers,
      async collect() {
        this.set((await sample()).pingSeconds === null ? 0 : 1);
      },
    });
    new Gauge({
      name: 'hookflow_store_ping_seconds',
      help: 'How long a store round trip (ping) took at the last scrape',
      registers,
      async collect() {
        const seconds = (await sample()).pingSeconds;
        if (seconds !== null) this.set(seconds);
      },
    });
    const streamClients = this.options.streamClients;
    if (streamClients) {
      new Gauge({
        name: 'hookflow_stream_clients',
        help: 'Live stream (GET /stream) clients connected',
        registers,
        collect() {
          this.set(streamClients());
        },
      });
    }

    source.dispatcher.on('published', this.onPublished);
    source.dispatcher.on('processed', this.onProcessed);
    source.dispatcher.on('hook-start', this.onHookStart);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text for a scrape. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  observeHttp(method: string, route: string, statusCode: number, seconds: number): void {
    this.http.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  /** Stops listening to the dispatcher. */
  close(): void {
    this.source.dispatcher.off('published', this.onPublished);
    this.source.dispatcher.off('processed', this.onProcessed);
    this.source.dispatcher.off('hook-start', this.onHookStart);
  }

  private processed({ event, executions }: ProcessedEvent): void {
    const type = this.types.label(event.type);
    this.processedTotal.inc({ type });
    if (event.status === 'failed') this.failed.inc({ type });
    for (const execution of executions) {
      const hook = this.hooks.label(execution.hook_name);
      this.hookRuns.inc({ hook, result: execution.success ? 'success' : 'failure' });
      this.hookDuration.observe({ hook }, execution.duration_ms / 1000);
    }
  }

  /**
   * One ping and one count per `storeCacheMs`, however many collectors and scrapers ask. A store
   * that fails leaves the counts as they were and reports store_up 0.
   */
  private storeSample(): Promise<StoreSample> {
    if (Date.now() - this.sample.at < this.options.storeCacheMs) return Promise.resolve(this.sample);
    this.sampling ??= (async () => {
      const { store } = this.source;
      let pingSeconds: number | null = null;
      let counts: Record<EventStatus, number> | null = this.sample.counts;
      try {
        const begin = performance.now();
        await store.ping();
        pingSeconds = (performance.now() - begin) / 1000;
        counts = await store.countEventsByStatus();
      } catch {
        pingSeconds = null;
      }
      this.sample = { at: Date.now(), counts, pingSeconds };
      return this.sample;
    })().finally(() => {
      this.sampling = null;
    });
    return this.sampling;
  }
}
