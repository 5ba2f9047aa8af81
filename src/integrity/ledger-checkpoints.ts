/**
 * The ledger's signed checkpoints (docs/design.md §7). Every checkpoint signed is kept, oldest
 * first, so an auditor can fetch any earlier one and a consistency proof from it. A new one is
 * signed only when the tree changed since the last, never one inconsistent with the last
 * (createCheckpointSigner refuses it), and never the first of a tree that already has leaves
 * unless an admin starts a new history: the kept history was lost, and a new first checkpoint
 * could sign another root for a size already signed. Nothing is signed while the tree does not
 * extend every checkpoint the server knows it signed (the kept ones and the record beside the
 * key): that raises the integrity alarm instead.
 */

import { leafHash, leafInput } from '../core/merkle-leaf.ts';
import { MerkleForkError } from '../eventstore/errors.ts';
import type {
  EventStore,
  LedgerMerkleTree,
  RecordedEvent,
  SignedCheckpointLog,
} from '../eventstore/port.ts';
import {
  checkpointText,
  cosignersOf,
  timestampImprint,
  type VerifiedCheckpoint,
  verifyCheckpoint,
} from '../verify.ts';
import { type IntegrityAlarm, integrityAlarm } from './alarm.ts';
import { type CheckpointKey, createCheckpointSigner } from './checkpoint.ts';
import type { LastSignedRecords } from './last-signed-record.ts';
import { addCheckpoint, type Witness, type Witnessing } from './witnesses.ts';

export interface KeptCheckpoint extends VerifiedCheckpoint {
  /** The signed note itself with the witnesses' cosignatures, for the auditor to store and verify. */
  note: string;
  /** The configured witnesses whose cosignature it carries. */
  cosigners: readonly string[];
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
  latest(options?: SignOptions): Promise<KeptCheckpoint>;
  /** The last checkpoint kept, signing nothing; undefined before the first. */
  lastKept(): Promise<KeptCheckpoint | undefined>;
  /**
   * The last checkpoint published: the newest kept one that enough witnesses cosigned (the
   * quorum), or the newest kept one when no witness is configured. What receipts, reports and
   * GET /v1/ledger/checkpoint cite.
   */
  lastPublished(): Promise<KeptCheckpoint | undefined>;
  /** The checkpoint of `treeSize` leaves: latest() for the current size, else a kept one or undefined. */
  ofSize(treeSize: number): Promise<KeptCheckpoint | undefined>;
  /** Every checkpoint kept, oldest first. */
  all(): Promise<readonly KeptCheckpoint[]>;
  /**
   * Whether the tree extends every checkpoint signed that the server can find: the last kept
   * one and the record beside the key. The fork found (also raised as the alarm), or null.
   */
  check(): Promise<string | null>;
  /** The RFC 3161 token kept for `checkpoint` (docs/design.md "Trusted time"), if any. */
  timestampOf(checkpoint: VerifiedCheckpoint): Promise<Uint8Array | undefined>;
  /** Keeps `checkpoint`'s token, verified by the caller; the first one kept stays. */
  keepTimestamp(checkpoint: VerifiedCheckpoint, token: Uint8Array): Promise<void>;
}

export interface SignOptions {
  /**
   * Sign even though no checkpoint is kept and the tree has leaves (an admin's explicit say:
   * `ledger checkpoint --start-new-history`), e.g. after `ledger import`.
   */
  startNewHistory?: boolean;
}

/** No checkpoint is kept, yet the tree has leaves: the history was lost or never started. */
export class CheckpointHistoryMissingError extends Error {
  override readonly name = 'CheckpointHistoryMissingError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 409;
  readonly problemType = 'checkpoint-history-missing';
  readonly problemTitle = 'The signed-checkpoint history is missing';
  constructor(readonly treeSize: number) {
    super(
      `no signed checkpoint is kept but the tree has ${treeSize} leaves: the checkpoint history is missing; an admin who knows why starts a new one with \`compliance-ledger checkpoint --start-new-history\``,
    );
  }
}

/**
 * `checkpoints` refusing to sign the first checkpoint of a tree that has leaves, unless told to
 * start a new history: what the service and `ledger checkpoint` sign through. A history begins
 * with the checkpoint of the empty tree (the service signs it on first start).
 */
