import { describe, expect, it } from 'vitest';
import { nodeHashOf, verifyConsistency } from '../../src/verify.ts';
import {
  flipBit,
  flippedProofs,
  key,
  lengthenedProofs,
  MAX_SIZE,
  referenceTree,
  SOME_HASH,
  shortenedProofs,
  Tally,
} from './mutations.ts';

describe('every consistency proof between trees up to size 64', () => {
  const { tree, roots } = referenceTree();
  // proofs[m][n] for 0 <= m <= n <= 64.
  const proofs = roots.map((_, n) =>
    roots.slice(0, n + 1).map((_, m) => tree.consistencyProof(m, n)),
  );
  const proof = (m: number, n: number) => proofs[n]?.[m] as Uint8Array[];
  const keys = proofs.map((row) => row.map(key));
  const sameProof = (m: number, n: number, m2: number, n2: number) =>
    keys[n]?.[m] === keys[n2]?.[m2];

  it('verifies, and no mutation of it does', () => {
    const tally = new Tally();
    for (let n = 0; n <= MAX_SIZE; n++) {
      for (let m = 0; m <= n; m++) {
        const genuine = proof(m, n);
        const [root1, root2] = [roots[m] as Uint8Array, roots[n] as Uint8Array];
        const where = `${m} -> ${n}`;
        const verifies = (p: readonly Uint8Array[], size1 = m, size2 = n, r1 = root1, r2 = root2) =>
          verifyConsistency(size1, size2, p, r1, r2);

        tally.check('genuine', verifies(genuine), true, where);
        for (const p of flippedProofs(genuine, m + n))
          tally.check('flipped bit', verifies(p), false, where);
        for (const p of shortenedProofs(genuine))
          tally.check('missing element', verifies(p), false, where);
        for (const p of lengthenedProofs(genuine))
          tally.check('extra element', verifies(p), false, where);
        // One element more than the sizes call for, against the roots it would hash to.
        const longer = [...genuine, SOME_HASH];
        const forged = [nodeHashOf(SOME_HASH, root1), nodeHashOf(SOME_HASH, root2)] as const;
        tally.check('longer, own roots', verifies(longer, m, n, ...forged), false, where);
        tally.check(
          'longer, own roots',
          verifies(longer, m, n, root1, nodeHashOf(root2, SOME_HASH)),
          false,
          where,
        );
        // Other sizes with their own roots: only a byte-identical genuine proof may verify
        // (0 -> n and n -> n, both empty, for one).
        for (let m2 = 0; m2 <= n; m2++) {
          if (m2 === m) continue;
          const expected = sameProof(m, n, m2, n);
          tally.check(
            'wrong size1',
            verifies(genuine, m2, n, roots[m2]),
            expected,
            `${where} as ${m2} -> ${n}`,
          );
        }
        for (let n2 = m; n2 <= MAX_SIZE; n2++) {
          if (n2 === n) continue;
          const expected = sameProof(m, n, m, n2);
          tally.check(
            'wrong size2',
            verifies(genuine, m, n2, root1, roots[n2]),
            expected,
            `${where} as ${m} -> ${n2}`,
          );
          // With this tree's own roots the sizes alone are not bound (the checkpoint pairs size
          // and root), but a proof must still have the length the claimed sizes call for.
          if (proof(m, n2).length !== genuine.length) {
            tally.check(
              'other length',
              verifies(genuine, m, n2),
              false,
              `${where} as ${m} -> ${n2}`,
            );
          }
        }
        tally.check(
          'wrong root1',
          verifies(genuine, m, n, flipBit(root1, (m * 5 + n) % 256)),
          false,
          where,
        );
        // Every tree extends the empty one, whatever its root.
        const anyRoot2 = m === 0 && n > 0;
        tally.check(
          'wrong root2',
          verifies(genuine, m, n, root1, flipBit(root2, (m + n * 3) % 256)),
          anyRoot2,
          where,
        );
        if (m !== n)
          tally.check('swapped roots', verifies(genuine, m, n, root2, root1), false, where);
        if (m < n)
          tally.check('size1 > size2', verifies(genuine, n, m, root2, root1), false, where);
      }
    }
    expect(tally.wrong).toEqual([]);
    expect([...tally.counts.keys()].sort()).toEqual([
      'extra element',
      'flipped bit',
      'genuine',
      'longer, own roots',
      'missing element',
      'other length',
      'size1 > size2',
      'swapped roots',
      'wrong root1',
      'wrong root2',
      'wrong size1',
      'wrong size2',
    ]);
    expect(tally.counts.get('genuine')).toBe(((MAX_SIZE + 1) * (MAX_SIZE + 2)) / 2);
    expect(tally.total).toBeGreaterThan(150_000);
  });
});
