/**
 * Pieces shared by the Programs pages: the status badge, a running duration, and keeping a page
 * current from the live stream's `execution.*` events (or by asking again while the stream is down).
 */
import { useEffect, useState } from 'preact/hooks';
import { formatSeconds } from '../lib/programs.js';
import { useEventRefresh } from '../live-refresh.js';

export function ExecutionBadge({ status }: { status: string }) {
  return <span class={`badge exec-badge exec-${status}`}>{status}</span>;
}

/** How long it took, or how long it has been running so far (ticking every second). */
export function RunTime({ start, end, seconds }: { start: string | null; end: string | null; seconds: number | null }) {
  const running = start !== null && end === null;
  const [, tick] = useState(0);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => tick((value) => value + 1), 1000);
    return () => clearInterval(timer);
  }, [running]);
  if (start === null) return <span class="muted">—</span>;
  if (!running) return <span>{formatSeconds(seconds)}</span>;
  const started = Date.parse(start);
  const soFar = Number.isNaN(started) ? seconds : Math.max(0, (Date.now() - started) / 1000);
  return <span title="still running">{formatSeconds(soFar === null ? null : Math.floor(soFar))}…</span>;
}


/**
 * Calls `refresh` after `execution.*` events of the live stream (a burst is one call, at most one
 * per `gapMs`); while the stream is not live and `active` holds (something queued or running in
 * view), every POLL_MS instead.
 */
export function useExecutionRefresh(refresh: () => Promise<unknown>, active: boolean, gapMs = 300): void {
  useEventRefresh((event) => event.type.startsWith('execution.'), refresh, { active, gapMs });
}
