import { useEffect, useState } from 'preact/hooks';

/**
 * Pages are addressed by the URL's fragment (`#/programs`, `#/program/<id>?at=…`), so the
 * service serves one file and a page can be bookmarked. The API key is never part of it.
 */
export interface Route {
  page: string;
  arg: string | null;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = 'programs', ...rest] = path.split('/');
  return {
    page: page || 'programs',
    arg: rest.length ? decodeURIComponent(rest.join('/')) : null,
    params: new URLSearchParams(query),
  };
}

export function useRoute(): Route {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return parseRoute(hash);
}

export const programHref = (programId: string) => `#/program/${encodeURIComponent(programId)}`;

/** Replaces the fragment's query without adding a history entry per keystroke or slider step. */
export function replaceParams(route: Route, params: Record<string, string | null>): void {
  const next = new URLSearchParams(route.params);
  for (const [name, value] of Object.entries(params))
    if (value === null || value === '') next.delete(name);
    else next.set(name, value);
  const path = [route.page, ...(route.arg ? [encodeURIComponent(route.arg)] : [])].join('/');
  const query = next.toString();
  window.history.replaceState(null, '', `#/${path}${query ? `?${query}` : ''}`);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
