import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { EventStore } from '../src/eventstore/port.ts';
import Database from '../src/eventstore/sqlite/driver.ts';
import { type CommittedBatch, openSqliteEventStore } from '../src/eventstore/sqlite/index.ts';
import { benchShipment, interleavedRow, median, report, type Sample } from './support.ts';

const SEQUENTIAL_APPENDS = 500;
const CONCURRENT_APPENDERS = 64;
const CONCURRENT_APPENDS = 20_032; // 313 per appender
const RAW_BATCH = 1_000;
const READ_PAGE = 1_000;
/**
 * Rounds: each runs ours and the raw baselines one after another (ABAB… over the rounds); rows
 * report median (min–max): the disk is noisy.
 */
const ROUNDS = 3;
const READ_PASSES = 5;

/** `count` events' worth of `run`: events per second, and this process's CPU time per event. */
async function timed(count: number, run: () => Promise<void> | void): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  return { value: count / seconds, cpuMicros: (user + system) / count };
}

function appendSequentially(store: EventStore): Promise<Sample> {
  return timed(SEQUENTIAL_APPENDS, async () => {
    for (let revision = 0; revision < SEQUENTIAL_APPENDS; revision++) {
      await store.append('sequential', [benchShipment()], {
        expectedRevision: revision === 0 ? 'no-stream' : revision - 1,
      });
    }
  });
}

function appendConcurrently(store: EventStore): Promise<Sample> {
  const perAppender = CONCURRENT_APPENDS / CONCURRENT_APPENDERS;
  return timed(CONCURRENT_APPENDS, () =>
    Promise.all(
      Array.from({ length: CONCURRENT_APPENDERS }, async (_, appender) => {
        for (let revision = 0; revision < perAppender; revision++) {
          await store.append(`appender-${appender}`, [benchShipment()], {
            expectedRevision: revision === 0 ? 'no-stream' : revision - 1,
          });
        }
      }),
    ).then(() => undefined),
  );
}

/** The append that starts the store's writer thread, before any clock (see measure()). */
const WARM_UP = 1;
const STORED = WARM_UP + SEQUENTIAL_APPENDS + CONCURRENT_APPENDS;

function readEverything(store: EventStore): Promise<Sample> {
  return timed(STORED, async () => {
    let count = 0;
    for (let fromPosition = 1; ; ) {
      const page = await store.readAll({ fromPosition, limit: READ_PAGE });
      count += page.length;
      const last = page.at(-1);
      if (last === undefined) break;
      fromPosition = last.position + 1;
    }
    if (count !== STORED) throw new Error(`read ${count} of ${STORED} events`);
  });
}

/** Rows shaped like the store's: same columns, same JSON sizes, same constraints. */
function rawRows(count: number) {
  return Array.from({ length: count }, (_, index) => {
    const event = benchShipment();
    return [
      index + 1,
      `raw-${index % CONCURRENT_APPENDERS}`,
      Math.floor(index / CONCURRENT_APPENDERS),
      event.eventId,
      event.type,
      JSON.stringify(event.data),
      JSON.stringify({
        ...event.metadata,
        recordedAt: new Date().toISOString(),
        prevHash: 'a'.repeat(64),
        hash: 'b'.repeat(64),
      }),
    ] as const;
  });
}

