/**
 * Keeping a workflow page current: the live stream's `job.*`, `step.*`, `workflow.*` and
 * `action.*` events (of one workflow, or of any) ask for a refresh, bursts coalesced into one;
 * without the stream (polling, or still connecting) the page asks every 2 s while `active`.
 */
import { useEffect, useRef } from 'preact/hooks';
import { useLive, useLiveState } from '../live.js';

const WORKFLOW_EVENT = /^(job|step|workflow|action)\./;
export const POLL_MS = 2000;

/** Whether a stream event is about `workflowId` (any workflow when null). */
export function isWorkflowEvent(event: { type: string; data: Record<string, unknown> }, workflowId: string | null): boolean {
  if (!WORKFLOW_EVENT.test(event.type)) return false;
  return workflowId === null || event.data.workflow_id === workflowId;
}

/**
 * Calls `refresh` after workflow events (at most one call per `gapMs`, the last burst never
 * dropped) and every POLL_MS while the stream is not live and `active` holds.
 */
export function useWorkflowRefresh(workflowId: string | null, refresh: () => Promise<unknown> | void, options: { active: boolean; gapMs?: number }): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const running = useRef(false);
  const again = useRef(false);
  // The listeners below are made once: they read the gap of the latest render through a ref.
  const gap = useRef(150);
  gap.current = options.gapMs ?? 150;

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

  useLive(
    (message) => {
      if (isWorkflowEvent(message.event, workflowId)) schedule();
    },
    [workflowId],
  );

  const state = useLiveState();
  useEffect(() => {
    if (!options.active) return;
    // Events published while the stream was not open are not replayed to this page: look once.
    if (state === 'live') return schedule();
    const poll = setInterval(schedule, POLL_MS);
    return () => clearInterval(poll);
  }, [state, options.active, workflowId]);
}
