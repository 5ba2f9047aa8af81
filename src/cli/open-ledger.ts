import { DEFAULT_STORE_URL, openEventStore, sqlitePath } from '../eventstore/open.ts';
import type { EventStore } from '../eventstore/port.ts';
import { fileCheckpointStore } from '../projections/checkpoints.ts';
import {
  type LedgerQueries,
  ledgerProjections,
  ledgerQueries,
} from '../projections/ledger-queries.ts';
import { type ProjectionRuntime, startProjections } from '../projections/runtime.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** The store a `--store` URL names (same syntax and default as the server's LEDGER_STORE). */
export async function openStore(
  url: string = process.env.LEDGER_STORE ?? DEFAULT_STORE_URL,
): Promise<EventStore> {
  try {
    return await openEventStore(url);
  } catch (error) {
    throw new CliError(EXIT.failure, `cannot open store ${url}: ${(error as Error).message}`);
  }
}

/** Opens the store and its projections (resuming from the server's checkpoints) for one query. */
export async function withLedger<T>(
  url: string,
  use: (ledger: {
    store: EventStore;
    queries: LedgerQueries;
    projections: ProjectionRuntime;
  }) => Promise<T>,
): Promise<T> {
  const store = await openStore(url);
  try {
    const path = sqlitePath(url);
    const projections = await startProjections(
      store,
      ledgerProjections,
      path ? { checkpoints: fileCheckpointStore(`${path}.projections`) } : {},
    );
    try {
      return await use({ store, projections, queries: ledgerQueries(store, projections) });
    } finally {
      await projections.close();
    }
  } finally {
    await store.close();
  }
}
