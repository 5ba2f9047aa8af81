/**
 * The Merkle tree as a writer extends it inside its transaction: it starts from the stored right
 * edge (the only nodes its next appends read), grows in memory, and hands out the nodes it
 * completed, for the store to insert with the events.
 */
import { type MerkleNode, MerkleTree } from '../core/merkle/tree.ts';

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

export class GrowingTree {
  readonly #nodes: Map<string, Uint8Array>;
  readonly #tree: MerkleTree;
  #size: number;
  readonly added: MerkleNode[] = [];

  /** `edge`: the hashes of edgeNodes(size), under treeKey. */
  constructor(size: number, edge: Map<string, Uint8Array>) {
    this.#size = size;
    this.#nodes = edge;
    this.#tree = new MerkleTree({
      size: () => this.#size,
      get: (level, index) => this.#nodes.get(treeKey(level, index)),
      append: (nodes) => {
        for (const node of nodes) {
          const hash = Uint8Array.from(node.hash);
          this.#nodes.set(treeKey(node.level, node.index), hash);
          this.added.push({ level: node.level, index: node.index, hash });
        }
        this.#size++;
      },
    });
  }

  get size(): number {
    return this.#size;
  }

  /** Appends a leaf hash; returns its leaf index. */
  append(leafHash: Uint8Array): number {
    return this.#tree.append(leafHash);
  }
}
