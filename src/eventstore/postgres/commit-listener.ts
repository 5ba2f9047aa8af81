/**
 * Wake-ups for the subscriptions of this process when any process commits events: one connection
 * LISTENs on COMMIT_CHANNEL. A notification is only a hint; the subscriptions read the table
 * (the source of truth) from where they are. When the connection drops (a database restart, a
 * network cut) it is opened again with backoff, and the feed is woken once it listens again, as
 * commits made meanwhile were never notified to it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { CommitFeed } from '../subscription.ts';
import { clientConfig, type PostgresSettings } from './config.ts';
import { COMMIT_CHANNEL } from './locks.ts';

export const BACKOFF = { firstMs: 100, maxMs: 2_000 };

export interface CommitListener {
  /** True while the listening connection is up. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/**
 * `headCommitted` hears the head position each commit reports (its payload), this process's own
 * included.
 */
export function listenForCommits(
  settings: PostgresSettings,
  feed: CommitFeed,
  headCommitted: (position: number) => void,
): CommitListener {
  const closing = new AbortController();
  let client: pg.Client | undefined;

  async function connect(): Promise<void> {
    for (let delay = BACKOFF.firstMs; !closing.signal.aborted; ) {
      const candidate = new pg.Client(clientConfig(settings));
      // Errors end the connection; 'end' below reconnects.
      candidate.on('error', () => {});
      candidate.on('notification', ({ payload }) => {
        feed.committed();
        headCommitted(Number(payload));
      });
      try {
        await candidate.connect();
        await candidate.query(`LISTEN ${COMMIT_CHANNEL}`);
      } catch {
        await candidate.end().catch(() => {});
        await sleep(delay, undefined, { signal: closing.signal }).catch(() => {});
        delay = Math.min(delay * 2, BACKOFF.maxMs);
        continue;
      }
      if (closing.signal.aborted) {
        await candidate.end().catch(() => {});
        return;
      }
      client = candidate;
      candidate.once('end', () => {
        client = undefined;
        if (!closing.signal.aborted) void connect();
      });
      feed.committed();
      return;
    }
  }

  const connected = connect();
  return {
    get listening() {
      return client !== undefined;
    },
    async close() {
      closing.abort();
      await connected;
      await client?.end().catch(() => {});
      client = undefined;
    },
  };
}
