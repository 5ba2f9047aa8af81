/**
 * `npm run bench:replay`: replays a generated ledger of 1,000,000 events (10,000 programs: a
 * registration, a notice and now and then a license decision each, the rest shipments; 20
 * specifications with their TDP releases) from the SQLite store through every projection, beside
 * a raw `SELECT` + `JSON.parse` of the same rows. Each phase runs in its own process, so each
 * peak RSS is that phase's own. LEDGER_BENCH_EVENTS scales it down for a quick look.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore } from '../src/eventstore/sqlite/index.ts';
import { ledgerProjections } from '../src/projections/ledger-queries.ts';
import { startProjections } from '../src/projections/runtime.ts';
import { generateLedger } from './generated-ledger.ts';
import { benchRow, measureInChild, mib, peakRssBytes, perSecond, report } from './support.ts';

const TOTAL = Number(process.env.LEDGER_BENCH_EVENTS ?? 1_000_000);

const [mode, path] = process.argv.slice(2);
if (mode === 'generate') console.log(JSON.stringify(await generateLedger(path as string, TOTAL)));
else if (mode === 'baseline') console.log(JSON.stringify(baseline(path as string)));
else if (mode === 'replay') console.log(JSON.stringify(await replay(path as string)));
else main();

function main(): void {
  const folder = mkdtempSync(join(tmpdir(), 'ledger-bench-replay-'));
  const file = join(folder, 'ledger.sqlite');
  try {
    const script = new URL(import.meta.url);
    const generated = measureInChild<{ events: number; ms: number }>(script, ['generate', file]);
    console.log(`generated ${generated.events} events in ${(generated.ms / 1000).toFixed(1)} s`);
    const raw = measureInChild<Phase>(script, ['baseline', file]);
    const ours = measureInChild<Phase>(script, ['replay', file]);
    const measure = `replay through every projection (${ours.events} events)`;
    report('replay', [
      benchRow(
        measure,
        'events/s',
        perSecond(ours.events, ours.ms),
        'raw SELECT + JSON.parse',
        perSecond(raw.events, raw.ms),
        { aim: '>= 0.60' },
      ),
      benchRow(
        `${measure}: peak RSS`,
        'MiB',
        ours.peakRss / 2 ** 20,
        'raw SELECT + JSON.parse',
        raw.peakRss / 2 ** 20,
        { aim: 'ours < 1024 MiB' },
      ),
    ]);
    const ratio = ours.events / ours.ms / (raw.events / raw.ms);
    console.log(
      `replay: ${(ratio * 100).toFixed(0)}% of the baseline (aim >= 60%), peak RSS ${mib(ours.peakRss)} (aim < 1 GiB)`,
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

interface Phase {
  events: number;
  ms: number;
  peakRss: number;
}

function baseline(file: string): Phase {
  const db = new Database(file, { readonly: true });
  const started = performance.now();
  let events = 0;
  let check = 0;
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
  const ms = performance.now() - started;
  db.close();
  if (check !== events * 2) throw new Error('baseline read fewer rows than it counted');
  return { events, ms, peakRss: peakRssBytes() };
}

async function replay(file: string): Promise<Phase> {
  const store = openSqliteEventStore(file);
  const started = performance.now();
  const runtime = await startProjections(store, ledgerProjections);
  const ms = performance.now() - started;
  const events = runtime.position;
  await runtime.close();
  await store.close();
  return { events, ms, peakRss: peakRssBytes() };
}
