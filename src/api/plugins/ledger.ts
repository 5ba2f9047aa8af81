import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type Ledger, type LedgerConfig, openLedger } from '../../composition/open-ledger.ts';

export type { Ledger } from '../../composition/open-ledger.ts';

declare module 'fastify' {
  interface FastifyInstance {
    ledger: Ledger;
  }
}

/**
 * Opens the ledger through the composition root (store, checkpoint key created on first start,
 * projections saving checkpoints beside a SQLite file), and closes it after the server stopped
 * taking requests, so in-flight appends finish.
 */
export const ledgerPlugin = fp(
  async (app: FastifyInstance, options: { config: LedgerConfig }) => {
    const ledger = await openLedger(options.config, { checkpointEvery: 100_000 });
    app.decorate('ledger', ledger);
    app.addHook('onClose', () => ledger.close());
  },
  { name: 'ledger', fastify: '5.x' },
);
