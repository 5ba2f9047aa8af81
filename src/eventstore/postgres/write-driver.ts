/**
 * The PostgreSQL ledger's driver for the write path (write-path.ts).
 *
 * Strict global order with no gap a reader can see: every transaction that writes events first
 * takes the transaction-level advisory lock LOCK.appends, and only then reads the head and hands
 * out positions head + 1, head + 2, ... PostgreSQL makes a commit visible before it releases the
 * transaction's locks, so the next writer's head read (a fresh snapshot, READ COMMITTED) already
 * sees every earlier commit: positions become visible in exactly the order they were handed out,
 * and a reader that sees position N + 1 sees N. A sequence would not give this: its numbers are
 * taken before commit, and a transaction holding N can commit after one holding N + 1.
 *
 * Under the lock the state a batch depends on (stream heads, stored event ids, the tree's right
 * edge) is read in one statement, and all rows and tree nodes are written in one more, with the
 * NOTIFY that wakes the subscribers of every process, in the same transaction.
 */
import type pg from 'pg';
import type { MerkleNode } from '../../core/merkle/tree.ts';
import type { LockedState, PlannedEvent } from '../append-plan.ts';
import { treeKey } from '../growing-tree.ts';
import type { RecordedEvent } from '../port.ts';
import { isCannotWrite } from '../write-health.ts';
import type { ErrorClass, StoreDriver, StoreTransaction } from '../write-path.ts';
import { COMMIT_CHANNEL, LOCK } from './locks.ts';
import { inTransaction } from './transaction.ts';
import { isUnavailable, reachable } from './unavailable.ts';

/** Opens the transaction and takes the append lock, in one round trip. */
const BEGIN_LOCKED = `BEGIN; SELECT pg_advisory_xact_lock(${LOCK.appends[0]}, ${LOCK.appends[1]})`;

export function postgresWriteDriver(pool: pg.Pool): StoreDriver {
  return {
    transaction: (work) =>
      reachable(() => inTransaction(pool, BEGIN_LOCKED, (client) => work(transaction(client)))),
    classify: postgresErrorClass,
  };
}

function transaction(client: pg.PoolClient): StoreTransaction {
  let savepoints = 0;
  return {
    lockedState: (eventIds, streams) => readLockedState(client, eventIds, streams),
    write: (events, nodes) => write(client, events, nodes),
    savepoint: async (work) => {
      const name = `append_${++savepoints}`;
      await client.query(`SAVEPOINT ${name}`);
      try {
        const result = await work();
        await client.query(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
        throw error;
      } finally {
        savepoints--;
      }
    },
  };
}

/** 23505: a unique constraint, another writer's row where this one's was to go. */
function postgresErrorClass(error: unknown): ErrorClass {
  if (isUnavailable(error)) return 'unavailable';
  if (isCannotWrite(error)) return 'cannot-write';
  if ((error as { code?: unknown }).code === '23505') return 'conflict';
  return 'failed';
}

type StoredRow = [number, string, number, string, string, unknown, RecordedEvent['metadata']];

/**
 * Everything a batch depends on, in one statement: the head, the tree's size and right edge
 * (node (l, floor(size / 2^l) - 1) for each bit l set in the size, as edgeNodes), the events
 * stored under the batch's ids and the heads of its streams.
 */
async function readLockedState(
  client: pg.PoolClient,
  eventIds: readonly string[],
  streams: readonly string[],
): Promise<LockedState> {
  const { rows } = await client.query<{
    position: number;
    recorded_at: string | null;
    tree_size: number;
    stored: StoredRow[];
    heads: [string, number, string][];
    edge: [number, number, string][];
  }>(
    `WITH head AS (SELECT coalesce(max(position), 0)::bigint AS position FROM events),
          tree AS (SELECT coalesce(max(idx) + 1, 0)::bigint AS size FROM merkle_nodes WHERE level = 0)
     SELECT head.position, tree.size AS tree_size,
       (SELECT metadata ->> 'recordedAt' FROM events ORDER BY position DESC LIMIT 1) AS recorded_at,
       (SELECT coalesce(json_agg(json_build_array(position, stream, revision, event_id, type, data, metadata)), '[]')
          FROM events WHERE event_id = ANY($1::text[])) AS stored,
       (SELECT coalesce(json_agg(json_build_array(s.stream, h.revision, h.hash)), '[]')
          FROM unnest($2::text[]) AS s(stream)
          CROSS JOIN LATERAL (
            SELECT revision, metadata ->> 'hash' AS hash FROM events
             WHERE events.stream = s.stream ORDER BY revision DESC LIMIT 1) AS h) AS heads,
       (SELECT coalesce(json_agg(json_build_array(n.level, n.idx, encode(n.hash, 'hex'))), '[]')
          FROM generate_series(0, 62) AS l(level)
          JOIN merkle_nodes n ON n.level = l.level AND n.idx = (tree.size >> l.level) - 1
         WHERE (tree.size >> l.level) & 1 = 1) AS edge
     FROM head, tree`,
    [eventIds, streams],
  );
  const row = rows[0] as (typeof rows)[number];
  return {
    position: row.position,
    recordedAt: row.recorded_at ?? undefined,
    stored: new Map(
      row.stored.map(([position, stream, revision, eventId, type, data, metadata]) => [
        eventId,
        { eventId, stream, revision, position, type, data, metadata },
      ]),
    ),
    heads: new Map(row.heads.map(([stream, revision, hash]) => [stream, { revision, hash }])),
    tree: {
      size: row.tree_size,
      edge: new Map(
        row.edge.map(([level, index, hex]) => [treeKey(level, index), Buffer.from(hex, 'hex')]),
      ),
    },
  };
}

/** Inserts the rows and the tree nodes they completed, and wakes every process's subscribers. */
async function write(
  client: pg.PoolClient,
  events: readonly PlannedEvent[],
  nodes: readonly MerkleNode[],
): Promise<void> {
  const rows = events.map(({ event }) => event);
  await client.query(
    `WITH written AS (
       INSERT INTO events (position, stream, revision, event_id, type, data, metadata)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::json[], $7::json[])
     ), nodes AS (
       INSERT INTO merkle_nodes (level, idx, hash)
       SELECT * FROM unnest($8::smallint[], $9::bigint[], $10::bytea[])
     )
     -- Delivered at COMMIT, to every listening connection; the payload is only a hint.
     SELECT pg_notify($11, $12)`,
    [
      rows.map((r) => r.position),
      rows.map((r) => r.stream),
      rows.map((r) => r.revision),
      rows.map((r) => r.eventId),
      rows.map((r) => r.type),
      events.map((e) => e.dataJson),
      rows.map((r) => JSON.stringify(r.metadata)),
      nodes.map((n) => n.level),
      nodes.map((n) => n.index),
      nodes.map((n) => Buffer.from(n.hash.buffer, n.hash.byteOffset, n.hash.byteLength)),
      COMMIT_CHANNEL,
      String(rows.at(-1)?.position ?? 0),
    ],
  );
}