export function requiringHistory(checkpoints: LedgerCheckpoints): LedgerCheckpoints {
  async function latest(options: SignOptions = {}): Promise<KeptCheckpoint> {
    if (options.startNewHistory !== true && (await checkpoints.lastKept()) === undefined) {
      const treeSize = await checkpoints.tree.size();
      if (treeSize > 0) throw new CheckpointHistoryMissingError(treeSize);
    }
    return checkpoints.latest();
  }
  return {
    ...checkpoints,
    latest,
    async ofSize(treeSize) {
      if (treeSize === (await checkpoints.tree.size())) return latest();
      return checkpoints.ofSize(treeSize);
    },
  };
}

export function ledgerCheckpoints(options: {
  tree: LedgerMerkleTree;
  key: CheckpointKey;
  origin: string;
  log: SignedCheckpointLog;
  /** The record of the last size signed, beside the key (absent for a key kept in memory). */
  record?: LastSignedRecords;
  /** Raised when a fork is found; the caller's, to be told (default: one of its own). */
  alarm?: IntegrityAlarm;
  /** The witnesses asked to cosign each new checkpoint, and their quorum. */
  witnessing?: Witnessing;
  /** Told when a witness did not cosign (unreachable, refused, a fork it saw). */
  onWitnessProblem?: (detail: string) => void;
}): LedgerCheckpoints {
  const { tree, key, origin, log, record } = options;
  const alarm = options.alarm ?? integrityAlarm();
  const witnessing = options.witnessing ?? { witnesses: [], quorum: 0, timeoutMs: 0 };
  const kept: KeptCheckpoint[] = [];
  const bySize = new Map<number, KeptCheckpoint>();
  /** The log-signed note of each size, without cosignatures. */
  const signedNotes = new Map<number, string>();
  /** Verified cosignature lines by tree size, then by witness name. */
  const cosignedBy = new Map<number, Map<string, string>>();
  let cosignaturesRead = 0;

  /** Reads the cosignatures kept since the last call and puts them on their checkpoints. */
  async function attachCosignatures(): Promise<void> {
    const added = await log.cosignatures(cosignaturesRead);
    cosignaturesRead += added.length;
    const changed = new Set<number>();
    for (const { treeSize, line } of added) {
      const note = signedNotes.get(treeSize);
      if (note === undefined) continue;
      const cosigner = verifiedCosigner(`${note}${line}`, treeSize);
      // A witness no longer configured, or a line that does not verify, does not count.
      if (cosigner === undefined) continue;
      const lines = cosignedBy.get(treeSize) ?? new Map<string, string>();
      if (lines.has(cosigner.name)) continue;
      cosignedBy.set(treeSize, lines.set(cosigner.name, line));
      changed.add(treeSize);
    }
    for (const treeSize of changed) {
      const index = kept.findIndex((c) => c.treeSize === treeSize);
      const entry = withCosignatures(kept[index] as KeptCheckpoint);
      kept[index] = entry;
      bySize.set(treeSize, entry);
    }
  }

  function verifiedCosigner(cosigned: string, treeSize: number) {
    try {
      return cosignersOf(
        cosigned,
        witnessing.witnesses.map((w) => w.key),
      )[0];
    } catch (error) {
      options.onWitnessProblem?.(
        `a kept cosignature of tree size ${treeSize} is ignored: ${(error as Error).message}`,
      );
      return undefined;
    }
  }

  function withCosignatures(checkpoint: KeptCheckpoint): KeptCheckpoint {
    const lines = cosignedBy.get(checkpoint.treeSize) ?? new Map<string, string>();
    const note = signedNotes.get(checkpoint.treeSize) ?? checkpoint.note;
    return {
      ...checkpoint,
      note: `${note}${[...lines.values()].join('')}`,
      cosigners: [...lines.keys()],
    };
  }

  async function all(): Promise<readonly KeptCheckpoint[]> {
    const notes = await log.notes(kept.length);
    for (const [offset, note] of notes.entries()) {
      const i = kept.length + offset;
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
      signedNotes.set(checkpoint.treeSize, note);
      const entry = withCosignatures({ ...checkpoint, note, cosigners: [] });
      kept.push(entry);
      bySize.set(entry.treeSize, entry);
    }
    await attachCosignatures();
    return kept;
  }

  const isPublished = (checkpoint: KeptCheckpoint) =>
    checkpoint.cosigners.length >= witnessing.quorum;

  /** Asks every witness that has not cosigned `checkpoint` yet; returns it as kept after. */
  async function witness(checkpoint: KeptCheckpoint): Promise<KeptCheckpoint> {
    const missing = witnessing.witnesses.filter((w) => !checkpoint.cosigners.includes(w.key.name));
    if (missing.length === 0) return checkpoint;
    const note = signedNotes.get(checkpoint.treeSize) as string;
    await Promise.all(missing.map((w) => askWitness(w, checkpoint, note)));
    await all();
    return bySize.get(checkpoint.treeSize) ?? checkpoint;
  }

  async function askWitness(w: Witness, checkpoint: KeptCheckpoint, note: string): Promise<void> {
    const { treeSize } = checkpoint;
    // The size this witness last cosigned, as far as kept cosignatures tell; a 409 corrects it.
    let oldSize = Math.max(
      0,
      ...[...cosignedBy]
        .filter(([size, by]) => size <= treeSize && by.has(w.key.name))
        .map(([s]) => s),
    );
    for (let attempt = 0; attempt < 2; attempt++) {
      const proof = oldSize === 0 ? [] : await tree.consistencyProof(oldSize, treeSize);
      const answer = await addCheckpoint(w, note, oldSize, proof, witnessing.timeoutMs);
      if (answer.kind === 'cosigned') {
        await log.addCosignature({ treeSize, line: answer.line });
        return;
      }
      if (answer.kind === 'refused') {
        options.onWitnessProblem?.(
          `witness ${w.key.name} did not cosign tree size ${treeSize}: ${answer.detail}`,
        );
        return;
      }
      if (answer.witnessSize > treeSize || attempt === 1) {
        options.onWitnessProblem?.(
          `witness ${w.key.name} did not cosign tree size ${treeSize}: it last cosigned tree size ${answer.witnessSize}${answer.witnessSize > treeSize ? ', larger than this ledger: another history was shown to it' : ''}`,
        );
        return;
      }
      oldSize = answer.witnessSize;
    }
  }

  const signer = createCheckpointSigner({
    key,
    origin,
    tree,
    last: { load: async () => (await all()).at(-1)?.note, save: (note) => log.append(note) },
  });

  /** The ledger's name in the record: the leaf hash of its first entry. */
  const ledgerOf = async (treeSize: number) =>
    treeSize === 0 ? null : Buffer.from(await tree.root(1)).toString('hex');

  async function check(): Promise<string | null> {
    const treeSize = await tree.size();
    const signed: { treeSize: number; rootHash: Uint8Array; where: string }[] = [];
    const last = (await all()).at(-1);
    if (last) signed.push({ ...last, where: 'the last checkpoint kept in the store' });
    const ledger = await ledgerOf(treeSize);
    const recorded = record && ledger !== null ? loadRecord(record, ledger) : undefined;
    if (typeof recorded === 'string') return raise(recorded);
    if (recorded && ledger !== null)
      signed.push({ ...recorded, where: `the record ${record?.pathOf(ledger)}` });
    for (const checkpoint of signed) {
      const fork = await forkFrom(checkpoint, treeSize);
      if (fork !== null) return raise(fork);
    }
    // A ledger signed before records were kept, or by another instance, is recorded up to here.
    if (record && ledger !== null && last && last.treeSize > (recorded?.treeSize ?? 0))
      record.save({ ledger, treeSize: last.treeSize, rootHash: last.rootHash });
    return alarm.raised;
  }

  function raise(detail: string): string {
    alarm.raise(detail);
    return detail;
  }

  async function forkFrom(
    signed: { treeSize: number; rootHash: Uint8Array; where: string },
    treeSize: number,
  ): Promise<string | null> {
    const root = (hash: Uint8Array) => Buffer.from(hash).toString('base64');
    if (signed.treeSize > treeSize)
      return `the server signed tree size ${signed.treeSize} with root ${root(signed.rootHash)} (${signed.where}), but the ledger holds only ${treeSize} events: it was rolled back or cut`;
    const now = await tree.root(signed.treeSize);
    if (Buffer.from(now).equals(signed.rootHash)) return null;
    return `the server signed tree size ${signed.treeSize} with root ${root(signed.rootHash)} (${signed.where}), but the ledger now has root ${root(now)} at that size: it was rewritten`;
  }

  async function latest(): Promise<KeptCheckpoint> {
    const fork = await check();
    if (fork !== null) throw new MerkleForkError(`refusing to sign: ${fork}`);
    const treeSize = await tree.size();
    const rootHash = await tree.root(treeSize);
    const last = (await all()).at(-1);
    if (last?.treeSize === treeSize && Buffer.from(last.rootHash).equals(rootHash))
      return witness(last);
    await signer.sign(treeSize, rootHash);
    const ledger = await ledgerOf(treeSize);
    if (record && ledger !== null) record.save({ ledger, treeSize, rootHash });
    // A store shared by several signers may have kept another's note covering more instead.
    return witness(bySize.get(treeSize) ?? ((await all()).at(-1) as KeptCheckpoint));
  }

  return {
    tree,
    origin,
    key,
    latest,
    lastKept: async () => (await all()).at(-1),
    lastPublished: async () => (await all()).findLast(isPublished),
    async ofSize(treeSize) {
      if (treeSize === (await tree.size())) return latest();
      await all();
      return bySize.get(treeSize);
    },
    all,
    check,
    timestampOf: (checkpoint) => log.timestampOf(imprintOf(checkpoint)),
    keepTimestamp: (checkpoint, token) => log.keepTimestamp(imprintOf(checkpoint), token),
  };
}

