import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import {
  checkAtStart,
  type Ledger,
  type LedgerConfig,
  openLedger,
} from '../../composition/open-ledger.ts';
import type { Config } from '../../config.ts';
import { startCheckpointCadence } from '../../integrity/checkpoint-cadence.ts';

export type { Ledger } from '../../composition/open-ledger.ts';

declare module 'fastify' {
  interface FastifyInstance {
    ledger: Ledger;
  }
  interface FastifyContextConfig {
    /** The route reads the store itself, never a read model: it need not wait for them. */
    readsStore?: boolean;
  }
}

/** How long a read waits for the read models to reach the store's head before it is a 503. */
export const READ_WAIT_MS = 5_000;

/**
 * A read is answered once this instance's read models hold every event the store held when the
 * read arrived (one cheap query for the head), so a client reads its own write wherever it
 * lands: another instance, or another process on the same file. While the store cannot be
 * reached the read models answer as they are: no write can be acknowledged meanwhile.
 */
async function readYourWrites(ledger: Ledger): Promise<void> {
  const head = await ledger.store.headPosition().catch(() => 0);
  await ledger.projections.waitFor(head, READ_WAIT_MS);
}

/**
 * Opens the ledger through the composition root (store, checkpoint key created on first start,
 * projections saving sealed checkpoints beside a SQLite file; a refused one is logged and rebuilt),
 * signs checkpoints on the LEDGER_CHECKPOINT_INTERVAL_MS cadence, and closes it after the server
 * stopped taking requests, so in-flight appends finish.
 */
export const ledgerPlugin = fp(
  async (
    app: FastifyInstance,
    options: { config: LedgerConfig & Pick<Config, 'LEDGER_CHECKPOINT_INTERVAL_MS'> },
  ) => {
    const ledger = await openLedger(options.config, {
      checkpointEvery: 100_000,
      onRefused: (name, reason) =>
        app.log.warn(
          { projection: name, reason },
          `read-model checkpoint ${name} refused (${reason}): rebuilt from the events`,
        ),
      onNewLedger: (id, path) =>
        app.log.info(
          { ledger: id, record: path },
          `a new ledger (first entry ${id}): its record of the last size signed starts at ${path}`,
        ),
      onWitnessProblem: (detail) => app.log.warn({ witness: detail }, detail),
    });
    ledger.alarm.onRaise((detail) =>
      app.log.error(
        { alarm: 'ledger.integrity.alarm', detail },
        `integrity alarm: ${detail}; the service is not ready and signs nothing until the ledger is restored`,
      ),
    );
    try {
      await checkAtStart(ledger, options.config);
    } catch (error) {
      await ledger.close();
      throw error;
    }
    const cadence =
      ledger.checkpoints &&
      (await startCheckpointCadence(
        ledger.checkpoints,
        options.config.LEDGER_CHECKPOINT_INTERVAL_MS,
        (error) => app.log.error({ err: error }, 'signing a checkpoint failed'),
      ));
    app.decorate('ledger', ledger);
    app.addHook('preHandler', async (request) => {
      if (request.method !== 'GET' || !request.principal) return;
      if (!request.routeOptions.config.readsStore) await readYourWrites(ledger);
    });
    app.addHook('onClose', async () => {
      await cadence?.stop();
      await ledger.close();
    });
  },
  { name: 'ledger', fastify: '5.x' },
);
