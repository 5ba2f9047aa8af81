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
 * Two round trips per commit: BEGIN, the lock and the read of the state a batch depends on
 * (stream heads, stored event ids, the tree's right edge) go in one; the rows, the tree nodes,
 * the NOTIFY that wakes the subscribers of every process and COMMIT in the other. Both are sent
 * by the simple query protocol, which lets statements share a round trip but takes no
 * parameters: values go as literals (literals.ts). A write outside a savepoint is thus only
 * sent with COMMIT, and a row the server refuses fails there: the transaction is rolled back and
 * commitBatch redoes the batch append by append, in savepoints, where each write goes at once.
 * One round trip when the store plans on the state its own last commit left (known-state.ts):
 * BEGIN, the lock, a guard that raises unless that state still holds, the write and COMMIT.
 */
import type pg from 'pg';
import type { MerkleNode } from '../../core/merkle/tree.ts';
import type { LockedState, PlannedEvent } from '../append-plan.ts';
import { treeKey } from '../growing-tree.ts';
import type { RecordedEvent } from '../port.ts';
import { isCannotWrite } from '../write-health.ts';
import type { ErrorClass, StoreDriver, StoreTransaction } from '../write-path.ts';
import { afterCommit, type KnownState, plannedOn } from './known-state.ts';
import { byteaLiteral, integerLiteral, textArrayLiteral, textLiteral } from './literals.ts';
import { COMMIT_CHANNEL, LOCK } from './locks.ts';
import { releaseAfterFailure } from './transaction.ts';
import { isUnavailable, reachable } from './unavailable.ts';

/** Opens the transaction and takes the append lock: sent with the transaction's first statement. */
const BEGIN_LOCKED = `BEGIN; SELECT pg_advisory_xact_lock(${LOCK.appends[0]}, ${LOCK.appends[1]})`;

export interface PostgresWriteDriver extends StoreDriver {
  /** A commit (of any process) reached `position`: beyond what this store left, it is stale. */
  headCommitted(position: number): void;
}

export function postgresWriteDriver(pool: pg.Pool): PostgresWriteDriver {
  /** What this store's last commit left; forgotten by any failure. */
  let known: KnownState | undefined;
  return {
    headCommitted: (position) => {
      // Only spares a plan the guard would refuse: the guard alone keeps it correct.
      if (known && position > known.position) known = undefined;
    },
    transaction: (work) =>
      reachable(() => {
        const from = known;
        known = undefined;
        return lockedTransaction(pool, work, from, (next) => {
          known = next;
        });
      }),
    classify: postgresErrorClass,
  };
}

/**
 * Runs `work` in a transaction holding the append lock on a pooled connection. Planned on
 * `known` and refused by the server (the head moved on, a retry of a stored event, a row no
 * check foresaw), it runs again on the state read afresh: nothing of it was written.
 */
async function lockedTransaction<T>(
  pool: pg.Pool,
  work: (tx: StoreTransaction) => Promise<T>,
  known: KnownState | undefined,
  committed: (next: KnownState | undefined) => void,
): Promise<T> {
  const client = await pool.connect();
  const tx = transaction(client, known);
  try {
    const result = await work(tx);
    await tx.commit();
    client.release();
    committed(tx.after());
    return result;
  } catch (error) {
    await releaseAfterFailure(client);
    if (tx.plannedOnKnown() && !isUnavailable(error)) {
      return lockedTransaction(pool, work, undefined, committed);
    }
    throw error;
  }
}

function transaction(client: pg.PoolClient, known: KnownState | undefined) {
  /** Statements not sent yet, sent ahead of the next one: BEGIN and the lock; a write. */
  let unsent = [BEGIN_LOCKED];
  let begun = false;
  let savepoints = 0;
  let plannedOnKnown = false;
  /** The one state read and write outside savepoints, from which the state after follows. */
  let read: { state: LockedState; streams: readonly string[] } | undefined;
  let written: { events: readonly PlannedEvent[]; nodes: readonly MerkleNode[] } | undefined;
  let simple = true;

  /** Sends the unsent statements and `sql` in one round trip; answers `sql`'s result. */
  async function send(sql: string): Promise<pg.QueryResult> {
    const text = [...unsent, sql].join(';\n');
    unsent = [];
    begun = true;
    const results = (await client.query(text)) as pg.QueryResult | pg.QueryResult[];
    return Array.isArray(results) ? (results.at(-1) as pg.QueryResult) : results;
  }

  const tx: StoreTransaction = {
    lockedState: async (eventIds, streams) => {
      const planned = known && !begun ? plannedOn(known, streams) : undefined;
      if (read !== undefined || savepoints > 0) simple = false;
      if (known && planned) {
        // Checked with the write, in its round trip.
        unsent.push(knownStateGuard(known.position, eventIds));
        begun = true;
        plannedOnKnown = true;
        read = { state: planned, streams };
        return planned;
      }
      const state = lockedStateOf((await send(lockedStateQuery(eventIds, streams))).rows[0]);
      read = { state, streams };
      return state;
    },
    write: async (events, nodes) => {
      const sql = writeStatements(events, nodes);
      if (written !== undefined || savepoints > 0) simple = false;
      written = { events, nodes };
      if (savepoints > 0) await send(sql);
      else unsent.push(sql);
    },
    savepoint: async (work) => {
      simple = false;
      const name = `append_${++savepoints}`;
      await send(`SAVEPOINT ${name}`);
      try {
        const result = await work();
        await send(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        await send(`ROLLBACK TO SAVEPOINT ${name}`);
        throw error;
      } finally {
        savepoints--;
      }
    },
  };
  return {
    ...tx,
    plannedOnKnown: () => plannedOnKnown,
    async commit() {
      if (!begun) return;
      // A transaction an error had aborted answers COMMIT with ROLLBACK, and no error.
      const { command } = await send('COMMIT');
      if (command !== 'COMMIT') throw new Error(`the transaction was not committed (${command})`);
    },
    /** What a committed transaction left, when it was one state read and one write. */
    after: () =>
      simple && read
        ? afterCommit(read.state, read.streams, written?.events ?? [], written?.nodes ?? [], known)
        : undefined,
  };
}

/**
 * Fails the transaction unless the ledger's head is still `position` and none of `eventIds` is
 * stored: then the state planned on is the state a read would have answered.
 */
const knownStateGuard = (position: number, eventIds: readonly string[]) => `DO $$BEGIN
  IF (SELECT coalesce(max(position), 0) FROM events) <> ${integerLiteral(position)}
     OR EXISTS (SELECT FROM events WHERE event_id = ANY(${textArrayLiteral(eventIds)})) THEN
    RAISE EXCEPTION 'the ledger moved on since this store planned on it';
  END IF;
END$$`;

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
function lockedStateQuery(eventIds: readonly string[], streams: readonly string[]): string {
  return `WITH head AS (SELECT coalesce(max(position), 0)::bigint AS position FROM events),
          tree AS (SELECT coalesce(max(idx) + 1, 0)::bigint AS size FROM merkle_nodes WHERE level = 0)
     SELECT head.position, tree.size AS tree_size,
       (SELECT metadata ->> 'recordedAt' FROM events ORDER BY position DESC LIMIT 1) AS recorded_at,
       (SELECT coalesce(json_agg(json_build_array(position, stream, revision, event_id, type, data, metadata)), '[]')
          FROM events WHERE event_id = ANY(${textArrayLiteral(eventIds)})) AS stored,
       (SELECT coalesce(json_agg(json_build_array(s.stream, h.revision, h.hash)), '[]')
          FROM unnest(${textArrayLiteral(streams)}) AS s(stream)
          CROSS JOIN LATERAL (
            SELECT revision, metadata ->> 'hash' AS hash FROM events
             WHERE events.stream = s.stream ORDER BY revision DESC LIMIT 1) AS h) AS heads,
       (SELECT coalesce(json_agg(json_build_array(n.level, n.idx, encode(n.hash, 'hex'))), '[]')
          FROM generate_series(0, 62) AS l(level)
          JOIN merkle_nodes n ON n.level = l.level AND n.idx = (tree.size >> l.level) - 1
         WHERE (tree.size >> l.level) & 1 = 1) AS edge
     FROM head, tree`;
}

function lockedStateOf(row: {
  position: number;
  recorded_at: string | null;
  tree_size: number;
  stored: StoredRow[];
  heads: [string, number, string][];
  edge: [number, number, string][];
}): LockedState {
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
function writeStatements(events: readonly PlannedEvent[], nodes: readonly MerkleNode[]): string {
  const rows = events.map(
    ({ event, dataJson }) =>
      `(${integerLiteral(event.position)}, ${textLiteral(event.stream)}, ${integerLiteral(event.revision)}, ${textLiteral(event.eventId)}, ${textLiteral(event.type)}, ${textLiteral(dataJson)}, ${textLiteral(JSON.stringify(event.metadata))})`,
  );
  const tree = nodes.map(
    (n) => `(${integerLiteral(n.level)}, ${integerLiteral(n.index)}, ${byteaLiteral(n.hash)})`,
  );
  const head = events.at(-1)?.event.position ?? 0;
  return [
    `INSERT INTO events (position, stream, revision, event_id, type, data, metadata) VALUES ${rows.join(',\n')}`,
    ...(tree.length > 0
      ? [`INSERT INTO merkle_nodes (level, idx, hash) VALUES ${tree.join(',\n')}`]
      : []),
    // Delivered at COMMIT, to every listening connection; the payload is only a hint.
    `NOTIFY ${COMMIT_CHANNEL}, '${integerLiteral(head)}'`,
  ].join(';\n');
}
