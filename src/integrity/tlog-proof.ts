/**
 * C2SP tlog-proof bundles (c2sp.org/tlog-proof@v1, docs/design.md §7.6): an offline proof that
 * an entry is in the log, in the text form tools that know only the spec read. The extra data
 * is the entry's leaf input (docs/merkle-leaf.md), so the verifier computes the leaf hash
 * itself; a receipt's bundle appends a newline and the receipt (canonical JSON has no raw
 * newline, so the first newline ends the leaf input).
 */
export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export interface TlogProof {
  extra?: Uint8Array;
  index: number;
  /** RFC 6962 audit path, from the leaf's sibling up to the root's child. */
  proof: readonly Uint8Array[];
  /** The checkpoint note verbatim, with every signature it carries. */
  note: string;
}

export function tlogProofText({ extra, index, proof, note }: TlogProof): string {
  const lines = [
    TLOG_PROOF_HEADER,
    ...(extra ? [`extra ${Buffer.from(extra).toString('base64')}`] : []),
    `index ${index}`,
    ...proof.map((hash) => Buffer.from(hash).toString('base64')),
  ];
  return `${lines.join('\n')}\n\n${note}`;
}

/** The extra data of a receipt's bundle: the proven entry's leaf input, a newline, the receipt. */
export function receiptExtra(leafInput: Uint8Array, receipt: string): Uint8Array {
  return Buffer.concat([leafInput, Buffer.from(`\n${receipt}`, 'utf8')]);
}
