/**
 * The append queue (group commit): appends arriving in the same turn of the event loop, or while
 * the previous commit is in flight, share one transaction and one fsync, each still checked on
 * its own against the state the earlier ones in the batch left (append-plan.ts). One batch is in
 * flight at a time; appends arriving meanwhile form the next one.
 */
import type { Outcome, QueuedAppend } from './append-plan.ts';
import type { AppendResult } from './port.ts';

/** What one transaction of the queue settled, for metrics. */
export interface CommittedBatch {
  /** Appends settled by this transaction, including refused ones and retries. */
  appends: number;
  /** Events newly written. */
  events: number;
}

export interface AppendQueue {
  /** Queues an append for the next commit; settles when that commit did. */
  submit(append: QueuedAppend): Promise<AppendResult>;
  /** Resolves once every append submitted so far has settled (the store awaits it on close). */
  drain(): Promise<void>;
}

/** Bounds one transaction's statements; a longer queue is committed in several. */
const MAX_APPENDS_PER_COMMIT = 1000;

/**
 * `commitBatch` writes a batch in one transaction and gives each append's outcome; if it
 * rejects, nothing of the batch was written and every append of it fails with that error.
 */
export function appendQueue(
  commitBatch: (batch: readonly QueuedAppend[]) => Promise<Outcome[]>,
  onCommit: (commit: CommittedBatch) => void,
): AppendQueue {
  type Waiting = QueuedAppend & {
    resolve: (result: AppendResult) => void;
    reject: (error: unknown) => void;
  };
  let queue: Waiting[] = [];
  let scheduled = false;
  let committing = false;
  let idle: (() => void)[] = [];

  function scheduleCommit(): void {
    if (scheduled || committing) return;
    if (queue.length === 0) {
      for (const wake of idle) wake();
      idle = [];
      return;
    }
    scheduled = true;
    // Everything appended until the event loop comes round again joins this commit.
    setImmediate(commitQueued);
  }

  async function commitQueued(): Promise<void> {
    scheduled = false;
    committing = true;
    const batch = queue.slice(0, MAX_APPENDS_PER_COMMIT);
    queue = queue.slice(batch.length);
    try {
      settle(batch, await commitBatch(batch));
    } catch (error) {
      // The transaction itself failed (disk, lock timeout, lost connection): nothing of the
      // batch was acknowledged; a retry of the same events is recognised by their ids.
      for (const append of batch) append.reject(error);
    } finally {
      committing = false;
      scheduleCommit();
    }
  }

  function settle(batch: readonly Waiting[], outcomes: readonly Outcome[]): void {
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
        scheduleCommit();
      }),
    drain: () =>
      scheduled || committing || queue.length > 0
        ? new Promise((resolve) => idle.push(resolve))
        : Promise.resolve(),
  };
}
