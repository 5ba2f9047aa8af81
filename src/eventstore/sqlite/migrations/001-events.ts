import type Database from 'better-sqlite3';

/** Schema version 1: the events, one row each, in global order. */
export function createEvents(db: Database.Database): void {
  db.exec(`
    CREATE TABLE events (
      position INTEGER PRIMARY KEY,
      stream TEXT NOT NULL,
      revision INTEGER NOT NULL CHECK (revision >= 0),
      event_id TEXT NOT NULL UNIQUE,
      type TEXT NOT NULL,
      data TEXT NOT NULL,
      metadata TEXT NOT NULL,
      UNIQUE (stream, revision)
    ) STRICT;
  `);
}
