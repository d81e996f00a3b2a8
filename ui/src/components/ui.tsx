import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiError, EventStatus } from '../api.js';
import { relative } from '../lib/time.js';

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · hookflow`;
  }, [title]);
  return (
    <header class="page-header">
      <h1 tabIndex={-1} id="page-title">
        {title}
      </h1>
      {children ? <div class="page-actions">{children}</div> : null}
    </header>
  );
}

/**
 * An API failure for people: what went wrong, the server's hint, and for a route this server does
 * not have (yet) a plain statement instead of an empty page.
 */
export function ErrorNotice({ error, what }: { error: ApiError; what?: string }) {
  if (error.routeMissing) {
    return (
      <div class="notice notice-missing" role="note">
        <strong>Not available on this server.</strong> {what ? `${what}: ` : ''}
        {error.message.replace(/^no route /, 'it has no ')} route. A newer hookflow server has it; see <a href="/docs">the API docs</a> for what this one offers.
      </div>
    );
  }
  return (
    <div class="notice notice-error" role="alert">
      <strong>{what ? `${what}: ` : ''}</strong>
      {error.message}
      {error.hint ? <div class="hint">{error.hint}</div> : null}
      {error.status ? <div class="code">{`${error.status} · ${error.code}`}</div> : null}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="loading" aria-busy="true">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function StatusBadge({ status }: { status: EventStatus | 'success' | 'failure' | 'enabled' | 'disabled' | 'revoked' }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** A time as "3 min ago" or "in 2 h" (kept fresh), the exact time on hover and for assistive tech. */
export function Time({ iso }: { iso: string | null | undefined }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((value) => value + 1), 15_000);
    return () => clearInterval(timer);
  }, []);
  if (!iso) return <span class="muted">—</span>;
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return <span>{iso}</span>;
  const exact = new Date(time).toLocaleString();
  return (
    <time dateTime={iso} title={exact}>
      {Math.abs(Date.now() - time) > 7 * 86_400_000 ? exact : relative(Date.now() - time)}
    </time>
  );
}

export function Duration({ ms }: { ms: number }) {
  return <span>{ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`}</span>;
}

export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre class="block" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** Label and control on one line at desktop width, stacked on a phone. */
export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: ComponentChildren }) {
  return (
    <label class="field">
      <span class="field-label">{label}</span>
      {children}
      {hint ? <span class="field-hint">{hint}</span> : null}
    </label>
  );
}
