/**
 * The SQLite ledger's write side: one connection that commits batches of appends, each checked
 * on its own in a savepoint against the state the earlier ones in the batch left, and extends
 * the Merkle tree in the same transaction. It runs in the writer thread (writer-worker.ts), so
 * the fsync of a commit never stalls the event loop that answers requests.
 */
import type Database from 'better-sqlite3';
import { GENESIS_HASH, sealMetadata } from '../../core/event-hash.ts';
import { MerkleTree } from '../../core/merkle/tree.ts';
import {
  appendResult,
  checkExpectedRevision,
  commitInstant,
  retriedAppendResult,
} from '../append-rules.ts';
import type { Outcome } from './group-commit.ts';
import { multiRowInsert } from './multi-row-insert.ts';
import { EVENT_COLUMNS, type EventRow, toRecordedEvent } from './rows.ts';
import { prepareStatements } from './statements.ts';
import { appendLeaf, bufferedStorage, nodeInserter, sqliteMerkleStorage } from './tree-storage.ts';
import type { WireAppend } from './writer-protocol.ts';

export interface SqliteWriter {
  /** Writes a batch in one IMMEDIATE transaction; throws when the transaction itself failed. */
  commitBatch(batch: readonly WireAppend[]): Outcome[];
}

/** The rows a batch will insert, and what they change for the appends after them. */
interface PendingRows {
  rows: EventRow[];
  byEventId: Map<string, EventRow>;
  heads: Map<string, { revision: number; hash: string }>;
}

export function sqliteWriter(db: Database.Database, options: { merkle: boolean }): SqliteWriter {
  const statements = prepareStatements(db);
  const insertRows = multiRowInsert<EventRow>(db, `events (${EVENT_COLUMNS})`, 7, 128);
  const nodes = options.merkle ? bufferedStorage(sqliteMerkleStorage(db), nodeInserter(db)) : null;
  const tree = nodes && new MerkleTree(nodes);

  /**
   * Checks and writes one append; throws on refusal. With `pending`, its rows join the batch's
   * (one INSERT at the end) and the stream heads and event ids it wrote are kept there for the
   * appends after it; without, they are inserted at once.
   */
  function writeAppend(
    append: WireAppend,
    lastPosition: number,
    recordedAt: string,
    pending: PendingRows | null,
  ): Outcome {
    const { stream, events, expectedRevision } = append;
    const stored = events.map(({ event }) => {
      const row = pending?.byEventId.get(event.eventId) ?? statements.byEventId.get(event.eventId);
      return row === undefined ? undefined : toRecordedEvent(row);
    });
    if (stored.some((event) => event !== undefined)) {
      const retried = retriedAppendResult(
        stream,
        // Only a retry compares content: its data is parsed back for that.
        events.map(({ event, dataJson }) => ({ ...event, data: JSON.parse(dataJson) })),
        expectedRevision,
        stored,
      );
      if (retried !== undefined) return { ok: true, result: retried, written: 0 };
    }

    const head = pending?.heads.get(stream) ?? statements.streamHead.get(stream);
    checkExpectedRevision(stream, expectedRevision, head?.revision ?? -1);

    let prevHash = head?.hash ?? GENESIS_HASH;
    let revision = head?.revision ?? -1;
    let position = lastPosition;
    const rows: EventRow[] = [];
    const appended = events.map(({ event, dataJson }) => {
      const metadata = sealMetadata(stream, ++revision, prevHash, recordedAt, event, dataJson);
      prevHash = metadata.hash;
      position++;
      const { eventId, type } = event;
      rows.push([position, stream, revision, eventId, type, dataJson, JSON.stringify(metadata)]);
      if (tree) appendLeaf(tree, { eventId, stream, revision, position, type, metadata }, dataJson);
      return { eventId, revision, position };
    });
    if (pending) {
      pending.rows.push(...rows);
      for (const row of rows) pending.byEventId.set(row[3], row);
      pending.heads.set(stream, { revision, hash: prevHash });
    } else {
      insertRows(rows);
    }
    return { ok: true, result: appendResult(stream, appended), written: appended.length };
  }

  /** Each append in turn; a refused one writes nothing (its tree nodes are dropped). */
  function writeEach(
    batch: readonly WireAppend[],
    lastPosition: number,
    write: (append: WireAppend, lastPosition: number) => Outcome,
  ): Outcome[] {
    let position = lastPosition;
    return batch.map((append): Outcome => {
      const mark = nodes?.mark();
      try {
        const outcome = write(append, position);
        if (outcome.ok) position += outcome.written;
        return outcome;
      } catch (error) {
        if (mark !== undefined) nodes?.rollBack(mark);
        return { ok: false, error };
      }
    });
  }

  // Nested better-sqlite3 transactions are savepoints.
  const writeAllAtOnce = db.transaction(
    (batch: readonly WireAppend[], lastPosition: number, recordedAt: string) => {
      const pending: PendingRows = { rows: [], byEventId: new Map(), heads: new Map() };
      const outcomes = writeEach(batch, lastPosition, (append, position) =>
        writeAppend(append, position, recordedAt, pending),
      );
      insertRows(pending.rows);
      return outcomes;
    },
  );
  const writeAppendAtomically = db.transaction(writeAppend);

  const commitBatch = db.transaction((batch: readonly WireAppend[]): Outcome[] => {
    // Another process may have appended since the last batch: read the tree's edge afresh.
    nodes?.forget();
    const last = statements.lastEvent.get();
    const recordedAt = commitInstant(last?.recordedAt);
    const lastPosition = last?.position ?? 0;
    const start = nodes?.mark();
    let outcomes: Outcome[];
    try {
      // The checks refuse in memory, so the batch's rows go in one multi-row INSERT.
      outcomes = writeAllAtOnce(batch, lastPosition, recordedAt);
    } catch {
      // A row failed that no check foresees (a constraint, a trigger, a full disk): its
      // savepoint took back every row; append by append, each in its own savepoint, only the
      // appends whose rows fail are refused.
      if (start !== undefined) nodes?.rollBack(start);
      outcomes = writeEach(batch, lastPosition, (append, position) =>
        writeAppendAtomically(append, position, recordedAt, null),
      );
    }
    // The batch's nodes in a few multi-row INSERTs, in the transaction of its events.
    nodes?.write();
    return outcomes;
  });

  return { commitBatch: (batch) => commitBatch.immediate(batch) };
}
