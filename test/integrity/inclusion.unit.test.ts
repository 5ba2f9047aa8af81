import { describe, expect, it } from 'vitest';
import { nodeHashOf, verifyInclusion } from '../../src/verify.ts';
import {
  flipBit,
  flippedProofs,
  lengthenedProofs,
  MAX_SIZE,
  referenceTree,
  SOME_HASH,
  shortenedProofs,
  Tally,
} from './mutations.ts';

describe('every inclusion proof of every tree up to size 64', () => {
  const { tree, leafHashes, roots } = referenceTree();
  // proofs[n][i] for 0 <= i < n <= 64.
  const proofs = roots.map((_, n) =>
    leafHashes.slice(0, n).map((_, i) => tree.inclusionProof(i, n)),
  );

  it('verifies, and no mutation of it does', () => {
    const tally = new Tally();
    for (let n = 1; n <= MAX_SIZE; n++) {
      const root = roots[n] as Uint8Array;
      for (let i = 0; i < n; i++) {
        const leaf = leafHashes[i] as Uint8Array;
        const proof = proofs[n]?.[i] as Uint8Array[];
        const where = `leaf ${i} of ${n}`;
        const verifies = (p: readonly Uint8Array[], index = i, size = n, r = root, l = leaf) =>
          verifyInclusion(l, index, size, p, r);

        tally.check('genuine', verifies(proof), true, where);
        for (const p of flippedProofs(proof, i + n))
          tally.check('flipped bit', verifies(p), false, where);
        for (const p of shortenedProofs(proof))
          tally.check('missing element', verifies(p), false, where);
        for (const p of lengthenedProofs(proof))
          tally.check('extra element', verifies(p), false, where);
        // One element more than the size calls for, against the root it would hash to.
        const longer = [...proof, SOME_HASH];
        for (const forged of [nodeHashOf(SOME_HASH, root), nodeHashOf(root, SOME_HASH)]) {
          tally.check('longer, own root', verifies(longer, i, n, forged), false, where);
        }
        // Any other index, in the tree or past its end.
        for (let j = 0; j <= n; j++) {
          if (j !== i) tally.check('wrong index', verifies(proof, j), false, `${where} as ${j}`);
        }
        // Any other size, with that size's root, as its signed checkpoint pairs them.
        for (let m = i + 1; m <= MAX_SIZE; m++) {
          if (m === n) continue;
          tally.check('wrong size', verifies(proof, i, m, roots[m]), false, `${where} as of ${m}`);
          // With this tree's root the size alone is not bound (the checkpoint pairs size and
          // root), but a proof must still have the length the claimed size calls for.
          if (proofs[m]?.[i]?.length !== proof.length) {
            tally.check('other length', verifies(proof, i, m), false, `${where} as of ${m}`);
          }
        }
        tally.check(
          'wrong leaf',
          verifies(proof, i, n, root, leafHashes[(i + 1) % MAX_SIZE]),
          false,
          where,
        );
        tally.check(
          'wrong root',
          verifies(proof, i, n, flipBit(root, (i * 7 + n) % 256)),
          false,
          where,
        );
      }
    }
    expect(tally.wrong).toEqual([]);
    expect([...tally.counts.keys()].sort()).toEqual([
      'extra element',
      'flipped bit',
      'genuine',
      'longer, own root',
      'missing element',
      'other length',
      'wrong index',
      'wrong leaf',
      'wrong root',
      'wrong size',
    ]);
    expect(tally.counts.get('genuine')).toBe((MAX_SIZE * (MAX_SIZE + 1)) / 2);
    expect(tally.total).toBeGreaterThan(150_000);
  });
});
