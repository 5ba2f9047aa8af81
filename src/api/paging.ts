/**
 * One paging shape for every list answer (docs/design.md, "Paging"): `limit` (default 100, at
 * most 1000) and an opaque `cursor` in the query; the answer's list plus `next`, the cursor of
 * the page after it, null on the last page. A cursor holds the sort key of the last item given,
 * so a page starts after that item even when the list grew or shrank in between, and the name
 * of its list: a cursor of one list is refused by another.
 */
import { z } from 'zod';
import { ProblemError } from './problems.ts';

export const PAGE_LIMIT_DEFAULT = 100;
export const PAGE_LIMIT_MAX = 1000;

/** An item's place in its list's order: compared element by element, ascending. */
export type SortKey = readonly (string | number)[];

export const PageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(PAGE_LIMIT_MAX)
    .default(PAGE_LIMIT_DEFAULT)
    .describe(`Items per page (default ${PAGE_LIMIT_DEFAULT}, at most ${PAGE_LIMIT_MAX})`),
  cursor: z
    .string()
    .max(512)
    .optional()
    .describe('The `next` of the previous page; absent for the first page'),
};

export const NextCursor = z
  .string()
  .nullable()
  .describe('Pass as `cursor` for the page after this one; null when this is the last page');

export interface Page<T> {
  items: T[];
  next: string | null;
}

/**
 * The page of `sorted` (in `keyOf` order) after `cursor`, at most `limit` long. `list` names the
 * list and whatever selects it (e.g. its program), so that only its own cursors are taken.
 */
export function pageOf<T>(
  list: string,
  sorted: readonly T[],
  keyOf: (item: T) => SortKey,
  query: { limit: number; cursor?: string | undefined },
): Page<T> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, list);
  const start = after === undefined ? 0 : firstAfter(sorted, keyOf, after);
  const items = sorted.slice(start, start + query.limit);
  const last = items.at(-1);
  const more = start + items.length < sorted.length;
  return { items, next: more && last !== undefined ? encodeCursor(list, keyOf(last)) : null };
}

/**
 * Just after the item whose key the cursor holds; if that item left the list, before the first
 * item that sorts after it.
 */
function firstAfter<T>(sorted: readonly T[], keyOf: (item: T) => SortKey, after: SortKey): number {
  const same = sorted.findIndex((item) => compareKeys(keyOf(item), after) === 0);
  if (same !== -1) return same + 1;
  const later = sorted.findIndex((item) => compareKeys(keyOf(item), after) > 0);
  return later === -1 ? sorted.length : later;
}

function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

const Cursor = z.object({
  list: z.string(),
  after: z.array(z.union([z.string(), z.number()])).min(1),
});

const encodeCursor = (list: string, after: SortKey) =>
  Buffer.from(JSON.stringify({ list, after })).toString('base64url');

function decodeCursor(cursor: string, list: string): SortKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const decoded = Cursor.safeParse(parsed);
  if (!decoded.success || decoded.data.list !== list)
    throw new ProblemError(
      400,
      'invalid-cursor',
      'Invalid cursor',
      'cursor is not one this list gave as `next`; omit it for the first page',
    );
  return decoded.data.after;
}
