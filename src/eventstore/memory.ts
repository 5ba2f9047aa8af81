/** In-memory EventStore for unit tests: the same semantics as the durable adapters, no disk. */

import { GENESIS_HASH, sealEvent } from '../core/event-hash.ts';
import { MemoryMerkleStorage, MerkleTree } from '../core/merkle/tree.ts';
import { leafHash, leafInput } from '../core/merkle-leaf.ts';
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
import { ledgerMerkleTree } from './ledger-merkle-tree.ts';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventToAppend,
  RecordedEvent,
} from './port.ts';
import { signedCheckpointsInMemory } from './signed-checkpoint-log.ts';
import { catchUpSubscription, createCommitFeed } from './subscription.ts';

export function openMemoryEventStore(): EventStore {
  /** Global order: the event at position p is ledger[p - 1]. */
  const ledger: RecordedEvent[] = [];
  const streams = new Map<string, RecordedEvent[]>();
  const byEventId = new Map<string, RecordedEvent>();
  /** Leaf i is ledger[i]: extended with every event, as the SQLite store does. */
  const tree = new MerkleTree(new MemoryMerkleStorage());
  const feed = createCommitFeed();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw closedStoreError();
  }

  function append(stream: string, events: EventToAppend[], options: AppendOptions): AppendResult {
    assertOpen();
    assertAppendable(stream, events, options);
    const snapshots = events.map((event) => snapshotEvent(stream, event));
    const { expectedRevision } = options;
    const retried = retriedAppendResult(
      stream,
      snapshots.map((snapshot) => snapshot.event),
      expectedRevision,
      events.map((event) => byEventId.get(event.eventId)),
    );
    if (retried !== undefined) return retried;

    const history = streams.get(stream) ?? [];
    const head = history.at(-1);
    checkExpectedRevision(stream, expectedRevision, head?.revision ?? -1);

    const recordedAt = commitInstant(ledger.at(-1)?.metadata.recordedAt);
    let prevHash = head?.metadata.hash ?? GENESIS_HASH;
    const recorded = snapshots.map(({ event, dataJson }, index) => {
      const revision = history.length + index;
      const sealed = sealEvent(stream, revision, prevHash, recordedAt, event, dataJson);
      prevHash = sealed.metadata.hash;
      return deepFreeze({ ...sealed, position: ledger.length + index + 1 });
    });
    // Hashed before anything changes, so a failure leaves the store as it was.
    const leaves = recorded.map((event, index) =>
      leafHash(leafInput(event, (snapshots[index] as EventSnapshot).dataJson)),
    );
    recorded.forEach((event, index) => {
      tree.append(leaves[index] as Uint8Array);
      ledger.push(event);
      history.push(event);
      byEventId.set(event.eventId, event);
    });
    streams.set(stream, history);
    feed.committed();
    return appendResult(stream, recorded);
  }

  function readAll(from: number, limit: number): RecordedEvent[] {
    return ledger.slice(from - 1, from - 1 + Math.min(limit, ledger.length));
  }

  return {
    capabilities: { densePositions: true, importRecorded: true },
    append: async (stream, events, options) => append(stream, events, options),
    readStream: async (stream, options) => {
      assertOpen();
      return (streams.get(stream) ?? []).slice(options?.fromRevision ?? 0);
    },
    readAll: async (options) => {
      assertOpen();
      const { from, limit } = readAllRange(options);
      return readAll(from, limit);
    },
    subscribe: (options = {}) => catchUpSubscription(feed, readAll, options.fromPosition),
    importRecorded: async (events) => {
      assertOpen();
      if (ledger.length > 0) throw new Error('import needs an empty store');
      events.forEach((e, index) => {
        if (e.position !== index + 1)
          throw new Error(`import needs positions 1, 2, 3, ...; got ${e.position} at ${index + 1}`);
      });
      const copies = events.map((e) => deepFreeze(structuredClone(e)));
      const leaves = copies.map((event) => leafHash(leafInput(event)));
      copies.forEach((event, index) => {
        tree.append(leaves[index] as Uint8Array);
        ledger.push(event);
        const history = streams.get(event.stream);
        if (history) history.push(event);
        else streams.set(event.stream, [event]);
        byEventId.set(event.eventId, event);
      });
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
