/**
 * `npm run bench:soak`: memory under writes (issue 28, item 9). The service, in this process on a
 * generated SQLite ledger, takes ROUNDS rounds of WRITES shipments each (POST through fastify's
 * inject, so no load generator shares the measurement); after each round a full GC, then RSS and
 * the V8 heap are read. Memory that grows with the ledger's read models is expected; what a round
 * adds beyond that is the finding. With LEDGER_SOAK_SNAPSHOTS=<folder>, heap snapshots are written
 * after the first and the last round, for comparing retainers (Chrome DevTools, Memory tab).
 * Run with --expose-gc (the npm script does).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { buildApp } from '../src/api/app.ts';
import { addKey } from '../src/api/credentials.ts';
import { Config } from '../src/config.ts';
import { generateLedger } from './generated-ledger.ts';
import { benchRow, report } from './support.ts';

const EVENTS = Number(process.env.LEDGER_BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.LEDGER_SOAK_ROUNDS ?? 4);
const WRITES = Number(process.env.LEDGER_SOAK_WRITES ?? 10_000);
const SNAPSHOTS = process.env.LEDGER_SOAK_SNAPSHOTS;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:soak does)');

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** Linux's split of this process's RSS (0 elsewhere). */
function rssParts(): { rssAnonMb: number; rssFileMb: number; threads: number } {
  const status = existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '';
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return {
    rssAnonMb: Math.round(kb('RssAnon') / 1024),
    rssFileMb: Math.round(kb('RssFile') / 1024),
    threads: kb('Threads'),
  };
}

/** The V8 heaps of this process's worker threads (the SQLite writer's among them). */
function workerHeaps(): { workers: number; workerHeapUsedMb: number; workerHeapTotalMb: number } {
  const report = process.report.getReport() as unknown as {
    workers: { javascriptHeap: { usedMemory: number; totalMemory: number } }[];
  };
  return {
    workers: report.workers.length,
    workerHeapUsedMb: mb(report.workers.reduce((sum, w) => sum + w.javascriptHeap.usedMemory, 0)),
    workerHeapTotalMb: mb(report.workers.reduce((sum, w) => sum + w.javascriptHeap.totalMemory, 0)),
  };
}

interface Round {
  round: number;
  events: number;
  rssMb: number;
  heapUsedMb: number;
  /** The main isolate's heap as reserved from the system (used plus free pages V8 keeps). */
  heapTotalMb: number;
  externalMb: number;
  workers: number;
  workerHeapUsedMb: number;
  workerHeapTotalMb: number;
  threads: number;
  /** RSS in anonymous memory (heaps, malloc) and in mapped files (code, SQLite's shared memory). */
  rssAnonMb: number;
  rssFileMb: number;
  writesPerSecond: number;
}

const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-soak-'));
try {
  const file = join(folder, 'ledger.sqlite');
  const generated = await generateLedger(file, EVENTS);
  const credentials = join(folder, 'credentials.json');
  const key = addKey(credentials, 'soak-recorder', 'recorder').key;
  const config = Config.parse({
    LEDGER_STORE: `sqlite:${file}`,
    LEDGER_CREDENTIALS: credentials,
    LEDGER_CHECKPOINT_KEY: join(folder, 'checkpoint-key'),
    LEDGER_RATE_LIMIT: '100000000',
    LEDGER_ADDRESS_RATE_LIMIT: '100000000',
    LOG_LEVEL: 'silent',
  });
  gc();
  const heapBeforeMb = mb(process.memoryUsage().heapUsed);
  const app = await buildApp(config);
  const rounds: Round[] = [];
  let events = generated.events;
  const measure = (round: number, writesPerSecond: number) => {
    gc();
    const m = process.memoryUsage();
    rounds.push({
      round,
      events,
      rssMb: mb(m.rss),
      heapUsedMb: mb(m.heapUsed),
      heapTotalMb: mb(m.heapTotal),
      externalMb: mb(m.external + m.arrayBuffers),
      ...rssParts(),
      ...workerHeaps(),
      writesPerSecond,
    });
    console.error(JSON.stringify(rounds.at(-1)));
    console.error(
      JSON.stringify(
        Object.fromEntries(
          getHeapSpaceStatistics().map((space) => [
            space.space_name,
            `${mb(space.space_used_size)}/${mb(space.space_size)}`,
          ]),
        ),
      ),
    );
  };
  const snapshot = (name: string) => {
    if (!SNAPSHOTS) return;
    mkdirSync(SNAPSHOTS, { recursive: true });
    gc();
    console.error(`heap snapshot ${writeHeapSnapshot(join(SNAPSHOTS, name))}`);
  };
  measure(0, 0);
  for (let round = 1; round <= ROUNDS; round++) {
    const started = performance.now();
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = w; i < WRITES; i += 8) {
        const response = await app.inject({
          method: 'POST',
          url: `/v1/programs/program-${i % generated.programs}/shipments`,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          payload: {
            shipmentId: `soak-${round}-${i}`,
            shippedOn: '2007-06-01',
            units: 1 + (i % 50),
          },
        });
        if (response.statusCode !== 201)
          throw new Error(`write answered ${response.statusCode}: ${response.body}`);
      }
    });
    await Promise.all(writers);
    events += WRITES;
    measure(round, Math.round((WRITES / (performance.now() - started)) * 1000));
    if (round === 1) snapshot('after-round-1.heapsnapshot');
  }
  snapshot(`after-round-${ROUNDS}.heapsnapshot`);
  await app.close();
  // The same ledger opened afresh: what its read models alone hold. The soaked service holding
  // much more than this is memory kept by the writes themselves.
  const fresh = await buildApp(config);
  gc();
  const freshHeapMb = mb(process.memoryUsage().heapUsed) - heapBeforeMb;
  snapshot('fresh-start.heapsnapshot');
  await fresh.close();

  const first = rounds[1] as Round;
  const last = rounds.at(-1) as Round;
  const held = last.heapUsedMb - heapBeforeMb;
  report(
    'soak',
    [
      benchRow(
        `RSS after ${ROUNDS} rounds of ${WRITES} writes`,
        'MB',
        last.rssMb,
        'after round 1',
        first.rssMb,
      ),
      benchRow(
        `heap the service holds after ${ROUNDS} rounds`,
        'MB',
        held,
        'fresh start, same ledger',
        freshHeapMb,
      ),
    ],
    { startEvents: generated.events, heapBeforeMb, freshHeapMb, rounds },
  );
} finally {
  rmSync(folder, { recursive: true, force: true });
}
