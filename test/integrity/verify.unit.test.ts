import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  leafHashOf,
  nodeHashOf,
  verifyConsistency,
  verifyInclusion,
} from '../../src/verify.ts';
import { SOME_HASH } from './mutations.ts';
import {
  CONSISTENCY_PROOFS,
  hex,
  INCLUSION_PROOFS,
  LEAF_INPUTS,
  naiveLeafHash,
  ROOTS,
} from './rfc6962.ts';

const root = (n: number) => hex(ROOTS[n] as string);

interface Inclusion {
  leaf: Uint8Array;
  index: number;
  size: number;
  proof: Uint8Array[];
  root: Uint8Array;
}

interface Consistency {
  size1: number;
  size2: number;
  proof: Uint8Array[];
  root1: Uint8Array;
  root2: Uint8Array;
}
const leaf = (i: number) => leafHashOf(LEAF_INPUTS[i] as Uint8Array);

describe('hashes', () => {
  it('leafHashOf is SHA-256 of 0x00 and the input; EMPTY_ROOT is SHA-256 of nothing', () => {
    for (const input of LEAF_INPUTS) expect(leafHashOf(input)).toEqual(naiveLeafHash(input));
    expect(Buffer.from(EMPTY_ROOT)).toEqual(createHash('sha256').digest());
  });

  it('nodeHashOf takes two 32-byte hashes only', () => {
    expect(() => nodeHashOf(new Uint8Array(31), SOME_HASH)).toThrow(TypeError);
    expect(() => nodeHashOf(SOME_HASH, new Uint8Array(33))).toThrow(TypeError);
  });
});

describe('verifyInclusion', () => {
  it.each(INCLUSION_PROOFS)(
    'accepts the reference audit path of leaf %i in size %i',
    (m, n, path) => {
      expect(verifyInclusion(leaf(m), m, n, path.map(hex), root(n))).toBe(true);
    },
  );

  it('refuses malformed input instead of verifying it', () => {
    const [m, n, path] = INCLUSION_PROOFS[2] as [number, number, string[]];
    const proof = path.map(hex);
    const good: Inclusion = { leaf: leaf(m), index: m, size: n, proof, root: root(n) };
    const cases: Record<string, Partial<Inclusion>> = {
      'leaf hash of 31 bytes': { leaf: leaf(m).subarray(1) },
      'leaf hash of 33 bytes': { leaf: Buffer.concat([leaf(m), Buffer.from([0])]) },
      'root of 31 bytes': { root: root(n).subarray(1) },
      'proof element of 31 bytes': {
        proof: [proof[0]?.subarray(1) as Uint8Array, ...proof.slice(1)],
      },
      'proof element of 0 bytes': { proof: [...proof, new Uint8Array()] },
      'index = size': { index: n },
      'index > size': { index: n + 3 },
      'negative index': { index: -1 },
      'fractional index': { index: m + 0.5 },
      'NaN index': { index: Number.NaN },
      'size 0': { size: 0, index: 0, proof: [] },
      'negative size': { size: -8 },
      'infinite size': { size: Number.POSITIVE_INFINITY },
      'size beyond 2^53': { size: 2 ** 53 + 8 },
    };
    expect(verifyInclusion(good.leaf, good.index, good.size, good.proof, good.root)).toBe(true);
    for (const [what, change] of Object.entries(cases)) {
      const c = { ...good, ...change };
      expect(verifyInclusion(c.leaf, c.index, c.size, c.proof, c.root), what).toBe(false);
    }
    // What a JavaScript caller without types might pass.
    const loose = verifyInclusion as (...args: unknown[]) => boolean;
    expect(loose(good.leaf, String(m), n, proof, good.root)).toBe(false);
    expect(loose(good.leaf, m, n, undefined, good.root)).toBe(false);
    expect(
      loose(
        good.leaf,
        m,
        n,
        proof.map((h) => h.toString('hex')),
        good.root,
      ),
    ).toBe(false);
    expect(loose(good.leaf.toString(), m, n, proof, good.root)).toBe(false);
  });

  it('accepts a single-leaf tree only with the leaf as root and an empty proof', () => {
    const hash = leafHashOf(Buffer.from('data'));
    expect(verifyInclusion(hash, 0, 1, [], hash)).toBe(true);
    expect(verifyInclusion(hash, 0, 1, [hash], nodeHashOf(hash, hash))).toBe(false);
    expect(verifyInclusion(hash, 0, 1, [], EMPTY_ROOT)).toBe(false);
  });

  it('counts beyond 32 bits exactly (sizes up to 2^53 - 1)', () => {
    // Leaf 2^52 of a tree of 2^52 + 1 leaves: its one sibling is the perfect left subtree.
    const left = SOME_HASH;
    const hash = leafHashOf(Buffer.from('late'));
    const top = nodeHashOf(left, hash);
    expect(verifyInclusion(hash, 2 ** 52, 2 ** 52 + 1, [left], top)).toBe(true);
    expect(verifyInclusion(hash, 2 ** 52 - 1, 2 ** 52 + 1, [left], top)).toBe(false);
    expect(verifyInclusion(hash, 2 ** 52, 2 ** 52 + 2, [left], top)).toBe(false);
    expect(verifyInclusion(hash, 2 ** 53 - 2, 2 ** 53 - 1, [], hash)).toBe(false);
  });
});

