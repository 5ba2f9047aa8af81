/**
 * `ledger audit`: checks, against a checkpoint the auditor kept outside the system, that the
 * ledger now is that ledger plus appends (a signed checkpoint and a consistency proof, checked
 * with src/verify.ts) and that the events themselves hash to the signed root: every leaf is
 * recomputed from the events, so an event changed or removed is caught even when the stored
 * tree was left alone. A ledger that no longer gives the trusted root (rolled back, cut or
 * rewritten, whatever checkpoints it now keeps) fails naming the size and both roots.
 */

import { MemoryMerkleStorage, MerkleTree } from '../core/merkle/tree.ts';
import { leafHash, leafInput } from '../core/merkle-leaf.ts';
import type { LedgerMerkleTree, RecordedEvent } from '../eventstore/port.ts';
import {
  type VerifiedCheckpoint,
  verifyCheckpoint,
  verifyConsistency,
  verifyCosignedCheckpoint,
  verifyInclusion,
  type WitnessPolicy,
} from '../verify.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** What the audit reads: from a store file or from a server. */
export interface AuditedLedger {
  /** The latest signed checkpoint and the consistency proof to it from `fromSize`. */
  consistency(fromSize: number): Promise<{ note: string; proof: Uint8Array[] }>;
  /** The events in global order. */
  events(): AsyncIterable<RecordedEvent>;
  /** The store's own tree, to name the first event that differs from it (store mode). */
  storedTree?: LedgerMerkleTree;
}

/** A check that failed; the message is the one line the auditor sees. */
export class AuditFailure extends Error {
  override readonly name = 'AuditFailure';
}

export interface AuditResult {
  trusted: VerifiedCheckpoint;
  latest: VerifiedCheckpoint & { note: string };
}

/**
 * With a witness policy (`audit --policy`) the trusted and the latest checkpoint must each carry
 * the quorum of cosignatures: a note the witnesses refused (a fork shown to this auditor) has not.
 */
export async function auditLedger(
  trustedNote: string,
  publicKey: string,
  ledger: AuditedLedger,
  policy?: WitnessPolicy,
): Promise<AuditResult> {
  const check = (what: string, note: string) => verified(what, note, publicKey, policy);
  const trusted = check('the trusted checkpoint', trustedNote);
  let latest: VerifiedCheckpoint & { note: string };
  try {
    latest = await extending(trusted, check, ledger);
  } catch (error) {
    if (!(error instanceof AuditFailure || isNoCheckpointKept(error))) throw error;
    // The plainest evidence first: the events no longer give the root the server signed.
    const fork = await forkFrom(trusted, ledger);
    if (fork === null) throw error;
    throw new AuditFailure(fork);
  }
  const recomputed = new MerkleTree(new MemoryMerkleStorage());
  const leaves: Uint8Array[] = [];
  for await (const event of ledger.events()) {
    if (recomputed.size === latest.treeSize) break;
    const leaf = leafHash(leafInput(event));
    recomputed.append(leaf);
    leaves.push(leaf);
  }
  if (
    recomputed.size !== latest.treeSize ||
    !Buffer.from(recomputed.root()).equals(latest.rootHash)
  )
    throw new AuditFailure(await describeMismatch(recomputed, latest, ledger));
  if (ledger.storedTree) await checkStoredNodes(ledger.storedTree, leaves, latest);
  return { trusted, latest };
}

/** The store keeps no signed checkpoint at all, though the auditor holds one: it was removed. */
const isNoCheckpointKept = (error: unknown) =>
  error instanceof CliError && error.exitCode === EXIT.notFound;

/**
 * How the ledger's events part from the trusted checkpoint: too few of them (rolled back or
 * cut), or another root at its size (rewritten); null when they still give its root.
 */
async function forkFrom(
  trusted: VerifiedCheckpoint,
  ledger: AuditedLedger,
): Promise<string | null> {
  const recomputed = new MerkleTree(new MemoryMerkleStorage());
  for await (const event of ledger.events()) {
    if (recomputed.size === trusted.treeSize) break;
    recomputed.append(leafHash(leafInput(event)));
  }
  const signed = `the server signed tree size ${trusted.treeSize} with root ${base64(trusted.rootHash)} (the trusted checkpoint)`;
  if (recomputed.size < trusted.treeSize)
    return `${signed}, but the ledger holds only ${recomputed.size} events (root ${base64(recomputed.root())}): it was rolled back or cut`;
  const root = recomputed.root(trusted.treeSize);
  if (Buffer.from(root).equals(trusted.rootHash)) return null;
  return `${signed}, but the ledger's events give root ${base64(root)} at that size: it was rewritten`;
}

