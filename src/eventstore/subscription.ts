/**
 * Catch-up-then-live subscriptions for stores that can read their global order by position and
 * know, in-process, when a commit happened.
 */
import type { RecordedEvent, Subscription } from './port.ts';

/** Counts commits and wakes whoever waits for the next one. */
export interface CommitFeed {
  /** Number of commits so far; a reader compares it before and after a read. */
  readonly commits: number;
  readonly ended: boolean;
  /** Resolves once a commit after `seen` happened, or the feed ended. */
  nextCommit(seen: number, cancel: AbortSignal): Promise<void>;
  committed(): void;
  end(): void;
}

export function createCommitFeed(): CommitFeed {
  let commits = 0;
  let ended = false;
  const waiters = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of waiters) wake();
    waiters.clear();
  };
  return {
    get commits() {
      return commits;
    },
    get ended() {
      return ended;
    },
    nextCommit(seen, cancel) {
      if (ended || commits > seen || cancel.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const wake = () => {
          cancel.removeEventListener('abort', wake);
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        cancel.addEventListener('abort', wake);
      });
    },
    committed() {
      commits++;
      wakeAll();
    },
    end() {
      ended = true;
      wakeAll();
    },
  };
}

/**
 * Commits by other processes (a CLI `import` or `seed-example` on the server's SQLite file) reach
 * this process by no event: `probe` reads a cheap counter of the store that changes with every
 * commit (SQLite's `PRAGMA data_version`), every `intervalMs`, and wakes the feed when it moved.
 * The timer does not keep the process alive.
 */
export function pollForCommits(
  feed: CommitFeed,
  probe: () => number,
  intervalMs = 250,
): { stop(): void } {
  let last = probe();
  const timer = setInterval(() => {
    const now = probe();
    if (now === last) return;
    last = now;
    feed.committed();
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Reads up to `limit` events from `from` (inclusive) in global order. */
export type ReadPage = (
  from: number,
  limit: number,
) => readonly RecordedEvent[] | Promise<readonly RecordedEvent[]>;

/**
 * Delivers every event from `fromPosition` on, then each new one as it commits. Always reads
 * the table from the last delivered position + 1, so commits racing the switch from catch-up to
 * live cause neither gaps nor duplicates: a commit seen during a read just triggers one more read.
 */
export function catchUpSubscription(
  feed: CommitFeed,
  readPage: ReadPage,
  fromPosition = 1,
  pageSize = 500,
): Subscription {
  const closing = new AbortController();
  const live = () => !closing.signal.aborted && !feed.ended;

  async function* deliver(): AsyncGenerator<RecordedEvent> {
    let next = Math.max(1, fromPosition);
    while (live()) {
      const seen = feed.commits;
      const page = await readPage(next, pageSize);
      for (const event of page) {
        if (!live()) return;
        yield event;
        next = event.position + 1;
      }
      if (page.length < pageSize) await feed.nextCommit(seen, closing.signal);
    }
  }

  const events = deliver();
  return {
    [Symbol.asyncIterator]: () => events,
    async close() {
      closing.abort();
    },
  };
}
