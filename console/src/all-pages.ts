/** The largest page the API gives (docs/design.md, "Paging"). */
const PAGE_LIMIT = 1000;

/** What a paged route takes; written out at each call, so TypeScript infers the answer's type. */
export interface PageQuery {
  limit: number;
  cursor?: string;
}

/**
 * Every page of a paged list answer joined into one answer, following `next` until the last
 * page: the console's tables show the whole list (and page it on screen), while the server
 * never builds more than one page per request.
 */
export async function allPages<A extends { next: string | null }, K extends keyof A>(
  ask: (page: PageQuery) => Promise<A>,
  list: K,
): Promise<A> {
  const first = await ask({ limit: PAGE_LIMIT });
  const items = [...(first[list] as unknown[])];
  for (let next = first.next; next !== null; ) {
    const page = await ask({ limit: PAGE_LIMIT, cursor: next });
    items.push(...(page[list] as unknown[]));
    next = page.next;
  }
  return { ...first, [list]: items, next: null };
}
