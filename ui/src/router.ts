/**
 * Hash routes (`#/events/ID?status=failed`): every page is a link that works on reload and with
 * the back button, and the server needs no fallback for client-side paths.
 */
import { useEffect, useState } from 'preact/hooks';
import { href, parseHash, type Route } from './lib/hash.js';

export { href, parseHash, type Route };

export function navigate(segments: string[], query: Record<string, string | undefined> = {}): void {
  location.hash = href(segments, query);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
