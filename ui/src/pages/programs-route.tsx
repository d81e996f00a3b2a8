import { useEffect, useState } from 'preact/hooks';
import type { ApiError, Role } from '../api.js';
import { ErrorNotice, Loading, PageHeader } from '../components/ui.js';
import { toApiError } from '../components/use-api.js';
import type { Route } from '../router.js';

type ProgramPages = typeof import('./program-pages.js');
let loading: Promise<ProgramPages> | null = null;

/**
 * `#/programs` and `#/programs/executions/ID`. The pages (the run form, the live output, the
 * charts, their CSS) are their own chunk, fetched on the first visit, so the other pages do not carry them.
 */
export function ProgramsRoute({ route, role }: { route: Route; role: Role }) {
  const [pages, setPages] = useState<ProgramPages | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    loading ??= import('./program-pages.js');
    loading.then(setPages, (failure: unknown) => {
      loading = null;
      setError(toApiError(failure));
    });
  }, []);
  useEffect(() => {
    // The shell focused the placeholder's heading, which the real page replaced.
    if (pages && (document.activeElement === document.body || document.activeElement === null)) document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [pages]);

  const [, second, third] = route.segments;
  if (pages) {
    if (second === 'executions' && third) return <pages.ProgramExecutionPage id={third} role={role} />;
    return <pages.ProgramsPage route={route} role={role} />;
  }
  return (
    <section>
      <PageHeader title="Programs" />
      {error ? <ErrorNotice error={error} what="The Programs page did not load (reload to try again)" /> : <Loading />}
    </section>
  );
}
