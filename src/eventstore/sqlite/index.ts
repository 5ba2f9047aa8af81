/** The SQLite adapter: what the rest of the code base may use. */
export type { CommittedBatch } from '../append-queue.ts';
export { BackupTargetExistsError, backupSqliteLedger } from './backup.ts';
/** The SQLite driver for this Node, for other tables kept in the ledger's file (the alert outbox). */
export { default as SqliteDatabase } from './driver.ts';
export { LedgerSchemaVersionError, SQLITE_SCHEMA_VERSION } from './migrations/index.ts';
export {
  LedgerFileMissingError,
  openSqliteEventStore,
  type SqliteEventStoreOptions,
} from './store.ts';
export { sqliteMerkleStorage } from './tree-storage.ts';
