/**
 * The ledger's RFC 6962 Merkle tree over the global order (docs/design.md §7), kept
 * incrementally: each append stores the leaf hash and the hashes of the perfect subtrees it
 * completes, so an append costs O(log n) hashes at worst (O(1) amortized), and roots and proofs
 * of any size m <= n are assembled from stored perfect subtrees with O(log n) hashes, never
 * from the leaves. The hashes live behind MerkleStorage, so a durable store can keep them and
 * start-up reads them instead of rehashing the ledger.
 *
 * Node (level, index) is the perfect subtree over leaves [index * 2^level, (index + 1) * 2^level);
 * level 0 holds the leaf hashes.
 */
import { EMPTY_ROOT, nodeHashOf } from '../../verify.ts';
import {
  completedNodes,
  consistencyProofRanges,
  inclusionProofRanges,
  type LeafRange,
  type NodeAddress,
  subtreeNodes,
} from './nodes.ts';

const HASH_BYTES = 32;

export interface MerkleNode extends NodeAddress {
  hash: Uint8Array;
}

/**
 * Where the tree keeps its hashes. Calls are synchronous so a better-sqlite3 implementation can
 * run them inside the transaction that writes the events: a rolled-back append then leaves no
 * node behind, because the tree itself keeps no state outside its storage.
 */
export interface MerkleStorage {
  /** Number of leaves stored (nodes of level 0). */
  size(): number;
  /**
   * Hash of the complete node (level, index); undefined when not stored. The array is the
   * caller's: the tree hands it out in proofs, so it must not be one the storage keeps.
   */
  get(level: number, index: number): Uint8Array | undefined;
  /**
   * Stores one appended leaf and the nodes it completes, all or nothing: `nodes[0]` is the
   * leaf (level 0, index size()), then one node per level above it, bottom-up. The hashes
   * belong to the caller: keep copies.
   */
  append(nodes: readonly MerkleNode[]): void;
}

/** MerkleStorage in memory: one growing byte array per level, 32 bytes a node. */
export class MemoryMerkleStorage implements MerkleStorage {
  readonly #levels: { bytes: Uint8Array; count: number }[] = [];

  size(): number {
    return this.#levels[0]?.count ?? 0;
  }

  get(level: number, index: number): Uint8Array | undefined {
    const row = this.#levels[level];
    if (row === undefined || !Number.isInteger(index) || index < 0 || index >= row.count) {
      return undefined;
    }
    return row.bytes.slice(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  append(nodes: readonly MerkleNode[]): void {
    // Check every node before writing any, so a refused append changes nothing.
    nodes.forEach((node, i) => {
      const expected = this.#levels[node.level]?.count ?? 0;
      if (node.level !== i || node.index !== expected || node.hash.length !== HASH_BYTES) {
        throw new Error(
          `Merkle storage: node (${node.level}, ${node.index}) is not the next node of level ${i}`,
        );
      }
    });
    for (const node of nodes) {
      let row = this.#levels[node.level];
      if (row === undefined) {
        row = { bytes: new Uint8Array(64 * HASH_BYTES), count: 0 };
        this.#levels[node.level] = row;
      }
      if ((row.count + 1) * HASH_BYTES > row.bytes.length) {
        const grown = new Uint8Array(row.bytes.length * 2);
        grown.set(row.bytes);
        row.bytes = grown;
      }
      row.bytes.set(node.hash, row.count * HASH_BYTES);
      row.count++;
    }
  }
}

export class MerkleTree {
  readonly #storage: MerkleStorage;

  constructor(storage: MerkleStorage = new MemoryMerkleStorage()) {
    this.#storage = storage;
  }

  /** Number of leaves. */
  get size(): number {
    return this.#storage.size();
  }

  /** Appends a leaf hash (see leafHash) and returns its 0-based leaf index. */
  append(leafHash: Uint8Array): number {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_BYTES) {
      throw new TypeError('a leaf hash is 32 bytes');
    }
    const leafIndex = this.#storage.size();
    let hash = leafHash;
    const nodes = completedNodes(leafIndex).map(({ level, index }): MerkleNode => {
      // Each node above the leaf is its left sibling's hash joined with the node below.
      if (level > 0) hash = nodeHashOf(this.#node(level - 1, 2 * index), hash);
      return { level, index, hash };
    });
    this.#storage.append(nodes);
    return leafIndex;
  }

  /** MTH of the first `treeSize` leaves (RFC 6962 section 2.1); EMPTY_ROOT for none. */
  root(treeSize: number = this.size): Uint8Array {
    this.#checkSize(treeSize, 'tree size');
    return treeSize === 0 ? Uint8Array.from(EMPTY_ROOT) : this.#subtree([0, treeSize]);
  }

  /**
   * The audit path PATH(m, D[n]) of RFC 6962 section 2.1.1 for leaf `leafIndex` (m, 0-based)
   * in the tree of the first `treeSize` leaves (n), bottom-up, as verifyInclusion takes it.
   */
  inclusionProof(leafIndex: number, treeSize: number = this.size): Uint8Array[] {
    this.#checkSize(treeSize, 'tree size');
    if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) {
      throw new RangeError(`leaf index ${leafIndex} is not below the tree size ${treeSize}`);
    }
    return inclusionProofRanges(leafIndex, treeSize).map((range) => this.#subtree(range));
  }

  /**
   * The consistency proof PROOF(m, D[n]) of RFC 6962 section 2.1.2 between the first `size1`
   * leaves (m) and the first `size2` (n), as verifyConsistency takes it; empty when m = 0 or
   * m = n, where nothing needs proving beyond the roots themselves.
   */
  consistencyProof(size1: number, size2: number = this.size): Uint8Array[] {
    this.#checkSize(size2, 'second tree size');
    if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > size2) {
      throw new RangeError(`first tree size ${size1} is not within 0..${size2}`);
    }
    return consistencyProofRanges(size1, size2).map((range) => this.#subtree(range));
  }

  /** MTH of a range from its stored nodes: one read per node, one hash per level. */
  #subtree([start, end]: LeafRange): Uint8Array {
    return subtreeHash(
      subtreeNodes(start, end).map(({ level, index }) => this.#node(level, index)),
    );
  }

  #node(level: number, index: number): Uint8Array {
    const hash = this.#storage.get(level, index);
    if (hash === undefined) throw new Error(`Merkle storage lacks node (${level}, ${index})`);
    return hash;
  }

  #checkSize(treeSize: number, what: string): void {
    if (!Number.isSafeInteger(treeSize) || treeSize < 0 || treeSize > this.size) {
      throw new RangeError(`${what} ${treeSize} is not within 0..${this.size}`);
    }
  }
}

/** MTH of a range from the hashes of its subtreeNodes, left to right: folded from the right. */
export function subtreeHash(nodeHashes: readonly Uint8Array[]): Uint8Array {
  let hash = nodeHashes.at(-1);
  if (hash === undefined) throw new RangeError('a subtree has at least one node');
  for (let i = nodeHashes.length - 2; i >= 0; i--)
    hash = nodeHashOf(nodeHashes[i] as Uint8Array, hash);
  return hash;
}
