/**
 * SQLite EventStore (better-sqlite3): one file, WAL, synchronous=FULL, so a resolved append is
 * on disk. Appends arriving in the same burst are group-committed: one transaction and one fsync
 * for the whole batch, each append still checked on its own against the state the earlier ones
 * in the batch left.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
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
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    migrate(db, path);
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
      return { eventId: event.eventId, revision, position };
    });
    return { ok: true, result: appendResult(stream, appended), written: appended.length };
  }

  // A nested better-sqlite3 transaction is a savepoint: a failing append undoes only its rows.
  const writeAppendAtomically = db.transaction(writeAppend);

  const commitBatch = db.transaction((batch: PendingAppend[]): Outcome[] => {
    const last = statements.lastEvent.get();
    const recordedAt = commitInstant(last?.recordedAt);
    let lastPosition = last?.position ?? 0;
    return batch.map((append): Outcome => {
      try {
        const outcome = writeAppendAtomically(append, lastPosition, recordedAt);
        if (outcome.ok) lastPosition += outcome.written;
        return outcome;
      } catch (error) {
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
    if ((statements.headPosition.get() as number) !== 0)
      throw new Error('import needs an empty store');
    for (const e of events)
      statements.insert.run(
        e.position,
        e.stream,
        e.revision,
        e.eventId,
        e.type,
        canonicalJson(e.data),
        JSON.stringify(e.metadata),
      );
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
    close: async () => {
      if (closed) return;
      flush();
      closed = true;
      feed.end();
      db.close();
    },
  };
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
