/**
 * Asking witnesses to cosign the ledger's checkpoints (c2sp.org/tlog-witness, add-checkpoint):
 * the checkpoint goes with the consistency proof from the size the witness last cosigned, and
 * the answer is kept only when its cosignature verifies with the witness's configured key.
 * When enough witnesses cosigned (the policy's quorum) the checkpoint counts as published
 * (docs/design.md, "Witnesses").
 */
import { cosignersOf, parseWitnessKey, type WitnessKey } from '../verify.ts';

/** A witness as configured: its verifier key (which names it) and its submission URL prefix. */
export interface Witness {
  key: WitnessKey;
  verifierKey: string;
  url: string;
}

export interface Witnessing {
  witnesses: readonly Witness[];
  /** How many witnesses must cosign a checkpoint before it counts as published. */
  quorum: number;
  /** Longest time one add-checkpoint request may take, in ms. */
  timeoutMs: number;
}

/** What a witness answered to add-checkpoint. */
export type WitnessAnswer =
  | { kind: 'cosigned'; line: string }
  /** 409: the witness last cosigned another size than the one the request started from. */
  | { kind: 'conflict'; witnessSize: number }
  | { kind: 'refused'; detail: string };

/** Parses `<vkey> <url>` entries (comma or newline separated), as LEDGER_WITNESSES holds them. */
export function parseWitnesses(text: string): Witness[] {
  return text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [verifierKey, url, ...rest] = entry.split(/\s+/);
      if (verifierKey === undefined || url === undefined || rest.length > 0)
        throw new Error(`witness "${entry}" is not "<verifier key> <url>"`);
      if (!/^https?:\/\/[^\s]+$/.test(url)) throw new Error(`witness URL ${url} is not http(s)`);
      return { key: parseWitnessKey(verifierKey), verifierKey, url: url.replace(/\/+$/, '') };
    });
}

/** The add-checkpoint request body: `old <size>`, the proof in base64 lines, a blank line, the note. */
export function addCheckpointBody(
  note: string,
  oldSize: number,
  proof: readonly Uint8Array[],
): string {
  const lines = proof.map((hash) => `${Buffer.from(hash).toString('base64')}\n`).join('');
  return `old ${oldSize}\n${lines}\n${note}`;
}

/** Sends `note` (signed by the log) to `witness`, with the consistency proof from `oldSize`. */
export async function addCheckpoint(
  witness: Witness,
  note: string,
  oldSize: number,
  proof: readonly Uint8Array[],
  timeoutMs: number,
): Promise<WitnessAnswer> {
  let response: Response;
  try {
    response = await fetch(`${witness.url}/add-checkpoint`, {
      method: 'POST',
      body: addCheckpointBody(note, oldSize, proof),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { kind: 'refused', detail: `unreachable: ${(error as Error).message}` };
  }
  const text = await response.text().catch(() => '');
  if (response.status === 409 && /^(0|[1-9][0-9]*)\n$/.test(text))
    return { kind: 'conflict', witnessSize: Number(text.trim()) };
  if (response.status !== 200)
    return { kind: 'refused', detail: `answered ${response.status} ${text.trim().slice(0, 200)}` };
  const body = note.slice(0, note.lastIndexOf('\n\n') + 1);
  for (const line of text.split('\n')) {
    try {
      if (cosignersOf(`${body}\n${line}\n`, [witness.key]).length === 1)
        return { kind: 'cosigned', line: `${line}\n` };
    } catch (error) {
      return { kind: 'refused', detail: (error as Error).message };
    }
  }
  return { kind: 'refused', detail: 'the answer holds no cosignature of its key' };
}
