/**
 * The ledger's signed checkpoints (DESIGN.md section 7). Every checkpoint signed is kept, oldest
 * first, so an auditor can fetch any earlier one and a consistency proof from it. A new one is
 * signed only when the tree changed since the last, and never one inconsistent with the last
 * (createCheckpointSigner refuses it).
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { sqlitePath } from '../eventstore/open.ts';
import type { EventStore, LedgerMerkleTree } from '../eventstore/port.ts';
import { type VerifiedCheckpoint, verifyCheckpoint } from '../verify.ts';
import {
  type CheckpointKey,
  createCheckpointSigner,
  generateSigningKey,
  loadOrCreateSigningKey,
} from './checkpoint.ts';
import { leafHash, leafInput } from './merkle.ts';

export interface KeptCheckpoint extends VerifiedCheckpoint {
  /** The signed note itself, for the auditor to store and verify. */
  note: string;
}

/** Where the signed notes are kept, oldest first. */
export interface CheckpointLog {
  /** Every note appended so far, by any process sharing the log. */
  notes(): readonly string[];
  append(note: string): void;
}

export function checkpointLogInMemory(): CheckpointLog {
  const notes: string[] = [];
  return {
    notes: () => notes,
    append: (note) => {
      notes.push(note);
    },
  };
}

const NEWLINE = 0x0a;

/**
 * A JSON-lines file, one signed note (a JSON string) a line, each appended with O_APPEND in one
 * write and fsync'd before it is handed out. It is read on from where it was left whenever it
 * grew, so notes another process signed (`ledger checkpoint`) show up. A line a crash cut short
 * was never handed out: it does not parse and is skipped.
 */
