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
import Database from 'better-sqlite3';
import { type DomainEvent, SCHEMA_VERSION, streams } from '../src/domain/index.ts';
import type { EventStore } from '../src/eventstore/port.ts';
import { openSqliteEventStore } from '../src/eventstore/sqlite.ts';
import { ledgerProjections } from '../src/projections/ledger-queries.ts';
import { startProjections } from '../src/projections/runtime.ts';
import { measureInChild, mib, peakRssBytes, perSecond, report } from './support.ts';

const TOTAL = Number(process.env.LEDGER_BENCH_EVENTS ?? 1_000_000);
const PROGRAMS = Math.max(1, Math.round(TOTAL / 100));
const SPECS = 20;

const [mode, path] = process.argv.slice(2);
if (mode === 'generate') console.log(JSON.stringify(await generate(path as string)));
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
    report('replay', [
      row('raw SELECT + JSON.parse (baseline)', raw, raw),
      row('replay through every projection', ours, raw),
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

function row(name: string, phase: Phase, base: Phase) {
  return {
    phase: name,
    events: phase.events,
    seconds: Number((phase.ms / 1000).toFixed(2)),
    'events/s': perSecond(phase.events, phase.ms),
    'vs baseline': `${((phase.events / phase.ms / (base.events / base.ms)) * 100).toFixed(0)}%`,
    'peak RSS': mib(phase.peakRss),
  };
}

async function generate(file: string) {
  const started = performance.now();
  const store = openSqliteEventStore(file);
  let events = 0;
  for (let s = 0; s < SPECS; s++) {
    const specificationId = `spec-${s}`;
    const appended = await append(store, streams.specification(specificationId), [
      {
        type: 'SpecificationRegistered',
        data: { specificationId, regulator: 'USPS', title: `Specification ${s}` },
      },
      {
        type: 'TechnicalDataPackageReleased',
        data: {
          specificationId,
          releasedOn: date(2006, s),
          publicRelease: true,
          documentRef: `TDP-${s}`,
        },
      },
    ]);
    events += appended;
  }
  const perProgram = Math.max(3, Math.floor((TOTAL - events) / PROGRAMS));
  let next = 0;
  const writer = async () => {
    for (let p = next++; p < PROGRAMS; p = next++) {
      const appended = await append(
        store,
        streams.program(`program-${p}`),
        programHistory(p, perProgram),
      );
      events += appended;
    }
  };
  await Promise.all(Array.from({ length: 64 }, writer));
  await store.close();
  return { events, ms: performance.now() - started };
}

function programHistory(p: number, count: number): DomainEvent[] {
  const programId = `program-${p}`;
  const history: DomainEvent[] = [
    {
      type: 'ProgramRegistered',
      data: {
        programId,
        supplierId: `supplier-${p % 100}`,
        specificationId: `spec-${p % SPECS}`,
        channel: 'private-market',
        regulator: 'USPS',
      },
    },
    {
      type: 'NoticeReceived',
      data: {
        noticeId: `notice-${p}`,
        issuer: 'USPS',
        receivedOn: date(2005, p),
        documentRef: `LTR-${p}`,
        summary: 'Supply may continue until the successor TDP is public, plus a transition period.',
        terms:
          p % 3 === 0
            ? [
                { kind: 'authorizes', from: date(2005, p) },
                { kind: 'ends-on', effectiveOn: date(2008, p) },
              ]
            : [
                {
                  kind: 'sunset-after-trigger',
                  trigger: {
                    specificationId: `spec-${(p + 1) % SPECS}`,
                    event: 'tdp-public-release',
                  },
                  offset: { months: 4 },
                },
              ],
      },
    },
  ];
  if (p % 10 === 0) {
    history.push(
      {
        type: 'LicenseApplicationSubmitted',
        data: { applicationId: `app-${p}`, submittedOn: date(2006, p), documentRef: `APP-${p}` },
      },
      {
        type: 'LicenseApplicationDecided',
        data: {
          applicationId: `app-${p}`,
          decidedOn: date(2006, p + 3),
          decision: p % 20 === 0 ? 'approved' : 'rejected',
          reasons: ['reviewed'],
          resubmissionAllowed: true,
        },
      },
    );
  }
  for (let i = history.length; i < count; i++)
    history.push({
      type: 'ShipmentRecorded',
      data: {
        shipmentId: `sh-${p}-${i}`,
        shippedOn: date(2005 + (i % 4), i),
        units: 1 + (i % 50),
        customerRef: `C-${i % 997}`,
      },
    });
  return history;
}

function date(year: number, n: number): string {
  return `${year}-${String((n % 12) + 1).padStart(2, '0')}-${String((n % 28) + 1).padStart(2, '0')}`;
}

async function append(store: EventStore, stream: string, events: DomainEvent[]): Promise<number> {
  await store.append(
    stream,
    events.map((e) => ({
      eventId: crypto.randomUUID(),
      type: e.type,
      data: e.data,
      metadata: {
        recordedBy: 'bench',
        correlationId: crypto.randomUUID(),
        causationId: null,
        schemaVersion: SCHEMA_VERSION,
      },
    })),
    { expectedRevision: 'no-stream' },
  );
  return events.length;
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
