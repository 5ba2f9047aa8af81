/**
 * In-memory EventStore for unit tests: the same write path as the durable stores
 * (write-path.ts), its driver a few arrays and maps, no disk.
 */

import { type MerkleNode, MerkleTree } from '../core/merkle/tree.ts';
import type { LockedState, PlannedEvent } from './append-plan.ts';
import { appendQueue } from './append-queue.ts';
import { assertAppendable, closedStoreError, readAllRange, snapshotEvent } from './append-rules.ts';
import { edgeNodes, treeKey } from './growing-tree.ts';
import { ledgerMerkleTree } from './ledger-merkle-tree.ts';
import type { EventStore, RecordedEvent } from './port.ts';
import { signedCheckpointsInMemory } from './signed-checkpoint-log.ts';
import { catchUpSubscription, createCommitFeed } from './subscription.ts';
import { commitBatch, importRecorded, type StoreDriver } from './write-path.ts';

export function openMemoryEventStore(): EventStore {
  /** Global order: the event at position p is ledger[p - 1]. */
  const ledger: RecordedEvent[] = [];
  const streams = new Map<string, RecordedEvent[]>();
  const byEventId = new Map<string, RecordedEvent>();
  /** The tree's nodes under treeKey; leaf i is ledger[i]. */
  const nodes = new Map<string, Uint8Array>();
  let treeSize = 0;
  const feed = createCommitFeed();
  let closed = false;

  function lockedState(eventIds: readonly string[], names: readonly string[]): LockedState {
    const last = ledger.at(-1);
    return {
      position: ledger.length,
      recordedAt: last?.metadata.recordedAt,
      stored: new Map(
        eventIds.flatMap((id) => {
          const event = byEventId.get(id);
          return event ? [[id, event]] : [];
        }),
      ),
      heads: new Map(
        names.flatMap((stream) => {
          const head = streams.get(stream)?.at(-1);
          return head ? [[stream, { revision: head.revision, hash: head.metadata.hash }]] : [];
        }),
      ),
      tree: {
        size: treeSize,
        edge: new Map(
          edgeNodes(treeSize).map(({ level, index }) => {
            const key = treeKey(level, index);
            return [key, nodes.get(key) as Uint8Array];
          }),
        ),
      },
    };
  }

  /** Applies at once: nothing in it can fail part way, so a savepoint has nothing to undo. */
  function write(events: readonly PlannedEvent[], added: readonly MerkleNode[]): void {
    const recorded = events.map(({ event, dataJson }) =>
      deepFreeze({ ...event, data: JSON.parse(dataJson) } as RecordedEvent),
    );
    for (const event of recorded) {
      ledger.push(event);
      const history = streams.get(event.stream);
      if (history) history.push(event);
      else streams.set(event.stream, [event]);
      byEventId.set(event.eventId, event);
    }
    for (const { level, index, hash } of added) {
      nodes.set(treeKey(level, index), Uint8Array.from(hash));
      if (level === 0) treeSize = index + 1;
    }
  }

  const driver: StoreDriver = {
    transaction: (work) =>
      work({
        lockedState: async (eventIds, names) => lockedState(eventIds, names),
        write: async (events, added) => write(events, added),
        savepoint: (inner) => inner(),
      }),
    classify: () => 'failed',
  };
  const queue = appendQueue(
    (batch) => commitBatch(driver, batch),
    (commit) => {
      if (commit.events > 0) feed.committed();
    },
  );

  const tree = new MerkleTree({
    size: () => treeSize,
    get: (level, index) => {
      const hash = nodes.get(treeKey(level, index));
      return hash && Uint8Array.from(hash);
    },
    append: () => {
      throw new Error('the tree grows only through the write path');
    },
  });

  function assertOpen(): void {
    if (closed) throw closedStoreError();
  }

  function readAll(from: number, limit: number): RecordedEvent[] {
    return ledger.slice(from - 1, from - 1 + Math.min(limit, ledger.length));
  }

  return {
    capabilities: { densePositions: true, importRecorded: true },
    append: async (stream, events, options) => {
      assertOpen();
      assertAppendable(stream, events, options);
      return queue.submit({
        stream,
        events: events.map((event) => snapshotEvent(stream, event)),
        expectedRevision: options.expectedRevision,
      });
    },
    readStream: async (stream, options) => {
      assertOpen();
      return (streams.get(stream) ?? []).slice(options?.fromRevision ?? 0);
    },
    readAll: async (options) => {
      assertOpen();
      const { from, limit } = readAllRange(options);
      return readAll(from, limit);
    },
    findEvent: async (eventId) => {
      assertOpen();
      return byEventId.get(eventId) ?? null;
    },
    subscribe: (options = {}) => catchUpSubscription(feed, readAll, options.fromPosition),
    importRecorded: async (events) => {
      assertOpen();
      await queue.drain();
      await importRecorded(driver, events);
      if (events.length > 0) feed.committed();
    },
    headPosition: async () => {
      assertOpen();
      return ledger.length;
    },
    merkle: ledgerMerkleTree(tree, (eventId) => {
      const event = byEventId.get(eventId);
      return event === undefined ? null : event.position - 1;
    }),
    signedCheckpoints: signedCheckpointsInMemory(),
    close: async () => {
      await queue.drain();
      closed = true;
      feed.end();
    },
  };
}

/** Stored events are shared with every reader, so nobody may change them. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
