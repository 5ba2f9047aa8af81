/**
 * Signed checkpoint notes kept by a memory store (the port's SignedCheckpointLog), and the
 * reader of the JSON-lines file older SQLite ledgers kept beside them, which migration 003
 * takes into the ledger file.
 */
import { readFileSync } from 'node:fs';
import type { KeptCosignature, SignedCheckpointLog } from './port.ts';

export function signedCheckpointsInMemory(): SignedCheckpointLog {
  const notes: string[] = [];
  const cosignatures: KeptCosignature[] = [];
  const timestamps = new Map<string, Uint8Array>();
  return {
    notes: async (from = 0) => notes.slice(from),
    append: async (note) => {
      notes.push(note);
    },
    cosignatures: async (from = 0) => cosignatures.slice(from),
    addCosignature: async (cosignature) => {
      cosignatures.push({ ...cosignature });
    },
    timestampOf: async (imprint) => timestamps.get(imprint),
    keepTimestamp: async (imprint, token) => {
      if (!timestamps.has(imprint)) timestamps.set(imprint, Uint8Array.from(token));
    },
  };
}

/**
 * The notes of a `<ledger>.signed-checkpoints` file, one JSON string a line, oldest first. A
 * line a crash cut short was never handed out: it does not parse and is skipped.
 */
export function readSignedCheckpointFile(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').flatMap(parseLine);
}

function parseLine(line: string): string[] {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'string' ? [value] : [];
  } catch {
    return [];
  }
}
