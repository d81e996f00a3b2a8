/**
 * Pieces shared by the Programs pages: the status badge, a running duration, and keeping a page
 * current from the live stream's `execution.*` events (or by asking again while the stream is down).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatSeconds } from '../lib/programs.js';
import { useLive, useLiveState } from '../live.js';

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

export const POLL_MS = 2000;

/**
 * Calls `refresh` after `execution.*` events of the live stream (a burst is one call, at most one
 * per `gapMs`); while the stream is not live and `active` holds (something queued or running in
 * view), every POLL_MS instead.
 */
export function useExecutionRefresh(refresh: () => Promise<unknown>, active: boolean, gapMs = 300): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const running = useRef(false);
  const again = useRef(false);

  const run = async () => {
    timer.current = null;
    if (running.current) {
      again.current = true;
      return;
    }
    running.current = true;
    try {
      await latest.current();
    } finally {
      running.current = false;
      if (again.current) {
        again.current = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (timer.current === null) timer.current = setTimeout(() => void run(), gapMs);
  };
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    },
    [],
  );

  useLive((message) => {
    if (message.kind === 'event.published' && message.event.type.startsWith('execution.')) schedule();
  });

  const state = useLiveState();
  useEffect(() => {
    // Events published while the stream was connecting are not replayed: look once when it opens.
    if (state === 'live') return schedule();
    if (!active) return;
    const poll = setInterval(schedule, POLL_MS);
    return () => clearInterval(poll);
  }, [state, active]);
}
