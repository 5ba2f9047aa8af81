/**
 * Versioned schema of a PostgreSQL ledger. `ledger_schema.version` counts the steps applied;
 * a database of a newer build is refused, never touched. Every step runs in one transaction under
 * an advisory lock, so instances starting together migrate once. Nothing needs superuser rights:
 * the role needs only CREATE on its schema (owning the database gives it).
 */
import type pg from 'pg';
import { LOCK } from './locks.ts';

/** The database was written by a newer build; using it could corrupt it. */
export class PostgresSchemaVersionError extends Error {
  override readonly name = 'PostgresSchemaVersionError';
  constructor(
    readonly databaseVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `the ledger database has schema version ${databaseVersion}, but this build knows only up to ${knownVersion}: upgrade the application`,
    );
  }
}

/** Append, never edit. */
const migrations: readonly string[] = [
  `
  -- data and metadata are json, not jsonb: json keeps the exact canonical text that was hashed.
  CREATE TABLE events (
    position bigint PRIMARY KEY CHECK (position >= 1),
    stream text NOT NULL,
    revision integer NOT NULL CHECK (revision >= 0),
    event_id text NOT NULL UNIQUE,
    type text NOT NULL,
    data json NOT NULL,
    metadata json NOT NULL,
    UNIQUE (stream, revision)
  );
  -- Node (level, idx) of the RFC 6962 tree: the perfect subtree over leaves
  -- [idx * 2^level, (idx + 1) * 2^level); level 0 holds the leaf hashes.
  CREATE TABLE merkle_nodes (
    level smallint NOT NULL CHECK (level >= 0),
    idx bigint NOT NULL CHECK (idx >= 0),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
  );
  CREATE TABLE signed_checkpoints (
    idx bigint PRIMARY KEY CHECK (idx >= 0),
    note text NOT NULL
  );
  `,
  // Witnesses' cosignatures of the kept checkpoints (docs/design.md, "Witnesses").
  `
  CREATE TABLE checkpoint_cosignatures (
    idx bigint PRIMARY KEY CHECK (idx >= 0),
    tree_size bigint NOT NULL CHECK (tree_size >= 0),
    line text NOT NULL
  );
  `,
  `
  -- RFC 3161 timestamp tokens of checkpoints, keyed by SHA-256 (hex) of the checkpoint text.
  CREATE TABLE checkpoint_timestamps (
    imprint text PRIMARY KEY CHECK (imprint ~ '^[0-9a-f]{64}$'),
    token bytea NOT NULL
  );
  `,
];

export const POSTGRES_SCHEMA_VERSION = migrations.length;

export async function migrate(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCK.migrations]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ledger_schema (
         single boolean PRIMARY KEY DEFAULT true CHECK (single),
         version integer NOT NULL
       )`,
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM ledger_schema');
    const version = rows[0]?.version ?? 0;
    if (version > migrations.length) {
      throw new PostgresSchemaVersionError(version, migrations.length);
    }
    for (const step of migrations.slice(version)) await client.query(step);
    await client.query(
      `INSERT INTO ledger_schema (version) VALUES ($1)
       ON CONFLICT (single) DO UPDATE SET version = excluded.version`,
      [migrations.length],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
