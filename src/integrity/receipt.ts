/**
 * Signed answers (docs/receipts.md): a status or timeline answer, the query it answers and the
 * checkpoint (tree size, root) of the ledger it was computed from, signed with the checkpoint
 * key as a signed note, so whoever was told can later prove what they were told.
 */
import { canonicalJson } from '../core/canonical-json.ts';
import { RECEIPT_HEADER, type ReceiptBody } from '../verify.ts';
import { type CheckpointKey, signNote } from './checkpoint.ts';
import type { KeptCheckpoint } from './ledger-checkpoints.ts';

export function signReceipt(
  key: CheckpointKey,
  checkpoint: KeptCheckpoint,
  content: Pick<ReceiptBody, 'kind' | 'query' | 'answer'>,
  issuedAt: string,
  /** The checkpoint's RFC 3161 token, when one is kept: the receipt carries it. */
  timestamp?: Uint8Array,
): string {
  const body: ReceiptBody = {
    ...content,
    checkpoint: {
      origin: checkpoint.origin,
      treeSize: checkpoint.treeSize,
      rootHash: Buffer.from(checkpoint.rootHash).toString('base64'),
      note: checkpoint.note,
      ...(timestamp ? { timestamp: Buffer.from(timestamp).toString('base64') } : {}),
    },
    issuedAt,
  };
  return signNote(`${RECEIPT_HEADER}\n${canonicalJson(body)}\n`, key);
}
