/**
 * Signed checkpoints on KurrentDB: one stream of notes, oldest first, shared by every service
 * instance. Each note is appended at the revision its signer last read (a fence), so of two
 * instances signing at once exactly one wins. The loser reads what it missed and compares its
 * own root at each size signed there with the signed one: a difference means the two built
 * different trees from one log, a fork, which is raised as an alarm (logged, counted, the
 * store reported not ready) and refused. Otherwise the loser appends its note after them when
 * it covers more than the last one, and drops it when that one already covers as much.
 */
import {
  jsonEvent,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { MerkleForkError } from '../errors.ts';
import type { KeptCosignature, SignedCheckpointLog } from '../port.ts';
import type { EsdbClient } from './client.ts';
import { exactExpectedRevision } from './mapping.ts';
import type { EsdbMerkleLog } from './merkle.ts';
import { esdbMetrics } from './metrics.ts';

/** The stream of signed notes; a `$`-type keeps its events out of every ledger read and the tree. */
export const CHECKPOINT_STREAM = 'ledger-signed-checkpoints';
export const CHECKPOINT_TYPE = '$ledger-signed-checkpoint';
/** Witnesses' cosignatures of those notes, one event each, oldest first. */
export const COSIGNATURE_STREAM = 'ledger-checkpoint-cosignatures';
export const COSIGNATURE_TYPE = '$ledger-checkpoint-cosignature';
/** RFC 3161 timestamp tokens of those notes, by SHA-256 (hex) of the checkpoint text. */
export const TIMESTAMP_STREAM = 'ledger-checkpoint-timestamps';
export const TIMESTAMP_TYPE = '$ledger-checkpoint-timestamp';

export interface CheckpointStreamOptions {
  /** Called once when a fork is found, with what to report. */
  onFork: (detail: string) => void;
}

export function checkpointStream(
  client: EsdbClient,
  tree: EsdbMerkleLog,
  options: CheckpointStreamOptions,
): SignedCheckpointLog {
  /** Every note read so far, in stream order: note i is at revision i. */
  const notes: string[] = [];

  async function refresh(): Promise<void> {
    try {
      const read = client.readStream(CHECKPOINT_STREAM, {
        fromRevision: notes.length === 0 ? START : BigInt(notes.length),
      });
      for await (const { event } of read) {
        const note = (event?.data as { note?: unknown } | undefined)?.note;
        if (typeof note === 'string') notes.push(note);
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
  }

  /** Compares this instance's tree with every note from `from` on. */
  async function checkFork(from: number): Promise<void> {
    for (const note of notes.slice(from)) {
      const signed = parseCheckpoint(note);
      if (signed === undefined) continue;
      const size = await tree.size();
      const mine = signed.treeSize <= size ? await tree.root(signed.treeSize) : undefined;
      if (mine !== undefined && Buffer.from(mine).equals(signed.rootHash)) continue;
      const detail =
        mine === undefined
          ? `a checkpoint of tree size ${signed.treeSize} was signed, this instance's tree has ${size} leaves`
          : `the checkpoint of tree size ${signed.treeSize} has another root than this instance's tree`;
      esdbMetrics.forkAlarm.set(1);
      options.onFork(detail);
      throw new MerkleForkError(`Merkle fork alarm: ${detail}`);
    }
  }

  /** Every cosignature read so far, in stream order. */
  const cosignatures: KeptCosignature[] = [];

  async function refreshCosignatures(): Promise<void> {
    try {
      const read = client.readStream(COSIGNATURE_STREAM, {
        fromRevision: cosignatures.length === 0 ? START : BigInt(cosignatures.length),
      });
      for await (const { event } of read) {
        const data = event?.data as Partial<KeptCosignature> | undefined;
        if (typeof data?.treeSize === 'number' && typeof data.line === 'string')
          cosignatures.push({ treeSize: data.treeSize, line: data.line });
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
  }

  /** Tokens read so far, and how many events of their stream that was. */
  const timestamps = new Map<string, Uint8Array>();
  let timestampsRead = 0;

  async function refreshTimestamps(): Promise<void> {
    try {
      const read = client.readStream(TIMESTAMP_STREAM, {
        fromRevision: timestampsRead === 0 ? START : BigInt(timestampsRead),
      });
      for await (const { event } of read) {
        timestampsRead++;
        const data = event?.data as { imprint?: unknown; token?: unknown } | undefined;
        if (typeof data?.imprint !== 'string' || typeof data.token !== 'string') continue;
        if (!timestamps.has(data.imprint))
          timestamps.set(data.imprint, new Uint8Array(Buffer.from(data.token, 'base64')));
      }
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
  }

  return {
    async cosignatures(from = 0) {
      await refreshCosignatures();
      return cosignatures.slice(from);
    },
    async addCosignature({ treeSize, line }) {
      // Order among cosignatures does not matter: any revision will do.
      await client.appendToStream(
        COSIGNATURE_STREAM,
        jsonEvent({ type: COSIGNATURE_TYPE, data: { treeSize, line } }),
      );
    },
    async timestampOf(imprint) {
      if (!timestamps.has(imprint)) await refreshTimestamps();
      return timestamps.get(imprint);
    },
    async keepTimestamp(imprint, token) {
      await refreshTimestamps();
      if (timestamps.has(imprint)) return;
      // Two instances may both append one: the first in the stream is the one kept.
      await client.appendToStream(
        TIMESTAMP_STREAM,
        jsonEvent({
          type: TIMESTAMP_TYPE,
          data: { imprint, token: Buffer.from(token).toString('base64') },
        }),
      );
      await refreshTimestamps();
    },
    async notes(from = 0) {
      const known = notes.length;
      await refresh();
      await checkFork(known);
      return notes.slice(from);
    },
    async append(note) {
      const size = parseCheckpoint(note)?.treeSize ?? Number.POSITIVE_INFINITY;
      for (;;) {
        const seen = notes.length;
        try {
          await client.appendToStream(
            CHECKPOINT_STREAM,
            jsonEvent({ type: CHECKPOINT_TYPE, data: { note } }),
            { expectedRevision: exactExpectedRevision(seen - 1) },
          );
          notes.push(note);
          return;
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
        }
        // Another instance signed first.
        await refresh();
        await checkFork(seen);
        const last = parseCheckpoint(notes.at(-1) ?? '');
        if (last !== undefined && last.treeSize >= size) return;
      }
    },
  };
}

/** Tree size and root of a C2SP checkpoint note (origin, size, base64 root, blank line, signatures). */
export function parseCheckpoint(
  note: string,
): { treeSize: number; rootHash: Uint8Array } | undefined {
  const [, size, root] = note.split('\n');
  if (size === undefined || root === undefined || !/^\d+$/.test(size)) return undefined;
  return { treeSize: Number(size), rootHash: Buffer.from(root, 'base64') };
}
