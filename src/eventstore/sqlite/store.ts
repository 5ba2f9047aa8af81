/**
 * SQLite EventStore (better-sqlite3): one file, WAL, synchronous=FULL, so a resolved append is
 * on disk. Appends arriving in the same burst are group-committed: one transaction and one fsync
 * for the whole batch, each append still checked on its own against the state the earlier ones
 * in the batch left. The RFC 6962 Merkle tree over the ledger (docs/design.md, "Integrity") lives in the
 * same file and is extended in the same savepoint as each append's rows, so the tree and the
 * events cannot disagree after a refused append or a crash, and opening reads it, never rebuilds.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { canonicalJson } from '../../core/canonical-json.ts';
import { GENESIS_HASH, sealEvent } from '../../core/event-hash.ts';
import { MerkleTree } from '../../core/merkle/tree.ts';
import {
  appendResult,
  assertAppendable,
  checkExpectedRevision,
  closedStoreError,
  commitInstant,
  readAllRange,
  retriedAppendResult,
  snapshotEvent,
} from '../append-rules.ts';
import { ledgerMerkleTree } from '../ledger-merkle-tree.ts';
import type { EventStore, RecordedEvent } from '../port.ts';
import { catchUpSubscription, createCommitFeed } from '../subscription.ts';
import Database from './driver.ts';
import {
  type GroupCommit,
  groupCommitter,
  type Outcome,
  type PendingAppend,
} from './group-commit.ts';
import { checkSchemaVersion, migrate } from './migrations/index.ts';
import { toRecordedEvent } from './rows.ts';
import { sqliteSignedCheckpoints } from './signed-checkpoints.ts';
import { prepareStatements } from './statements.ts';
import { appendingStorage, appendLeaf, sqliteMerkleStorage } from './tree-storage.ts';

export interface SqliteEventStoreOptions {
  /** How long a write waits for another connection's lock before failing; default 5000 ms. */
  busyTimeoutMs?: number;
  /** Called after each group commit, e.g. for metrics. */
  onCommit?: (commit: GroupCommit) => void;
  /**
   * Keep the Merkle tree (default true). `false` exists for benchmarks only: events appended
   * without it leave the file's tree behind, and appends with the tree are refused from then on.
   */
  merkle?: boolean;
  /**
   * Open an existing file for reading only: nothing is created, not even SQLite's -wal and -shm
   * (appends fail). Without a -wal beside it (no server has it open: a copy, a stopped server)
   * the file is read into memory; with one, SQLite's own read-only mode shares the live WAL.
   */
  readOnly?: boolean;
}

/** A read-only open of a file that is not there. */
export class LedgerFileMissingError extends Error {
  override readonly name = 'LedgerFileMissingError';
  constructor(readonly path: string) {
    super(`no ledger file at ${path}`);
  }
}

