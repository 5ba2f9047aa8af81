import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { readSignedCheckpointFile } from '../../signed-checkpoint-log.ts';

/**
 * Schema version 3: the signed-checkpoint history, one note a row, oldest first. A ledger that
 * kept it in the `<ledger>.signed-checkpoints` file beside it gets that file's notes, once; the
 * file is not read again (nor deleted: an auditor may hold it).
 */
export function createSignedCheckpoints(db: Database.Database, path: string): void {
  db.exec(`
    CREATE TABLE signed_checkpoints (
      idx INTEGER PRIMARY KEY CHECK (idx >= 0),
      note TEXT NOT NULL
    ) STRICT;
  `);
  const file = `${path}.signed-checkpoints`;
  if (!existsSync(file)) return;
  const insert = db.prepare<[number, string]>(
    'INSERT INTO signed_checkpoints (idx, note) VALUES (?, ?)',
  );
  for (const [idx, note] of readSignedCheckpointFile(file).entries()) insert.run(idx, note);
}
