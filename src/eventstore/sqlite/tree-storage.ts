/** The ledger's Merkle tree kept in the SQLite file, in the same transactions as the events. */
import type Database from 'better-sqlite3';
import type { RecordedEvent } from '../../core/envelope.ts';
import { leavesOfNodes, nodeKey } from '../../core/merkle/nodes.ts';
import type { MerkleNode, MerkleStorage, MerkleTree } from '../../core/merkle/tree.ts';
import { leafHash, leafInput } from '../../core/merkle-leaf.ts';

/**
 * MerkleStorage in the `merkle_nodes` table, each node under its post-order position, the order
 * in which an append-only tree completes its nodes (as Merkle Mountain Ranges number them): every
 * insert goes at the end of the table's B-tree, so a commit writes a page or two of nodes, not a
 * page per level. The size comes from the last key (one seek), never from counting rows.
 * Appends must run inside the caller's transaction, which makes them all or nothing: the store
 * runs each in the savepoint of the append whose events it covers.
 */
export function sqliteMerkleStorage(db: Database.Database): MerkleStorage {
  const lastNode = db.prepare<[], number | null>('SELECT max(node) FROM merkle_nodes').pluck();
  const node = db.prepare<[number], Buffer>('SELECT hash FROM merkle_nodes WHERE node = ?').pluck();
  const insert = db.prepare<[number, Buffer]>(
    'INSERT INTO merkle_nodes (node, hash) VALUES (?, ?)',
  );
  return {
    size: () => leavesOfNodes((lastNode.get() ?? -1) + 1),
    get: (level, index) => node.get(nodeKey(level, index)),
    append: (nodes) => {
      if (!db.inTransaction) throw new Error('Merkle nodes are appended inside a transaction');
      for (const { level, index, hash } of nodes) {
        insert.run(
          nodeKey(level, index),
          Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength),
        );
      }
    },
  };
}

/**
 * `storage` for the writer: it remembers the size and the last node of each level, the only
 * nodes an append reads, so an append costs its inserts and no query. `forget()` drops what it
 * remembers: at the start of each transaction (another process may have appended) and after a
 * rolled-back savepoint (its nodes are gone).
 */
export function appendingStorage(storage: MerkleStorage): MerkleStorage & { forget(): void } {
  let size: number | undefined;
  const lastOfLevel: (MerkleNode | undefined)[] = [];
  return {
    size: () => {
      size ??= storage.size();
      return size;
    },
    get: (level, index) => {
      const node = lastOfLevel[level];
      return node?.index === index ? Uint8Array.from(node.hash) : storage.get(level, index);
    },
    append: (nodes) => {
      storage.append(nodes);
      for (const node of nodes)
        lastOfLevel[node.level] = { ...node, hash: Uint8Array.from(node.hash) };
      size = (nodes[0] as MerkleNode).index + 1;
    },
    forget: () => {
      size = undefined;
      lastOfLevel.length = 0;
    },
  };
}

/** Leaf i is the event at position i + 1: a tree that lags or leads the events is refused. */
export function appendLeaf(tree: MerkleTree, event: RecordedEvent, dataJson?: string): void {
  const leafIndex = tree.append(leafHash(leafInput(event, dataJson)));
  if (leafIndex !== event.position - 1) {
    throw new Error(
      `the Merkle tree has ${leafIndex} leaves but the event goes to position ${event.position}: the tree and the events of this file disagree`,
    );
  }
}
