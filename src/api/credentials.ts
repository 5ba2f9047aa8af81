import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { lockSync } from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
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

/** A passphrase as scrypt (RFC 7914) left it: the parameters it was hashed with, salt and hash. */
const StoredPassphrase = z.object({
  scrypt: z.object({ N: z.int(), r: z.int(), p: z.int() }),
  salt: z.string(),
  hash: z.string(),
  setAt: z.string(),
});
export type StoredPassphrase = z.infer<typeof StoredPassphrase>;

/**
 * A person who signs (docs/design.md "Signatures"): the printed name and email a signature shows,
 * the API keys they use (the first identification component) and their signing passphrase (the
 * second), with the wrong attempts counted since the last right one.
 */
const StoredPerson = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  keyIds: z.array(z.string()),
  passphrase: StoredPassphrase.nullable(),
  failedAttempts: z.int().min(0),
  lockedAt: z.string().nullable(),
  createdAt: z.string(),
});
export type StoredPerson = z.infer<typeof StoredPerson>;

const CredentialsFile = z.object({
  version: z.literal(1),
  keys: z.array(StoredKey),
  people: z.array(StoredPerson).default([]),
});
export type Credentials = z.infer<typeof CredentialsFile>;

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

/** The credentials file is missing, unreadable or not a credentials file; the message is one line. */
export class CredentialsFileError extends Error {
  override readonly name = 'CredentialsFileError';
}

/** A key id the credentials file does not hold (`compliance-ledger keys revoke`: exit 3). */
export class UnknownKeyError extends Error {
  override readonly name = 'UnknownKeyError';
}

/** `ledger keys add` with a name another key (active or revoked) already has. */
export class DuplicateKeyNameError extends Error {
  override readonly name = 'DuplicateKeyNameError';
}

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

export function readCredentials(path: string): StoredKey[] {
  return readCredentialsFile(path).keys;
}

/** The whole credentials file: keys and people. */
export function readCredentialsFile(path: string): Credentials {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CredentialsFileError(
      code === 'ENOENT'
        ? `credentials file ${path} does not exist`
        : `credentials file ${path} cannot be read (${code})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredentialsFileError(`credentials file ${path} is not JSON`);
  }
  const parsed = CredentialsFile.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new CredentialsFileError(
      `credentials file ${path} is not valid: ${issue?.path.join('.') || 'file'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** How long a `ledger keys` waits for another one to finish with the file. */
const LOCK_WAIT_MS = 15_000;
/** A lock not refreshed for this long was left by a process that died: it is taken over. */
const LOCK_STALE_MS = 5_000;

/**
 * Read-modify-write of the credentials file under an exclusive lock (`<file>.lock`, held by
 * proper-lockfile), so concurrent `ledger keys` runs never lose one another's change. The new
 * file replaces the old atomically (a reader sees one or the other, never a part) and durably
 * (file and folder fsynced before the lock is released). A missing file counts as no keys.
 */
function updateCredentials<T>(path: string, change: (keys: StoredKey[]) => T): T {
  return updateCredentialsFile(path, (file) => change(file.keys));
}

/** updateCredentials over the whole file, people included (src/api/people.ts). */
export function updateCredentialsFile<T>(path: string, change: (file: Credentials) => T): T {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const release = acquireLock(path);
  try {
    const file = readCredentialsOrNone(path);
    const result = change(file);
    // Without people the file keeps the shape it had before people were kept in it.
    const { people, ...rest } = file;
    const text = JSON.stringify(people.length > 0 ? file : rest, null, 2);
    writeFileAtomic.sync(path, `${text}\n`, {
      mode: 0o600,
      fsync: true,
    });
    fsyncFolder(dirname(path));
    return result;
  } finally {
    release();
  }
}

/** proper-lockfile's lockSync does not wait: retried here, with a short random pause. */
function acquireLock(path: string): () => void {
  const deadline = Date.now() + LOCK_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return lockSync(path, { realpath: false, stale: LOCK_STALE_MS });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() > deadline)
        throw new CredentialsFileError(
          `credentials file ${path} cannot be locked: ${(error as Error).message}`,
        );
      Atomics.wait(pause, 0, 0, 5 + Math.random() * 20);
    }
  }
}

const readCredentialsOrNone = (path: string): Credentials =>
  existsSync(path) ? readCredentialsFile(path) : { version: 1, keys: [], people: [] };

/** A rename is durable once the folder holding it is on disk. */
function fsyncFolder(folder: string): void {
  const fd = openSync(folder, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function newKey(name: string, role: Role): { key: string; entry: StoredKey } {
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
  return { key, entry };
}

/**
 * Adds a key and returns it in clear: the only moment it is ever shown. Names are unique in
 * the file, revoked keys included: `recordedBy` keeps a name in the ledger for good, and it
 * should name one key's holder.
 */
export function addKey(path: string, name: string, role: Role): { key: string; entry: StoredKey } {
  return updateCredentials(path, (keys) => {
    const same = keys.find((k) => k.name === name);
    if (same)
      throw new DuplicateKeyNameError(
        `a key named ${name} exists already (id ${same.id}${same.revokedAt ? ', revoked' : ''}); key names are unique`,
      );
    const created = newKey(name, role);
    keys.push(created.entry);
    return created;
  });
}

export function revokeKey(path: string, id: string): StoredKey {
  return updateCredentials(path, (keys) => {
    const entry = keys.find((k) => k.id === id);
    if (!entry) throw new UnknownKeyError(`no key with id ${id}`);
    if (entry.revokedAt) throw new Error(`key ${id} is already revoked`);
    entry.revokedAt = new Date().toISOString();
    return entry;
  });
}

/**
 * Secure by default: on a first start with no credentials file, one recorder and one auditor
 * key are created; the caller hands them over once (src/api/first-start-keys.ts).
 */
export function ensureCredentials(path: string): { key: string; entry: StoredKey }[] {
  // An existing file is only read (it may be mounted read only); the server checks it.
  if (existsSync(path)) return [];
  return updateCredentials(path, (keys) => {
    // Another process may have created it meanwhile.
    if (keys.length > 0) return [];
    const created = [newKey('recorder', 'recorder'), newKey('auditor', 'auditor')];
    keys.push(...created.map((c) => c.entry));
    return created;
  });
}

/** Finds the principal a bearer key belongs to; null for an unknown, malformed or revoked key. */
export function authenticate(keys: readonly StoredKey[], key: string): Principal | null {
  const id = /^lk_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$/.exec(key)?.[1];
  const entry = id ? keys.find((k) => k.id === id && k.revokedAt === null) : undefined;
  if (!entry) return null;
  const matches = timingSafeEqual(Buffer.from(hash(key), 'hex'), Buffer.from(entry.sha256, 'hex'));
  return matches ? { keyId: entry.id, name: entry.name, role: entry.role } : null;
}
