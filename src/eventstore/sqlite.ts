/**
 * SQLite EventStore (better-sqlite3): one file, WAL, synchronous=FULL, so a resolved append is
 * on disk. Appends arriving in the same burst are group-committed: one transaction and one fsync
 * for the whole batch, each append still checked on its own against the state the earlier ones
 * in the batch left. The RFC 6962 Merkle tree over the ledger (DESIGN.md section 7) lives in the
 * same file and is extended in the same savepoint as each append's rows, so the tree and the
 * events cannot disagree after a refused append or a crash, and opening reads it, never rebuilds.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  leafHash,
  leafInput,
  ledgerMerkleTree,
  type MerkleNode,
  type MerkleStorage,
  MerkleTree,
} from '../integrity/merkle.ts';
import {
  appendResult,
  assertAppendable,
  checkExpectedRevision,
  closedStoreError,
  commitInstant,
  type EventSnapshot,
  readAllRange,
  retriedAppendResult,
  snapshotEvent,
} from './append-rules.ts';
import { canonicalJson, GENESIS_HASH, sealEvent } from './envelope.ts';
import type { AppendResult, EventStore, ExpectedRevision, RecordedEvent } from './port.ts';
import { catchUpSubscription, createCommitFeed } from './subscription.ts';

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

export interface GroupCommit {
  /** Appends settled by this transaction, including refused ones and retries. */
  appends: number;
  /** Events newly written. */
  events: number;
}

/** The file was written by a newer build; opening it could corrupt it. */
export class LedgerSchemaVersionError extends Error {
  override readonly name = 'LedgerSchemaVersionError';
  constructor(
    readonly path: string,
    readonly fileVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `ledger ${path} has schema version ${fileVersion}, but this build knows only up to ${knownVersion}: upgrade the application`,
    );
  }
}

/** Schema steps; the file's `PRAGMA user_version` counts those applied. Append, never edit. */
const migrations: readonly ((db: Database.Database) => void)[] = [
  (db) =>
    db.exec(`
      CREATE TABLE events (
        position INTEGER PRIMARY KEY,
        stream TEXT NOT NULL,
        revision INTEGER NOT NULL CHECK (revision >= 0),
        event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        UNIQUE (stream, revision)
      ) STRICT;
    `),
  (db) => {
    // One row per node of the tree, keyed by its post-order position (nodeKey).
    db.exec(`
      CREATE TABLE merkle_nodes (
        node INTEGER PRIMARY KEY,
        hash BLOB NOT NULL CHECK (length(hash) = 32)
      ) STRICT;
    `);
    // A file from before the tree: build it once, from the events it holds.
    const tree = new MerkleTree(sqliteMerkleStorage(db));
    const page = db
      .prepare<[number], EventRow>(
        'SELECT position, stream, revision, event_id, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT 1000',
      )
      .raw();
    for (let rows = page.all(0); rows.length > 0; rows = page.all(tree.size)) {
      for (const row of rows) appendLeaf(tree, toRecordedEvent(row));
    }
  },
];

export const SCHEMA_VERSION = migrations.length;

/** Rows come back as arrays (in `columns` order): cheaper than objects on the read path. */
type EventRow = [
  position: number,
  stream: string,
  revision: number,
  eventId: string,
  type: string,
  data: string,
  metadata: string,
];

