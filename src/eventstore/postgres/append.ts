/**
 * Appends, group-committed. Appends arriving while a commit is in flight join the next one: one
 * transaction for the whole batch, each append still checked on its own against the state the
 * earlier ones in the batch left, so a refused append costs the others nothing.
 *
 * Strict global order with no gap a reader can see: every transaction that writes events first
 * takes the transaction-level advisory lock LOCK.appends, and only then reads the head and hands
 * out positions head + 1, head + 2, ... PostgreSQL makes a commit visible before it releases the
 * transaction's locks, so the next writer's head read (a fresh snapshot, READ COMMITTED) already
 * sees every earlier commit: positions become visible in exactly the order they were handed out,
 * and a reader that sees position N + 1 sees N. A sequence would not give this: its numbers are
 * taken before commit, and a transaction holding N can commit after one holding N + 1.
 *
 * Under the lock the writer knows the whole state its appends depend on (stream heads, stored
 * event ids, the tree's right edge), so it reads them in three queries, checks every append in
 * memory, and writes all rows and tree nodes in two INSERTs, with the NOTIFY that wakes the
 * subscribers of every process, in the same transaction.
 */
import type pg from 'pg';
import { canonicalJson } from '../../core/canonical-json.ts';
import { GENESIS_HASH, sealEvent } from '../../core/event-hash.ts';
import { leafHash, leafInput } from '../../core/merkle-leaf.ts';
import {
  appendResult,
  checkExpectedRevision,
  commitInstant,
  type EventSnapshot,
  retriedAppendResult,
} from '../append-rules.ts';
import type { AppendResult, ExpectedRevision, RecordedEvent } from '../port.ts';
import { COMMIT_CHANNEL, LOCK } from './locks.ts';
import { GrowingTree } from './merkle.ts';
import { inTransaction } from './transaction.ts';
import { reachable } from './unavailable.ts';

export interface PendingAppend {
  stream: string;
  events: EventSnapshot[];
  expectedRevision: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommit {
  /** Appends settled by this transaction, including refused ones and retries. */
  appends: number;
  /** Events newly written. */
  events: number;
}

/** Bounds one transaction's statements; a longer queue is committed in several. */
const MAX_APPENDS_PER_COMMIT = 1000;

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

interface Row {
  position: number;
  stream: string;
  revision: number;
  eventId: string;
  type: string;
  dataJson: string;
  metadataJson: string;
}

export interface Appender {
  enqueue(append: PendingAppend): void;
  /** Resolves once everything enqueued so far has been committed or refused. */
  drain(): Promise<void>;
  /** Writes a ledger exported elsewhere into the empty store, as recorded. */
  importRecorded(events: readonly RecordedEvent[]): Promise<void>;
}

export function createAppender(pool: pg.Pool, committed: (appends: GroupCommit) => void): Appender {
  let queue: PendingAppend[] = [];
  let flushing: Promise<void> | null = null;

  async function flushSoon(): Promise<void> {
    // Everything enqueued until the event loop comes round again joins this commit.
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_APPENDS_PER_COMMIT);
      queue = queue.slice(batch.length);
      let commit: { outcomes: Outcome[]; written: number };
      try {
        commit = await reachable(() =>
          inTransaction(pool, BEGIN_LOCKED, (client) => commitBatch(client, batch)),
        );
      } catch (error) {
        // The transaction failed (or its COMMIT's answer was lost): nothing was acknowledged;
        // a retry of the same events is recognised by their ids if the commit did land.
        for (const append of batch) append.reject(error);
        continue;
      }
      commit.outcomes.forEach((outcome, index) => {
        const append = batch[index] as PendingAppend;
        if (outcome.ok) append.resolve(outcome.result);
        else append.reject(outcome.error);
      });
      committed({ appends: batch.length, events: commit.written });
    }
    // In the same synchronous step as the last look at the queue: no append is left behind.
    flushing = null;
  }

  return {
    enqueue(append) {
      queue.push(append);
      flushing ??= flushSoon();
    },
    async drain() {
      while (flushing) await flushing;
    },
    importRecorded: (events) =>
      reachable(() =>
        inTransaction(pool, BEGIN_LOCKED, async (client) => {
          const head = await readLockedState(client, [], []);
          if (head.position !== 0 || head.treeSize !== 0)
            throw new Error('import needs an empty store');
          events.forEach((e, index) => {
            if (e.position !== index + 1)
              throw new Error(
                `import needs positions 1, 2, 3, ...; got ${e.position} at ${index + 1}`,
              );
          });
          const tree = new GrowingTree(0, new Map());
          const rows = events.map((e): Row => {
            const dataJson = canonicalJson(e.data);
            tree.append(leafHash(leafInput(e, dataJson)));
            return {
              position: e.position,
              stream: e.stream,
              revision: e.revision,
              eventId: e.eventId,
              type: e.type,
              dataJson,
              metadataJson: JSON.stringify(e.metadata),
            };
          });
          await write(client, rows, tree);
        }),
      ),
  };
}

