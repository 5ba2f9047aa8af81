/**
 * The stores every integrity suite runs on, as the contract suite does: one suite written once,
 * instantiated per store with `describe.each(await ledgerStores(folder))`. Memory, SQLite,
 * PostgreSQL (a real server, started once per file; skipped with the reason printed unless
 * LEDGER_REQUIRE_POSTGRES=1) and the KurrentDB double (test/eventstore/esdb-fake.ts).
 */
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createEsdbEventStore } from '../../src/eventstore/esdb/index.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres/store.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import { FakeEsdbServer } from '../eventstore/esdb-fake.ts';
import { type PostgresServer, postgresForSuite } from '../support/postgres-server.ts';

export interface OpenedLedger {
  store: EventStore;
  /**
   * Another store on the same ledger, as a second service instance opens it (memory has no
   * other: the same store again).
   */
  another(): Promise<EventStore>;
}

export interface LedgerStore {
  kind: string;
  /** A new, empty ledger; `name` tells ledgers of one test apart. */
  open(name: string): Promise<OpenedLedger>;
}

export const esdbOptions = { retry: { baseDelayMs: 1, maxDelayMs: 5 } };

/**
 * The four stores; `folder` is the test's temporary folder (for SQLite files). Call at the top
 * level of a test file: it starts the PostgreSQL server and stops it after the file.
 */
export async function ledgerStores(folder: () => string): Promise<[string, LedgerStore][]> {
  const pg = await postgresForSuite();
  afterAll(() => pg?.destroy());
  const stores: LedgerStore[] = [
    {
      kind: 'memory',
      open: async () => {
        const store = openMemoryEventStore();
        return { store, another: async () => store };
      },
    },
    {
      kind: 'sqlite',
      open: async (name) => {
        const path = join(folder(), `${name}.sqlite`);
        return {
          store: openSqliteEventStore(path),
          another: async () => openSqliteEventStore(path),
        };
      },
    },
    ...(pg ? [postgres(pg)] : []),
    {
      kind: 'esdb (the KurrentDB double)',
      open: async () => {
        const server = new FakeEsdbServer();
        const open = async () => createEsdbEventStore(server.client(), esdbOptions);
        return { store: await open(), another: open };
      },
    },
  ];
  return stores.map((store) => [store.kind, store]);
}

function postgres(server: PostgresServer): LedgerStore {
  return {
    kind: 'postgres',
    open: async () => {
      const url = await server.createLedgerDatabase();
      return {
        store: await openPostgresEventStore(url),
        another: () => openPostgresEventStore(url),
      };
    },
  };
}

/** Closes each store once (memory's `another` is the store itself). */
export async function closeAll(stores: readonly EventStore[]): Promise<void> {
  await Promise.all([...new Set(stores)].map((store) => store.close()));
}
