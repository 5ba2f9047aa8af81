/** The ledger's Merkle tree kept in the SQLite file, in the same transactions as the events. */
import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../core/envelope.ts';
import { leavesOfNodes, nodeKey } from '../../core/merkle/nodes.ts';
import type { MerkleNode, MerkleStorage, MerkleTree } from '../../core/merkle/tree.ts';
import { leafHash, leafInput } from '../../core/merkle-leaf.ts';
import { multiRowInsert } from './multi-row-insert.ts';

/**
 * MerkleStorage in the `merkle_nodes` table, each node under its post-order position, the order
 * in which an append-only tree completes its nodes (as Merkle Mountain Ranges number them): every
 * insert goes at the end of the table's B-tree, so a commit writes a page or two of nodes, not a
 * page per level. The size comes from the last key (one seek), never from counting rows.
 * Appends must run inside the caller's transaction, which makes them all or nothing.
 */
export function sqliteMerkleStorage(db: Database.Database): MerkleStorage {
  const lastNode = db.prepare<[], number | null>('SELECT max(node) FROM merkle_nodes').pluck();
  const node = db.prepare<[number], Buffer>('SELECT hash FROM merkle_nodes WHERE node = ?').pluck();
  return {
    size: () => leavesOfNodes((lastNode.get() ?? -1) + 1),
    get: (level, index) => node.get(nodeKey(level, index)),
    append: nodeInserter(db),
  };
}

/** Inserts nodes, a multi-row INSERT per 128, inside the caller's transaction. */
export function nodeInserter(db: Database.Database): (nodes: readonly MerkleNode[]) => void {
  const insertRows = multiRowInsert<[number, Buffer]>(db, 'merkle_nodes (node, hash)', 2, 128);
  return (nodes) => {
    if (!db.inTransaction) throw new Error('Merkle nodes are appended inside a transaction');
    insertRows(
      nodes.map(({ level, index, hash }) => [
        nodeKey(level, index),
        Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength),
      ]),
    );
  };
}

/** Leaf i is the event at position i + 1: a tree that lags or leads the events is refused. */
export function appendLeaf(
  tree: MerkleTree,
  event: Omit<RecordedEvent, 'data'> & { data?: unknown },
  dataJson?: string,
): void {
  const leafIndex = tree.append(leafHash(leafInput(event, dataJson)));
  if (leafIndex !== event.position - 1) {
    throw new Error(
      `the Merkle tree has ${leafIndex} leaves but the event goes to position ${event.position}: the tree and the events of this file disagree`,
    );
  }
}
