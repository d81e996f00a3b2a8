import type { Role } from '../api.js';
import { ChunkPlaceholder, pageChunk, useChunk } from '../components/lazy-pages.js';

/**
 * `#/actions` and `#/actions/TYPE`. The pages (the form generator, icons, their CSS: about 7 KB
 * gzipped) are their own chunk, fetched on the first visit, so the other pages do not carry them.
 */
const actionPages = pageChunk(() => import('./action-pages.js'));

export function ActionsRoute({ type, role }: { type?: string; role: Role }) {
  const { pages, error } = useChunk(actionPages);
  if (!pages) return <ChunkPlaceholder title="Actions" error={error} />;
  return type ? <pages.ActionPage type={type} role={role} /> : <pages.ActionsPage />;
}
