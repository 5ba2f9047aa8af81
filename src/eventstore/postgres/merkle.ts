/**
 * The ledger's RFC 6962 tree in the `merkle_nodes` table. Writers extend it in the transaction
 * that inserts the events (write-driver.ts); readers answer roots and proofs from it with one query
 * for all the nodes an answer needs: which nodes those are depends only on the sizes and the
 * leaf index, never on the hashes, so a first pass of the proof code over placeholder hashes
 * names them, and a second pass over the fetched ones computes the answer.
 */
import type pg from 'pg';
import { type MerkleStorage, MerkleTree } from '../../core/merkle/tree.ts';
import type { LedgerMerkleTree } from '../port.ts';
import { reachable } from './unavailable.ts';

const PLACEHOLDER = new Uint8Array(32);

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export async function treeSize(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ size: number }>(
    'SELECT coalesce(max(idx) + 1, 0)::bigint AS size FROM merkle_nodes WHERE level = 0',
  );
  return rows[0]?.size ?? 0;
}

/** Stored nodes by (level, index), in one query. */
export async function fetchNodes(
  db: Queryable,
  wanted: readonly { level: number; index: number }[],
): Promise<Map<string, Uint8Array>> {
  const nodes = new Map<string, Uint8Array>();
  if (wanted.length === 0) return nodes;
  const { rows } = await db.query<{ level: number; idx: number; hash: Buffer }>(
    `SELECT n.level, n.idx, n.hash FROM merkle_nodes n
       JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) USING (level, idx)`,
    [wanted.map((w) => w.level), wanted.map((w) => w.index)],
  );
  for (const row of rows) nodes.set(key(row.level, row.idx), new Uint8Array(row.hash));
  return nodes;
}

const key = (level: number, index: number) => `${level}/${index}`;

/** A tree of `size` leaves whose node reads come from `nodes` (and, when given, are recorded). */
function storageOf(
  size: number,
  nodes: Map<string, Uint8Array> | null,
  wanted?: { level: number; index: number }[],
): MerkleStorage {
  return {
    size: () => size,
    get: (level, index) => {
      if (nodes === null) {
        wanted?.push({ level, index });
        return PLACEHOLDER;
      }
      const hash = nodes.get(key(level, index));
      return hash && Uint8Array.from(hash);
    },
    append: () => {
      throw new Error('a tree read from PostgreSQL is read-only');
    },
  };
}

/** Runs `answer` over the stored tree of `size` leaves, fetching what it reads in one query. */
async function answerFrom<T>(
  db: Queryable,
  size: number,
  answer: (tree: MerkleTree) => T,
): Promise<T> {
  const wanted: { level: number; index: number }[] = [];
  answer(new MerkleTree(storageOf(size, null, wanted)));
  const nodes = await fetchNodes(db, wanted);
  return answer(new MerkleTree(storageOf(size, nodes)));
}

/** The `merkle` capability of the store: always the tree of what is committed, by any process. */
export function postgresMerkleTree(db: Queryable): LedgerMerkleTree {
  return {
    size: () => reachable(() => treeSize(db)),
    root: (size) =>
      reachable(async () => {
        const committed = await treeSize(db);
        return answerFrom(db, committed, (tree) => tree.root(size ?? committed));
      }),
    inclusionProof: (leafIndex, size) =>
      reachable(async () =>
        answerFrom(db, await treeSize(db), (tree) => tree.inclusionProof(leafIndex, size)),
      ),
    consistencyProof: (size1, size2) =>
      reachable(async () =>
        answerFrom(db, await treeSize(db), (tree) => tree.consistencyProof(size1, size2)),
      ),
    leafIndexOf: (eventId) =>
      reachable(async () => {
        const { rows } = await db.query<{ position: number }>(
          'SELECT position FROM events WHERE event_id = $1',
          [eventId],
        );
        const position = rows[0]?.position;
        return position === undefined ? null : position - 1;
      }),
  };
}
