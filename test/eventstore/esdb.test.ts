/**
 * The EventStore contract against a real KurrentDB / EventStoreDB node started by
 * testcontainers (LEDGER_ESDB_IMAGE picks the image). Without a Docker engine the suite is
 * skipped, saying why; esdb-fake.test.ts runs the same contract on a fake server meanwhile.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { openEsdbEventStore } from '../../src/eventstore/esdb/index.ts';
import { describeEventStoreContract } from './contract.ts';
import {
  DEFAULT_ESDB_IMAGE,
  type EsdbServer,
  probeDockerEngine,
  startEsdbServer,
} from './esdb-server.ts';

const image = process.env.LEDGER_ESDB_IMAGE ?? DEFAULT_ESDB_IMAGE;
const engine = await probeDockerEngine();
if (!engine.available) {
  console.warn(`esdb contract suite skipped: no Docker engine (${engine.reason})`);
}

describe.skipIf(!engine.available)(`esdb on ${image}`, () => {
  let server: EsdbServer | undefined;
  let connectionString = '';

  beforeAll(async () => {
    server = await startEsdbServer(image);
    connectionString = server.connectionString;
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
  });

  // One node for the whole suite: the contract compares positions to the head it finds.
  describeEventStoreContract('esdb', async () => {
    const store = await openEsdbEventStore(connectionString);
    return {
      store,
      reopen: () => openEsdbEventStore(connectionString),
      cleanup: () => store.close(),
    };
  });
});
