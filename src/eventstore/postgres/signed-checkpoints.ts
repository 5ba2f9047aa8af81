/**
 * The signed-checkpoint history in the ledger's own database (the port's SignedCheckpointLog):
 * as durable as the events, shared by every instance. Notes get consecutive indexes under an
 * advisory lock, so two instances signing at once both keep theirs.
 */
import type pg from 'pg';
import type { SignedCheckpointLog } from '../port.ts';
import { LOCK } from './locks.ts';
import { inTransaction } from './transaction.ts';
import { reachable } from './unavailable.ts';

const BEGIN_LOCKED = `BEGIN; SELECT pg_advisory_xact_lock(${LOCK.checkpoints[0]}, ${LOCK.checkpoints[1]})`;

export function postgresSignedCheckpoints(pool: pg.Pool): SignedCheckpointLog {
  return {
    notes: (from = 0) =>
      reachable(async () => {
        const { rows } = await pool.query<{ note: string }>(
          'SELECT note FROM signed_checkpoints WHERE idx >= $1 ORDER BY idx',
          [from],
        );
        return rows.map((row) => row.note);
      }),
    append: (note) =>
      reachable(async () => {
        await inTransaction(pool, BEGIN_LOCKED, async (client) => {
          await client.query(
            `INSERT INTO signed_checkpoints (idx, note)
             SELECT coalesce(max(idx) + 1, 0), $1 FROM signed_checkpoints`,
            [note],
          );
        });
      }),
    cosignatures: (from = 0) =>
      reachable(async () => {
        const { rows } = await pool.query<{ tree_size: string; line: string }>(
          'SELECT tree_size, line FROM checkpoint_cosignatures WHERE idx >= $1 ORDER BY idx',
          [from],
        );
        return rows.map((row) => ({ treeSize: Number(row.tree_size), line: row.line }));
      }),
    addCosignature: ({ treeSize, line }) =>
      reachable(async () => {
        await inTransaction(pool, BEGIN_LOCKED, async (client) => {
          await client.query(
            `INSERT INTO checkpoint_cosignatures (idx, tree_size, line)
             SELECT coalesce(max(idx) + 1, 0), $1, $2 FROM checkpoint_cosignatures`,
            [treeSize, line],
          );
        });
      }),
    timestampOf: (imprint) =>
      reachable(async () => {
        const { rows } = await pool.query<{ token: Buffer }>(
          'SELECT token FROM checkpoint_timestamps WHERE imprint = $1',
          [imprint],
        );
        return rows[0] && new Uint8Array(rows[0].token);
      }),
    keepTimestamp: (imprint, token) =>
      reachable(async () => {
        await pool.query(
          'INSERT INTO checkpoint_timestamps (imprint, token) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [imprint, Buffer.from(token)],
        );
      }),
  };
}
