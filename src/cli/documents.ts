/**
 * `ledger documents check <folder>`: the documents facts cite, compared with the SHA-256 the
 * ledger recorded for them. A document is the file `<folder>/<documentRef>`. Each document gets
 * its own verdict, whatever another one holds: a reference that would lead out of the folder is
 * refused, never opened; a symbolic link on the way is not followed (it could name any file the
 * auditor may read); a name no file system takes is unreadable.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { documentRefProblem } from '../domain/index.ts';
import type { RecordedEvent } from '../eventstore/port.ts';

export type DocumentState =
  | 'matches'
  | 'differs'
  | 'missing'
  | 'no-hash-recorded'
  /** The reference leads out of the folder (an absolute path, a ".." segment). */
  | 'refused'
  /** A symbolic link on the way to it: not followed. */
  | 'symlink'
  /** No file system takes the name (NUL, a segment over 255 bytes) or the file cannot be read. */
  | 'unreadable';

export interface DocumentCheck {
  documentRef: string;
  state: DocumentState;
  /** The hash the ledger holds, null when the fact cites the document without one. */
  recorded: string | null;
  /** The file's hash, null when there is no file. */
  found: string | null;
  eventId: string;
  position: number;
  type: string;
}

export async function checkDocuments(
  events: AsyncIterable<RecordedEvent>,
  folder: string,
): Promise<DocumentCheck[]> {
  const checks: DocumentCheck[] = [];
  for await (const event of events) {
    const data = event.data as { documentRef?: unknown; documentSha256?: unknown };
    if (typeof data.documentRef !== 'string') continue;
    const recorded = typeof data.documentSha256 === 'string' ? data.documentSha256 : null;
    const file = await documentFile(folder, data.documentRef);
    const found = typeof file === 'string' ? null : file.sha256;
    checks.push({
      documentRef: data.documentRef,
      state:
        typeof file === 'string'
          ? file
          : recorded === null
            ? 'no-hash-recorded'
            : found === recorded
              ? 'matches'
              : 'differs',
      recorded,
      found,
      eventId: event.eventId,
      position: event.position,
      type: event.type,
    });
  }
  return checks;
}

/** The document's hash, or why there is none to compare. */
async function documentFile(
  folder: string,
  documentRef: string,
): Promise<{ sha256: string } | 'missing' | 'refused' | 'symlink' | 'unreadable'> {
  if (documentRef.includes('\0')) return 'unreadable';
  const problem = documentRefProblem(documentRef);
  if (problem) return problem.includes('255 bytes') ? 'unreadable' : 'refused';
  try {
    // Each step from the folder down, without following a link: lstat sees the link itself.
    let path = folder;
    for (const segment of documentRef.split('/').filter((s) => s !== '' && s !== '.')) {
      path = join(path, segment);
      if ((await lstat(path)).isSymbolicLink()) return 'symlink';
    }
    if (!(await lstat(path)).isFile()) return 'missing';
    return {
      sha256: createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
  }
}
