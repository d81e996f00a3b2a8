import type { JsonObject } from '../events/model.js';

/** At most one event per (type, client, reason) in this window; the next one says how many were thinned. */
const WINDOW_MS = 10_000;
const MAX_TRACKED = 10_000;

/**
 * Thins repeated security events so a client hammering the API cannot flood the event log, while
 * every kind of refusal from every client is still recorded. Pure: `publish` does the I/O.
 */
export class SecurityEventThinner {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly publish: (type: string, data: JsonObject) => void,
    private readonly now: () => number = Date.now,
  ) {}

  record(type: string, data: JsonObject): void {
    // Every sign-in outcome is kept: login attempts are rate limited already.
    if (type === 'security.login_success' || type === 'security.login_failed') return this.publish(type, data);
    const key = `${type}|${String(data.ip ?? '')}|${String(data.reason ?? '')}`;
    const now = this.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < WINDOW_MS) {
      seen.suppressed += 1;
      return;
    }
    if (this.last.size >= MAX_TRACKED) this.last.clear();
    this.last.set(key, { at: now, suppressed: 0 });
    this.publish(type, seen && seen.suppressed > 0 ? { ...data, suppressed_since_last: seen.suppressed } : data);
  }
}
