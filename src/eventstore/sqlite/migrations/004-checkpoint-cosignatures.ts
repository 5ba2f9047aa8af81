import type Database from 'better-sqlite3';

/**
 * Schema version 4: witnesses' cosignatures of the kept checkpoints (docs/design.md,
 * "Witnesses"), one signature line a row, with the tree size of the note it cosigns.
 */
export function createCheckpointCosignatures(db: Database.Database): void {
  db.exec(`
    CREATE TABLE checkpoint_cosignatures (
      idx INTEGER PRIMARY KEY CHECK (idx >= 0),
      tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
      line TEXT NOT NULL
    ) STRICT;
  `);
}
