import type { MerkleTree } from '../core/merkle/tree.ts';
import type { LedgerMerkleTree } from './port.ts';

/** The EventStore's `merkle` capability over `tree`, whose leaf i is the i-th event. */
export function ledgerMerkleTree(
  tree: MerkleTree,
  leafIndexOf: (eventId: string) => number | null,
): LedgerMerkleTree {
  return {
    size: async () => tree.size,
    root: async (treeSize) => tree.root(treeSize),
    inclusionProof: async (leafIndex, treeSize) => tree.inclusionProof(leafIndex, treeSize),
    consistencyProof: async (size1, size2) => tree.consistencyProof(size1, size2),
    leafIndexOf: async (eventId) => leafIndexOf(eventId),
  };
}
