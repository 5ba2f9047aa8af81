import { readFileSync } from 'node:fs';
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
import type { LedgerCheckpoints } from '../../integrity/ledger-checkpoints.ts';
import type { TimestampAuthority } from '../../integrity/timestamp-authority.ts';
import { stampLastCheckpoint } from '../../integrity/trusted-time.ts';
import { START_EXIT, StartupError } from '../../startup.ts';

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
    options: {
      config: LedgerConfig &
        Pick<
          Config,
          | 'LEDGER_CHECKPOINT_INTERVAL_MS'
          | 'LEDGER_TSA_URL'
          | 'LEDGER_TSA_CA_FILE'
          | 'LEDGER_TSA_TIMEOUT_MS'
        >;
    },
  ) => {
    const authority = timestampAuthorityOf(options.config);
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
        authority ? timestamping(ledger.checkpoints, authority, app) : ledger.checkpoints,
        options.config.LEDGER_CHECKPOINT_INTERVAL_MS,
        (error) => app.log.error({ err: error }, 'signing a checkpoint failed'),
      ));
    app.decorate('ledger', ledger);
    app.addHook('preHandler', (request, _reply, done) => {
      if (request.method !== 'GET' || !request.principal || request.routeOptions.config.readsStore)
        return done();
      readYourWrites(ledger).then(() => done(), done);
    });
    app.addHook('onClose', async () => {
      await cadence?.stop();
      await ledger.close();
    });
  },
  { name: 'ledger', fastify: '5.x' },
);

/** The configured timestamping authority, its CA read once at start; undefined when none is. */
function timestampAuthorityOf(
  config: Pick<Config, 'LEDGER_TSA_URL' | 'LEDGER_TSA_CA_FILE' | 'LEDGER_TSA_TIMEOUT_MS'>,
): TimestampAuthority | undefined {
  const { LEDGER_TSA_URL: url, LEDGER_TSA_CA_FILE: caFile } = config;
  if (url === undefined && caFile === undefined) return undefined;
  if (url === undefined || caFile === undefined)
    throw new StartupError(
      `${url === undefined ? 'LEDGER_TSA_URL' : 'LEDGER_TSA_CA_FILE'}: not set: LEDGER_TSA_URL and LEDGER_TSA_CA_FILE are set together (the authority and the CA its tokens chain to)`,
      START_EXIT.config,
    );
  let trustedPem: string;
  try {
    trustedPem = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new StartupError(
      `LEDGER_TSA_CA_FILE ${caFile}: cannot be read (${(error as Error).message}): name the PEM file of the timestamping authority's CA`,
      START_EXIT.config,
    );
  }
  if (!trustedPem.includes('-----BEGIN CERTIFICATE-----'))
    throw new StartupError(
      `LEDGER_TSA_CA_FILE ${caFile}: holds no PEM certificate: name the PEM file of the timestamping authority's CA`,
      START_EXIT.config,
    );
  return { url, trustedPem, timeoutMs: config.LEDGER_TSA_TIMEOUT_MS };
}

/**
 * The cadence's signer, timestamping the last checkpoint after each tick: a token that could
 * not be had is logged and asked for again at the next tick; signing goes on regardless.
 */
function timestamping(
  checkpoints: LedgerCheckpoints,
  authority: TimestampAuthority,
  app: FastifyInstance,
): Pick<LedgerCheckpoints, 'latest'> {
  return {
    async latest() {
      const checkpoint = await checkpoints.latest();
      const outcome = await stampLastCheckpoint(checkpoints, authority);
      if (outcome.stamped === 'now')
        app.log.info(
          { treeSize: outcome.checkpoint.treeSize, genTime: outcome.genTime },
          `checkpoint of tree size ${outcome.checkpoint.treeSize} timestamped by ${authority.url} at ${outcome.genTime}`,
        );
      if (outcome.stamped === 'failed')
        app.log.warn(
          { treeSize: outcome.checkpoint.treeSize, reason: outcome.reason },
          `checkpoint of tree size ${outcome.checkpoint.treeSize} has no trusted timestamp yet (${outcome.reason}); asked again at the next tick`,
        );
      return checkpoint;
    },
  };
}
