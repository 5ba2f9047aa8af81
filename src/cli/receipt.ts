/**
 * `ledger receipt verify`: a receipt's signature checked offline with the public key, and,
 * given the ledger, the answer recomputed from the ledger cut at the receipt's tree size: the
 * events' own Merkle root must be the receipt's root, and the answer must be the receipt's.
 */
import { canonicalJson } from '../core/canonical-json.ts';
import { MemoryMerkleStorage, MerkleTree } from '../core/merkle/tree.ts';
import { leafHash, leafInput } from '../core/merkle-leaf.ts';
import type { EventStore } from '../eventstore/port.ts';
import { readLedger } from '../integrity/verify-ledger.ts';
import { ledgerProjections, ledgerQueries } from '../projections/ledger-queries.ts';
import { replayLedger } from '../projections/replay.ts';
import {
  type ReceiptBody,
  type VerifiedTimestamp,
  verifyReceipt,
  verifyReceiptTimestamp,
  type WitnessPolicy,
} from '../verify.ts';
import * as args from './arguments.ts';
import { AuditFailure } from './audit.ts';

/** The receipt's statement when its signature verifies; AuditFailure naming why not. */
export function checkReceiptSignature(
  receipt: string,
  publicKey: string,
  policy?: WitnessPolicy,
): ReceiptBody {
  try {
    return verifyReceipt(receipt, publicKey, policy);
  } catch (error) {
    throw new AuditFailure(
      `the receipt does not verify: ${(error as Error).message.replace(/^receipt: /, '')}`,
    );
  }
}

/** The checkpoint's trusted time, when the receipt's token verifies; AuditFailure naming why not. */
export function checkReceiptTimestamp(body: ReceiptBody, trustedPem: string): VerifiedTimestamp {
  try {
    return verifyReceiptTimestamp(body, trustedPem);
  } catch (error) {
    throw new AuditFailure(
      `the receipt's timestamp does not verify: ${(error as Error).message.replace(/^timestamp: /, '')}`,
    );
  }
}

/** Recomputes the receipt's answer from the store; AuditFailure naming the first difference. */
export async function checkReceiptAgainst(store: EventStore, body: ReceiptBody): Promise<void> {
  const { treeSize, rootHash } = body.checkpoint;
  const recomputed = new MerkleTree(new MemoryMerkleStorage());
  const events = readLedger(store);
  const cutEvents = (async function* () {
    for await (const event of events) {
      if (recomputed.size === treeSize) return;
      recomputed.append(leafHash(leafInput(event)));
      yield event;
    }
  })();
  const replayed = await replayLedger(cutEvents, ledgerProjections, { toPosition: treeSize });
  if (recomputed.size < treeSize)
    throw new AuditFailure(
      `the ledger holds ${recomputed.size} events, the receipt was computed at tree size ${treeSize}`,
    );
  if (Buffer.from(recomputed.root()).toString('base64') !== rootHash)
    throw new AuditFailure(
      `the ledger's first ${treeSize} events hash to another root than the receipt's: it is not the ledger the receipt was computed from`,
    );
  const queries = ledgerQueries(store, replayed);
  const { programId, at, asKnownAt } = body.query;
  const cut = args.asKnownAt(asKnownAt ?? undefined);
  const answer =
    body.kind === 'status'
      ? queries.status(programId, {
          at: args.date(at ?? '', 'the receipt query at'),
          ...(cut ? { asKnownAt: cut } : {}),
          ledgerSize: treeSize,
        })
      : queries.timeline(programId, cut, treeSize);
  if (canonicalJson(answer) !== canonicalJson(body.answer))
    throw new AuditFailure(
      `the ledger at tree size ${treeSize} answers ${summary(body.kind, answer)}, the receipt says ${summary(body.kind, body.answer)}`,
    );
}

function summary(kind: ReceiptBody['kind'], answer: unknown): string {
  if (answer === null) return 'no such program';
  if (kind === 'status') {
    const s = answer as { status?: string; until?: string | null };
    return `${s.status} until ${s.until ?? 'open-ended'}`;
  }
  return (answer as { status?: string; from?: string | null; until?: string | null }[])
    .map((i) => `${i.status} [${i.from ?? '…'}, ${i.until ?? '…'})`)
    .join(', ');
}
