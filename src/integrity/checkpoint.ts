/**
 * Signed checkpoints of the ledger's Merkle tree (docs/design.md §7) in the C2SP
 * `tlog-checkpoint` form: a signed note (c2sp.org/signed-note) whose text is the origin line,
 * the tree size in decimal and the base64 root hash, signed with Ed25519. Auditors check them
 * with verifyCheckpoint (src/verify.ts), given the verifier key or PEM this module exports.
 */

import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import {
  checkpointText,
  ed25519KeyId,
  isKeyName,
  type VerifiedCheckpoint,
  verifyCheckpoint,
  verifyConsistency,
} from '../verify.ts';

/** The files loadOrCreateSigningKey keeps in its folder. */
export const KEY_FILES = {
  /** PKCS #8 PEM, mode 0600. */
  privateKey: 'checkpoint-key.pem',
  /** SPKI PEM, for auditors. */
  publicKey: 'checkpoint-key.pub.pem',
  /** The signed-note verifier key, for auditors (`verifyCheckpoint`, Go's sumdb/note). */
  verifierKey: 'checkpoint-key.vkey',
} as const;

export interface CheckpointKey {
  /** The signed-note key name; by default also the checkpoint origin. */
  keyName: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SHA-256(key name || 0x0A || 0x01 || public key)[:4], prefixed to every signature. */
  keyId: Uint8Array;
  /** `<name>+<hex key ID>+<base64(0x01 || 32-byte public key)>`. */
  verifierKey: string;
  publicKeyPem: string;
}

/**
 * The Ed25519 key in `folder`, created on first use. The private key is written with mode 0600
 * in a folder created with mode 0700, through a temporary file and a hard link, so two
 * processes starting at once end up with the same key. A private key file that group or others
 * may read is refused, as ssh does. The public key is (re)written beside it as PEM and as a
 * verifier key, for handing to auditors.
 */
