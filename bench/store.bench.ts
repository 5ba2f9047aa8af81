import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { EventStore } from '../src/eventstore/port.ts';
import Database from '../src/eventstore/sqlite/driver.ts';
import { type GroupCommit, openSqliteEventStore } from '../src/eventstore/sqlite/index.ts';
import { benchRow, benchShipment, report } from './support.ts';

const SEQUENTIAL_APPENDS = 500;
const CONCURRENT_APPENDERS = 64;
const CONCURRENT_APPENDS = 20_032; // 313 per appender
const RAW_BATCH = 1_000;
const READ_PAGE = 1_000;
/** Each measure runs this often, interleaved, and reports its median: the disk is noisy. */
const RUNS = 3;
const READ_PASSES = 5;

async function timed(run: () => Promise<void> | void): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

async function appendSequentially(store: EventStore): Promise<number> {
  const seconds = await timed(async () => {
    for (let revision = 0; revision < SEQUENTIAL_APPENDS; revision++) {
      await store.append('sequential', [benchShipment()], {
        expectedRevision: revision === 0 ? 'no-stream' : revision - 1,
      });
    }
  });
  return SEQUENTIAL_APPENDS / seconds;
}

async function appendConcurrently(store: EventStore): Promise<number> {
  const perAppender = CONCURRENT_APPENDS / CONCURRENT_APPENDERS;
  const seconds = await timed(() =>
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
  return CONCURRENT_APPENDS / seconds;
}

async function readEverything(store: EventStore): Promise<number> {
  let count = 0;
  const seconds = await timed(async () => {
    for (let fromPosition = 1; ; ) {
      const page = await store.readAll({ fromPosition, limit: READ_PAGE });
      count += page.length;
      const last = page.at(-1);
      if (last === undefined) return;
      fromPosition = last.position + 1;
    }
  });
  return count / seconds;
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

async function rawInserts(path: string, count: number, batch: number): Promise<number> {
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
  const started = performance.now();
  for (let offset = 0; offset < rows.length; offset += batch) {
    insertBatch(rows.slice(offset, offset + batch));
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return count / seconds;
}

function rawReads(db: BetterSqlite3.Database): number {
  const select = db.prepare<[number, number], Record<string, unknown>>(
    'SELECT position, stream, revision, event_id, type, data, metadata FROM events WHERE position >= ? ORDER BY position LIMIT ?',
  );
  let count = 0;
  const started = performance.now();
  for (let fromPosition = 1; ; ) {
    const page = select.all(fromPosition, READ_PAGE);
    if (page.length === 0) break;
    for (const row of page) {
      JSON.parse(row.data as string);
      JSON.parse(row.metadata as string);
    }
    count += page.length;
    fromPosition = (page.at(-1)?.position as number) + 1;
  }
  return count / ((performance.now() - started) / 1000);
}

/** Reads are short and jittery: alternate ours and raw, drop a warm-up pass, keep the median. */
async function compareReads(path: string): Promise<{ read: number; rawRead: number }> {
  const store = openSqliteEventStore(path);
  const db = new Database(path);
  const ours: number[] = [];
  const raw: number[] = [];
  for (let pass = 0; pass <= READ_PASSES; pass++) {
    const oursRate = await readEverything(store);
    const rawRate = rawReads(db);
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
  sequential: number;
  concurrent: number;
  meanBatch: number;
  read: number;
  rawSingle: number;
  rawRound: number;
  rawBatched: number;
  rawRead: number;
}

async function measure(dir: string, run: number): Promise<Run> {
  const file = (name: string) => join(dir, `${name}-${run}.sqlite`);
  const commits: GroupCommit[] = [];
  const store = openSqliteEventStore(file('ours'), { onCommit: (commit) => commits.push(commit) });
  const sequential = await appendSequentially(store);
  commits.length = 0;
  const concurrent = await appendConcurrently(store);
  const meanBatch = commits.reduce((sum, commit) => sum + commit.appends, 0) / commits.length;
  await store.close();
  const { read, rawRead } = await compareReads(file('ours'));
  return {
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

function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const dir = await mkdtemp(join(tmpdir(), 'ledger-bench-'));
try {
  const runs: Run[] = [];
  for (let run = 0; run < RUNS; run++) runs.push(await measure(dir, run));
  const m = (pick: (run: Run) => number) => middle(runs.map(pick));

  const rate = (measure: string, ours: number, baseline: string, baselineRate: number) =>
    benchRow(measure, 'events/s', ours, baseline, baselineRate);
  const sequential = `append, 1 appender (${SEQUENTIAL_APPENDS} sequential awaits)`;
  const concurrent = `append, ${CONCURRENT_APPENDERS} appenders (${CONCURRENT_APPENDS} events)`;
  const rawBatched = `raw insert, ${RAW_BATCH} rows per transaction`;
  const rows = [
    rate(
      sequential,
      m((r) => r.sequential),
      'raw insert, 1 row per transaction',
      m((r) => r.rawSingle),
    ),
    rate(
      sequential,
      m((r) => r.sequential),
      rawBatched,
      m((r) => r.rawBatched),
    ),
    rate(
      concurrent,
      m((r) => r.concurrent),
      rawBatched,
      m((r) => r.rawBatched),
    ),
    rate(
      concurrent,
      m((r) => r.concurrent),
      `raw insert, ${CONCURRENT_APPENDERS} rows per transaction`,
      m((r) => r.rawRound),
    ),
    rate(
      `readAll, pages of ${READ_PAGE} (${SEQUENTIAL_APPENDS + CONCURRENT_APPENDS} events)`,
      m((r) => r.read),
      'raw SELECT + JSON.parse',
      m((r) => r.rawRead),
    ),
  ];
  const meanBatch = m((r) => r.meanBatch);

  report('store', rows, {
    sqlite: new Database(':memory:').prepare('SELECT sqlite_version()').pluck().get(),
    pragmas: { journal_mode: 'WAL', synchronous: 'FULL' },
    runs: RUNS,
    meanAppendsPerGroupCommit: meanBatch,
    raw: runs,
  });
  console.log(
    `medians of ${RUNS} runs; ${CONCURRENT_APPENDERS} appenders: ${meanBatch.toFixed(1)} appends per group commit on average`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
