/**
 * A real KurrentDB / EventStoreDB node for tests, started by testcontainers when a Docker
 * engine answers. KurrentDB images read KURRENTDB_* settings, EventStoreDB ones
 * (e.g. eventstore/eventstore:24.10) EVENTSTORE_*.
 */
import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import {
  GenericContainer,
  getContainerRuntimeClient,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';

/** A current KurrentDB release; it serves the gRPC API @eventstore/db-client 6 speaks. */
export const DEFAULT_ESDB_IMAGE = 'docker.kurrent.io/kurrent-latest/kurrentdb:25.1';
export const ESDB_HTTP_PORT = 2113;

type DockerEngine = { available: true } | { available: false; reason: string };

/** Asks testcontainers for a container runtime, giving up quickly when nothing answers. */
export async function probeDockerEngine(timeoutMs = 10_000): Promise<DockerEngine> {
  const where = process.env.DOCKER_HOST ?? 'DOCKER_HOST unset, so the default socket';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return { available: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { available: false, reason: `${message}; ${where}` };
  } finally {
    clearTimeout(timer);
  }
}

/** The settings of a single insecure in-memory node without projections, for `image`. */
function singleNodeEnvironment(image: string): Record<string, string> {
  const prefix = /eventstore/i.test(image) ? 'EVENTSTORE' : 'KURRENTDB';
  return {
    [`${prefix}_INSECURE`]: 'true',
    [`${prefix}_CLUSTER_SIZE`]: '1',
    [`${prefix}_RUN_PROJECTIONS`]: 'None',
    [`${prefix}_START_STANDARD_PROJECTIONS`]: 'false',
    [`${prefix}_MEM_DB`]: 'true',
    [`${prefix}_TELEMETRY_OPTOUT`]: 'true',
  };
}

export interface EsdbServer {
  connectionString: string;
  stop(): Promise<void>;
}

/** Starts a node and waits until it takes writes. */
export async function startEsdbServer(image: string): Promise<EsdbServer> {
  const container: StartedTestContainer = await new GenericContainer(image)
    .withEnvironment(singleNodeEnvironment(image))
    .withExposedPorts(ESDB_HTTP_PORT)
    .withWaitStrategy(
      Wait.forHttp('/health/live', ESDB_HTTP_PORT).forStatusCodeMatching(
        (status) => status >= 200 && status < 300,
      ),
    )
    .withStartupTimeout(240_000)
    .start();
  const connectionString = `esdb://${container.getHost()}:${container.getMappedPort(ESDB_HTTP_PORT)}?tls=false`;
  try {
    await untilWritable(connectionString);
  } catch (error) {
    await container.stop();
    throw error;
  }
  return {
    connectionString,
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * Live is not yet leader: retries a write until the node takes it. The probe has a `$`-type,
 * so the ledger never sees it.
 */
async function untilWritable(connectionString: string): Promise<void> {
  const client = EventStoreDBClient.connectionString(connectionString);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      try {
        await client.appendToStream(
          'ledger-test-readiness',
          jsonEvent({ id: randomUUID(), type: '$readiness-probe', data: {} }),
        );
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await client.dispose();
  }
}
