import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

/**
 * API keys, held hashed in a credentials file. A key reads `lk_<id>_<secret>`: the id finds
 * its entry, the SHA-256 of the whole key is compared in constant time. Secrets are 32 random
 * bytes, so a fast hash is enough (no password stretching needed for keys no person chose).
 */
export const Role = z.enum(['recorder', 'auditor', 'admin']);
export type Role = z.infer<typeof Role>;

const StoredKey = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type StoredKey = z.infer<typeof StoredKey>;
const CredentialsFile = z.object({ version: z.literal(1), keys: z.array(StoredKey) });

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

export function readCredentials(path: string): StoredKey[] {
  const parsed = CredentialsFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new Error(`credentials file ${path} is not valid: ${parsed.error.message}`);
  return parsed.data.keys;
}

function writeCredentials(path: string, keys: StoredKey[]): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ version: 1, keys }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Adds a key and returns it in clear: the only moment it is ever shown. */
export function addKey(path: string, name: string, role: Role): { key: string; entry: StoredKey } {
  const keys = existsSync(path) ? readCredentials(path) : [];
  const id = randomUUID().slice(0, 8);
  const key = `lk_${id}_${randomBytes(32).toString('base64url')}`;
  const entry: StoredKey = {
    id,
    name,
    role,
    sha256: hash(key),
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  writeCredentials(path, [...keys, entry]);
  return { key, entry };
}

export function revokeKey(path: string, id: string): StoredKey {
  const keys = readCredentials(path);
  const entry = keys.find((k) => k.id === id);
  if (!entry) throw new Error(`no key with id ${id}`);
  if (entry.revokedAt) throw new Error(`key ${id} is already revoked`);
  entry.revokedAt = new Date().toISOString();
  writeCredentials(path, keys);
  return entry;
}

/**
 * Secure by default: on a first start with no credentials file, one recorder and one auditor
 * key are created; the caller prints them once.
 */
export function ensureCredentials(path: string): { key: string; entry: StoredKey }[] {
  if (existsSync(path)) return [];
  return [addKey(path, 'recorder', 'recorder'), addKey(path, 'auditor', 'auditor')];
}

/** Finds the principal a bearer key belongs to; null for an unknown, malformed or revoked key. */
export function authenticate(keys: readonly StoredKey[], key: string): Principal | null {
  const id = /^lk_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$/.exec(key)?.[1];
  const entry = id ? keys.find((k) => k.id === id && k.revokedAt === null) : undefined;
  if (!entry) return null;
  const matches = timingSafeEqual(Buffer.from(hash(key), 'hex'), Buffer.from(entry.sha256, 'hex'));
  return matches ? { keyId: entry.id, name: entry.name, role: entry.role } : null;
}
