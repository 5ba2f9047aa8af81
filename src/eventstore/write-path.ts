/**
 * The one write path of every store: a batch of queued appends is planned (append-plan.ts)
 * against the state the store read under its append lock and written in one transaction. A
 * store is a driver (StoreDriver): its locked transaction, its reads of that state, its writes
 * of rows and tree nodes, and how its errors classify.
 */
import type { MerkleNode } from '../core/merkle/tree.ts';
import {
  batchKeys,
  type LockedState,
  type Outcome,
  type PlannedEvent,
  planBatch,
  planImport,
  type QueuedAppend,
} from './append-plan.ts';
import type { RecordedEvent } from './port.ts';

/** What a store's error means for the batch that met it. */
export type ErrorClass =
  /** The store is away (connection lost, server restarting): nothing was acknowledged. */
  | 'unavailable'
  /** The store cannot write (full disk, I/O error). */
  | 'cannot-write'
  /** Another writer took what this one wrote (a unique constraint). */
  | 'conflict'
  /** Anything else: a row this batch wrote that failed where no check foresaw it. */
  | 'failed';

/** One transaction of a store, holding its append lock. */
export interface StoreTransaction {
  /** The state the batch's streams and event ids depend on, as this transaction sees it. */
  lockedState(eventIds: readonly string[], streams: readonly string[]): Promise<LockedState>;
  /** Inserts the events and tree nodes. */
  write(events: readonly PlannedEvent[], nodes: readonly MerkleNode[]): Promise<void>;
  /** Runs `work` in a savepoint: when it throws, what it wrote is taken back. */
  savepoint<T>(work: () => Promise<T>): Promise<T>;
}

export interface StoreDriver {
  /** Runs `work` in a transaction holding the append lock; commits when it resolves. */
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
  classify(error: unknown): ErrorClass;
}

/**
 * Commits a batch in one transaction. When its rows fail where no check foresaw it (a
 * constraint, a trigger, a row too large), that transaction is rolled back and the batch redone
 * in a second one, append by append, each in a savepoint of its own: only the appends whose rows
 * fail are refused. The common case thus takes no savepoint: on PostgreSQL that saves two of
 * the six round trips of a one-append commit. A store that is away or cannot write fails the
 * whole batch.
 */
export async function commitBatch(
  driver: StoreDriver,
  batch: readonly QueuedAppend[],
): Promise<Outcome[]> {
  try {
    return await driver.transaction((tx) => planAndWrite(tx, batch));
  } catch (error) {
    if (!redone(driver.classify(error))) throw error;
  }
  // The redo reads the locked state afresh: another writer may have committed in between.
  return driver.transaction(async (tx) => {
    const outcomes: Outcome[] = [];
    for (const append of batch) {
      try {
        outcomes.push(...(await tx.savepoint(() => planAndWrite(tx, [append]))));
      } catch (error) {
        if (!redone(driver.classify(error))) throw error;
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  });
}

/** A row refused by the store itself fails its append alone; an absent or full store, all. */
const redone = (kind: ErrorClass) => kind === 'failed' || kind === 'conflict';

async function planAndWrite(tx: StoreTransaction, batch: readonly QueuedAppend[]) {
  const { eventIds, streams } = batchKeys(batch);
  const plan = planBatch(batch, await tx.lockedState(eventIds, streams));
  if (plan.events.length > 0) await tx.write(plan.events, plan.nodes);
  return plan.outcomes;
}

/** Writes a ledger exported elsewhere, as recorded, into the empty store. */
export async function importRecorded(
  driver: StoreDriver,
  recorded: readonly RecordedEvent[],
): Promise<void> {
  await driver.transaction(async (tx) => {
    const { events, nodes } = planImport(recorded, await tx.lockedState([], []));
    if (events.length > 0) await tx.write(events, nodes);
  });
}
