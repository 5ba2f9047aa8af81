/**
 * `npm run bench:verify`: checks a generated ledger of 1,000,000 events (LEDGER_BENCH_EVENTS to
 * scale) with `verifyLedger(readLedger(store), { densePositions, monotonicRecordedAt })`, beside a
 * baseline over the same rows: raw better-sqlite3 SELECT + JSON.parse + one SHA-256 per row. The
 * ratio is then the cost of canonical JSON, the envelope and the chain checks. Each phase runs in
 * its own process (so each peak RSS is its own), baseline and verify interleaved ABAB… for ROUNDS
 * rounds: medians with min–max, and the CPU time per event.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore } from '../src/eventstore/sqlite/index.ts';
import { readLedger, verifyLedger } from '../src/integrity/verify-ledger.ts';
import { generateLedger } from './generated-ledger.ts';
import {
  benchRow,
  interleaved,
  interleavedRow,
  measureInChild,
  type Phase,
  phaseInChild,
  report,
  timedPhase,
} from './support.ts';

const TOTAL = Number(process.env.LEDGER_BENCH_EVENTS ?? 1_000_000);
const ROUNDS = 5;

const [mode, path] = process.argv.slice(2);
if (mode === 'generate') console.log(JSON.stringify(await generateLedger(path as string, TOTAL)));
else if (mode === 'baseline') console.log(JSON.stringify(await baseline(path as string)));
else if (mode === 'verify') console.log(JSON.stringify(await verify(path as string)));
else await main();

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-verify-'));
  const file = join(folder, 'ledger.sqlite');
  try {
    const script = new URL(import.meta.url);
    const generated = measureInChild<{ events: number; ms: number }>(script, ['generate', file]);
    console.log(`generated ${generated.events} events in ${(generated.ms / 1000).toFixed(1)} s`);
    const phases = { baseline: [] as Phase[], ours: [] as Phase[] };
    const measured = await interleaved(ROUNDS, {
      baseline: phaseInChild(script, ['baseline', file], phases.baseline),
      ours: phaseInChild(script, ['verify', file], phases.ours),
    });
    const measure = `verifyLedger(readLedger(store)), dense + monotonic (${phases.ours[0]?.events} events)`;
    const baselineName = 'raw SELECT + JSON.parse + SHA-256 per row';
    // The largest of the rounds: a peak is what has to fit.
    const peak = (seen: Phase[]) => Math.max(...seen.map((p) => p.peakRss)) / 2 ** 20;
    report(
      'verify',
      [
        interleavedRow(measure, 'events/s', measured, baselineName, {
          aim: '>= 0.60',
          cpuUnit: 'µs/event',
        }),
        benchRow(
          `${measure}: peak RSS, greatest of ${ROUNDS} rounds`,
          'MiB',
          peak(phases.ours),
          baselineName,
          peak(phases.baseline),
        ),
      ],
      { generated, ours: phases.ours, baseline: phases.baseline },
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function baseline(file: string): Promise<Phase> {
  const db = new Database(file, { readonly: true });
  let events = 0;
  let check = 0;
  const phase = await timedPhase(() => {
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
    return events;
  });
  db.close();
  if (check !== events * 3) throw new Error('the baseline skipped work it counted');
  return phase;
}

async function verify(file: string): Promise<Phase> {
  const store = openSqliteEventStore(file);
  let result: Awaited<ReturnType<typeof verifyLedger>> | undefined;
  const phase = await timedPhase(async () => {
    result = await verifyLedger(readLedger(store), {
      densePositions: true,
      monotonicRecordedAt: true,
    });
    return result.ok ? result.events : 0;
  });
  const head = await store.headPosition();
  await store.close();
  if (!result?.ok)
    throw new Error(`the generated ledger does not verify: ${result?.problem.message}`);
  if (result.events !== head) throw new Error(`verified ${result.events} of ${head} events`);
  return phase;
}
