import type pg from 'pg';
import type { StoreChange } from '../store.js';

export const EVENTS_CHANNEL = 'hookflow_events';
export const HOOKS_CHANNEL = 'hookflow_hooks';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * One dedicated connection doing `LISTEN hookflow_events` and `LISTEN hookflow_hooks` for every subscriber of a store.
 * Channels are database-wide while stores live in a schema, so notifications carry the
 * publishing schema as payload and only those of this store's schema are passed on.
 * A lost connection is re-opened with backoff; subscribers are then called once, since
 * notifications sent while it was down are gone.
 */
export class EventsListener {
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelay = RECONNECT_MIN_MS;
  private closed = false;

  constructor(private readonly newClient: () => pg.Client) {}

  async subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    try {
      await this.ensureConnected();
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      this.listeners.delete(listener);
      if (this.listeners.size === 0) await this.disconnect();
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.disconnect();
  }

  private ensureConnected(): Promise<void> {
    if (this.client) return Promise.resolve();
    if (!this.connecting) {
      this.connecting = this.connect().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = this.newClient();
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      const schema = rows[0]?.schema ?? '';
      client.on('notification', (message) => {
        if ((message.payload ?? '') !== schema) return;
        if (message.channel === EVENTS_CHANNEL) this.notifyAll('events');
        else if (message.channel === HOOKS_CHANNEL) this.notifyAll('hooks');
      });
      await client.query(`LISTEN ${EVENTS_CHANNEL}; LISTEN ${HOOKS_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      throw error;
    }
    if (this.closed || this.listeners.size === 0) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
  }

  private async disconnect(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.connecting) await this.connecting.catch(() => {});
    const client = this.client;
    this.client = null;
    if (!client) return;
    client.removeAllListeners('end');
    await client.end().catch(() => {});
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.listeners.size === 0 || this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.ensureConnected().then(
        // Whatever was notified while the connection was down is lost: assume everything changed.
        () => {
          this.notifyAll('events');
          this.notifyAll('hooks');
        },
        () => this.scheduleReconnect(),
      );
    }, delay);
    this.reconnectTimer.unref();
  }

  private notifyAll(change: StoreChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // A subscriber's failure is its own; the others still get woken.
      }
    }
  }
}
