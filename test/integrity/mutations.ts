/** Proof mutations and bookkeeping shared by the exhaustive verifier suites. */
import { MerkleTree } from '../../src/core/merkle/tree.ts';
import { leafHashOf } from '../../src/verify.ts';
import { hex, leafInputs } from './rfc6962.ts';

export const MAX_SIZE = 64;

/** The tree of the 8 reference inputs then generated ones, its leaf hashes and roots. */
export function referenceTree() {
  const leafHashes = leafInputs(MAX_SIZE).map(leafHashOf);
  const tree = new MerkleTree();
  for (const hash of leafHashes) tree.append(hash);
  const roots = Array.from({ length: MAX_SIZE + 1 }, (_, n) => tree.root(n));
  return { tree, leafHashes, roots };
}

/** A hash no proof contains (the one transparency-dev's tests use). */
export const SOME_HASH = hex('abacaba000000000000000000000000000000000000000000060061e00123456');

export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

/** Every proof with one element changed in one bit, the bit varying with `seed`. */
export function flippedProofs(proof: readonly Uint8Array[], seed: number): Uint8Array[][] {
  return proof.map((element, j) =>
    proof.map((other, k) => (k === j ? flipBit(element, (seed * 31 + j * 97) % 256) : other)),
  );
}

export function shortenedProofs(proof: readonly Uint8Array[]): Uint8Array[][] {
  return proof.map((_, j) => proof.filter((_, k) => k !== j));
}

/** SOME_HASH inserted at every place, and a copy of each element right after it. */
export function lengthenedProofs(proof: readonly Uint8Array[]): Uint8Array[][] {
  const inserted = Array.from({ length: proof.length + 1 }, (_, j) => [
    ...proof.slice(0, j),
    SOME_HASH,
    ...proof.slice(j),
  ]);
  const doubled = proof.map((element, j) => [
    ...proof.slice(0, j + 1),
    element,
    ...proof.slice(j + 1),
  ]);
  return [...inserted, ...doubled];
}

export const key = (proof: readonly Uint8Array[]): string =>
  proof.map((element) => Buffer.from(element).toString('hex')).join(',');

/** Counts checks per mutation kind and records every one that came out wrong. */
export class Tally {
  readonly counts = new Map<string, number>();
  readonly wrong: string[] = [];
  check(kind: string, verified: boolean, expected: boolean, where: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (verified !== expected) this.wrong.push(`${kind} ${where}: verified=${verified}`);
  }
  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
}
