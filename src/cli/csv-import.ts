/** `compliance-ledger import-csv`: records the rows csv-records.ts reads, all of them or none. */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { handleProgramCommand, handleSpecificationCommand } from '../commands/handle-command.ts';
import { IdempotencyKeyReusedError } from '../commands/idempotency.ts';
import { DomainError } from '../domain/index.ts';
import { openMemoryEventStore } from '../eventstore/memory.ts';
import type { EventStore } from '../eventstore/port.ts';
import { CSV_FILES, type CsvFile, type CsvRecord } from './csv-records.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** What an import did: rows read, events recorded, rows already on record from an earlier run. */
export interface CsvImport {
  rows: number;
  recorded: number;
  alreadyRecorded: number;
}

/** The writer the rows are recorded as; it also scopes their idempotency keys. */
const RECORDED_BY = 'import-csv';

/** The files `paths` name: each a file with one of the fixed names, or a folder holding some. */
export function csvFilesOf(paths: readonly string[]): Map<CsvFile, string> {
  const files = new Map<CsvFile, string>();
  const add = (path: string) => {
    const name = basename(path) as CsvFile;
    if (!CSV_FILES.includes(name))
      throw new CliError(
        EXIT.usage,
        `${path}: not a file import-csv knows; name it one of ${CSV_FILES.join(', ')}`,
      );
    files.set(name, path);
  };
  for (const path of paths) {
    let folder: boolean;
    try {
      folder = statSync(path).isDirectory();
    } catch (error) {
      throw new CliError(EXIT.usage, `cannot read ${path}: ${(error as Error).message}`);
    }
    if (!folder) add(path);
    else
      for (const name of readdirSync(path))
        if ((CSV_FILES as readonly string[]).includes(name)) add(join(path, name));
  }
  if (files.size === 0)
    throw new CliError(EXIT.usage, `no CSV file found; import-csv reads ${CSV_FILES.join(', ')}`);
  return files;
}

/**
 * Records the rows into a copy of the ledger in memory, through the same command handlers: the
 * first refusal names its file and line, and nothing has reached the store. What passes here is
 * then recorded by `recordAll`, so an import is all of its rows or none.
 */
export async function rehearse(store: EventStore, records: readonly CsvRecord[]): Promise<void> {
  const copy = openMemoryEventStore();
  try {
    await copy.importRecorded?.(await store.readAll());
    await recordAll(copy, records);
  } finally {
    await copy.close();
  }
}

/**
 * Records every row's command through the service's command handlers. A row recorded before
 * (the same key, the same content) is answered from the ledger and records nothing again.
 */
export async function recordAll(
  store: EventStore,
  records: readonly CsvRecord[],
): Promise<CsvImport> {
  const done: CsvImport = { rows: records.length, recorded: 0, alreadyRecorded: 0 };
  for (const record of records) {
    const context = { recordedBy: RECORDED_BY, idempotencyKey: record.key };
    let result: Awaited<ReturnType<typeof handleProgramCommand>>;
    try {
      result =
        record.aggregate === 'program'
          ? await handleProgramCommand(store, record.id, record.command, context)
          : await handleSpecificationCommand(store, record.id, record.command, context);
    } catch (error) {
      if (error instanceof IdempotencyKeyReusedError)
        throw new CliError(
          EXIT.refused,
          `${record.where}: this row was imported before with other content; a record is corrected by retracting it, not by importing it again`,
        );
      if (error instanceof DomainError)
        throw new CliError(EXIT.refused, `${record.where}: ${error.message}`);
      throw error;
    }
    if (result.replayed || result.events.length === 0) done.alreadyRecorded++;
    else done.recorded += result.events.length;
  }
  return done;
}