const imprintOf = (checkpoint: VerifiedCheckpoint) =>
  Buffer.from(timestampImprint(checkpointText(checkpoint))).toString('hex');

/** The record of `ledger`, or why it cannot be trusted (changed, another key): itself an alarm. */
function loadRecord(
  records: LastSignedRecords,
  ledger: string,
): ReturnType<LastSignedRecords['load']> | string {
  try {
    return records.load(ledger);
  } catch (error) {
    return (error as Error).message;
  }
}

export const noCheckpointOfSize = (treeSize: number) =>
  `no checkpoint of tree size ${treeSize} was signed`;

export type InclusionAnswer =
  | {
      ok: true;
      leafIndex: number;
      /** The event's leaf input (docs/merkle-leaf.md), recomputed from the stored event. */
      leafInput: Uint8Array;
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
  const leafIndex = await checkpoints.tree.leafIndexOf(eventId);
  if (leafIndex === null)
    return { ok: false, problem: 'unknown-event', detail: `no event ${eventId}` };
  const checkpoint =
    treeSize === undefined ? await checkpoints.latest() : await checkpoints.ofSize(treeSize);
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
  const leaf = await proveLeaf(store, checkpoints.tree, leafIndex, checkpoint.treeSize);
  if (leaf.eventId !== eventId)
    throw new Error(`leaf ${leafIndex} is event ${leaf.eventId}, not ${eventId}`);
  return { ok: true, leafIndex, ...leaf, checkpoint };
}

