/**
 * `npm run bench:verify`: checks a generated ledger of 1,000,000 events (LEDGER_BENCH_EVENTS to
 * scale) with `verifyLedger(readLedger(store), { densePositions, monotonicRecordedAt })`, beside a
 * baseline over the same rows: raw better-sqlite3 SELECT + JSON.parse + one SHA-256 per row. The
 * ratio is then the cost of canonical JSON, the envelope and the chain checks. Each phase runs in
 * its own process (so each peak RSS is its own), baseline and verify interleaved, medians kept.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore } from '../src/eventstore/sqlite/index.ts';
import { readLedger, verifyLedger } from '../src/integrity/verify-ledger.ts';
import { generateLedger } from './generated-ledger.ts';
import { benchRow, measureInChild, median, mib, peakRssBytes, report } from './support.ts';

const TOTAL = Number(process.env.LEDGER_BENCH_EVENTS ?? 1_000_000);
const RUNS = 3;

interface Phase {
  events: number;
  ms: number;
  peakRss: number;
}

const [mode, path] = process.argv.slice(2);
if (mode === 'generate') console.log(JSON.stringify(await generateLedger(path as string, TOTAL)));
else if (mode === 'baseline') console.log(JSON.stringify(baseline(path as string)));
else if (mode === 'verify') console.log(JSON.stringify(await verify(path as string)));
else main();

function main(): void {
  const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-verify-'));
  const file = join(folder, 'ledger.sqlite');
  try {
    const script = new URL(import.meta.url);
    const generated = measureInChild<{ events: number; ms: number }>(script, ['generate', file]);
    console.log(`generated ${generated.events} events in ${(generated.ms / 1000).toFixed(1)} s`);
    const raw: Phase[] = [];
    const ours: Phase[] = [];
    for (let run = 0; run < RUNS; run++) {
      raw.push(measureInChild<Phase>(script, ['baseline', file]));
      ours.push(measureInChild<Phase>(script, ['verify', file]));
      const last = (phases: Phase[]) => phases.at(-1) as Phase;
      console.log(
        `run ${run + 1}/${RUNS}: verify ${Math.round(rate(last(ours)))} events/s (${mib(last(ours).peakRss)}), ` +
          `baseline ${Math.round(rate(last(raw)))} events/s (${mib(last(raw).peakRss)})`,
      );
    }
    const measure = `verifyLedger(readLedger(store)), dense + monotonic (${ours[0]?.events} events)`;
    const baselineName = 'raw SELECT + JSON.parse + SHA-256 per row';
    report(
      'verify',
      [
        benchRow(measure, 'events/s', median(ours.map(rate)), baselineName, median(raw.map(rate))),
        // The largest of the runs: a peak is what has to fit.
        benchRow(
          `${measure}: peak RSS`,
          'MiB',
          Math.max(...ours.map((p) => p.peakRss)) / 2 ** 20,
          baselineName,
          Math.max(...raw.map((p) => p.peakRss)) / 2 ** 20,
        ),
      ],
      { runs: RUNS, generated, ours, baseline: raw },
    );
    console.log(`medians of ${RUNS} runs (peak RSS: the largest), each phase in its own process`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function rate(phase: Phase): number {
  return phase.events / (phase.ms / 1000);
}

function baseline(file: string): Phase {
  const db = new Database(file, { readonly: true });
  const started = performance.now();
  let events = 0;
  let check = 0;
  const rows = db
    .prepare(
      'SELECT position, stream, revision, event_id, type, data, metadata FROM events ORDER BY position',
    )
    .raw()
    .iterate() as IterableIterator<[number, string, number, string, string, string, string]>;
  for (const [, stream, , eventId, type, data, metadata] of rows) {
    const parsedData = JSON.parse(data);
    const parsedMetadata = JSON.parse(metadata);
    // About the bytes verifyLedger hashes, but as stored: no canonical form to build.
    const digest = createHash('sha256')
      .update(stream)
      .update(eventId)
      .update(type)
      .update(data)
      .update(metadata)
      .digest('hex');
    // Uses every result, so none of the work can be skipped.
    check += (parsedData ? 1 : 0) + (parsedMetadata ? 1 : 0) + (digest.length === 64 ? 1 : 0);
    events++;
  }
  const ms = performance.now() - started;
  db.close();
  if (check !== events * 3) throw new Error('the baseline skipped work it counted');
  return { events, ms, peakRss: peakRssBytes() };
}

async function verify(file: string): Promise<Phase> {
  const store = openSqliteEventStore(file);
  const started = performance.now();
  const result = await verifyLedger(readLedger(store), {
    densePositions: true,
    monotonicRecordedAt: true,
  });
  const ms = performance.now() - started;
  const head = await store.headPosition();
  await store.close();
  if (!result.ok)
    throw new Error(`the generated ledger does not verify: ${result.problem.message}`);
  if (result.events !== head) throw new Error(`verified ${result.events} of ${head} events`);
  return { events: result.events, ms, peakRss: peakRssBytes() };
}
