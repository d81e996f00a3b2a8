/**
 * Live events for every page from one connection: `GET /stream` (Server-Sent Events) when the
 * server has it, else `GET /events` every few seconds, so the pages work the same either way.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, streamUrl, type EventJson, type EventStatus, type ExecutionJson } from './api.js';

export type LiveKind = 'event.published' | 'event.processed';
export interface LiveMessage {
  kind: LiveKind;
  event: EventJson & { executions?: ExecutionJson[] };
}
/** connecting: opening the stream; live: streaming; polling: no stream, asking every POLL_MS. */
export type LiveState = 'idle' | 'connecting' | 'live' | 'polling';

const POLL_MS = 3000;
/** Pages unsubscribe and subscribe again when the route changes: keep the stream over the gap. */
const LINGER_MS = 2000;
const FINAL: ReadonlySet<EventStatus> = new Set(['completed', 'failed']);

class LiveEvents {
  private source: EventSource | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private stopTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly known = new Map<string, EventStatus>();
  private readonly listeners = new Set<(message: LiveMessage) => void>();
  private readonly stateListeners = new Set<(state: LiveState) => void>();
  state: LiveState = 'idle';

  subscribe(listener: (message: LiveMessage) => void): () => void {
    this.listeners.add(listener);
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.stopTimer = null;
    if (this.state === 'idle') this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopTimer = setTimeout(() => this.stop(), LINGER_MS);
    };
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Closes everything (logout). */
  stop(): void {
    this.source?.close();
    this.source = null;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.known.clear();
    this.setState('idle');
  }

  private setState(state: LiveState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }

  private emit(message: LiveMessage): void {
    for (const listener of this.listeners) listener(message);
  }

  private start(): void {
    const url = streamUrl();
    if (!url || typeof EventSource === 'undefined') return this.startPolling();
    this.setState('connecting');
    const source = new EventSource(url);
    this.source = source;
    source.onopen = () => this.setState('live');
    source.onerror = () => {
      // CONNECTING: a dropped connection the browser retries itself (with Last-Event-ID).
      // CLOSED: the server refused the stream (no such route, no auth): poll instead.
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        if (this.source === source) {
          this.source = null;
          this.startPolling();
        }
      } else {
        this.setState('connecting');
      }
    };
    for (const kind of ['event.published', 'event.processed'] as const) {
      source.addEventListener(kind, (message) => {
        try {
          const event = JSON.parse((message as MessageEvent<string>).data) as LiveMessage['event'];
          if (event && typeof event.id === 'string') this.emit({ kind, event });
        } catch {
          // A malformed message is skipped; the next one still arrives.
        }
      });
    }
  }

  private startPolling(): void {
    this.setState('polling');
    let first = true;
    const poll = async () => {
      try {
        const { events } = await api.events({ limit: 50 });
        for (const event of [...events].reverse()) {
          const before = this.known.get(event.id);
          this.known.set(event.id, event.status);
          if (first || before === event.status) continue;
          if (before === undefined && !FINAL.has(event.status)) this.emit({ kind: 'event.published', event });
          else if (FINAL.has(event.status)) this.emit({ kind: 'event.processed', event });
        }
        first = false;
        if (this.known.size > 2000) this.known.clear();
      } catch {
        // The next poll tries again; a 401 has already sent the app back to login.
      }
      if (this.state === 'polling') this.pollTimer = setTimeout(poll, POLL_MS);
    };
    void poll();
  }
}

export const live = new LiveEvents();

/** Calls `listener` for every live message while the component is mounted. */
export function useLive(listener: (message: LiveMessage) => void, deps: unknown[] = []): void {
  useEffect(() => live.subscribe(listener), deps);
}

export function useLiveState(): LiveState {
  const [state, setState] = useState(live.state);
  useEffect(() => {
    setState(live.state);
    return live.onState(setState);
  }, []);
  return state;
}
