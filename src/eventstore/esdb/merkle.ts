/**
 * The ledger's RFC 6962 tree on KurrentDB, kept beside the store by every service instance.
 *
 * Leaf i is the i-th ledger event in $all order (system and foreign events skipped), so every
 * instance that follows $all builds the same tree, whoever appended. The subtree hashes live
 * in memory and are rebuilt from $all at start (one pass; the tree is a pure function of the
 * log, so there is nothing to keep consistent with it). Every question first catches the tree
 * up with the head of $all as it is when asked: an event whose append was answered is in the
 * tree before a proof for it is given, as commands wait for projections.
 */

import { MemoryMerkleStorage, MerkleTree } from '../../core/merkle/tree.ts';
import { leafHash, leafInput } from '../../core/merkle-leaf.ts';
import { MerkleTreeBehindError } from '../errors.ts';
import { type Follower, followLedger } from '../follow.ts';
import type { EventStore, LedgerMerkleTree, RecordedEvent } from '../port.ts';

export interface EsdbMerkleLog extends LedgerMerkleTree {
  /** The global position of leaf `leafIndex` (positions are sparse on this store). */
  positionOf(leafIndex: number): Promise<number>;
  /** Whether the follower of $all is up. */
  readonly following: Follower['state'];
  close(): Promise<void>;
}

export interface MerkleLogOptions {
  retry: { baseDelayMs: number; maxDelayMs: number };
  /** How long a question waits for the tree to reach the head of $all. */
  catchUpTimeoutMs: number;
  /** Called for each event as it becomes a leaf. */
  onLeaf?: (event: RecordedEvent) => void;
}

export function followMerkleLog(
  store: Pick<EventStore, 'subscribe' | 'headPosition'>,
  options: MerkleLogOptions,
): EsdbMerkleLog {
  const tree = new MerkleTree(new MemoryMerkleStorage());
  const leafOf = new Map<string, number>();
  let positions = new Float64Array(1024);
  let lastPosition = 0;
  const waiters = new Set<{ position: number; wake: () => void }>();

  const follower = followLedger(store, {
    fromPosition: 1,
    retry: options.retry,
    onEvent: (event: RecordedEvent) => {
      const leafIndex = tree.append(leafHash(leafInput(event)));
      leafOf.set(event.eventId, leafIndex);
      if (leafIndex >= positions.length) {
        const grown = new Float64Array(positions.length * 2);
        grown.set(positions);
        positions = grown;
      }
      positions[leafIndex] = event.position;
      lastPosition = event.position;
      options.onLeaf?.(event);
      for (const waiter of waiters) {
        if (waiter.position <= lastPosition) {
          waiters.delete(waiter);
          waiter.wake();
        }
      }
    },
  });

  /** Waits until the tree holds every ledger event committed before this call. */
  async function catchUp(): Promise<void> {
    const head = await store.headPosition();
    if (head <= lastPosition) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        position: head,
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new MerkleTreeBehindError(
            `the Merkle tree did not reach position ${head} within ${options.catchUpTimeoutMs} ms (at ${lastPosition})`,
          ),
        );
      }, options.catchUpTimeoutMs);
      waiters.add(waiter);
    });
  }

  return {
    async size() {
      await catchUp();
      return tree.size;
    },
    async root(treeSize) {
      await catchUp();
      return tree.root(treeSize);
    },
    async inclusionProof(leafIndex, treeSize) {
      await catchUp();
      return tree.inclusionProof(leafIndex, treeSize);
    },
    async consistencyProof(size1, size2) {
      await catchUp();
      return tree.consistencyProof(size1, size2);
    },
    async leafIndexOf(eventId) {
      await catchUp();
      return leafOf.get(eventId) ?? null;
    },
    async positionOf(leafIndex) {
      if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= tree.size) {
        throw new RangeError(`leaf index ${leafIndex} is not below the tree size ${tree.size}`);
      }
      return positions[leafIndex] as number;
    },
    get following() {
      return follower.state;
    },
    close: () => follower.close(),
  };
}
