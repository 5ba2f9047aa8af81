/**
 * The ledger's RFC 6962 Merkle tree over the global order (DESIGN.md section 7), kept
 * incrementally: each append stores the leaf hash and the hashes of the perfect subtrees it
 * completes, so an append costs O(log n) hashes at worst (O(1) amortized), and roots and proofs
 * of any size m <= n are assembled from stored perfect subtrees with O(log n) hashes, never
 * from the leaves. The hashes live behind MerkleStorage, so a durable store can keep them and
 * start-up reads them instead of rehashing the ledger.
 *
 * Node (level, index) is the perfect subtree over leaves [index * 2^level, (index + 1) * 2^level);
 * level 0 holds the leaf hashes.
 */
import { canonicalJson } from '../eventstore/envelope.ts';
import type { LedgerMerkleTree, RecordedEvent } from '../eventstore/port.ts';
import { EMPTY_ROOT, leafHashOf, nodeHashOf } from '../verify.ts';

const HASH_BYTES = 32;

/**
 * The leaf input of an event: the UTF-8 bytes of the RFC 8785 canonical JSON of its full
 * envelope, exactly the object `GET /v1/events` serves for it:
 *
 *   {eventId, stream, revision, position, type, data,
 *    metadata: {recordedAt, recordedBy, correlationId, causationId, idempotencyKey?,
 *               schemaVersion, prevHash, hash}}
 *
 * (`idempotencyKey` only when present). Leaf i (0-based) is the i-th event in global order;
 * that is its rank, not its `position` (position i + 1 in memory and sqlite stores, sparse in
 * esdb). Fields outside this list are left out, so a third party recomputes the leaf from the
 * API's output alone; `hash` covers the whole metadata anyway. See docs/merkle-leaf.md.
 *
 * `dataJson`, when given, must be canonicalJson(event.data): the stores pass the text they
 * store, so an append canonicalizes its data once.
 */
export function leafInput(
  event: RecordedEvent,
  dataJson: string = canonicalJson(event.data),
): Uint8Array {
  const { eventId, stream, revision, position, type, metadata } = event;
  // Written out member by member in RFC 8785 order (by UTF-16 code units): an append hashes
  // every event, and the general canonicalizer would cost it more than the tree itself.
  let metadataJson = '';
  for (const key of METADATA_KEYS) {
    const value = metadata[key];
    // canonicalJson drops members whose value is undefined: an absent idempotencyKey.
    if (value !== undefined) metadataJson += `,"${key}":${canonicalScalar(value)}`;
  }
  const text =
    `{"data":${dataJson},"eventId":${canonicalScalar(eventId)},"metadata":{${metadataJson.slice(1)}},` +
    `"position":${canonicalScalar(position)},"revision":${canonicalScalar(revision)},` +
    `"stream":${canonicalScalar(stream)},"type":${canonicalScalar(type)}}`;
  return Buffer.from(text, 'utf8');
}

/** The leaf's metadata members, in RFC 8785 order. */
const METADATA_KEYS = [
  'causationId',
  'correlationId',
  'hash',
  'idempotencyKey',
  'prevHash',
  'recordedAt',
  'recordedBy',
  'schemaVersion',
] as const satisfies readonly (keyof RecordedEvent['metadata'])[];

/**
 * canonicalJson(value), quickly for what envelopes hold: a string without lone surrogates, a
 * finite number or null serializes as JSON.stringify does (RFC 8785 section 3.2.2); anything
 * else goes through canonicalJson, with its refusals.
 */
function canonicalScalar(value: unknown): string {
  if (
    value === null ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    (typeof value === 'string' && !LONE_SURROGATE.test(value))
  ) {
    return JSON.stringify(value);
  }
  return canonicalJson(value);
}

const LONE_SURROGATE = /\p{Cs}/u;

/** RFC 6962 leaf hash of a leaf input: SHA-256(0x00 || input). */
export function leafHash(input: Uint8Array): Uint8Array {
  return leafHashOf(input);
}

export interface MerkleNode {
  level: number;
  index: number;
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
    const nodes: MerkleNode[] = [{ level: 0, index: leafIndex, hash: leafHash }];
    // While the new node is a right child, its parent has just become complete.
    let { level, index, hash } = nodes[0] as MerkleNode;
    while (index % 2 === 1) {
      hash = nodeHashOf(this.#node(level, index - 1), hash);
      level++;
      index = (index - 1) / 2;
      nodes.push({ level, index, hash });
    }
    this.#storage.append(nodes);
    return leafIndex;
  }

  /** MTH of the first `treeSize` leaves (RFC 6962 section 2.1); EMPTY_ROOT for none. */
  root(treeSize: number = this.size): Uint8Array {
    this.#checkSize(treeSize, 'tree size');
    return treeSize === 0 ? Uint8Array.from(EMPTY_ROOT) : this.#subtree(0, treeSize);
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
    // Walk down from the root; each step's sibling is the next proof element, top-down.
    const topDown: Uint8Array[] = [];
    let start = 0;
    let end = treeSize;
    while (end - start > 1) {
      const k = largestPowerOfTwoBelow(end - start);
      if (leafIndex < start + k) {
        topDown.push(this.#subtree(start + k, end));
        end = start + k;
      } else {
        topDown.push(this.#subtree(start, start + k));
        start += k;
      }
    }
    return topDown.reverse();
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
    if (size1 === 0 || size1 === size2) return [];
    // SUBPROOF(m, D[start:end], b), unrolled: `sawRight` is !b, set once the walk went right.
    const topDown: Uint8Array[] = [];
    let start = 0;
    let end = size2;
    let sawRight = false;
    while (end !== size1) {
      const k = largestPowerOfTwoBelow(end - start);
      if (size1 - start <= k) {
        topDown.push(this.#subtree(start + k, end));
        end = start + k;
      } else {
        topDown.push(this.#subtree(start, start + k));
        start += k;
        sawRight = true;
      }
    }
    if (sawRight) topDown.push(this.#subtree(start, end));
    return topDown.reverse();
  }

  /**
   * MTH of leaves [start, end): a perfect subtree read from storage, or a subtree on the right
   * border of a tree, whose left part is perfect and aligned (RFC 6962 splits at the largest
   * power of two below the size), so it costs one read and one hash per level.
   */
  #subtree(start: number, end: number): Uint8Array {
    const width = end - start;
    if (floorPowerOfTwo(width) === width && start % width === 0) {
      return this.#node(log2(width), start / width);
    }
    const k = largestPowerOfTwoBelow(width);
    return nodeHashOf(this.#node(log2(k), start / k), this.#subtree(start + k, end));
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

// Loops rather than bitwise operators or Math.log2 of arbitrary n: exact up to 2^53 - 1.

/** The largest power of two <= n, for n >= 1. */
function floorPowerOfTwo(n: number): number {
  let k = 1;
  while (k * 2 <= n) k *= 2;
  return k;
}

/** RFC 6962's k: the largest power of two strictly below n, for n >= 2. */
function largestPowerOfTwoBelow(n: number): number {
  return floorPowerOfTwo(n - 1);
}

function log2(powerOfTwo: number): number {
  return Math.round(Math.log2(powerOfTwo));
}
