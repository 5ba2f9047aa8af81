/**
 * The ledger as a witness of other logs (c2sp.org/tlog-witness, add-checkpoint; docs/design.md,
 * "Witnesses"): it cosigns a checkpoint only when the log's key signed it and it extends the
 * last checkpoint this witness cosigned for that log, proven by the consistency proof sent
 * with it. That last checkpoint is kept per log in a file, replaced durably before answering.
 * A request is handled synchronously, check and write with no await between them, so requests
 * are taken one at a time and none can roll another back (one witness process per folder).
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  EMPTY_ROOT,
  type VerifiedCheckpoint,
  verifyCheckpoint,
  verifyConsistency,
} from '../verify.ts';
import { type CheckpointKey, lastCheckpointFile } from './checkpoint.ts';
import { cosign } from './cosignature.ts';

/** An HTTP answer of the witness, as tlog-witness prescribes it. */
export interface WitnessReply {
  status: 200 | 400 | 403 | 404 | 409 | 422;
  contentType: string;
  body: string;
}

export interface LedgerWitness {
  addCheckpoint(request: string): WitnessReply;
  /** The last checkpoint cosigned for the log whose origin hashes (SHA-256, hex) to `originHash`. */
  checkpoint(originHash: string): string | undefined;
}

/** The file of the last checkpoint cosigned for `origin`, named by the origin's SHA-256. */
export const originHash = (origin: string) => createHash('sha256').update(origin).digest('hex');

export function ledgerWitness(options: {
  key: CheckpointKey;
  /** Each witnessed log's verifier key; the key's name is the log's origin. */
  logs: readonly string[];
  /** The folder keeping, per log, the last checkpoint cosigned. */
  stateDir: string;
  now?: () => Date;
}): LedgerWitness {
  const now = options.now ?? (() => new Date());
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const logs = new Map(options.logs.map((vkey) => [vkey.slice(0, vkey.indexOf('+')), vkey]));
  const stateOf = (hash: string) =>
    lastCheckpointFile(join(options.stateDir, `${hash}.checkpoint`));

  const text = (status: WitnessReply['status'], body: string): WitnessReply => ({
    status,
    contentType: 'text/plain; charset=utf-8',
    body: `${body}\n`,
  });

  function add(
    origin: string,
    vkey: string,
    oldSize: number,
    proof: Uint8Array[],
    note: string,
  ): WitnessReply {
    let checkpoint: VerifiedCheckpoint;
    try {
      checkpoint = verifyCheckpoint(note, vkey);
    } catch (error) {
      return text(
        403,
        `the checkpoint is not signed by the log's key: ${(error as Error).message}`,
      );
    }
    const { treeSize, rootHash } = checkpoint;
    if (oldSize > treeSize)
      return text(400, `old size ${oldSize} is larger than tree size ${treeSize}`);
    const state = stateOf(originHash(origin));
    const stored = state.load() as string | undefined;
    const last = stored === undefined ? undefined : verifyCheckpoint(stored, vkey);
    const lastSize = last?.treeSize ?? 0;
    if (oldSize !== lastSize)
      return { status: 409, contentType: 'text/x.tlog.size', body: `${lastSize}\n` };
    if (treeSize === 0 && !Buffer.from(rootHash).equals(EMPTY_ROOT))
      return text(422, 'a checkpoint of size 0 has the root of the empty tree');
    if (oldSize === 0 && proof.length > 0)
      return text(422, 'a consistency proof from size 0 is empty');
    if (
      last !== undefined &&
      !verifyConsistency(last.treeSize, treeSize, proof, last.rootHash, rootHash)
    )
      return text(
        422,
        last.treeSize === treeSize
          ? `tree size ${treeSize} was cosigned with another root: a fork`
          : `the consistency proof from tree size ${last.treeSize} does not verify: a fork`,
      );
    const body = note.slice(0, note.lastIndexOf('\n\n') + 1);
    const line = cosign(body, options.key, now());
    state.save(`${note}${line}`);
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: line };
  }

  return {
    addCheckpoint(request) {
      const parsed = parseRequest(request);
      if (typeof parsed === 'string') return text(400, parsed);
      const origin = parsed.note.slice(0, parsed.note.indexOf('\n'));
      const vkey = logs.get(origin);
      if (vkey === undefined) return text(404, `no log of origin ${origin} is witnessed here`);
      return add(origin, vkey, parsed.oldSize, parsed.proof, parsed.note);
    },
    checkpoint(hash) {
      if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
      return stateOf(hash).load() as string | undefined;
    },
  };
}

/** `old <size>`, up to 63 base64 hashes, a blank line, the note; or what is wrong with it. */
function parseRequest(
  request: string,
): { oldSize: number; proof: Uint8Array[]; note: string } | string {
  const blank = request.indexOf('\n\n');
  if (blank < 0) return 'no blank line after the old size and the proof';
  const [oldLine, ...proofLines] = request.slice(0, blank).split('\n');
  const old = /^old (0|[1-9][0-9]*)$/.exec(oldLine ?? '');
  if (old === null || !Number.isSafeInteger(Number(old[1])))
    return 'the first line is not "old <size>"';
  if (proofLines.length > 63) return 'more than 63 consistency proof lines';
  const proof = proofLines.map((line) => Buffer.from(line, 'base64'));
  if (proof.some((hash, i) => hash.length !== 32 || hash.toString('base64') !== proofLines[i]))
    return 'a consistency proof line is not the base64 of 32 bytes';
  const note = request.slice(blank + 2);
  if (!note.includes('\n')) return 'no checkpoint after the blank line';
  return { oldSize: Number(old[1]), proof, note };
}
