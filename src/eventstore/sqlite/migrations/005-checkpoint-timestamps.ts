import type Database from 'better-sqlite3';

/**
 * Schema version 5: RFC 3161 timestamp tokens of signed checkpoints (docs/design.md "Trusted
 * time"), keyed by SHA-256 (hex) of the checkpoint text, kept in the ledger file beside them.
 */
export function createCheckpointTimestamps(db: Database.Database): void {
  db.exec(`
    CREATE TABLE checkpoint_timestamps (
      imprint TEXT PRIMARY KEY CHECK (length(imprint) = 64),
      token BLOB NOT NULL
    ) STRICT;
  `);
}
