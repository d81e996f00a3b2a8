/**
 * A pause that an abort ends early; it never rejects. `keepAlive: false` lets the process exit
 * meanwhile (for waits that only bound a race which usually ends sooner).
 */
export function pause(ms: number, signal?: AbortSignal, options: { keepAlive?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (options.keepAlive === false) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}