async function rawInserts(path: string, count: number, batch: number): Promise<Sample> {
  await openSqliteEventStore(path).close(); // creates the same schema
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const insert = db.prepare(
    'INSERT INTO events (position, stream, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const rows = rawRows(count);
  const insertBatch = db.transaction((slice: typeof rows) => {
    for (const row of slice) insert.run(...row);
  });
  const sample = await timed(count, () => {
    for (let offset = 0; offset < rows.length; offset += batch) {
      insertBatch(rows.slice(offset, offset + batch));
    }
  });
  db.close();
  return sample;
}

function rawReads(db: BetterSqlite3.Database): Promise<Sample> {
  const select = db.prepare<[number, number], Record<string, unknown>>(
    'SELECT position, stream, revision, event_id, type, data, metadata FROM events WHERE position >= ? ORDER BY position LIMIT ?',
  );
  return timed(STORED, () => {
    for (let fromPosition = 1; ; ) {
      const page = select.all(fromPosition, READ_PAGE);
      if (page.length === 0) break;
      for (const row of page) {
        JSON.parse(row.data as string);
        JSON.parse(row.metadata as string);
      }
      fromPosition = (page.at(-1)?.position as number) + 1;
    }
  });
}

/** Reads are short and jittery: alternate ours and raw, drop a warm-up pass, keep the median. */
async function compareReads(path: string): Promise<{ read: Sample; rawRead: Sample }> {
  const store = openSqliteEventStore(path);
  const db = new Database(path);
  const ours: Sample[] = [];
  const raw: Sample[] = [];
  for (let pass = 0; pass <= READ_PASSES; pass++) {
    const oursRate = await readEverything(store);
    const rawRate = await rawReads(db);
    if (pass > 0) {
      ours.push(oursRate);
      raw.push(rawRate);
    }
  }
  await store.close();
  db.close();
  return { read: middle(ours), rawRead: middle(raw) };
}

interface Run {
  /** The first append of a fresh store: it starts the writer thread (not in any row's clock). */
  firstAppend: Sample;
  sequential: Sample;
  concurrent: Sample;
  meanBatch: number;
  read: Sample;
  rawSingle: Sample;
  rawRound: Sample;
  rawBatched: Sample;
  rawRead: Sample;
}

async function measure(dir: string, run: number): Promise<Run> {
  const file = (name: string) => join(dir, `${name}-${run}.sqlite`);
  const commits: CommittedBatch[] = [];
  const store = openSqliteEventStore(file('ours'), { onCommit: (commit) => commits.push(commit) });
  // The writer thread starts with the first commit (a worker, and in this bench tsx compiling
  // its TypeScript): ~300 ms of CPU that inside the clock added ~600 µs to each of the 500
  // sequential appends. The raw baselines open their connection before their clock too.
  const firstAppend = await timed(WARM_UP, () =>
    store
      .append('warm-up', [benchShipment()], { expectedRevision: 'no-stream' })
      .then(() => undefined),
  );
  const sequential = await appendSequentially(store);
  commits.length = 0;
  const concurrent = await appendConcurrently(store);
  const meanBatch = commits.reduce((sum, commit) => sum + commit.appends, 0) / commits.length;
  await store.close();
  const { read, rawRead } = await compareReads(file('ours'));
  return {
    firstAppend,
    sequential,
    concurrent,
    meanBatch,
    read,
    rawSingle: await rawInserts(file('raw-single'), SEQUENTIAL_APPENDS, 1),
    rawRound: await rawInserts(file('raw-round'), CONCURRENT_APPENDS, CONCURRENT_APPENDERS),
    rawBatched: await rawInserts(file('raw-batched'), CONCURRENT_APPENDS, RAW_BATCH),
    rawRead,
  };
}

/** The pass of median throughput, within one round. */
function middle(samples: Sample[]): Sample {
  const sorted = [...samples].sort((a, b) => a.value - b.value);
  return sorted[Math.floor(sorted.length / 2)] as Sample;
}

const dir = await mkdtemp(join(tmpdir(), 'ledger-bench-'));
try {
  const runs: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) runs.push(await measure(dir, round));
  const rate = (
    measure: string,
    ours: (run: Run) => Sample,
    baseline: string,
    base: (run: Run) => Sample,
  ) =>
    interleavedRow(
      measure,
      'events/s',
      { ours: runs.map(ours), baseline: runs.map(base) },
      baseline,
      { cpuUnit: 'µs/event' },
    );
  const sequential = `append, 1 appender (${SEQUENTIAL_APPENDS} sequential awaits)`;
  const concurrent = `append, ${CONCURRENT_APPENDERS} appenders (${CONCURRENT_APPENDS} events)`;
  const rawBatched = `raw insert, ${RAW_BATCH} rows per transaction`;
  const rows = [
    rate(
      sequential,
      (r) => r.sequential,
      'raw insert, 1 row per transaction',
      (r) => r.rawSingle,
    ),
    rate(
      sequential,
      (r) => r.sequential,
      rawBatched,
      (r) => r.rawBatched,
    ),
    rate(
      concurrent,
      (r) => r.concurrent,
      rawBatched,
      (r) => r.rawBatched,
    ),
    rate(
      concurrent,
      (r) => r.concurrent,
      `raw insert, ${CONCURRENT_APPENDERS} rows per transaction`,
      (r) => r.rawRound,
    ),
    rate(
      `readAll, pages of ${READ_PAGE} (${STORED} events), median of ${READ_PASSES} passes`,
      (r) => r.read,
      'raw SELECT + JSON.parse',
      (r) => r.rawRead,
    ),
  ];
  const meanBatch = median(runs.map((r) => r.meanBatch));

  report('store', rows, {
    sqlite: new Database(':memory:').prepare('SELECT sqlite_version()').pluck().get(),
    pragmas: { journal_mode: 'WAL', synchronous: 'FULL' },
    meanAppendsPerGroupCommit: meanBatch,
    firstAppendCpuMs: median(runs.map((r) => r.firstAppend.cpuMicros / 1000)),
    raw: runs,
  });
  console.log(
    `medians of ${ROUNDS} rounds; ${CONCURRENT_APPENDERS} appenders: ${meanBatch.toFixed(1)} appends per group commit on average; ` +
      `the first append of each fresh store (starting its writer thread, outside the rows) took ${median(runs.map((r) => r.firstAppend.cpuMicros / 1000)).toFixed(0)} ms of CPU`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
