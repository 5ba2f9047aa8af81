import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { openEventStore, sqlitePath } from '../../eventstore/open.ts';
import type { EventStore } from '../../eventstore/port.ts';
import { generateSigningKey, loadOrCreateSigningKey } from '../../integrity/checkpoint.ts';
import {
  type LedgerCheckpoints,
  openLedgerCheckpoints,
} from '../../integrity/ledger-checkpoints.ts';
import { fileCheckpointStore } from '../../projections/checkpoints.ts';
import {
  type LedgerQueries,
  ledgerProjections,
  ledgerQueries,
} from '../../projections/ledger-queries.ts';
import { loadOrCreateReadModelKey } from '../../projections/read-model-key.ts';
import { type ProjectionRuntime, startProjections } from '../../projections/runtime.ts';

export interface Ledger {
  store: EventStore;
  projections: ProjectionRuntime;
  queries: LedgerQueries;
  /** Signed checkpoints of the store's Merkle tree; null when the store keeps none (esdb). */
  checkpoints: LedgerCheckpoints | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    ledger: Ledger;
  }
}

/**
 * Opens the store the URL names and the checkpoint signing key (created on first start), starts
 * the projections (with checkpoints beside a SQLite file, sealed with the read-model key from
 * the same private folder; a refused one is logged and rebuilt), and closes both after the server
 * stopped taking requests, so in-flight appends finish.
 */
export const ledgerPlugin = fp(
  async (app: FastifyInstance, options: { storeUrl: string; keyDir: string; origin: string }) => {
    const store = await openEventStore(options.storeUrl);
    const path = sqlitePath(options.storeUrl);
    let projections: ProjectionRuntime;
    let checkpoints: LedgerCheckpoints | null;
    try {
      checkpoints = openLedgerCheckpoints(store, {
        origin: options.origin,
        // A memory store's checkpoints live as long as it: so does their key.
        key: () =>
          options.storeUrl === 'memory:'
            ? generateSigningKey(options.origin)
            : loadOrCreateSigningKey(options.keyDir, options.origin),
      });
      projections = await startProjections(store, ledgerProjections, {
        ...(path
          ? {
              checkpoints: {
                store: fileCheckpointStore(`${path}.projections`),
                key: loadOrCreateReadModelKey(options.keyDir),
              },
              checkpointEvery: 100_000,
            }
          : {}),
        onRefused: (name, reason) =>
          app.log.warn(
            { projection: name, reason },
            `read-model checkpoint ${name} refused (${reason}): rebuilt from the events`,
          ),
      });
    } catch (error) {
      await store.close();
      throw error;
    }
    app.decorate('ledger', {
      store,
      projections,
      queries: ledgerQueries(store, projections),
      checkpoints,
    });
    app.addHook('onClose', async () => {
      await projections.close();
      await store.close();
    });
  },
);
