/**
 * The Merkle tree as a writer extends it inside its transaction: it starts from the stored right
 * edge (the only nodes its next appends read), grows in memory, and hands out the nodes it
 * completed, for the store to insert with the events.
 */
import type { MerkleNode } from '../core/merkle/tree.ts';
import { nodeHashOf } from '../verify.ts';

export const treeKey = (level: number, index: number): string => `${level}/${index}`;

/**
 * The right edge of a tree of `size` leaves: node (l, floor(size / 2^l) - 1) for each bit l set
 * in the size, the nodes the next append reads. Arithmetic, not bitwise: sizes pass 2^32.
 */
export function edgeNodes(size: number): { level: number; index: number }[] {
  const edge: { level: number; index: number }[] = [];
  for (let level = 0, width = 1; width <= size; level++, width *= 2) {
    const count = Math.floor(size / width);
    if (count % 2 === 1) edge.push({ level, index: count - 1 });
  }
  return edge;
}

/**
 * The tree kept as its right edge alone, one hash per level: appending leaf i completes the
 * nodes above it while i's bits, from the lowest, are 1 (each joins the edge node of its level
 * on its left), and the last node completed becomes its level's edge. The same nodes, in the
 * same order, as MerkleTree.append over a storage holding the whole tree.
 */
export class GrowingTree {
  /** edge[level]: the hash of that level's node on the right edge, when it is one. */
  readonly #edge: (Uint8Array | undefined)[] = [];
  #size: number;
  readonly added: MerkleNode[] = [];

  /** `edge`: the hashes of edgeNodes(size), under treeKey. */
  constructor(size: number, edge: ReadonlyMap<string, Uint8Array>) {
    this.#size = size;
    for (const { level, index } of edgeNodes(size)) {
      this.#edge[level] = edge.get(treeKey(level, index));
    }
  }

  get size(): number {
    return this.#size;
  }

  /** Appends a leaf hash; returns its leaf index. */
  append(leafHash: Uint8Array): number {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_BYTES) {
      throw new TypeError('a leaf hash is 32 bytes');
    }
    const leafIndex = this.#size;
    let hash: Uint8Array = Uint8Array.from(leafHash);
    let level = 0;
    let index = leafIndex;
    const completed: MerkleNode[] = [{ level, index, hash }];
    for (; index % 2 === 1; level++) {
      const left = this.#edge[level];
      if (left === undefined) {
        throw new Error(`Merkle storage lacks node (${level}, ${index - 1})`);
      }
      hash = nodeHashOf(left, hash);
      index = (index - 1) / 2;
      completed.push({ level: level + 1, index, hash });
    }
    // Checked and hashed: only now does the tree change, so a refusal leaves it as it was.
    this.#edge[level] = hash;
    this.added.push(...completed);
    this.#size++;
    return leafIndex;
  }
}

const HASH_BYTES = 32;
