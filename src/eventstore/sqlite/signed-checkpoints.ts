/**
 * The signed-checkpoint history in the ledger file itself (the port's SignedCheckpointLog), in
 * the table migration 003 creates: as durable as the events and copied with them, so it cannot
 * be deleted apart from the ledger. A note gets the next index in an IMMEDIATE transaction, as
 * on PostgreSQL, so two processes signing at once both keep theirs. Any connection to the file
 * will do (a signature is rare): it needs nothing of the store's writer. Timestamp tokens of
 * the checkpoints are in the table migration 005 creates, keyed by the checkpoint text's SHA-256.
 */
import type Database from 'better-sqlite3';
import type { KeptCosignature, SignedCheckpointLog } from '../port.ts';

export function sqliteSignedCheckpoints(db: Database.Database): SignedCheckpointLog {
  const select = db
    .prepare<[number], string>('SELECT note FROM signed_checkpoints WHERE idx >= ? ORDER BY idx')
    .pluck();
  const insert = db.prepare<[string]>(
    'INSERT INTO signed_checkpoints (idx, note) SELECT coalesce(max(idx) + 1, 0), ? FROM signed_checkpoints',
  );
  const append = db.transaction((note: string) => insert.run(note));
  const selectCosignatures = db.prepare<[number], { treeSize: number; line: string }>(
    'SELECT tree_size AS treeSize, line FROM checkpoint_cosignatures WHERE idx >= ? ORDER BY idx',
  );
  const insertCosignature = db.prepare<[number, string]>(
    'INSERT INTO checkpoint_cosignatures (idx, tree_size, line) SELECT coalesce(max(idx) + 1, 0), ?, ? FROM checkpoint_cosignatures',
  );
  const addCosignature = db.transaction((c: KeptCosignature) =>
    insertCosignature.run(c.treeSize, c.line),
  );
  const selectTimestamp = db
    .prepare<[string], Buffer>('SELECT token FROM checkpoint_timestamps WHERE imprint = ?')
    .pluck();
  const insertTimestamp = db.prepare<[string, Buffer]>(
    'INSERT INTO checkpoint_timestamps (imprint, token) VALUES (?, ?) ON CONFLICT DO NOTHING',
  );
  return {
    notes: async (from = 0) => select.all(from),
    append: async (note) => {
      append.immediate(note);
    },
    cosignatures: async (from = 0) => selectCosignatures.all(from),
    addCosignature: async (cosignature) => {
      addCosignature.immediate(cosignature);
    },
    timestampOf: async (imprint) => {
      const token = selectTimestamp.get(imprint);
      return token === undefined ? undefined : new Uint8Array(token);
    },
    keepTimestamp: async (imprint, token) => {
      insertTimestamp.run(imprint, Buffer.from(token));
    },
  };
}
