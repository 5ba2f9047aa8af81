/**
 * PostgreSQL EventStore (node-postgres): several ledger service instances may share one
 * database, each taking commands. What keeps them correct together lives in the database: the
 * append lock and the unique constraints (global order, one winner per stream revision, one
 * event per id), the hash chains read under that lock, and the one Merkle tree and the signed
 * checkpoints written in the same transactions. Subscriptions of every instance are woken by
 * LISTEN/NOTIFY and read the table itself, so read-your-writes holds wherever a request lands.
 * A database that cannot be reached turns into StoreUnavailableError, never into a lost
 * acknowledged write.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { appendQueue, type CommittedBatch } from '../append-queue.ts';
import {
  assertAppendable,
  closedStoreError,
  readAllRange,
  snapshotEvent,
} from '../append-rules.ts';
import type { EventStore, RecordedEvent } from '../port.ts';
import { catchUpSubscription, createCommitFeed } from '../subscription.ts';
import { commitBatch, importRecorded } from '../write-path.ts';
import { BACKOFF, listenForCommits } from './commit-listener.ts';
import { createPool, postgresSettings } from './config.ts';
import { postgresMerkleTree } from './merkle.ts';
import { migrate } from './migrations.ts';
import * as read from './read.ts';
import { postgresSignedCheckpoints } from './signed-checkpoints.ts';
import { isUnavailable, reachable } from './unavailable.ts';
import { postgresWriteDriver } from './write-driver.ts';

export interface PostgresEventStoreOptions {
  /** Called after each group commit, e.g. for metrics. */
  onCommit?: (commit: CommittedBatch) => void;
}

export async function openPostgresEventStore(
  url: string,
  options: PostgresEventStoreOptions = {},
): Promise<EventStore> {
  const settings = postgresSettings(url);
  const pool = createPool(settings);
  // A connection the server dropped, idle or checked out between two queries: the query that
  // uses it next fails (as unavailable), and the pool opens a new one.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    await reachable(async () => {
      const client = await pool.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    });
  } catch (error) {
    await pool.end();
    throw error;
  }

  const feed = createCommitFeed();
  const driver = postgresWriteDriver(pool);
  const listener = listenForCommits(settings, feed, driver.headCommitted);
  const queue = appendQueue(
    (batch) => commitBatch(driver, batch),
    (commit) => {
      if (commit.events > 0) feed.committed();
      options.onCommit?.(commit);
    },
  );
  const closing = new AbortController();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw closedStoreError();
  }

  /**
   * A subscription's page: while the database is away it waits and tries again (the
   * subscription must outlive a restart), until the store closes.
   */
  async function readPageRetrying(from: number, limit: number): Promise<RecordedEvent[]> {
    for (let delay = BACKOFF.firstMs; ; delay = Math.min(delay * 2, BACKOFF.maxMs)) {
      if (closed) return [];
      try {
        return await read.readAll(pool, from, limit);
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        await sleep(delay, undefined, { signal: closing.signal }).catch(() => {});
      }
    }
  }

  return {
    capabilities: { densePositions: true, importRecorded: true },
    append: async (stream, events, appendOptions) => {
      assertOpen();
      assertAppendable(stream, events, appendOptions);
      return queue.submit({
        stream,
        events: events.map((event) => snapshotEvent(stream, event)),
        expectedRevision: appendOptions.expectedRevision,
      });
    },
    readStream: async (stream, readOptions) => {
      assertOpen();
      return reachable(() => read.readStream(pool, stream, readOptions?.fromRevision ?? 0));
    },
    readAll: async (readOptions) => {
      assertOpen();
      const { from, limit } = readAllRange(readOptions);
      return reachable(() => read.readAll(pool, from, limit));
    },
    findEvent: async (eventId) => {
      assertOpen();
      return reachable(() => read.findEvent(pool, eventId));
    },
    subscribe: (subscribeOptions = {}) =>
      catchUpSubscription(feed, readPageRetrying, subscribeOptions.fromPosition),
    headPosition: async () => {
      assertOpen();
      return reachable(() => read.headPosition(pool));
    },
    importRecorded: async (events) => {
      assertOpen();
      await queue.drain();
      await importRecorded(driver, events);
      if (events.length > 0) feed.committed();
    },
    merkle: postgresMerkleTree(pool),
    signedCheckpoints: postgresSignedCheckpoints(pool),
    close: async () => {
      if (closed) return;
      await queue.drain();
      closed = true;
      closing.abort();
      feed.end();
      await listener.close();
      await pool.end();
    },
  };
}
