/**
 * The ledger as a C2SP tlog-tiles log (docs/design.md §7.6): Merkle tiles and entry bundles
 * of the tree up to the last checkpoint kept, for standard mirrors and monitors. Tile hashes
 * come from the stored tree: level 0 from the events themselves (their leaf hashes), level
 * l > 0 hash i as the root of the perfect subtree of 256^l leaves starting at s = (256n + i)
 * 256^l, folded from leaf s up its inclusion proof (s is that subtree's leftmost leaf, so its
 * first 8l siblings are all within it, on the right).
 */
import { leafHash, leafInput } from '../core/merkle-leaf.ts';
import type { EventStore, LedgerMerkleTree } from '../eventstore/port.ts';
import { nodeHashOf } from '../verify.ts';
import { eventOfLeaf } from './ledger-checkpoints.ts';

const WIDTH = 256;
/** Entries in a bundle are prefixed with a big-endian uint16 length. */
const MAX_ENTRY_BYTES = 0xffff;

/** A tile or entry bundle address: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`. */
export interface TileAddress {
  /** The level, or 'entries' for an entry bundle. */
  level: number | 'entries';
  index: number;
  /** 1..255 for a partial tile; 256 for a full one. */
  width: number;
}

/** Parses the path after `tile/`; undefined when it is not a tile path of the spec. */
export function parseTilePath(path: string): TileAddress | undefined {
  const match = /^(entries|0|[1-9]\d?)\/((?:x\d{3}\/)*\d{3})(?:\.p\/([1-9]\d{0,2}))?$/.exec(path);
  if (!match) return undefined;
  const [, levelText, indexText, widthText] = match as unknown as [string, string, string, string?];
  const level = levelText === 'entries' ? 'entries' : Number(levelText);
  if (level !== 'entries' && level > 63) return undefined;
  const index = Number(indexText.replaceAll('x', '').replaceAll('/', ''));
  const width = widthText === undefined ? WIDTH : Number(widthText);
  if (!Number.isSafeInteger(index) || (widthText !== undefined && width > 255)) return undefined;
  return { level, index, width };
}

/** The leaves a tile covers end here: it may be served from a tree of at least this size. */
export function tileEnd({ level, index, width }: TileAddress): number {
  return (index * WIDTH + width) * WIDTH ** (level === 'entries' ? 0 : level);
}

/** An entry too long for a bundle's 16-bit length prefix. */
export class EntryTooLongError extends Error {
  override readonly name = 'EntryTooLongError';
}

/** The tile's bytes (hashes or length-prefixed entries) in the tree of `treeSize` leaves. */
export async function readTile(
  store: Pick<EventStore, 'readAll'>,
  tree: Pick<LedgerMerkleTree, 'inclusionProof' | 'positionOf'>,
  tile: TileAddress,
  treeSize: number,
): Promise<Buffer> {
  const { level, index, width } = tile;
  const span = level === 'entries' ? 1 : WIDTH ** level;
  const starts = Array.from({ length: width }, (_, i) => (index * WIDTH + i) * span);
  const inputs = await leafInputs(store, tree, starts);
  if (level === 'entries') {
    return Buffer.concat(
      inputs.flatMap((input, i) => {
        if (input.length > MAX_ENTRY_BYTES)
          throw new EntryTooLongError(
            `entry ${starts[i]} is ${input.length} bytes, more than a tlog-tiles entry bundle can hold (65535)`,
          );
        const length = Buffer.alloc(2);
        length.writeUInt16BE(input.length);
        return [length, input];
      }),
    );
  }
  const hashes = await Promise.all(
    inputs.map(async (input, i) => {
      let hash = leafHash(input);
      if (level === 0) return hash;
      const path = await tree.inclusionProof(starts[i] as number, treeSize);
      for (const sibling of path.slice(0, 8 * level)) hash = nodeHashOf(hash, sibling);
      return hash;
    }),
  );
  return Buffer.concat(hashes);
}

/** The leaf inputs of the leaves at these indexes: one read for a run of dense positions. */
async function leafInputs(
  store: Pick<EventStore, 'readAll'>,
  tree: Pick<LedgerMerkleTree, 'positionOf'>,
  leaves: readonly number[],
): Promise<Uint8Array[]> {
  const first = leaves[0] ?? 0;
  if (tree.positionOf === undefined && leaves.every((leaf, i) => leaf === first + i)) {
    const events = await store.readAll({ fromPosition: first + 1, limit: leaves.length });
    if (events.length !== leaves.length) throw new Error(`the store lacks leaves from ${first}`);
    return events.map((event) => leafInput(event));
  }
  return Promise.all(leaves.map(async (leaf) => leafInput(await eventOfLeaf(store, tree, leaf))));
}
