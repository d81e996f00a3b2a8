import { useEffect, useState } from 'preact/hooks';
import type { ApiError, Role } from '../api.js';
import { ErrorNotice, Loading, PageHeader } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';

type ActionPages = typeof import('./action-pages.js');
let loading: Promise<ActionPages> | null = null;

/**
 * `#/actions` and `#/actions/TYPE`. The pages (the form generator, icons, their CSS: about 7 KB
 * gzipped) are their own chunk, fetched on the first visit, so the other pages do not carry them.
 */
export function ActionsRoute({ type, role }: { type?: string; role: Role }) {
  const [pages, setPages] = useState<ActionPages | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    loading ??= import('./action-pages.js');
    loading.then(setPages, (failure: unknown) => {
      loading = null;
      setError(toApiError(failure));
    });
  }, []);
  useEffect(() => {
    // The shell focused the placeholder's heading, which the real page replaced.
    if (pages && (document.activeElement === document.body || document.activeElement === null)) document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [pages]);

  if (pages) return type ? <pages.ActionPage type={type} role={role} /> : <pages.ActionsPage />;
  return (
    <section>
      <PageHeader title="Actions" />
      {error ? <ErrorNotice error={error} what="The Actions page did not load (reload to try again)" /> : <Loading />}
    </section>
  );
}
