import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type EventJson } from '../api.js';
import { BarChart } from '../components/bar-chart.js';
import { Empty, ErrorNotice, Loading, PageHeader, StatusBadge, Time } from '../components/ui.js';
import { toApiError, useApi } from '../components/use-api.js';
import { bucketize, type Sample } from '../lib/buckets.js';
import { queueDepthFromMetrics } from '../lib/metrics.js';
import { useLive } from '../live.js';
import { href } from '../router.js';

const PAGE = 1000;
/** At most this many events are read for the chart; beyond it the figure says "at least". */
const MAX_PAGES = 5;

/** Every event of the last hour (up to MAX_PAGES pages), as chart samples by id. */
async function lastHour(): Promise<{ samples: Map<string, Sample>; capped: boolean }> {
  const samples = new Map<string, Sample>();
  let before: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await api.events({ since: '1h', limit: PAGE, before });
    for (const event of answer.events) samples.set(event.id, sampleOf(event));
    if (!answer.next_cursor) return { samples, capped: false };
    before = answer.next_cursor;
  }
  return { samples, capped: true };
}

function sampleOf(event: EventJson): Sample {
  const created = event.created_at ? Date.parse(event.created_at) : Date.now();
  return { at: Number.isNaN(created) ? Date.now() : created, failed: event.status === 'failed' };
}

interface Queue {
  pending: number;
  processing: number | null;
  /** the count reached a page's end: there are at least this many */
  capped: boolean;
  from: 'metrics' | 'events';
}

/** Queue depth from /metrics when the server has it, else by counting pending events. */
async function queueDepth(): Promise<Queue> {
  try {
    const depth = queueDepthFromMetrics(await api.metrics());
    if (depth !== null) return { pending: depth, processing: null, capped: false, from: 'metrics' };
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
  }
  const [pending, processing] = await Promise.all([api.events({ status: 'pending', limit: PAGE }), api.events({ status: 'processing', limit: PAGE })]);
  return { pending: pending.events.length, processing: processing.events.length, capped: pending.next_cursor !== null, from: 'events' };
}

function useEvery(ms: number, action: () => void): void {
  useEffect(() => {
    const timer = setInterval(action, ms);
    return () => clearInterval(timer);
  }, [ms]);
}

function Stat({ label, value, detail, tone }: { label: string; value: string; detail?: string; tone?: 'bad' | 'good' }) {
  return (
    <div class={`stat ${tone ? `stat-${tone}` : ''}`}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {detail ? <div class="stat-detail">{detail}</div> : null}
    </div>
  );
}

/** Events per minute, failures, queue depth and recent failures; kept current by the live stream. */
export function DashboardPage() {
  const [samples, setSamples] = useState<Map<string, Sample> | null>(null);
  const [capped, setCapped] = useState(false);
  const [chartError, setChartError] = useState<ApiError | null>(null);
  const [now, setNow] = useState(Date.now());
  const health = useApi(() => api.health(), []);
  const queue = useApi(queueDepth, []);
  const failures = useApi(() => api.events({ status: 'failed', limit: 8 }), []);
  const hooks = useApi(() => api.hooks(), []);

  useEffect(() => {
    lastHour().then(
      (answer) => {
        setSamples(answer.samples);
        setCapped(answer.capped);
      },
      (error: unknown) => setChartError(toApiError(error)),
    );
  }, []);
  useEvery(15_000, () => {
    const current = Date.now();
    setNow(current);
    // Live samples keep coming while the page is open: forget those that left the chart.
    setSamples((previous) => (previous ? new Map([...previous].filter(([, sample]) => sample.at >= current - 3_600_000 - 60_000)) : previous));
  });
  useEvery(5_000, () => queue.reload());
  useEvery(10_000, () => health.reload());

  useLive((message) => {
    setSamples((previous) => {
      if (!previous) return previous;
      const next = new Map(previous);
      next.set(message.event.id, sampleOf(message.event));
      return next;
    });
    if (message.kind === 'event.processed' && message.event.status === 'failed') failures.reload();
  });

  const buckets = samples ? bucketize(samples.values(), now) : [];
  const total = buckets.reduce((sum, bucket) => sum + bucket.total, 0);
  const failed = buckets.reduce((sum, bucket) => sum + bucket.failed, 0);
  const atLeast = capped ? '≥ ' : '';
  const queueValue = queue.data ? `${queue.data.pending}${queue.data.capped ? '+' : ''}` : queue.error ? '?' : '…';
  const queueDetail = queue.data ? (queue.data.from === 'metrics' ? 'from /metrics' : `pending; ${queue.data.processing ?? 0} processing`) : undefined;
  const enabledHooks = hooks.data ? hooks.data.hooks.filter((hook) => hook.enabled).length : null;

  return (
    <section>
      <PageHeader title="Dashboard" />
      <div class="stats">
        <Stat label="Events, last hour" value={samples ? `${atLeast}${total}` : '…'} detail={samples ? `${(total / 60).toFixed(1)} per minute` : undefined} />
        <Stat label="Failed, last hour" value={samples ? `${failed}` : '…'} tone={failed > 0 ? 'bad' : undefined} detail={total ? `${((failed / total) * 100).toFixed(1)} %` : undefined} />
        <Stat label="Queue depth" value={queueValue} detail={queueDetail} />
        <Stat
          label="Dispatcher"
          value={health.data ? health.data.dispatcher.state : health.error ? 'unreachable' : '…'}
          tone={health.data ? (health.data.status === 'ok' ? 'good' : 'bad') : undefined}
          detail={health.data ? `${health.data.store.kind} store ${health.data.store.reachable ? `${health.data.store.latency_ms} ms` : 'unreachable'} · v${health.data.version}` : undefined}
        />
        <Stat label="Hooks enabled" value={hooks.data ? `${enabledHooks} / ${hooks.data.hooks.length}` : '…'} />
      </div>

      <section class="panel" aria-labelledby="chart-title">
        <h2 id="chart-title">Events per minute, last hour</h2>
        {chartError ? <ErrorNotice error={chartError} what="Events" /> : samples ? <BarChart buckets={buckets} label="Events per minute over the last hour" /> : <Loading />}
        <p class="legend">
          <span class="swatch swatch-ok" aria-hidden="true" /> processed or waiting <span class="swatch swatch-failed" aria-hidden="true" /> failed
          {capped ? <span class="muted"> · only the newest {PAGE * MAX_PAGES} events are counted</span> : null}
        </p>
      </section>

      <section class="panel" aria-labelledby="failures-title">
        <h2 id="failures-title">Recent failures</h2>
        {failures.error ? (
          <ErrorNotice error={failures.error} what="Failed events" />
        ) : !failures.data ? (
          <Loading />
        ) : failures.data.events.length === 0 ? (
          <Empty>No failed events. </Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Error</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {failures.data.events.map((event) => (
                  <tr key={event.id}>
                    <td>
                      <a href={href(['events', event.id])}>{event.type}</a> <StatusBadge status={event.status} />
                    </td>
                    <td class="error-text">{event.error ?? '—'}</td>
                    <td>
                      <Time iso={event.processed_at ?? event.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p>
          <a href={href(['events'], { status: 'failed' })}>All failed events →</a>
        </p>
      </section>
    </section>
  );
}
