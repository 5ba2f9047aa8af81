import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../core/canonical-json.ts';

/**
 * A projection's state as of a position, bound to the ledger it was built from: the event at
 * `position` and the Merkle root of the tree of that size, and a MAC over all of it with a key
 * only the server holds. A checkpoint is a cache, never evidence: one that does not check is
 * rebuilt from the events.
 */
export interface Checkpoint {
  name: string;
  version: number;
  position: number;
  /** The id of the event at `position` (null at 0): a different ledger never matches. */
  eventId: string | null;
  /** Hex Merkle root of the ledger's first `position` events; null for stores without a tree. */
  root: string | null;
  state: unknown;
  /** Hex HMAC-SHA256 over the canonical JSON of every field above. */
  mac: string;
}

export type UnsealedCheckpoint = Omit<Checkpoint, 'mac'>;

export interface CheckpointStore {
  /** The saved checkpoint as parsed JSON, unchecked; null when there is none or it is not JSON. */
  load(name: string): Promise<unknown>;
  save(checkpoint: Checkpoint): Promise<void>;
}

/** Checkpoints as JSON files in one folder, each replaced atomically (write, then rename). */
export function fileCheckpointStore(folder: string): CheckpointStore {
  const file = (name: string) => join(folder, `${name}.json`);
  return {
    async load(name) {
      try {
        return JSON.parse(await readFile(file(name), 'utf8')) as unknown;
      } catch (error) {
        // A missing or unreadable checkpoint (a folder in its place too) only costs a rebuild.
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR' || error instanceof SyntaxError) return null;
        throw error;
      }
    },
    async save(checkpoint) {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const target = file(checkpoint.name);
      const temporary = `${target}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(checkpoint), { mode: 0o600 });
      // Whatever stands in the file's place in the service's own folder (a folder) gives way.
      if ((await stat(target).catch(() => null))?.isDirectory())
        await rm(target, { recursive: true, force: true });
      await rename(temporary, target);
    },
  };
}

const macOf = (key: Uint8Array, checkpoint: UnsealedCheckpoint) =>
  createHmac('sha256', key)
    .update(
      canonicalJson({
        name: checkpoint.name,
        version: checkpoint.version,
        position: checkpoint.position,
        eventId: checkpoint.eventId,
        root: checkpoint.root,
        state: checkpoint.state,
      }),
    )
    .digest();

export function sealCheckpoint(key: Uint8Array, checkpoint: UnsealedCheckpoint): Checkpoint {
  return { ...checkpoint, mac: macOf(key, checkpoint).toString('hex') };
}

const Saved = z.object({
  name: z.string(),
  version: z.number(),
  position: z.number().int().min(0),
  eventId: z.string().nullable(),
  root: z.string().nullable(),
  state: z.unknown(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});

/** What the ledger holds at a position: its event id and Merkle root (null where absent). */
export type LedgerAt = (
  position: number,
) => Promise<{ eventId: string | null; root: string | null }>;

export type Opened =
  | { ok: true; checkpoint: Checkpoint }
  /** `stale`: a genuine checkpoint of an older projection version, an expected rebuild. */
  | { ok: false; reason: string; stale?: true };

/**
 * Checks a saved checkpoint against the key and the ledger: the reason it is refused, or the
 * checkpoint. Anything that parsed as JSON may come in (`null`, `{}`, another ledger's file).
 */
export async function openCheckpoint(
  key: Uint8Array,
  raw: unknown,
  expected: { name: string; version: number; head: number },
  ledgerAt: LedgerAt,
): Promise<Opened> {
  const parsed = Saved.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: 'malformed checkpoint' };
  const saved = parsed.data as Checkpoint;
  const { mac, ...unsealed } = saved;
  if (!timingSafeEqual(Buffer.from(mac, 'hex'), macOf(key, unsealed)))
    return { ok: false, reason: 'its MAC does not verify (changed, or sealed with another key)' };
  if (saved.name !== expected.name) return { ok: false, reason: `it is of ${saved.name}` };
  if (saved.version !== expected.version)
    return { ok: false, stale: true, reason: `version ${saved.version}, now ${expected.version}` };
  if (saved.position > expected.head)
    return {
      ok: false,
      reason: `position ${saved.position} is past the ledger's ${expected.head}`,
    };
  const at = await ledgerAt(saved.position);
  if (at.eventId !== saved.eventId || at.root !== saved.root)
    return { ok: false, reason: `the ledger at position ${saved.position} is another one` };
  return { ok: true, checkpoint: saved };
}
