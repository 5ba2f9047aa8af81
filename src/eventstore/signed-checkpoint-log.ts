/**
 * Signed checkpoint notes kept beside a store's events (the port's SignedCheckpointLog): in
 * memory for a memory store, in a JSON-lines file beside a SQLite ledger.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import type { SignedCheckpointLog } from './port.ts';

export function signedCheckpointsInMemory(): SignedCheckpointLog {
  const notes: string[] = [];
  return {
    notes: async (from = 0) => notes.slice(from),
    append: async (note) => {
      notes.push(note);
    },
  };
}

const NEWLINE = 0x0a;

/**
 * A JSON-lines file, one signed note (a JSON string) a line, each appended with O_APPEND in one
 * write and fsync'd before it is handed out. It is read on from where it was left whenever it
 * grew, so notes another process signed (`ledger checkpoint`) show up. A line a crash cut short
 * was never handed out: it does not parse and is skipped.
 */
export function signedCheckpointFile(path: string): SignedCheckpointLog {
  const notes: string[] = [];
  /** Bytes read so far, always up to a newline: a line being written is read once complete. */
  let offset = 0;

  function refresh(): void {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= offset) return;
      const bytes = Buffer.alloc(size - offset);
      let read = 0;
      while (read < bytes.length) {
        const n = readSync(fd, bytes, read, bytes.length - read, offset + read);
        if (n === 0) break;
        read += n;
      }
      const end = bytes.subarray(0, read).lastIndexOf(NEWLINE);
      if (end < 0) return;
      for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
        const note = parseLine(line);
        if (note !== undefined) notes.push(note);
      }
      offset += end + 1;
    } finally {
      closeSync(fd);
    }
  }

  return {
    async notes(from = 0) {
      refresh();
      return notes.slice(from);
    },
    async append(note) {
      const fd = openSync(path, 'a+', 0o644);
      try {
        // After a torn last line, start a new one rather than extend it.
        const size = fstatSync(fd).size;
        const last = Buffer.alloc(1);
        const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== NEWLINE;
        writeSync(fd, `${torn ? '\n' : ''}${JSON.stringify(note)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}

function parseLine(line: string): string | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
