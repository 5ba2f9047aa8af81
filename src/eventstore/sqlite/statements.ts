/** The SQLite ledger's prepared statements, prepared once per connection. */
import type Database from 'better-sqlite3';
import { EVENT_COLUMNS, type EventRow } from './rows.ts';

export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database.Database) {
  return {
    lastEvent: db.prepare<[], { position: number; recordedAt: string }>(
      `SELECT position, metadata ->> '$.recordedAt' AS recordedAt FROM events ORDER BY position DESC LIMIT 1`,
    ),
    byEventId: db
      .prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE event_id = ?`)
      .raw(),
    readAll: db
      .prepare<[number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?`,
      )
      .raw(),
    readStream: db
      .prepare<[string, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision`,
      )
      .raw(),
    headPosition: db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck(),
    positionOf: db
      .prepare<[string], number>('SELECT position FROM events WHERE event_id = ?')
      .pluck(),
  };
}
