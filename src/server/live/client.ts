import type { ServerResponse } from 'node:http';
import type { StreamFilter } from './filter.js';
import { sseComment, sseRetry, type Frame } from './sse.js';

export interface SseClientOptions {
  filter: StreamFilter;
  /** The Last-Event-ID it resumes after, or null. */
  resumeAfter: string | null;
  /**
   * Bytes that may wait for a slow client (its response's buffer, and frames held back while its
   * replay is written); above this it is dropped and reconnects to a replay.
   */
  maxBufferBytes: number;
  /** How long a replay may wait for the client to read before it is dropped. */
  drainTimeoutMs: number;
  retryMs: number;
  onClose(client: SseClient): void;
}

/** What a replay sent, so frames that came live meanwhile are not sent twice. */
export interface Replayed {
  frames: Frame[];
  published: ReadonlySet<string>;
  processed: ReadonlySet<string>;
}

/**
 * One stream: an HTTP response kept open. Frames are written as they come while the client
 * keeps up; while its replay is written, live frames wait in a bounded list. Never buffers
 * without bound: past `maxBufferBytes` the connection is destroyed.
 */
export class SseClient {
  readonly filter: StreamFilter;
  private readonly options: SseClientOptions;
  private replaying = false;
  private held: Frame[] = [];
  private heldBytes = 0;
  private closedValue = false;
  /** Why the server ended the stream (slow client, shutdown), for tests and logs. */
  closeReason: string | null = null;

  constructor(
    private readonly res: ServerResponse,
    options: SseClientOptions,
  ) {
    this.options = options;
    this.filter = options.filter;
    res.once('close', () => this.markClosed('client went away'));
  }

  get closed(): boolean {
    return this.closedValue;
  }

  /** Status line, headers, the reconnect delay, and a first comment so the client sees the stream open. */
  open(headers: Record<string, string>): void {
    this.res.socket?.setNoDelay(true);
    const all: Record<string, string> = {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx would otherwise hold frames back.
      'x-accel-buffering': 'no',
      ...headers,
    };
    // setHeader, not writeHead's argument: onResponse hooks read them back (getHeader).
    for (const [name, value] of Object.entries(all)) this.res.setHeader(name, value);
    this.res.writeHead(200);
    this.res.write(sseRetry(this.options.retryMs) + sseComment('connected'));
  }

  deliver(frame: Frame): void {
    if (this.closedValue) return;
    const { resumeAfter } = this.options;
    if (frame.withId && resumeAfter !== null && frame.eventId !== null && frame.eventId <= resumeAfter) return;
    if (this.replaying) {
      this.held.push(frame);
      this.heldBytes += frame.text.length;
      if (this.heldBytes > this.options.maxBufferBytes) this.drop('too many live events waited behind the replay');
      return;
    }
    this.write(frame.text);
  }

  heartbeat(): void {
    if (!this.closedValue && !this.replaying) this.write(sseComment('keep-alive'));
  }

  /** From now until `finishReplay`, live frames are held back. */
  beginReplay(): void {
    this.replaying = true;
  }

  /**
   * Writes the replay at the pace the client reads, then the frames held back meanwhile (less
   * those the replay already carried), and goes live.
   */
  async finishReplay(replayed: Replayed): Promise<void> {
    for (const frame of replayed.frames) {
      if (this.closedValue) return;
      this.res.write(frame.text);
      if (this.res.writableLength > this.options.maxBufferBytes && !(await this.drained())) {
        this.drop('the client did not read its replay');
        return;
      }
    }
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    this.replaying = false;
    for (const frame of held) {
      if (frame.eventId !== null) {
        if (frame.name === 'event.published' && replayed.published.has(frame.eventId)) continue;
        if (frame.name === 'event.processed' && replayed.processed.has(frame.eventId)) continue;
      }
      this.deliver(frame);
    }
  }

  /** Ends the stream politely (server shutdown). */
  end(reason: string): void {
    if (this.closedValue) return;
    this.closeReason = reason;
    this.res.end();
    this.markClosed(reason);
  }

  /** Cuts a client off (too slow, or a replay that failed); an EventSource reconnects and resumes. */
  drop(reason: string): void {
    if (this.closedValue) return;
    this.closeReason = reason;
    this.res.destroy();
    this.markClosed(reason);
  }

  private write(text: string): void {
    const flushed = this.res.write(text);
    if (!flushed && this.res.writableLength > this.options.maxBufferBytes) this.drop('the client reads too slowly');
  }

  private drained(): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), this.options.drainTimeoutMs);
      this.res.on('drain', onDrain);
      this.res.on('close', onClose);
    });
  }

  private markClosed(reason: string): void {
    if (this.closedValue) return;
    this.closedValue = true;
    this.closeReason ??= reason;
    this.held = [];
    this.heldBytes = 0;
    this.options.onClose(this);
  }
}
