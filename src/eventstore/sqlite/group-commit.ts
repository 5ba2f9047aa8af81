/**
 * Group commit: appends arriving in the same turn of the event loop share one transaction and
 * one fsync, each still checked on its own against the state the earlier ones in the batch left.
 */
import type { EventSnapshot } from '../append-rules.ts';
import type { AppendResult, ExpectedRevision } from '../port.ts';

export interface GroupCommit {
  /** Appends settled by this transaction, including refused ones and retries. */
  appends: number;
  /** Events newly written. */
  events: number;
}

/** One append waiting for the next commit. */
export interface PendingAppend {
  stream: string;
  events: EventSnapshot[];
  expectedRevision: ExpectedRevision;
}

export type Outcome =
  | { ok: true; result: AppendResult; written: number }
  | { ok: false; error: unknown };

export interface GroupCommitter {
  /** Queues an append for the next commit; settles when that commit did. */
  submit(append: PendingAppend): Promise<AppendResult>;
  /** Commits what is queued now (the store calls it on close). */
  flush(): void;
}

/**
 * `commitBatch` writes a batch in one transaction and gives each append's outcome; if it throws,
 * nothing of the batch was written and every append of it fails with that error.
 */
export function groupCommitter(
  commitBatch: (batch: readonly PendingAppend[]) => Outcome[],
  onCommit: (commit: GroupCommit) => void,
): GroupCommitter {
  type Waiting = PendingAppend & {
    resolve: (result: AppendResult) => void;
    reject: (error: unknown) => void;
  };
  let queue: Waiting[] = [];
  let flushScheduled = false;

  function flush(): void {
    flushScheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = commitBatch(batch);
    } catch (error) {
      // The transaction itself failed (disk, lock timeout): nothing of the batch was written.
      for (const append of batch) append.reject(error);
      return;
    }
    let written = 0;
    outcomes.forEach((outcome, index) => {
      const append = batch[index] as Waiting;
      if (outcome.ok) {
        written += outcome.written;
        append.resolve(outcome.result);
      } else {
        append.reject(outcome.error);
      }
    });
    onCommit({ appends: batch.length, events: written });
  }

  return {
    submit: (append) =>
      new Promise((resolve, reject) => {
        queue.push({ ...append, resolve, reject });
        if (!flushScheduled) {
          flushScheduled = true;
          // Everything appended until the event loop comes round again joins this commit.
          setImmediate(flush);
        }
      }),
    flush,
  };
}