export function loadOrCreateSigningKey(folder: string, keyName: string): CheckpointKey {
  if (!isKeyName(keyName)) {
    throw new Error(`key name ${JSON.stringify(keyName)} is empty or has a space or "+"`);
  }
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const privatePath = join(folder, KEY_FILES.privateKey);
  createPrivateKeyFile(privatePath);
  if (process.platform !== 'win32') {
    const mode = statSync(privatePath).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new Error(
        `${privatePath} has mode 0${mode.toString(8)}: others may read the signing key; chmod 600 it`,
      );
    }
  }
  const privateKey = createPrivateKey(readFileSync(privatePath));
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${privatePath} is not an Ed25519 private key`);
  }
  const key = signingKey(privateKey, keyName);
  writeIfChanged(join(folder, KEY_FILES.publicKey), key.publicKeyPem);
  writeIfChanged(join(folder, KEY_FILES.verifierKey), `${key.verifierKey}\n`);
  return key;
}

/** A new Ed25519 key kept in memory only, for a ledger that is itself in memory. */
export function generateSigningKey(keyName: string): CheckpointKey {
  if (!isKeyName(keyName)) {
    throw new Error(`key name ${JSON.stringify(keyName)} is empty or has a space or "+"`);
  }
  return signingKey(generateKeyPairSync('ed25519').privateKey, keyName);
}

function signingKey(privateKey: KeyObject, keyName: string): CheckpointKey {
  const publicKey = createPublicKey(privateKey);
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const keyId = ed25519KeyId(keyName, raw);
  const typedKey = Buffer.concat([Buffer.from([0x01]), raw]).toString('base64');
  return {
    keyName,
    privateKey,
    publicKey,
    keyId,
    verifierKey: `${keyName}+${Buffer.from(keyId).toString('hex')}+${typedKey}`,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function createPrivateKeyFile(path: string): void {
  try {
    statSync(path);
    return;
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const temporary = `${path}.${randomUUID()}.tmp`;
  writeDurably(temporary, privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600);
  try {
    linkSync(temporary, path);
  } catch (error) {
    // Another process created it first: use theirs.
    if (!isErrno(error, 'EEXIST')) throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * Signs `text` as a signed note (c2sp.org/signed-note): the text, a blank line and one
 * signature line `— <key name> base64(key ID || Ed25519 signature)`. This is the bare
 * primitive; checkpoints go through createCheckpointSigner, which refuses inconsistent ones.
 */
export function signNote(text: string, key: CheckpointKey): string {
  if (text === '' || !text.endsWith('\n')) throw new Error('a note text ends in a newline');
  if (hasControlCharacter(text.replaceAll('\n', ''))) {
    throw new Error('a note text has no control character but newline');
  }
  const signature = sign(null, Buffer.from(text, 'utf8'), key.privateKey);
  const line = Buffer.concat([key.keyId, signature]).toString('base64');
  return `${text}\n\u2014 ${key.keyName} ${line}\n`;
}

/** Where the last checkpoint signed is kept, so no later one contradicts it across restarts. */
export interface LastCheckpointStore {
  load(): string | undefined | Promise<string | undefined>;
  save(note: string): void | Promise<void>;
}

export function lastCheckpointInMemory(): LastCheckpointStore {
  let last: string | undefined;
  return {
    load: () => last,
    save: (note) => {
      last = note;
    },
  };
}

/** A file holding the last signed note, replaced atomically (temporary file, fsync, rename). */
export function lastCheckpointFile(path: string): LastCheckpointStore {
  return {
    load() {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return undefined;
        throw error;
      }
    },
    save(note) {
      const temporary = `${path}.${randomUUID()}.tmp`;
      writeDurably(temporary, note, 0o600);
      renameSync(temporary, path);
      // The rename itself must survive a crash too.
      const directory = openSync(dirname(path), 'r');
      try {
        fsyncSync(directory);
      } finally {
        closeSync(directory);
      }
    },
  };
}

/** Signing would contradict the last checkpoint signed: no consistency proof can link them. */
export class InconsistentCheckpointError extends Error {
  override readonly name = 'InconsistentCheckpointError';
  /** The API's answer (api/plugins/errors.ts reads these; nothing there names this class). */
  readonly problemStatus = 500;
  readonly problemType = 'inconsistent-checkpoint';
  readonly problemTitle = 'Refusing to sign an inconsistent checkpoint';
  get problemDetail(): string {
    return `${this.message}: the stored tree no longer extends the last checkpoint signed`;
  }
}

export interface CheckpointSignerOptions {
  key: CheckpointKey;
  /** The checkpoint's first line; defaults to the key name, as c2sp.org/tlog-checkpoint advises. */
  origin?: string;
  /** The tree the checkpoints describe, for consistency proofs from the last signed size. */
  tree: { consistencyProof(size1: number, size2: number): Uint8Array[] | Promise<Uint8Array[]> };
  last: LastCheckpointStore;
}

export interface CheckpointSigner {
  readonly origin: string;
  /** The last checkpoint signed, checked against the key; undefined before the first. */
  last(): Promise<VerifiedCheckpoint | undefined>;
  /**
   * Signs the checkpoint of the tree at `treeSize` with root `rootHash`, records it as the last
   * one and returns the note. Throws InconsistentCheckpointError, signing nothing, when the
   * size is below the last one, the size is the same but the root is not, or the tree's
   * consistency proof from the last checkpoint does not verify against both roots.
   */
  sign(treeSize: number, rootHash: Uint8Array): Promise<string>;
}

export function createCheckpointSigner(options: CheckpointSignerOptions): CheckpointSigner {
  const { key, tree } = options;
  const origin = options.origin ?? key.keyName;
  if (origin === '' || hasControlCharacter(origin)) {
    throw new Error('a checkpoint origin is one non-empty line without control characters');
  }

  async function last(): Promise<VerifiedCheckpoint | undefined> {
    const note = await options.last.load();
    if (note === undefined) return undefined;
    let checkpoint: VerifiedCheckpoint;
    try {
      checkpoint = verifyCheckpoint(note, key.verifierKey);
    } catch (error) {
      throw new Error(`the last signed checkpoint does not verify with ${key.verifierKey}`, {
        cause: error,
      });
    }
    if (checkpoint.origin !== origin) {
      throw new Error(
        `the last signed checkpoint is of origin ${checkpoint.origin}, not ${origin}`,
      );
    }
    return checkpoint;
  }

  return {
    origin,
    last,
    async sign(treeSize, rootHash) {
      if (!Number.isSafeInteger(treeSize) || treeSize < 0) {
        throw new RangeError(`tree size ${treeSize} is not a non-negative integer`);
      }
      if (!(rootHash instanceof Uint8Array) || rootHash.length !== 32) {
        throw new TypeError('a root hash is 32 bytes');
      }
      const previous = await last();
      if (previous !== undefined) {
        const refuse = (why: string) =>
          new InconsistentCheckpointError(
            `refusing to sign tree size ${treeSize}: ${why} (last signed: size ${previous.treeSize})`,
          );
        if (treeSize < previous.treeSize) throw refuse('the tree would shrink');
        const proof =
          treeSize === previous.treeSize
            ? []
            : await tree.consistencyProof(previous.treeSize, treeSize);
        if (!verifyConsistency(previous.treeSize, treeSize, proof, previous.rootHash, rootHash)) {
          throw refuse(
            treeSize === previous.treeSize
              ? 'another root for the same size'
              : 'the consistency proof from the last checkpoint does not verify',
          );
        }
      }
      const note = signNote(checkpointText({ origin, treeSize, rootHash }), key);
      await options.last.save(note);
      return note;
    },
  };
}

function writeDurably(path: string, content: string | Buffer, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    fchmodSync(fd, mode); // exact, whatever the umask
    writeFileSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeIfChanged(path: string, content: string): void {
  try {
    if (readFileSync(path, 'utf8') === content) return;
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  writeFileSync(path, content, { mode: 0o644 });
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
