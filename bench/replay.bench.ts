/**
 * `npm run bench:replay`: replays a generated ledger of 1,000,000 events (10,000 programs: a
 * registration, a notice and now and then a license decision each, the rest shipments; 20
 * specifications with their TDP releases) from the SQLite store through every projection, beside
 * a raw `SELECT` + `JSON.parse` of the same rows. The two alternate, ABAB…, for ROUNDS rounds,
 * each in its own process (so each peak RSS is that phase's own); the row gives medians with
 * min–max and the CPU time per event. LEDGER_BENCH_EVENTS scales it down for a quick look.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore } from '../src/eventstore/sqlite/index.ts';
import { ledgerProjections } from '../src/projections/ledger-queries.ts';
import { type ProjectionRuntime, startProjections } from '../src/projections/runtime.ts';
import { generateLedger } from './generated-ledger.ts';
import {
  benchRow,
  interleaved,
  interleavedRow,
  measureInChild,
  mib,
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
else if (mode === 'replay') console.log(JSON.stringify(await replay(path as string)));
else await main();

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-replay-'));
  const file = join(folder, 'ledger.sqlite');
  try {
    const script = new URL(import.meta.url);
    const generated = measureInChild<{ events: number; ms: number }>(script, ['generate', file]);
    console.log(`generated ${generated.events} events in ${(generated.ms / 1000).toFixed(1)} s`);
    const phases = { baseline: [] as Phase[], ours: [] as Phase[] };
    const measured = await interleaved(ROUNDS, {
      baseline: phaseInChild(script, ['baseline', file], phases.baseline),
      ours: phaseInChild(script, ['replay', file], phases.ours),
    });
    const events = phases.ours[0]?.events;
    const measure = `replay through every projection (${events} events)`;
    const row = interleavedRow(measure, 'events/s', measured, 'raw SELECT + JSON.parse', {
      aim: '>= 0.60',
      cpuUnit: 'µs/event',
    });
    const peak = (seen: Phase[]) => Math.max(...seen.map((p) => p.peakRss));
    const peakRss = peak(phases.ours);
    report(
      'replay',
      [
        row,
        benchRow(
          `${measure}: peak RSS, greatest of ${ROUNDS} rounds`,
          'MiB',
          peakRss / 2 ** 20,
          'raw SELECT + JSON.parse',
          peak(phases.baseline) / 2 ** 20,
          { aim: 'ours < 2 × baseline' },
        ),
      ],
      // Every round's phase as measured, in order: the figures above are made of these.
      { generated, ours: phases.ours, baseline: phases.baseline },
    );
    console.log(
      `replay: ${(row.ratio * 100).toFixed(0)}% of the baseline, median of ${ROUNDS} interleaved rounds (aim >= 60%), peak RSS ${mib(peakRss)} (aim < 2 × the baseline's ${mib(peak(phases.baseline))})`,
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
    for (const row of db
      .prepare(
        'SELECT position, stream, revision, event_id, type, data, metadata FROM events ORDER BY position',
      )
      .iterate()) {
      const r = row as { data: string; metadata: string };
      const data = JSON.parse(r.data);
      const metadata = JSON.parse(r.metadata);
      check += data ? 1 : 0;
      check += metadata ? 1 : 0;
      events++;
    }
    return events;
  });
  db.close();
  if (check !== events * 2) throw new Error('baseline read fewer rows than it counted');
  return phase;
}

async function replay(file: string): Promise<Phase> {
  const store = openSqliteEventStore(file);
  let runtime: ProjectionRuntime | undefined;
  const phase = await timedPhase(async () => {
    runtime = await startProjections(store, ledgerProjections);
    return runtime.position;
  });
  await runtime?.close();
  await store.close();
  return phase;
}
