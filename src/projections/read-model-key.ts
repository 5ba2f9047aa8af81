/**
 * The key that seals read-model checkpoints (HMAC-SHA256), kept beside the checkpoint signing
 * key in the server's private key folder. Anyone who can write the data folder but not read
 * this key cannot forge a checkpoint the server would load.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export const READ_MODEL_KEY_FILE = 'read-model-mac.key';

/** The server's key, created (0600, folder 0700) on first start. */
export function loadOrCreateReadModelKey(folder: string): Uint8Array {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const path = join(folder, READ_MODEL_KEY_FILE);
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      fchmodSync(fd, 0o600);
      writeSync(fd, randomBytes(32).toString('hex'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    // Another process created it first: use that one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readKey(path);
}

/** The key when this process can read it (the server's own machine); null on a copy without it. */
export function existingReadModelKey(folder: string): Uint8Array | null {
  const path = join(folder, READ_MODEL_KEY_FILE);
  try {
    return readKey(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') return null;
    throw error;
  }
}

function readKey(path: string): Uint8Array {
  if (process.platform !== 'win32') {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0)
      throw new Error(
        `${path} has mode 0${mode.toString(8)}: others may read the read-model key; chmod 600 it`,
      );
  }
  const hex = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${path} is not a 32-byte hex key`);
  return Buffer.from(hex, 'hex');
}
