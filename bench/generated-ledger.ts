/**
 * A generated ledger of realistic shape for the benchmarks: 20 specifications with their TDP
 * releases, and per program a registration, a notice (a sunset after a TDP, or a grant with an
 * end date), now and then a license application and decision, and the rest shipments.
 */
import { type DomainEvent, EVENT_SCHEMA_VERSION, streams } from '../src/domain/index.ts';
import type { EventStore } from '../src/eventstore/port.ts';
import { openSqliteEventStore } from '../src/eventstore/sqlite/index.ts';

const SPECS = 20;

/** Writes about `total` events (100 per program) into a new SQLite ledger at `file`. */
export async function generateLedger(
  file: string,
  total: number,
): Promise<{ events: number; ms: number; programs: number }> {
  const PROGRAMS = Math.max(1, Math.round(total / 100));
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
  const perProgram = Math.max(3, Math.floor((total - events) / PROGRAMS));
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
  return { events, ms: performance.now() - started, programs: PROGRAMS };
}

export function programHistory(p: number, count: number): DomainEvent[] {
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

export function date(year: number, n: number): string {
  return `${year}-${String((n % 12) + 1).padStart(2, '0')}-${String((n % 28) + 1).padStart(2, '0')}`;
}

export async function append(
  store: EventStore,
  stream: string,
  events: DomainEvent[],
): Promise<number> {
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
        schemaVersion: EVENT_SCHEMA_VERSION,
      },
    })),
    { expectedRevision: 'no-stream' },
  );
  return events.length;
}
