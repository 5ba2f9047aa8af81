/**
 * Group commit: appends arriving in the same turn of the event loop, or while the previous
 * commit is in flight, share one transaction and one fsync, each still checked on its own
 * against the state the earlier ones in the batch left.
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
  /** Resolves once every append submitted so far has settled (the store awaits it on close). */
  drain(): Promise<void>;
}

/**
 * `commitBatch` writes a batch in one transaction and gives each append's outcome; if it
 * rejects, nothing of the batch was written and every append of it fails with that error. One
 * batch is in flight at a time: appends arriving meanwhile queue up and form the next one.
 */
export function groupCommitter(
  commitBatch: (batch: readonly PendingAppend[]) => Promise<Outcome[]>,
  onCommit: (commit: GroupCommit) => void,
): GroupCommitter {
  type Waiting = PendingAppend & {
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
    const batch = queue;
    queue = [];
    try {
      settle(batch, await commitBatch(batch));
    } catch (error) {
      // The transaction itself failed (disk, lock timeout): nothing of the batch was written.
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
