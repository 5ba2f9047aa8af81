import type Database from 'better-sqlite3';
import { MerkleTree } from '../../../core/merkle/tree.ts';
import { EVENT_COLUMNS, type EventRow, toRecordedEvent } from '../rows.ts';
import { appendLeaf, sqliteMerkleStorage } from '../tree-storage.ts';

/** Schema version 2: the Merkle tree, one row per node, keyed by its post-order position (nodeKey). */
export function createMerkleNodes(db: Database.Database): void {
  db.exec(`
    CREATE TABLE merkle_nodes (
      node INTEGER PRIMARY KEY,
      hash BLOB NOT NULL CHECK (length(hash) = 32)
    ) STRICT;
  `);
  // A file from before the tree: build it once, from the events it holds.
  const tree = new MerkleTree(sqliteMerkleStorage(db));
  const page = db
    .prepare<[number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT 1000`,
    )
    .raw();
  for (let rows = page.all(0); rows.length > 0; rows = page.all(tree.size)) {
    for (const row of rows) appendLeaf(tree, toRecordedEvent(row));
  }
}