describe('verifyConsistency', () => {
  it.each(CONSISTENCY_PROOFS)('accepts the reference proof %i -> %i', (m, n, proof) => {
    expect(verifyConsistency(m, n, proof.map(hex), root(m), root(n))).toBe(true);
  });

  it('decides the cases outside the RFC algorithm as transparency-dev does, and stricter', () => {
    const [a, b] = [root(3), root(5)];
    // Equal sizes: empty proof and equal roots.
    expect(verifyConsistency(3, 3, [], a, a)).toBe(true);
    expect(verifyConsistency(3, 3, [], a, b)).toBe(false);
    expect(verifyConsistency(3, 3, [a], a, a)).toBe(false);
    // From the empty tree: empty proof, and root1 must be the empty tree's.
    expect(verifyConsistency(0, 5, [], EMPTY_ROOT, b)).toBe(true);
    expect(verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)).toBe(true);
    expect(verifyConsistency(0, 5, [EMPTY_ROOT], EMPTY_ROOT, b)).toBe(false);
    expect(verifyConsistency(0, 5, [], a, b)).toBe(false);
    expect(verifyConsistency(0, 0, [], EMPTY_ROOT, a)).toBe(false);
    // A proper extension needs a proof.
    expect(verifyConsistency(3, 5, [], a, b)).toBe(false);
  });

  it('refuses a shrinking tree even when the bare algorithm would accept it', () => {
    // 3 -> 2 with proof [x, y]: the RFC loop ends with sn = 0, fr = x, sr = H(x, y).
    const [x, y] = [root(3), SOME_HASH];
    expect(verifyConsistency(3, 2, [x, y], x, nodeHashOf(x, y))).toBe(false);
    expect(verifyConsistency(1, 0, [], root(1), EMPTY_ROOT)).toBe(false);
  });

  it('refuses malformed input instead of verifying it', () => {
    const [m, n, path] = CONSISTENCY_PROOFS[2] as [number, number, string[]];
    const proof = path.map(hex);
    const good: Consistency = { size1: m, size2: n, proof, root1: root(m), root2: root(n) };
    const cases: Record<string, Partial<Consistency>> = {
      'root1 of 31 bytes': { root1: root(m).subarray(1) },
      'root2 of 33 bytes': { root2: Buffer.concat([root(n), Buffer.from([0])]) },
      'proof element of 31 bytes': {
        proof: [proof[0]?.subarray(1) as Uint8Array, ...proof.slice(1)],
      },
      'negative size1': { size1: -6 },
      'fractional size2': { size2: n + 0.5 },
      'NaN size1': { size1: Number.NaN },
      'size2 beyond 2^53': { size2: 2 ** 53 + 8 },
    };
    expect(verifyConsistency(good.size1, good.size2, good.proof, good.root1, good.root2)).toBe(
      true,
    );
    for (const [what, change] of Object.entries(cases)) {
      const c = { ...good, ...change };
      expect(verifyConsistency(c.size1, c.size2, c.proof, c.root1, c.root2), what).toBe(false);
    }
    const loose = verifyConsistency as (...args: unknown[]) => boolean;
    expect(loose(String(m), n, proof, good.root1, good.root2)).toBe(false);
    expect(loose(m, n, null, good.root1, good.root2)).toBe(false);
  });

  it('counts beyond 32 bits exactly', () => {
    // 2^52 -> 2^52 + 1: the old root is the left subtree, the proof the new leaf.
    const old = SOME_HASH;
    const hash = leafHashOf(Buffer.from('late'));
    expect(verifyConsistency(2 ** 52, 2 ** 52 + 1, [hash], old, nodeHashOf(old, hash))).toBe(true);
    expect(verifyConsistency(2 ** 52, 2 ** 52 + 1, [old], old, nodeHashOf(old, hash))).toBe(false);
    expect(verifyConsistency(2 ** 52 - 1, 2 ** 52 + 1, [hash], old, nodeHashOf(old, hash))).toBe(
      false,
    );
  });
});
