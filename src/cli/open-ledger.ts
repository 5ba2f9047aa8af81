import { DEFAULT_STORE_URL, openEventStore, sqlitePath } from '../eventstore/open.ts';
import type { EventStore } from '../eventstore/port.ts';
import { fileCheckpointStore } from '../projections/checkpoints.ts';
import {
  type LedgerQueries,
  ledgerProjections,
  ledgerQueries,
} from '../projections/ledger-queries.ts';
import { existingReadModelKey } from '../projections/read-model-key.ts';
import { type ProjectionRuntime, startProjections } from '../projections/runtime.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { defaultKeyDir } from './integrity.ts';

/**
 * The store a `--store` URL names (same syntax and default as the server's LEDGER_STORE).
 * `readOnly` (every command that only reads) creates nothing: a missing file is an error.
 */
export async function openStore(
  url: string = process.env.LEDGER_STORE ?? DEFAULT_STORE_URL,
  options: { readOnly?: boolean } = {},
): Promise<EventStore> {
  try {
    return await openEventStore(url, options);
  } catch (error) {
    throw new CliError(EXIT.failure, `cannot open store ${url}: ${(error as Error).message}`);
  }
}

/**
 * Opens the store read-only and its projections for one query. The server's read-model
 * checkpoints are used only when the server's read-model key is readable here (its own
 * machine); on a copy without it every read model is rebuilt from the events. Nothing is saved.
 */
export async function withLedger<T>(
  url: string,
  use: (ledger: {
    store: EventStore;
    queries: LedgerQueries;
    projections: ProjectionRuntime;
  }) => Promise<T>,
): Promise<T> {
  const store = await openStore(url, { readOnly: true });
  try {
    const path = sqlitePath(url);
    const key = path === null ? null : existingReadModelKey(defaultKeyDir());
    const projections = await startProjections(
      store,
      ledgerProjections,
      path && key
        ? {
            checkpoints: { store: fileCheckpointStore(`${path}.projections`), key, readOnly: true },
          }
        : {},
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
