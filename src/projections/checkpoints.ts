import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../core/canonical-json.ts';

/**
 * A projection's state as of a position, bound to the ledger it was built from: its first entry,
 * the event at `position` and the Merkle root of the tree of that size, and a MAC over all of it
 * with a key only the server holds. A checkpoint is a cache: one that does not check is rebuilt
 * from the events. But one the server sealed for this very ledger that no longer matches it is
 * evidence that the ledger was rewritten or cut (docs/design.md §7.3).
 */
export interface Checkpoint {
  name: string;
  version: number;
  position: number;
  /** The ledger: the Merkle root of its first entry, else that entry's id; null while empty. */
  ledger: string | null;
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
        ledger: checkpoint.ledger,
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
  ledger: z.string().nullable(),
  eventId: z.string().nullable(),
  root: z.string().nullable(),
  state: z.unknown(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});

/** What the ledger holds at a position: its first entry, event id and Merkle root (or null). */
export type LedgerAt = (
  position: number,
) => Promise<{ ledger: string | null; eventId: string | null; root: string | null }>;

export type Opened =
  | { ok: true; checkpoint: Checkpoint }
  /**
   * `stale`: a genuine checkpoint of an older projection version, an expected rebuild.
   * `rewritten`: sealed by the server for this ledger, which no longer holds what it did.
   */
  | { ok: false; reason: string; stale?: true; rewritten?: true };

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
  const now = await ledgerAt(Math.min(saved.position, expected.head));
  // Another first entry is another ledger: a cache miss. The same one is this ledger, changed.
  const same = saved.ledger !== null && saved.ledger === now.ledger;
  const evidence = same ? { rewritten: true as const } : {};
  if (saved.position > expected.head)
    return {
      ok: false,
      reason: `position ${saved.position} is past the ledger's ${expected.head}`,
      ...evidence,
    };
  if (now.eventId !== saved.eventId || now.root !== saved.root)
    return {
      ok: false,
      reason: `the ledger at position ${saved.position} is ${same ? 'not the one sealed' : 'another one'}`,
      ...evidence,
    };
  return { ok: true, checkpoint: saved };
}
