/**
 * The record of the last tree size and root the server signed for a ledger, kept outside the
 * store, beside the signing key (docs/design.md §7). Whoever can roll the store back (copy an
 * old ledger file in place, delete the newest kept checkpoints) cannot roll this back without
 * the key folder, so the server still knows what it signed and refuses to sign another root for
 * that size. One file per ledger, named by the ledger's first entry (its leaf hash: the root of
 * the tree of size 1), so a genuinely new ledger starts a record of its own.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyNote } from '../verify.ts';
import { type CheckpointKey, lastCheckpointFile, signNote } from './checkpoint.ts';

/** First line of a record: never a checkpoint, so a record cannot be passed off as one. */
export const LAST_SIGNED_HEADER = 'compliance-ledger last signed v1';

export interface LastSigned {
  /** Hex leaf hash of the ledger's first entry. */
  ledger: string;
  treeSize: number;
  rootHash: Uint8Array;
}

export interface LastSignedRecords {
  /** Where the record of `ledger` is kept. */
  pathOf(ledger: string): string;
  /** The record of `ledger`, verified with the key; undefined when it has none (a new ledger). */
  load(ledger: string): LastSigned | undefined;
  /** Replaces the record atomically (0600), unless it already holds a larger size. */
  save(record: LastSigned): void;
}

export const lastSignedFileName = (ledger: string) => `last-signed-${ledger}.note`;

/** The records in the key folder `folder`, signed and checked with `key`. */
export function lastSignedRecords(
  folder: string,
  key: CheckpointKey,
  onNewLedger: (ledger: string, path: string) => void = () => {},
): LastSignedRecords {
  const pathOf = (ledger: string) => join(folder, lastSignedFileName(ledger));
  function load(ledger: string): LastSigned | undefined {
    const path = pathOf(ledger);
    let note: string;
    try {
      note = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const record = parseRecord(note, key, path);
    if (record.ledger !== ledger)
      throw new Error(`${path} is the record of ledger ${record.ledger}, not of ${ledger}`);
    return record;
  }
  return {
    pathOf,
    load,
    save(record) {
      const kept = load(record.ledger);
      if (kept !== undefined && kept.treeSize > record.treeSize) return;
      const text = `${LAST_SIGNED_HEADER}\nledger ${record.ledger}\n${record.treeSize}\n${Buffer.from(record.rootHash).toString('base64')}\n`;
      lastCheckpointFile(pathOf(record.ledger)).save(signNote(text, key));
      if (kept === undefined) onNewLedger(record.ledger, pathOf(record.ledger));
    },
  };
}

function parseRecord(note: string, key: CheckpointKey, path: string): LastSigned {
  let text: string;
  try {
    text = verifyNote(note, key.verifierKey);
  } catch (error) {
    throw new Error(
      `${path} does not verify with the signing key (${(error as Error).message}): it was changed or written with another key`,
    );
  }
  const match = /^(.*)\nledger ([0-9a-f]{64})\n(0|[1-9][0-9]{0,15})\n([A-Za-z0-9+/]{43}=)\n$/.exec(
    text,
  );
  if (match?.[1] !== LAST_SIGNED_HEADER)
    throw new Error(`${path} is not a record of a signed size`);
  return {
    ledger: match[2] as string,
    treeSize: Number(match[3]),
    rootHash: Buffer.from(match[4] as string, 'base64'),
  };
}
