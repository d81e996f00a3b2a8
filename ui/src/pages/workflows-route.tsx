import { useEffect, useState } from 'preact/hooks';
import type { ApiError, Role } from '../api.js';
import { ErrorNotice, Loading, PageHeader } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';
import type { Route } from '../router.js';

type WorkflowPages = typeof import('./workflow-pages.js');
let loading: Promise<WorkflowPages> | null = null;

/**
 * `#/workflows` and `#/workflows/ID`. The pages (the graph drawing, the job and log views, their
 * CSS) are their own chunk, fetched on the first visit, so the other pages do not carry them.
 */
export function WorkflowsRoute({ id, route, role }: { id?: string; route: Route; role: Role }) {
  const [pages, setPages] = useState<WorkflowPages | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    loading ??= import('./workflow-pages.js');
    loading.then(setPages, (failure: unknown) => {
      loading = null;
      setError(toApiError(failure));
    });
  }, []);
  useEffect(() => {
    // The shell focused the placeholder's heading, which the real page replaced.
    if (pages && (document.activeElement === document.body || document.activeElement === null)) document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [pages]);

  if (pages) return id ? <pages.WorkflowPage id={id} route={route} role={role} /> : <pages.WorkflowsPage route={route} role={role} />;
  return (
    <section>
      <PageHeader title="Workflows" />
      {error ? <ErrorNotice error={error} what="The Workflows page did not load (reload to try again)" /> : <Loading />}
    </section>
  );
}
