/**
 * The tree a writer grows from the stored right edge (src/eventstore/growing-tree.ts) completes
 * exactly the nodes, in the same order, that MerkleTree.append stores over the whole tree.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryMerkleStorage, type MerkleNode, MerkleTree } from '../../src/core/merkle/tree.ts';
import { edgeNodes, GrowingTree, treeKey } from '../../src/eventstore/growing-tree.ts';

const leaf = (n: number) => new Uint8Array(createHash('sha256').update(`leaf ${n}`).digest());
const hex = (nodes: readonly MerkleNode[]) =>
  nodes.map(({ level, index, hash }) => `${level}/${index}:${Buffer.from(hash).toString('hex')}`);

describe('a tree grown from its right edge', () => {
  it('completes the nodes MerkleTree.append stores, from any size', () => {
    fc.assert(
      fc.property(fc.nat({ max: 300 }), fc.integer({ min: 1, max: 70 }), (size, count) => {
        const storage = new MemoryMerkleStorage();
        const whole = new MerkleTree(storage);
        for (let n = 0; n < size; n++) whole.append(leaf(n));
        const edge = new Map(
          edgeNodes(size).map(({ level, index }) => [
            treeKey(level, index),
            storage.get(level, index) as Uint8Array,
          ]),
        );
        const grown = new GrowingTree(size, edge);

        const stored: MerkleNode[] = [];
        const append = storage.append.bind(storage);
        storage.append = (nodes) => {
          stored.push(...nodes);
          append(nodes);
        };
        for (let n = size; n < size + count; n++) {
          expect(grown.append(leaf(n))).toBe(whole.append(leaf(n)));
        }
        expect(hex(grown.added)).toEqual(hex(stored));
        expect(grown.size).toBe(size + count);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a leaf when an edge node is missing, and stays as it was', () => {
    const grown = new GrowingTree(3, new Map([[treeKey(1, 0), leaf(0)]]));
    expect(() => grown.append(leaf(3))).toThrow('Merkle storage lacks node (0, 2)');
    expect(grown.size).toBe(3);
    expect(grown.added).toEqual([]);
  });
});
