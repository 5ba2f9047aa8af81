/**
 * `ledger documents check <folder>`: the documents facts cite, compared with the SHA-256 the
 * ledger recorded for them. A document is the file `<folder>/<documentRef>`; a reference that
 * would lead out of the folder is never opened.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import type { RecordedEvent } from '../eventstore/port.ts';

export type DocumentState = 'matches' | 'differs' | 'missing' | 'no-hash-recorded';

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
    const found = await sha256Of(folder, data.documentRef);
    checks.push({
      documentRef: data.documentRef,
      state:
        found === null
          ? 'missing'
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

async function sha256Of(folder: string, documentRef: string): Promise<string | null> {
  const relative = normalize(documentRef);
  if (isAbsolute(relative) || relative.startsWith('..')) return null;
  try {
    return createHash('sha256')
      .update(await readFile(join(folder, relative)))
      .digest('hex');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
    throw error;
  }
}
