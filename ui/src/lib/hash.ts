/** Hash routes as data (`#/hooks/my%20hook?x=1` ⇄ segments and query); no DOM, tested under Node. */

export interface Route {
  /** Decoded path segments: `#/hooks/my%20hook` → ['hooks', 'my hook']. */
  segments: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const cut = text.indexOf('?');
  const pathPart = cut < 0 ? text : text.slice(0, cut);
  const queryPart = cut < 0 ? '' : text.slice(cut + 1);
  const segments = pathPart
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return { segments, query: new URLSearchParams(queryPart) };
}

/** A link target: `href(['events', id])`, `href(['events'], {status: 'failed'})`; empty query values are left out. */
export function href(segments: string[], query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const search = params.toString();
  return `#/${segments.map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`;
}
