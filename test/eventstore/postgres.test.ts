/**
 * The PostgreSQL store against a real server (test/support/postgres-server.ts): the contract,
 * the global order no reader can see out of order, several stores (as several service
 * instances) on one database, migrations, and the loss of the server under load.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { readLedger, verifyLedger } from '../../src/eventstore/envelope.ts';
import { StoreUnavailableError } from '../../src/eventstore/errors.ts';
import type { EventStore, RecordedEvent } from '../../src/eventstore/port.ts';
import {
  POSTGRES_SCHEMA_VERSION,
  PostgresSchemaVersionError,
} from '../../src/eventstore/postgres/migrations.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres/store.ts';
import { postgresForSuite } from '../support/postgres-server.ts';
import { anEvent, describeEventStoreContract } from './contract.ts';

const server = await postgresForSuite();
afterAll(() => server?.destroy());

describe.skipIf(!server)('postgres event store', () => {
  const pgServer = server as NonNullable<typeof server>;
  let contractUrl: Promise<string> | undefined;

  describeEventStoreContract('postgres', async () => {
    contractUrl ??= pgServer.createLedgerDatabase();
    const url = await contractUrl;
    const store = await openPostgresEventStore(url);
    return {
      store,
      reopen: () => openPostgresEventStore(url),
      cleanup: () => store.close(),
    };
  });
});
