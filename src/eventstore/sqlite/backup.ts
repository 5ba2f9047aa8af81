/**
 * A consistent copy of a SQLite ledger, taken while the service may be writing to it: SQLite's
 * online backup API copies the pages of one read snapshot (the `-wal` file's commits included),
 * where `cp ledger.sqlite` copies a main file whose recent commits are still in the `-wal`.
 */
import { closeSync, openSync } from 'node:fs';
import Database from './driver.ts';

export class BackupTargetExistsError extends Error {
  override readonly name = 'BackupTargetExistsError';
}

/** Copies the ledger at `path` to `out`, a new file of mode 0600 (as private as the ledger). */
export async function backupSqliteLedger(path: string, out: string): Promise<{ pages: number }> {
  const source = new Database(path, { readonly: true, fileMustExist: true });
  try {
    try {
      closeSync(openSync(out, 'wx', 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new BackupTargetExistsError(
          `${out} already exists; a backup never overwrites a file`,
        );
      throw error;
    }
    const { totalPages } = await source.backup(out);
    return { pages: totalPages };
  } finally {
    source.close();
  }
}