interface PendingAppend {
  stream: string;
  events: EventSnapshot[];
  expectedRevision: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; result: AppendResult; written: number } | { ok: false; error: unknown };

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

  const columns = 'position, stream, revision, event_id, type, data, metadata';
  const statements = {
    lastEvent: db.prepare<[], { position: number; recordedAt: string }>(
      `SELECT position, metadata ->> '$.recordedAt' AS recordedAt FROM events ORDER BY position DESC LIMIT 1`,
    ),
    streamHead: db.prepare<[string], { revision: number; hash: string }>(
      `SELECT revision, metadata ->> '$.hash' AS hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1`,
    ),
    byEventId: db
      .prepare<[string], EventRow>(`SELECT ${columns} FROM events WHERE event_id = ?`)
      .raw(),
    insert: db.prepare<[number, string, number, string, string, string, string]>(
      `INSERT INTO events (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    readAll: db
      .prepare<[number, number], EventRow>(
        `SELECT ${columns} FROM events WHERE position >= ? ORDER BY position LIMIT ?`,
      )
      .raw(),
    readStream: db
      .prepare<[string, number], EventRow>(
        `SELECT ${columns} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision`,
      )
      .raw(),
    headPosition: db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck(),
  };

  const storage = options.merkle === false ? null : sqliteMerkleStorage(db);
  /** Read by the `merkle` capability: always what is committed, whoever wrote it. */
  const tree = storage && new MerkleTree(storage);
  const appending = storage && appendingStorage(storage);
  /** Extended by appends and imports, inside their transactions. */
  const appendTree = appending && new MerkleTree(appending);
  const positionOf = db
    .prepare<[string], number>('SELECT position FROM events WHERE event_id = ?')
    .pluck();

  const feed = createCommitFeed();
  let queue: PendingAppend[] = [];
  let flushScheduled = false;
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

  const commitBatch = db.transaction((batch: PendingAppend[]): Outcome[] => {
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

  function flush(): void {
    flushScheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = commitBatch.immediate(batch);
    } catch (error) {
      // The transaction itself failed (disk, lock timeout): nothing of the batch was written.
      for (const append of batch) append.reject(error);
      return;
    }
    let written = 0;
    outcomes.forEach((outcome, index) => {
      const append = batch[index] as PendingAppend;
      if (outcome.ok) {
        written += outcome.written;
        append.resolve(outcome.result);
      } else {
        append.reject(outcome.error);
      }
    });
    if (written > 0) feed.committed();
    options.onCommit?.({ appends: batch.length, events: written });
  }

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
    append: (stream, events, options) =>
      new Promise((resolve, reject) => {
        assertOpen();
        assertAppendable(stream, events, options);
        queue.push({
          stream,
          events: events.map((event) => snapshotEvent(stream, event)),
          expectedRevision: options.expectedRevision,
          resolve,
          reject,
        });
        if (!flushScheduled) {
          flushScheduled = true;
          // Everything appended until the event loop comes round again joins this commit.
          setImmediate(flush);
        }
      }),
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
            const position = positionOf.get(eventId);
            return position === undefined ? null : position - 1;
          }),
        }
      : {}),
    close: async () => {
      if (closed) return;
      flush();
      closed = true;
      feed.end();
      db.close();
    },
  };
}

/**
 * MerkleStorage in the `merkle_nodes` table, each node under its post-order position, the order
 * in which an append-only tree completes its nodes (as Merkle Mountain Ranges number them): every
 * insert goes at the end of the table's B-tree, so a commit writes a page or two of nodes, not a
 * page per level. The size comes from the last key (one seek), never from counting rows.
 * Appends must run inside the caller's transaction, which makes them all or nothing: the store
 * runs each in the savepoint of the append whose events it covers.
 */
export function sqliteMerkleStorage(db: Database.Database): MerkleStorage {
  const lastNode = db.prepare<[], number | null>('SELECT max(node) FROM merkle_nodes').pluck();
  const node = db.prepare<[number], Buffer>('SELECT hash FROM merkle_nodes WHERE node = ?').pluck();
  const insert = db.prepare<[number, Buffer]>(
    'INSERT INTO merkle_nodes (node, hash) VALUES (?, ?)',
  );
  return {
    size: () => leavesOfNodes((lastNode.get() ?? -1) + 1),
    get: (level, index) => node.get(nodeKey(level, index)),
    append: (nodes) => {
      if (!db.inTransaction) throw new Error('Merkle nodes are appended inside a transaction');
      for (const { level, index, hash } of nodes) {
        insert.run(
          nodeKey(level, index),
          Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength),
        );
      }
    },
  };
}

/**
 * Post-order position of node (level, index): the tree of s = (index + 1) * 2^level leaves holds
 * 2s - popcount(s) nodes, and the append that completed this node stored ctz(index + 1) nodes
 * above it. Arithmetic, not bitwise operators: those truncate to 32 bits.
 */
export function nodeKey(level: number, index: number): number {
  const size = (index + 1) * 2 ** level;
  let above = 0;
  for (let n = index + 1; n % 2 === 0; n /= 2) above++;
  return 2 * size - popcount(size) - 1 - above;
}

/** The number of leaves of a tree holding `nodes` nodes (the s with 2s - popcount(s) = nodes). */
function leavesOfNodes(nodes: number): number {
  let leaves = Math.ceil(nodes / 2);
  while (2 * leaves - popcount(leaves) < nodes) leaves++;
  return leaves;
}

function popcount(n: number): number {
  let count = 0;
  for (let m = n; m > 0; m = Math.floor(m / 2)) count += m % 2;
  return count;
}

/**
 * `storage` for the writer: it remembers the size and the last node of each level, the only
 * nodes an append reads, so an append costs its inserts and no query. `forget()` drops what it
 * remembers: at the start of each transaction (another process may have appended) and after a
 * rolled-back savepoint (its nodes are gone).
 */
function appendingStorage(storage: MerkleStorage): MerkleStorage & { forget(): void } {
  let size: number | undefined;
  const lastOfLevel: (MerkleNode | undefined)[] = [];
  return {
    size: () => {
      size ??= storage.size();
      return size;
    },
    get: (level, index) => {
      const node = lastOfLevel[level];
      return node?.index === index ? Uint8Array.from(node.hash) : storage.get(level, index);
    },
    append: (nodes) => {
      storage.append(nodes);
      for (const node of nodes)
        lastOfLevel[node.level] = { ...node, hash: Uint8Array.from(node.hash) };
      size = (nodes[0] as MerkleNode).index + 1;
    },
    forget: () => {
      size = undefined;
      lastOfLevel.length = 0;
    },
  };
}

/** Leaf i is the event at position i + 1: a tree that lags or leads the events is refused. */
function appendLeaf(tree: MerkleTree, event: RecordedEvent, dataJson?: string): void {
  const leafIndex = tree.append(leafHash(leafInput(event, dataJson)));
  if (leafIndex !== event.position - 1) {
    throw new Error(
      `the Merkle tree has ${leafIndex} leaves but the event goes to position ${event.position}: the tree and the events of this file disagree`,
    );
  }
}

function openWritable(path: string): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
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

/** SQLite file header bytes 18 and 19: the file format's write and read versions (2 = WAL). */
const FORMAT_VERSION_BYTES = [18, 19] as const;

function openReadOnly(path: string): Database.Database {
  if (!existsSync(path)) throw new LedgerFileMissingError(path);
  if (existsSync(`${path}-wal`)) return new Database(path, { readonly: true, fileMustExist: true });
  const image = readFileSync(path);
  // An in-memory image cannot use WAL; as a rollback-journal file it reads the same pages.
  for (const at of FORMAT_VERSION_BYTES) if (image[at] === 2) image[at] = 1;
  return new Database(image, { readonly: true });
}

function checkSchemaVersion(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > migrations.length)
    throw new LedgerSchemaVersionError(path, version, migrations.length);
  if (version < migrations.length)
    throw new Error(
      `ledger ${path} has schema version ${version}; open it once with the server (or a writing command) to upgrade it`,
    );
}

function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > migrations.length) {
      throw new LedgerSchemaVersionError(path, version, migrations.length);
    }
    for (const step of migrations.slice(version)) step(db);
    if (version < migrations.length) db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}

function toRecordedEvent([
  position,
  stream,
  revision,
  eventId,
  type,
  data,
  metadata,
]: EventRow): RecordedEvent {
  const parse = (text: string, column: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(
        `ledger row at position ${position} (stream ${stream}) holds invalid JSON in ${column}`,
        { cause: error },
      );
    }
  };
  return {
    eventId,
    stream,
    revision,
    position,
    type,
    data: parse(data, 'data'),
    metadata: parse(metadata, 'metadata') as RecordedEvent['metadata'],
  };
}