export function openSqliteEventStore(
  path: string,
  options: SqliteEventStoreOptions = {},
): EventStore {
  const db = options.readOnly ? openReadOnly(path) : openWritable(path);
  try {
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    if (options.readOnly) checkSchemaVersion(db, path);
    else migrate(db, path);
  } catch (error) {
    db.close();
    throw error;
  }

  const statements = prepareStatements(db);

  const storage = options.merkle === false ? null : sqliteMerkleStorage(db);
  /** Read by the `merkle` capability: always what is committed, whoever wrote it. */
  const tree = storage && new MerkleTree(storage);
  const appending = storage && appendingStorage(storage);
  /** Extended by appends and imports, inside their transactions. */
  const appendTree = appending && new MerkleTree(appending);

  const feed = createCommitFeed();
  let closed = false;

  /** Checks and writes one append; throws on refusal. Runs inside the batch transaction. */
  function writeAppend(append: PendingAppend, lastPosition: number, recordedAt: string): Outcome {
    const { stream, events, expectedRevision } = append;
    const retried = retriedAppendResult(
      stream,
      events.map((snapshot) => snapshot.event),
      expectedRevision,
      events.map(({ event }) => {
        const row = statements.byEventId.get(event.eventId);
        return row === undefined ? undefined : toRecordedEvent(row);
      }),
    );
    if (retried !== undefined) return { ok: true, result: retried, written: 0 };

    const head = statements.streamHead.get(stream);
    checkExpectedRevision(stream, expectedRevision, head?.revision ?? -1);

    let prevHash = head?.hash ?? GENESIS_HASH;
    let revision = head?.revision ?? -1;
    let position = lastPosition;
    const appended = events.map(({ event, dataJson }) => {
      const sealed = sealEvent(stream, ++revision, prevHash, recordedAt, event, dataJson);
      prevHash = sealed.metadata.hash;
      const metadata = JSON.stringify(sealed.metadata);
      statements.insert.run(
        ++position,
        stream,
        revision,
        event.eventId,
        event.type,
        dataJson,
        metadata,
      );
      if (appendTree) appendLeaf(appendTree, { ...sealed, position }, dataJson);
      return { eventId: event.eventId, revision, position };
    });
    return { ok: true, result: appendResult(stream, appended), written: appended.length };
  }

  // A nested better-sqlite3 transaction is a savepoint: a failing append undoes only its rows.
  const writeAppendAtomically = db.transaction(writeAppend);

  const commitBatch = db.transaction((batch: readonly PendingAppend[]): Outcome[] => {
    // Another process may have appended since the last batch: read the tree's edge afresh.
    appending?.forget();
    const last = statements.lastEvent.get();
    const recordedAt = commitInstant(last?.recordedAt);
    let lastPosition = last?.position ?? 0;
    return batch.map((append): Outcome => {
      try {
        const outcome = writeAppendAtomically(append, lastPosition, recordedAt);
        if (outcome.ok) lastPosition += outcome.written;
        return outcome;
      } catch (error) {
        // Its savepoint took back the nodes it appended.
        appending?.forget();
        return { ok: false, error };
      }
    });
  });

  const committer = groupCommitter(
    (batch) => commitBatch.immediate(batch),
    (commit) => {
      if (commit.events > 0) feed.committed();
      options.onCommit?.(commit);
    },
  );

  const importIntoEmpty = db.transaction((events: readonly RecordedEvent[]) => {
    appending?.forget();
    if ((statements.headPosition.get() as number) !== 0)
      throw new Error('import needs an empty store');
    events.forEach((e, index) => {
      if (e.position !== index + 1)
        throw new Error(`import needs positions 1, 2, 3, ...; got ${e.position} at ${index + 1}`);
    });
    for (const e of events) {
      statements.insert.run(
        e.position,
        e.stream,
        e.revision,
        e.eventId,
        e.type,
        canonicalJson(e.data),
        JSON.stringify(e.metadata),
      );
      if (appendTree) appendLeaf(appendTree, e);
    }
  });

  function assertOpen(): void {
    if (closed) throw closedStoreError();
  }

  function readAll(from: number, limit: number): RecordedEvent[] {
    const rows = statements.readAll.all(from, Number.isFinite(limit) ? limit : -1);
    return rows.map(toRecordedEvent);
  }

  return {
    capabilities: { densePositions: true, importRecorded: true },
    append: async (stream, events, options) => {
      assertOpen();
      assertAppendable(stream, events, options);
      return committer.submit({
        stream,
        events: events.map((event) => snapshotEvent(stream, event)),
        expectedRevision: options.expectedRevision,
      });
    },
    readStream: async (stream, options) => {
      assertOpen();
      return statements.readStream.all(stream, options?.fromRevision ?? 0).map(toRecordedEvent);
    },
    readAll: async (options) => {
      assertOpen();
      const { from, limit } = readAllRange(options);
      return readAll(from, limit);
    },
    subscribe: (options = {}) => catchUpSubscription(feed, readAll, options.fromPosition),
    headPosition: async () => {
      assertOpen();
      return statements.headPosition.get() as number;
    },
    importRecorded: async (events) => {
      assertOpen();
      importIntoEmpty(events);
      if (events.length > 0) feed.committed();
    },
    ...(tree
      ? {
          merkle: ledgerMerkleTree(tree, (eventId) => {
            const position = statements.positionOf.get(eventId);
            return position === undefined ? null : position - 1;
          }),
          // In the ledger file, so the history goes wherever the tree goes.
          signedCheckpoints: sqliteSignedCheckpoints(db),
        }
      : {}),
    close: async () => {
      if (closed) return;
      committer.flush();
      closed = true;
      feed.end();
      db.close();
    },
  };
}

function openWritable(path: string): BetterSqlite3.Database {
  createPrivately(path);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * The ledger is for its owner alone: its folder is created 0700 and the file 0600 before SQLite
 * opens it, and SQLite gives the -wal and -shm files the mode of the database file.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
}

/** SQLite file header bytes 18 and 19: the file format's write and read versions (2 = WAL). */
const FORMAT_VERSION_BYTES = [18, 19] as const;

function openReadOnly(path: string): BetterSqlite3.Database {
  if (!existsSync(path)) throw new LedgerFileMissingError(path);
  if (existsSync(`${path}-wal`)) return new Database(path, { readonly: true, fileMustExist: true });
  const image = readFileSync(path);
  // An in-memory image cannot use WAL; as a rollback-journal file it reads the same pages.
  for (const at of FORMAT_VERSION_BYTES) if (image[at] === 2) image[at] = 1;
  return new Database(image, { readonly: true });
}
