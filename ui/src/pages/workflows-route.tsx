import type { Role } from '../api.js';
import { ChunkPlaceholder, pageChunk, useChunk } from '../components/lazy-pages.js';
import type { Route } from '../router.js';

/**
 * `#/workflows` and `#/workflows/ID`. The pages (the graph drawing, the job and log views, their
 * CSS) are their own chunk, fetched on the first visit, so the other pages do not carry them.
 */
const workflowPages = pageChunk(() => import('./workflow-pages.js'));

export function WorkflowsRoute({ id, route, role }: { id?: string; route: Route; role: Role }) {
  const { pages, error } = useChunk(workflowPages);
  if (!pages) return <ChunkPlaceholder title="Workflows" error={error} />;
  return id ? <pages.WorkflowPage id={id} route={route} role={role} /> : <pages.WorkflowsPage route={route} role={role} />;
}
