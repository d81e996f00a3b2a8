/**
 * Pages that are a chunk of their own (Actions, Workflows, Programs): fetched on the first visit,
 * once, so the other pages do not carry them; a placeholder with the page's title until then, and
 * a notice when the chunk did not load (the next visit tries again).
 */
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../api.js';
import { ErrorNotice, Loading, PageHeader } from './ui.js';
import { toApiError } from './use-api.js';

export interface PageChunk<T> {
  load(): Promise<T>;
}

export function pageChunk<T>(importer: () => Promise<T>): PageChunk<T> {
  let loading: Promise<T> | null = null;
  return {
    load: () =>
      (loading ??= importer().catch((failure: unknown) => {
        loading = null;
        throw failure;
      })),
  };
}

export function useChunk<T>(chunk: PageChunk<T>): { pages: T | null; error: ApiError | null } {
  const [pages, setPages] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    chunk.load().then(setPages, (failure: unknown) => setError(toApiError(failure)));
  }, []);
  useEffect(() => {
    // The shell focused the placeholder's heading, which the real page replaced.
    if (pages && (document.activeElement === document.body || document.activeElement === null)) document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [pages]);
  return { pages, error };
}

export function ChunkPlaceholder({ title, error }: { title: string; error: ApiError | null }) {
  return (
    <section>
      <PageHeader title={title} />
      {error ? <ErrorNotice error={error} what={`The ${title} page did not load (reload to try again)`} /> : <Loading />}
    </section>
  );
}
