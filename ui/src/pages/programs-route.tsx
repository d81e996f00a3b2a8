import type { Role } from '../api.js';
import { ChunkPlaceholder, pageChunk, useChunk } from '../components/lazy-pages.js';
import type { Route } from '../router.js';

/**
 * `#/programs` and `#/programs/executions/ID`. The pages (the run form, the live output, the
 * charts, their CSS) are their own chunk, fetched on the first visit, so the other pages do not carry them.
 */
const programPages = pageChunk(() => import('./program-pages.js'));

export function ProgramsRoute({ route, role }: { route: Route; role: Role }) {
  const { pages, error } = useChunk(programPages);
  if (!pages) return <ChunkPlaceholder title="Programs" error={error} />;
  const [, second, third] = route.segments;
  if (second === 'executions' && third) return <pages.ProgramExecutionPage id={third} role={role} />;
  return <pages.ProgramsPage route={route} role={role} />;
}
