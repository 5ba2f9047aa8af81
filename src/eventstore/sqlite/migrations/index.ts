/** The SQLite ledger's schema steps; the file's `PRAGMA user_version` counts those applied. */
import type Database from 'better-sqlite3';
import { createEvents } from './001-events.ts';
import { createMerkleNodes } from './002-merkle-nodes.ts';
import { createSignedCheckpoints } from './003-signed-checkpoints.ts';
import { createCheckpointCosignatures } from './004-checkpoint-cosignatures.ts';
import { createCheckpointTimestamps } from './005-checkpoint-timestamps.ts';

/** One file per version, in order. Append, never edit. A step gets the file's path too, for side files it takes in. */
const migrations: readonly ((db: Database.Database, path: string) => void)[] = [
  createEvents,
  createMerkleNodes,
  createSignedCheckpoints,
  createCheckpointCosignatures,
  createCheckpointTimestamps,
];

export const SQLITE_SCHEMA_VERSION = migrations.length;

/** The file was written by a newer build; opening it could corrupt it. */
export class LedgerSchemaVersionError extends Error {
  override readonly name = 'LedgerSchemaVersionError';
  constructor(
    readonly path: string,
    readonly fileVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `ledger ${path} has schema version ${fileVersion}, but this build knows only up to ${knownVersion}: upgrade the application`,
    );
  }
}

/** Brings the file up to SQLITE_SCHEMA_VERSION in one transaction; refuses a newer file. */
export function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > migrations.length) {
      throw new LedgerSchemaVersionError(path, version, migrations.length);
    }
    for (const step of migrations.slice(version)) step(db, path);
    if (version < migrations.length) db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}

/** A read-only open takes the file as it is: only this build's schema can be read. */
export function checkSchemaVersion(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > migrations.length)
    throw new LedgerSchemaVersionError(path, version, migrations.length);
  if (version < migrations.length)
    throw new Error(
      `ledger ${path} has schema version ${version}; open it once with the server (or a writing command) to upgrade it`,
    );
}
