import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { openEventStore } from '../../eventstore/open.ts';
import type { EventStore } from '../../eventstore/port.ts';
import { fileCheckpointStore } from '../../projections/checkpoints.ts';
import {
  type LedgerQueries,
  ledgerProjections,
  ledgerQueries,
} from '../../projections/ledger-queries.ts';
import { type ProjectionRuntime, startProjections } from '../../projections/runtime.ts';

export interface Ledger {
  store: EventStore;
  projections: ProjectionRuntime;
  queries: LedgerQueries;
}

declare module 'fastify' {
  interface FastifyInstance {
    ledger: Ledger;
  }
}

/**
 * Opens the store the URL names, starts the projections (with checkpoints beside a SQLite
 * file), and closes both after the server stopped taking requests, so in-flight appends finish.
 */
export const ledgerPlugin = fp(async (app: FastifyInstance, options: { storeUrl: string }) => {
  const store = await openEventStore(options.storeUrl);
  const sqlitePath = options.storeUrl.startsWith('sqlite:')
    ? options.storeUrl.slice('sqlite:'.length) || './data/ledger.sqlite'
    : null;
  let projections: ProjectionRuntime;
  try {
    projections = await startProjections(store, ledgerProjections, {
      ...(sqlitePath
        ? {
            checkpoints: fileCheckpointStore(`${sqlitePath}.projections`),
            checkpointEvery: 100_000,
          }
        : {}),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  app.decorate('ledger', { store, projections, queries: ledgerQueries(store, projections) });
  app.addHook('onClose', async () => {
    await projections.close();
    await store.close();
  });
});
