import { randomBytes, randomUUID, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  readCredentialsFile,
  type StoredPassphrase,
  type StoredPerson,
  updateCredentialsFile,
} from './credentials.ts';

/**
 * People who sign (docs/design.md "Signatures"), kept in the credentials file beside the keys.
 * The signing passphrase is held only as an scrypt hash (memory-hard, so a stolen file does not
 * give passphrases cheaply); a person is locked after MAX_FAILED_ATTEMPTS wrong ones in a row,
 * until an admin sets a new passphrase.
 */
export const MAX_FAILED_ATTEMPTS = 5;
export const MIN_PASSPHRASE_LENGTH = 12;

/** OWASP's scrypt floor: N = 2^17, r = 8, p = 1 (128 MiB, a fraction of a second). */
const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

/** A request about people the file cannot satisfy; the message is one line for the user. */
export class PersonError extends Error {
  override readonly name = 'PersonError';
  constructor(
    readonly reason: 'unknown' | 'conflict' | 'locked' | 'wrong-passphrase' | 'no-passphrase',
    message: string,
  ) {
    super(message);
  }
}

/** A person as shown: never the passphrase hash. */
export type PersonView = Omit<StoredPerson, 'passphrase'> & { passphraseSetAt: string | null };

export const viewOf = ({ passphrase, ...person }: StoredPerson): PersonView => ({
  ...person,
  passphraseSetAt: passphrase?.setAt ?? null,
});

export function listPeople(path: string): PersonView[] {
  return readCredentialsFile(path).people.map(viewOf);
}

export function addPerson(
  path: string,
  person: { name: string; email: string; keyIds: string[] },
): PersonView {
  return updateCredentialsFile(path, (file) => {
    for (const keyId of person.keyIds) {
      if (!file.keys.some((k) => k.id === keyId))
        throw new PersonError('unknown', `no API key with id ${keyId}`);
      const holder = file.people.find((p) => p.keyIds.includes(keyId));
      if (holder)
        throw new PersonError('conflict', `key ${keyId} belongs to ${holder.name} already`);
    }
    if (file.people.some((p) => p.email === person.email))
      throw new PersonError('conflict', `a person with email ${person.email} exists already`);
    const entry: StoredPerson = {
      id: randomUUID().slice(0, 8),
      ...person,
      passphrase: null,
      failedAttempts: 0,
      lockedAt: null,
      createdAt: new Date().toISOString(),
    };
    file.people.push(entry);
    return viewOf(entry);
  });
}

/** The person an API key belongs to, or null. */
export function personOfKey(path: string, keyId: string): StoredPerson | null {
  return readCredentialsFile(path).people.find((p) => p.keyIds.includes(keyId)) ?? null;
}

/**
 * The printed name of each API key's person, for the audit trail: none when the credentials
 * file is absent (a ledger read without the server's keys).
 */
export function printedNames(path: string): (keyId: string) => string | null {
  if (!existsSync(path)) return () => null;
  const names = new Map<string, string>();
  for (const p of readCredentialsFile(path).people) for (const k of p.keyIds) names.set(k, p.name);
  return (keyId) => names.get(keyId) ?? null;
}

/** An admin sets (or resets) a person's passphrase: it unlocks them and clears the count. */
export async function setPassphrase(
  path: string,
  personId: string,
  passphrase: string,
): Promise<PersonView> {
  const hashed = await hashPassphrase(passphrase);
  return updateCredentialsFile(path, (file) => {
    const person = find(file.people, personId);
    Object.assign(person, { passphrase: hashed, failedAttempts: 0, lockedAt: null });
    return viewOf(person);
  });
}

/** The person changes their own passphrase, proving the current one (a wrong one is counted). */
export async function changePassphrase(
  path: string,
  personId: string,
  current: string,
  next: string,
): Promise<PersonView> {
  await checkPassphrase(path, personId, current);
  const hashed = await hashPassphrase(next);
  return updateCredentialsFile(path, (file) => {
    const person = find(file.people, personId);
    Object.assign(person, { passphrase: hashed });
    return viewOf(person);
  });
}

/**
 * The second identification component (11.200(a)(1)): resolves when `passphrase` is the person's,
 * resetting the count of wrong attempts; throws PersonError otherwise, having counted the
 * attempt and locked the person at the limit. A locked person is refused even with the right one.
 */
export async function checkPassphrase(
  path: string,
  personId: string,
  passphrase: string,
): Promise<StoredPerson> {
  const before = find(readCredentialsFile(path).people, personId);
  refuseLocked(before);
  const stored = before.passphrase;
  if (stored === null)
    throw new PersonError('no-passphrase', `${before.name} has no signing passphrase set yet`);
  const right = await matches(stored, passphrase);
  // The count is written before the refusal is thrown: a throw inside the update writes nothing.
  const after = updateCredentialsFile(path, (file) => {
    const person = find(file.people, personId);
    // Locked meanwhile (attempts in parallel), or the passphrase was reset: decide on what is now.
    if (person.lockedAt !== null) return structuredClone(person);
    if (right && person.passphrase?.hash === stored.hash) person.failedAttempts = 0;
    else {
      person.failedAttempts += 1;
      if (person.failedAttempts >= MAX_FAILED_ATTEMPTS) person.lockedAt = new Date().toISOString();
    }
    return structuredClone(person);
  });
  if (after.failedAttempts === 0 && after.lockedAt === null) return after;
  if (after.lockedAt !== null && right) refuseLocked(after);
  const left = MAX_FAILED_ATTEMPTS - after.failedAttempts;
  throw new PersonError(
    'wrong-passphrase',
    left > 0
      ? `the signing passphrase is wrong; ${left} more wrong attempt${left === 1 ? '' : 's'} lock signing for ${after.name}`
      : `the signing passphrase is wrong; signing is now locked for ${after.name} until an admin sets a new one`,
  );
}

function refuseLocked(person: StoredPerson): void {
  if (person.lockedAt !== null)
    throw new PersonError(
      'locked',
      `signing is locked for ${person.name} since ${person.lockedAt} after ${MAX_FAILED_ATTEMPTS} wrong passphrases; an admin must set a new one`,
    );
}

function find(people: StoredPerson[], personId: string): StoredPerson {
  const person = people.find((p) => p.id === personId);
  if (!person) throw new PersonError('unknown', `no person with id ${personId}`);
  return person;
}

async function hashPassphrase(passphrase: string): Promise<StoredPassphrase> {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH)
    throw new PersonError(
      'conflict',
      `a signing passphrase has at least ${MIN_PASSPHRASE_LENGTH} characters`,
    );
  const salt = randomBytes(16);
  const hash = await derive(passphrase, salt, SCRYPT);
  return {
    scrypt: { ...SCRYPT },
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
    setAt: new Date().toISOString(),
  };
}

async function matches(stored: StoredPassphrase, passphrase: string): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await derive(passphrase, Buffer.from(stored.salt, 'base64'), stored.scrypt);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function derive(passphrase: string, salt: Buffer, cost: { N: number; r: number; p: number }) {
  const options: ScryptOptions = { ...cost, maxmem: 2 * 128 * cost.N * cost.r + 1024 * 1024 };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), salt, KEY_BYTES, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}
