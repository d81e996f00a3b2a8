/**
 * Keeping a page current from the live stream: events the page cares about ask for a refresh,
 * bursts coalesced into one call at most every `gapMs` (the last burst never dropped); while the
 * stream is not live and `active` holds, the page asks every POLL_MS instead; when the stream
 * comes back it asks once (events published meanwhile are not replayed to pages).
 */
import { useEffect, useRef } from 'preact/hooks';
import { useLive, useLiveState } from './live.js';

const POLL_MS = 2000;

export interface StreamEvent {
  type: string;
  data: Record<string, unknown>;
}

export function useEventRefresh(
  matches: (event: StreamEvent) => boolean,
  refresh: () => Promise<unknown> | void,
  options: { active: boolean; gapMs: number },
  deps: unknown[] = [],
): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const running = useRef(false);
  const again = useRef(false);
  // The listeners below are made once: they read the gap of the latest render through a ref.
  const gap = useRef(options.gapMs);
  gap.current = options.gapMs;

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
    if (timer.current === null) timer.current = setTimeout(() => void run(), gap.current);
  };
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    },
    [],
  );

  useLive((message) => {
    if (message.kind === 'event.published' && matches(message.event)) schedule();
  }, deps);

  const state = useLiveState();
  useEffect(() => {
    if (state === 'live') return schedule();
    if (!options.active) return;
    const poll = setInterval(schedule, POLL_MS);
    return () => clearInterval(poll);
  }, [state, options.active, ...deps]);
}
