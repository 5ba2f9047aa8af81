/**
 * SQLite EventStore (better-sqlite3): one file, WAL, synchronous=FULL, so a resolved append is
 * on disk. Appends arriving in the same burst, or while a commit is in flight, are
 * group-committed: one transaction and one fsync for the whole batch, each append still checked
 * on its own against the state the earlier ones in the batch left. The commit runs in a writer
 * thread (writer.ts) that owns the write connection, so its fsync stalls no request; this
 * thread keeps a connection for reads, and WAL lets a read here see every commit the writer
 * reported. The RFC 6962 Merkle tree over the ledger (docs/design.md, "Integrity") lives in the
 * same file and is extended in the transaction of each append's rows, so the tree and the
 * events cannot disagree after a refused append or a crash, and opening reads it, never rebuilds.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { MerkleTree } from '../../core/merkle/tree.ts';
import { appendQueue, type CommittedBatch } from '../append-queue.ts';
import {
  assertAppendable,
  closedStoreError,
  readAllRange,
  snapshotEvent,
} from '../append-rules.ts';
import { ledgerMerkleTree } from '../ledger-merkle-tree.ts';
import type { EventStore, RecordedEvent } from '../port.ts';
import { catchUpSubscription, createCommitFeed, pollForCommits } from '../subscription.ts';
import { importRecorded } from '../write-path.ts';
import Database from './driver.ts';

import { checkSchemaVersion, migrate } from './migrations/index.ts';
import { toRecordedEvent } from './rows.ts';
import { sqliteSignedCheckpoints } from './signed-checkpoints.ts';
import { prepareStatements } from './statements.ts';
import { sqliteMerkleStorage } from './tree-storage.ts';
import { sqliteWriteDriver } from './write-driver.ts';
import { writerThread } from './writer-thread.ts';

export interface SqliteEventStoreOptions {
  /** How long a write waits for another connection's lock before failing; default 5000 ms. */
  busyTimeoutMs?: number;
  /** Called after each group commit, e.g. for metrics. */
  onCommit?: (commit: CommittedBatch) => void;
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

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export function openSqliteEventStore(
  path: string,
  options: SqliteEventStoreOptions = {},
): EventStore {
  const db = options.readOnly ? openReadOnly(path) : openWritable(path);
  try {
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS)}`);
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

  const feed = createCommitFeed();
  let closed = false;
  /** Started by the first subscription: other processes' commits wake it within a second. */
  let othersCommits: { stop(): void } | undefined;

  // Appends are committed by the writer thread; a read-only open has none and refuses them.
  const writer = options.readOnly
    ? null
    : writerThread({
        path,
        busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
        merkle: options.merkle !== false,
      });
  const committer = appendQueue(
    (batch) => (writer ? writer.commit(batch) : Promise.reject(readOnlyError(path))),
    (commit) => {
      // Posted back by the writer thread: subscriptions wake once the commit is readable here.
      if (commit.events > 0) feed.committed();
      options.onCommit?.(commit);
    },
  );

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
    findEvent: async (eventId) => {
      assertOpen();
      const row = statements.byEventId.get(eventId);
      return row === undefined ? null : toRecordedEvent(row);
    },
    subscribe: (options = {}) => {
      othersCommits ??= pollForCommits(
        feed,
        () => db.pragma('data_version', { simple: true }) as number,
      );
      return catchUpSubscription(feed, readAll, options.fromPosition);
    },
    headPosition: async () => {
      assertOpen();
      return statements.headPosition.get() as number;
    },
    importRecorded: async (events) => {
      assertOpen();
      await committer.drain();
      // A rare write, on this thread's connection once the writer is idle.
      await importRecorded(sqliteWriteDriver(db, { merkle: storage !== null }), events);
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
      closed = true;
      // No acknowledged append is lost: what was submitted commits before the thread ends.
      await committer.drain();
      await writer?.close();
      othersCommits?.stop();
      feed.end();
      db.close();
    },
  };
}

function readOnlyError(path: string): Error {
  return new Error(`the ledger ${path} is open read-only: appends are refused`);
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
