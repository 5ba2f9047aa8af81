/**
 * The SQLite ledger's driver for the write path (write-path.ts): an IMMEDIATE transaction is
 * the append lock; the locked state is a few indexed point reads; rows and tree nodes go in
 * multi-row INSERTs. Runs in the writer thread (writer-worker.ts) for appends, and on the
 * store's own connection for a rare import. better-sqlite3 is synchronous: the promises here
 * resolve at once, so a transaction never spans a turn of the event loop.
 */
import type Database from 'better-sqlite3';
import { nodeKey } from '../../core/merkle/nodes.ts';
import type { MerkleNode } from '../../core/merkle/tree.ts';
import type { LockedState, PlannedEvent } from '../append-plan.ts';
import { edgeNodes, treeKey } from '../growing-tree.ts';
import { isCannotWrite } from '../write-health.ts';
import type { ErrorClass, StoreDriver, StoreTransaction } from '../write-path.ts';
import { multiRowInsert } from './multi-row-insert.ts';
import { EVENT_COLUMNS, type EventRow, toRecordedEvent } from './rows.ts';
import { prepareStatements } from './statements.ts';
import { nodeInserter, sqliteMerkleStorage } from './tree-storage.ts';

export function sqliteWriteDriver(
  db: Database.Database,
  options: { merkle: boolean },
): StoreDriver {
  const statements = prepareStatements(db);
  const insertEvents = multiRowInsert<EventRow>(db, `events (${EVENT_COLUMNS})`, 7, 128);
  const insertNodes = nodeInserter(db);
  const storage = options.merkle ? sqliteMerkleStorage(db) : null;
  // A batch's ids and streams go in as one JSON array each: two statements per batch, not two
  // per append (each an indexed lookup per element, as before).
  const storedEvents = db
    .prepare<[string], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE event_id IN (SELECT value FROM json_each(?))`,
    )
    .raw();
  const streamHeads = db
    .prepare<[string], [stream: string, revision: number, hash: string]>(
      `SELECT e.stream, e.revision, e.metadata ->> '$.hash' FROM json_each(?) AS s
       JOIN events AS e ON e.stream = s.value
        AND e.revision = (SELECT max(revision) FROM events WHERE stream = s.value)`,
    )
    .raw();
  const nodesByKey = db
    .prepare<[string], [node: number, hash: Buffer]>(
      'SELECT node, hash FROM merkle_nodes WHERE node IN (SELECT value FROM json_each(?))',
    )
    .raw();
  let savepoints = 0;

  /** The right edge of a tree of `size` leaves (the nodes its next appends read), in one read. */
  function treeEdge(size: number): Map<string, Uint8Array> {
    const edge = edgeNodes(size);
    const keys = edge.map(({ level, index }) => nodeKey(level, index));
    const found = new Map(nodesByKey.all(JSON.stringify(keys)));
    return new Map(
      edge.flatMap(({ level, index }, i) => {
        const hash = found.get(keys[i] as number);
        return hash ? [[treeKey(level, index), hash]] : [];
      }),
    );
  }

  function lockedState(eventIds: readonly string[], streams: readonly string[]): LockedState {
    const last = statements.lastEvent.get();
    const size = storage?.size();
    return {
      position: last?.position ?? 0,
      recordedAt: last?.recordedAt,
      stored: new Map(
        eventIds.length === 0
          ? []
          : storedEvents.all(JSON.stringify(eventIds)).map((row) => [row[3], toRecordedEvent(row)]),
      ),
      heads: new Map(
        streams.length === 0
          ? []
          : streamHeads
              .all(JSON.stringify(streams))
              .map(([stream, revision, hash]) => [stream, { revision, hash }]),
      ),
      tree:
        storage && size !== undefined
          ? {
              size,
              edge: treeEdge(size),
            }
          : null,
    };
  }

  function write(events: readonly PlannedEvent[], nodes: readonly MerkleNode[]): void {
    insertEvents(
      events.map(({ event, dataJson }) => [
        event.position,
        event.stream,
        event.revision,
        event.eventId,
        event.type,
        dataJson,
        JSON.stringify(event.metadata),
      ]),
    );
    if (nodes.length > 0) insertNodes(nodes);
  }

  const tx: StoreTransaction = {
    lockedState: async (eventIds, streams) => lockedState(eventIds, streams),
    write: async (events, nodes) => write(events, nodes),
    savepoint: async (work) => {
      const name = `append_${++savepoints}`;
      db.exec(`SAVEPOINT ${name}`);
      try {
        const result = await work();
        db.exec(`RELEASE ${name}`);
        return result;
      } catch (error) {
        db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
        throw error;
      } finally {
        savepoints--;
      }
    },
  };

  return {
    transaction: async (work) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(tx);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back (its disk is gone) has nothing to take back.
        if (db.inTransaction) {
          try {
            db.exec('ROLLBACK');
          } catch {}
        }
        throw error;
      }
    },
    classify: sqliteErrorClass,
  };
}

/** SQLITE_BUSY: another connection holds the lock past the busy timeout. */
function sqliteErrorClass(error: unknown): ErrorClass {
  if (isCannotWrite(error)) return 'cannot-write';
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_BUSY') return 'unavailable';
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE')
    return 'conflict';
  return 'failed';
}
