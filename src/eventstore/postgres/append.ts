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
import { fetchNodes, GrowingTree, rightEdge } from './merkle.ts';
import { eventsById } from './read.ts';
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
        commit = await reachable(() => inTransaction(pool, (client) => commitBatch(client, batch)));
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
        inTransaction(pool, async (client) => {
          const head = await lockedHead(client);
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

/** Takes the append lock, then reads the head it protects. */
async function lockedHead(
  client: pg.PoolClient,
): Promise<{ position: number; recordedAt: string | undefined; treeSize: number }> {
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCK.appends]);
  const { rows } = await client.query<{
    position: number;
    recorded_at: string | null;
    tree_size: number;
  }>(
    `SELECT coalesce(max(position), 0)::bigint AS position,
            (SELECT metadata ->> 'recordedAt' FROM events ORDER BY position DESC LIMIT 1) AS recorded_at,
            (SELECT coalesce(max(idx) + 1, 0) FROM merkle_nodes WHERE level = 0)::bigint AS tree_size
       FROM events`,
  );
  const row = rows[0] as { position: number; recorded_at: string | null; tree_size: number };
  return {
    position: row.position,
    recordedAt: row.recorded_at ?? undefined,
    treeSize: row.tree_size,
  };
}

async function commitBatch(
  client: pg.PoolClient,
  batch: PendingAppend[],
): Promise<{ outcomes: Outcome[]; written: number }> {
  const head = await lockedHead(client);
  if (head.treeSize !== head.position) {
    throw new Error(
      `the Merkle tree has ${head.treeSize} leaves but the ledger ${head.position} events: the tree and the events of this database disagree`,
    );
  }
  const recordedAt = commitInstant(head.recordedAt);
  const streams = [...new Set(batch.map((append) => append.stream))];
  const ids = batch.flatMap((append) => append.events.map(({ event }) => event.eventId));
  const [stored, heads, edge] = [
    new Map((await eventsById(client, ids)).map((e) => [e.eventId, e])),
    await streamHeads(client, streams),
    await fetchNodes(client, rightEdge(head.position)),
  ];
  const tree = new GrowingTree(head.position, edge);
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

async function streamHeads(
  client: pg.PoolClient,
  streams: readonly string[],
): Promise<Map<string, { revision: number; hash: string }>> {
  const { rows } = await client.query<{ stream: string; revision: number; hash: string }>(
    `SELECT s.stream, h.revision, h.hash
       FROM unnest($1::text[]) AS s(stream)
       CROSS JOIN LATERAL (
         SELECT revision, metadata ->> 'hash' AS hash FROM events
          WHERE events.stream = s.stream ORDER BY revision DESC LIMIT 1
       ) AS h`,
    [streams],
  );
  return new Map(rows.map((row) => [row.stream, { revision: row.revision, hash: row.hash }]));
}

/** Inserts the rows and the tree nodes they completed, and wakes every process's subscribers. */
async function write(
  client: pg.PoolClient,
  rows: readonly Row[],
  tree: GrowingTree,
): Promise<void> {
  await client.query(
    `INSERT INTO events (position, stream, revision, event_id, type, data, metadata)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::json[], $7::json[])`,
    [
      rows.map((r) => r.position),
      rows.map((r) => r.stream),
      rows.map((r) => r.revision),
      rows.map((r) => r.eventId),
      rows.map((r) => r.type),
      rows.map((r) => r.dataJson),
      rows.map((r) => r.metadataJson),
    ],
  );
  await client.query(
    `INSERT INTO merkle_nodes (level, idx, hash)
     SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
    [
      tree.added.map((n) => n.level),
      tree.added.map((n) => n.index),
      tree.added.map((n) => Buffer.from(n.hash.buffer, n.hash.byteOffset, n.hash.byteLength)),
    ],
  );
  // Delivered at COMMIT, to every listening connection; the payload is only a hint.
  await client.query('SELECT pg_notify($1, $2)', [COMMIT_CHANNEL, String(tree.size)]);
}