/** Opens the transaction and takes the append lock, in one round trip. */
const BEGIN_LOCKED = `BEGIN; SELECT pg_advisory_xact_lock(${LOCK.appends[0]}, ${LOCK.appends[1]})`;

interface LockedState {
  position: number;
  recordedAt: string | undefined;
  treeSize: number;
  /** Stored events among the ids asked for. */
  stored: Map<string, RecordedEvent>;
  /** Last revision and hash of the streams asked for that exist. */
  heads: Map<string, { revision: number; hash: string }>;
  /** The tree's right edge: the nodes its next appends read. */
  edge: Map<string, Uint8Array>;
}

type StoredRow = [number, string, number, string, string, unknown, RecordedEvent['metadata']];

/**
 * Everything a batch depends on, read under the lock in one statement: the head, the tree's
 * size and right edge (node (l, floor(size / 2^l) - 1) for each bit l set in the size), the
 * events stored under the batch's ids and the heads of its streams.
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
    treeSize: row.tree_size,
    stored: new Map(
      row.stored.map(([position, stream, revision, eventId, type, data, metadata]) => [
        eventId,
        { eventId, stream, revision, position, type, data, metadata },
      ]),
    ),
    heads: new Map(row.heads.map(([stream, revision, hash]) => [stream, { revision, hash }])),
    edge: new Map(
      row.edge.map(([level, index, hex]) => [`${level}/${index}`, Buffer.from(hex, 'hex')]),
    ),
  };
}

async function commitBatch(
  client: pg.PoolClient,
  batch: PendingAppend[],
): Promise<{ outcomes: Outcome[]; written: number }> {
  const streams = [...new Set(batch.map((append) => append.stream))];
  const ids = batch.flatMap((append) => append.events.map(({ event }) => event.eventId));
  const head = await readLockedState(client, ids, streams);
  if (head.treeSize !== head.position) {
    throw new Error(
      `the Merkle tree has ${head.treeSize} leaves but the ledger ${head.position} events: the tree and the events of this database disagree`,
    );
  }
  const recordedAt = commitInstant(head.recordedAt);
  const { stored, heads } = head;
  const tree = new GrowingTree(head.position, head.edge);
  let position = head.position;
  const rows: Row[] = [];

  const outcomes = batch.map(({ stream, events, expectedRevision }): Outcome => {
    try {
      const retried = retriedAppendResult(
        stream,
        events.map((snapshot) => snapshot.event),
        expectedRevision,
        events.map(({ event }) => stored.get(event.eventId)),
      );
      if (retried !== undefined) return { ok: true, result: retried };
      const streamHead = heads.get(stream);
      checkExpectedRevision(stream, expectedRevision, streamHead?.revision ?? -1);

      let prevHash = streamHead?.hash ?? GENESIS_HASH;
      let revision = streamHead?.revision ?? -1;
      let next = position;
      const recorded = events.map(({ event, dataJson }) => {
        const sealed = sealEvent(stream, ++revision, prevHash, recordedAt, event, dataJson);
        prevHash = sealed.metadata.hash;
        return { event: { ...sealed, position: ++next }, dataJson };
      });
      // Checked and sealed: from here on the append is part of the batch.
      position = next;
      for (const { event, dataJson } of recorded) {
        tree.append(leafHash(leafInput(event, dataJson)));
        stored.set(event.eventId, event);
        rows.push({
          position: event.position,
          stream,
          revision: event.revision,
          eventId: event.eventId,
          type: event.type,
          dataJson,
          metadataJson: JSON.stringify(event.metadata),
        });
      }
      heads.set(stream, { revision, hash: prevHash });
      return {
        ok: true,
        result: appendResult(
          stream,
          recorded.map(({ event }) => event),
        ),
      };
    } catch (error) {
      return { ok: false, error };
    }
  });
  if (rows.length > 0) await write(client, rows, tree);
  return { outcomes, written: rows.length };
}

/** Inserts the rows and the tree nodes they completed, and wakes every process's subscribers. */
async function write(
  client: pg.PoolClient,
  rows: readonly Row[],
  tree: GrowingTree,
): Promise<void> {
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
      rows.map((r) => r.dataJson),
      rows.map((r) => r.metadataJson),
      tree.added.map((n) => n.level),
      tree.added.map((n) => n.index),
      tree.added.map((n) => Buffer.from(n.hash.buffer, n.hash.byteOffset, n.hash.byteLength)),
      COMMIT_CHANNEL,
      String(tree.size),
    ],
  );
}