/** The event of leaf `leafIndex`, read from the store. */
export async function eventOfLeaf(
  store: Pick<EventStore, 'readAll'>,
  tree: Pick<LedgerMerkleTree, 'positionOf'>,
  leafIndex: number,
): Promise<RecordedEvent> {
  // Leaf i is the event at position i + 1 where positions are dense; else the tree knows it.
  const position = (await tree.positionOf?.(leafIndex)) ?? leafIndex + 1;
  const [event] = await store.readAll({ fromPosition: position, limit: 1 });
  if (event === undefined) throw new Error(`no event at position ${position} (leaf ${leafIndex})`);
  return event;
}

/** Leaf `leafIndex` (< treeSize) read from the store, and its inclusion proof in that tree. */
export async function proveLeaf(
  store: Pick<EventStore, 'readAll'>,
  tree: LedgerMerkleTree,
  leafIndex: number,
  treeSize: number,
): Promise<{ eventId: string; leafInput: Uint8Array; leafHash: Uint8Array; proof: Uint8Array[] }> {
  const event = await eventOfLeaf(store, tree, leafIndex);
  const input = leafInput(event);
  return {
    eventId: event.eventId,
    leafInput: input,
    leafHash: leafHash(input),
    proof: await tree.inclusionProof(leafIndex, treeSize),
  };
}

/**
 * The checkpoints of `store`, signed under `origin` with the key `key()` gives (called only for
 * a store that can keep checkpoints) and kept in the store's own signed-checkpoint log. Null
 * for stores that keep no Merkle tree or no such log.
 */
export function openLedgerCheckpoints(
  store: Pick<EventStore, 'merkle' | 'signedCheckpoints'>,
  settings: {
    key: () => CheckpointKey;
    origin: string;
    alarm?: IntegrityAlarm;
    record?: (key: CheckpointKey) => LastSignedRecords;
    witnessing?: Witnessing;
    onWitnessProblem?: (detail: string) => void;
  },
): LedgerCheckpoints | null {
  if (!store.merkle || !store.signedCheckpoints) return null;
  const key = settings.key();
  return ledgerCheckpoints({
    tree: store.merkle,
    log: store.signedCheckpoints,
    key,
    origin: settings.origin,
    ...(settings.alarm ? { alarm: settings.alarm } : {}),
    ...(settings.record ? { record: settings.record(key) } : {}),
    ...(settings.witnessing ? { witnessing: settings.witnessing } : {}),
    ...(settings.onWitnessProblem ? { onWitnessProblem: settings.onWitnessProblem } : {}),
  });
}