const base64 = (hash: Uint8Array) => Buffer.from(hash).toString('base64');

/** The latest checkpoint, checked to extend the trusted one by the signature and proof alone. */
async function extending(
  trusted: VerifiedCheckpoint,
  check: (what: string, note: string) => VerifiedCheckpoint,
  ledger: AuditedLedger,
): Promise<VerifiedCheckpoint & { note: string }> {
  const { note, proof } = await ledger.consistency(trusted.treeSize);
  const latest = check('the latest checkpoint', note);
  if (latest.origin !== trusted.origin)
    throw new AuditFailure(
      `the latest checkpoint is of origin ${latest.origin}, the trusted one of ${trusted.origin}`,
    );
  if (latest.treeSize < trusted.treeSize)
    throw new AuditFailure(
      `the ledger shrank: the trusted checkpoint has tree size ${trusted.treeSize}, the latest ${latest.treeSize}`,
    );
  if (
    !verifyConsistency(trusted.treeSize, latest.treeSize, proof, trusted.rootHash, latest.rootHash)
  )
    throw new AuditFailure(
      `the consistency proof from tree size ${trusted.treeSize} to ${latest.treeSize} does not verify: the ledger is not the trusted one plus appends`,
    );
  return { ...latest, note };
}

/**
 * The stored tree serves inclusion proofs from nodes that no root reads (the left sibling of a
 * right half is read by no prefix root): each leaf's proof from it must verify against the
 * signed root, so a node altered after the fact is caught here, not by the first proof handed
 * out from it. Every stored node lies on some leaf's proof.
 */
async function checkStoredNodes(
  stored: LedgerMerkleTree,
  leaves: readonly Uint8Array[],
  signed: VerifiedCheckpoint,
): Promise<void> {
  for (const [index, leaf] of leaves.entries()) {
    const proof = await stored.inclusionProof(index, signed.treeSize);
    if (!verifyInclusion(leaf, index, signed.treeSize, proof, signed.rootHash))
      throw new AuditFailure(
        `the stored Merkle tree gives an inclusion proof for leaf ${index} that does not verify against the signed root: a stored node was altered`,
      );
  }
}

function verified(
  what: string,
  note: string,
  publicKey: string,
  policy: WitnessPolicy | undefined,
): VerifiedCheckpoint {
  try {
    return policy ? verifyCosignedCheckpoint(note, policy) : verifyCheckpoint(note, publicKey);
  } catch (error) {
    throw new AuditFailure(`${what} does not verify: ${(error as Error).message}`);
  }
}

/**
 * Names the first leaf where the events and the signed tree part. With the store's tree (which
 * gave the signed root) it is the smallest size whose roots differ: below it every prefix
 * agrees, so a binary search over prefix roots finds it in O(log^2 n) hashes.
 */
async function describeMismatch(
  recomputed: MerkleTree,
  signed: VerifiedCheckpoint,
  ledger: AuditedLedger,
): Promise<string> {
  const summary = `the ${recomputed.size} events read do not hash to the signed root of tree size ${signed.treeSize}`;
  const stored = ledger.storedTree;
  if (!stored || !Buffer.from(await stored.root(signed.treeSize)).equals(signed.rootHash))
    return summary;
  const same = async (size: number) =>
    Buffer.from(recomputed.root(size)).equals(await stored.root(size));
  let good = 0;
  let bad = recomputed.size + 1;
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    if (await same(middle)) good = middle;
    else bad = middle;
  }
  if (bad > recomputed.size)
    return `the ledger holds ${recomputed.size} events, the signed tree ${signed.treeSize}: the last ones were removed`;
  const leaf = bad - 1;
  // Where the signed tree has that leaf: position leaf + 1 unless positions are sparse.
  const signedAt = (await stored.positionOf?.(leaf)) ?? leaf + 1;
  let rank = 0;
  for await (const event of ledger.events()) {
    if (rank++ < leaf) continue;
    return event.position === signedAt
      ? `the event at position ${event.position} (${event.eventId}, stream ${event.stream}) is not the one signed as leaf ${leaf}: it was changed`
      : `no event at position ${signedAt} (leaf ${leaf} of the signed tree): it was removed`;
  }
  return summary;
}