export function checkpointLogFile(path: string): CheckpointLog {
  const notes: string[] = [];
  /** Bytes read so far, always up to a newline: a line being written is read once complete. */
  let offset = 0;

  function refresh(): void {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= offset) return;
      const bytes = Buffer.alloc(size - offset);
      let read = 0;
      while (read < bytes.length) {
        const n = readSync(fd, bytes, read, bytes.length - read, offset + read);
        if (n === 0) break;
        read += n;
      }
      const end = bytes.subarray(0, read).lastIndexOf(NEWLINE);
      if (end < 0) return;
      for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
        const note = parseLine(line);
        if (note !== undefined) notes.push(note);
      }
      offset += end + 1;
    } finally {
      closeSync(fd);
    }
  }

  return {
    notes() {
      refresh();
      return notes;
    },
    append(note) {
      const fd = openSync(path, 'a+', 0o644);
      try {
        // After a torn last line, start a new one rather than extend it.
        const size = fstatSync(fd).size;
        const last = Buffer.alloc(1);
        const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== NEWLINE;
        writeSync(fd, `${torn ? '\n' : ''}${JSON.stringify(note)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}

function parseLine(line: string): string | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface LedgerCheckpoints {
  /** The tree the checkpoints describe, for proofs between their sizes. */
  readonly tree: LedgerMerkleTree;
  readonly origin: string;
  readonly key: CheckpointKey;
  /**
   * The checkpoint of the tree as it is now: the last one kept when the tree has not changed
   * since, else one signed now. Throws InconsistentCheckpointError when the tree no longer
   * extends the last checkpoint (it was rewritten or replaced).
   */
  latest(): KeptCheckpoint;
  /** The checkpoint of `treeSize` leaves: latest() for the current size, else a kept one or undefined. */
  ofSize(treeSize: number): KeptCheckpoint | undefined;
  /** Every checkpoint kept, oldest first. */
  all(): readonly KeptCheckpoint[];
}

export function ledgerCheckpoints(options: {
  tree: LedgerMerkleTree;
  key: CheckpointKey;
  origin: string;
  log: CheckpointLog;
}): LedgerCheckpoints {
  const { tree, key, origin, log } = options;
  const kept: KeptCheckpoint[] = [];
  const bySize = new Map<number, KeptCheckpoint>();

  function all(): readonly KeptCheckpoint[] {
    const notes = log.notes();
    for (let i = kept.length; i < notes.length; i++) {
      const note = notes[i] as string;
      let checkpoint: VerifiedCheckpoint;
      try {
        checkpoint = verifyCheckpoint(note, key.verifierKey);
      } catch (error) {
        throw new Error(`kept checkpoint ${i + 1} does not verify with ${key.verifierKey}`, {
          cause: error,
        });
      }
      if (checkpoint.origin !== origin) {
        throw new Error(
          `kept checkpoint ${i + 1} is of origin ${checkpoint.origin}, not ${origin}`,
        );
      }
      const entry = { ...checkpoint, note };
      kept.push(entry);
      bySize.set(entry.treeSize, entry);
    }
    return kept;
  }

  const signer = createCheckpointSigner({
    key,
    origin,
    tree,
    last: { load: () => all().at(-1)?.note, save: (note) => log.append(note) },
  });

  function latest(): KeptCheckpoint {
    const treeSize = tree.size();
    const rootHash = tree.root(treeSize);
    const last = all().at(-1);
    if (last?.treeSize === treeSize && Buffer.from(last.rootHash).equals(rootHash)) return last;
    signer.sign(treeSize, rootHash);
    all();
    return bySize.get(treeSize) as KeptCheckpoint;
  }

  return {
    tree,
    origin,
    key,
    latest,
    ofSize(treeSize) {
      if (treeSize === tree.size()) return latest();
      all();
      return bySize.get(treeSize);
    },
    all,
  };
}

export const noCheckpointOfSize = (treeSize: number) =>
  `no checkpoint of tree size ${treeSize} was signed`;

export type InclusionAnswer =
  | {
      ok: true;
      leafIndex: number;
      /** Recomputed from the stored event, so a changed event gives a proof that fails. */
      leafHash: Uint8Array;
      proof: Uint8Array[];
      checkpoint: KeptCheckpoint;
    }
  | {
      ok: false;
      problem: 'unknown-event' | 'unknown-checkpoint' | 'not-in-checkpoint';
      detail: string;
    };

/**
 * The inclusion proof of an event in the checkpoint of `treeSize` (default: the latest), with
 * that checkpoint, so the proof's size and root come from one signed note.
 */
export async function proveInclusion(
  store: Pick<EventStore, 'readAll'>,
  checkpoints: Pick<LedgerCheckpoints, 'tree' | 'latest' | 'ofSize'>,
  eventId: string,
  treeSize?: number,
): Promise<InclusionAnswer> {
  const leafIndex = checkpoints.tree.leafIndexOf(eventId);
  if (leafIndex === null)
    return { ok: false, problem: 'unknown-event', detail: `no event ${eventId}` };
  const checkpoint = treeSize === undefined ? checkpoints.latest() : checkpoints.ofSize(treeSize);
  if (checkpoint === undefined)
    return {
      ok: false,
      problem: 'unknown-checkpoint',
      detail: noCheckpointOfSize(treeSize as number),
    };
  if (leafIndex >= checkpoint.treeSize)
    return {
      ok: false,
      problem: 'not-in-checkpoint',
      detail: `event ${eventId} is leaf ${leafIndex}, recorded after the checkpoint of tree size ${checkpoint.treeSize}`,
    };
  // Leaf i is the event at position i + 1 in the stores that keep a tree.
  const [event] = await store.readAll({ fromPosition: leafIndex + 1, limit: 1 });
  if (event?.eventId !== eventId)
    throw new Error(`leaf ${leafIndex} is not the event at position ${leafIndex + 1}`);
  return {
    ok: true,
    leafIndex,
    leafHash: leafHash(leafInput(event)),
    proof: checkpoints.tree.inclusionProof(leafIndex, checkpoint.treeSize),
    checkpoint,
  };
}

export interface CheckpointSettings {
  /** The signing key's folder (sqlite stores); created with the key on first use. */
  keyDir: string;
  /** The checkpoints' first line, also the key's name. */
  origin: string;
}

/**
 * The checkpoints of the store at `storeUrl`: for `sqlite:<path>`, signed with the key in
 * `keyDir` and kept in `<path>.signed-checkpoints` beside the ledger they describe; for
 * `memory:`, a key and a log that live as long as the store. Null for stores without a Merkle
 * tree (esdb).
 */
export function openLedgerCheckpoints(
  store: EventStore,
  storeUrl: string,
  settings: CheckpointSettings,
): LedgerCheckpoints | null {
  if (!store.merkle) return null;
  const path = sqlitePath(storeUrl);
  return ledgerCheckpoints({
    tree: store.merkle,
    origin: settings.origin,
    ...(path === null
      ? { key: generateSigningKey(settings.origin), log: checkpointLogInMemory() }
      : {
          key: loadOrCreateSigningKey(settings.keyDir, settings.origin),
          log: checkpointLogFile(`${path}.signed-checkpoints`),
        }),
  });
}
