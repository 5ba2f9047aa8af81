import { describe, expect, it } from 'vitest';
import { streams } from '../../src/domain/index.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import { ledgerProjections, ledgerQueries } from '../../src/projections/ledger-queries.ts';
import { startProjections } from '../../src/projections/runtime.ts';
import {
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
  tdpRelease,
} from '../support/founding-case.ts';
import { recordEvent } from '../support/recording.ts';

const programStream = streams.program(PROGRAM_ID);
const specStream = streams.specification(SUCCESSOR_SPEC);

async function foundingLedger() {
  const store = openMemoryEventStore();
  await recordEvent(store, specStream, {
    type: 'SpecificationRegistered',
    data: successorSpecification,
  });
  await recordEvent(store, programStream, { type: 'ProgramRegistered', data: program });
  await recordEvent(store, programStream, { type: 'NoticeReceived', data: extensionNotice });
  const runtime = await startProjections(store, ledgerProjections);
  return { store, runtime, queries: ledgerQueries(store, runtime) };
}

describe('violations', () => {
  it('judges each shipment as known now and as known when it was recorded', async () => {
    const { store, runtime, queries } = await foundingLedger();
    // Shipped after what will be the sunset, but recorded while the TDP was still unknown.
    const shipment = await recordEvent(store, programStream, {
      type: 'ShipmentRecorded',
      data: { shipmentId: 'sh-1', shippedOn: '2007-09-10', units: 5 },
    });
    await runtime.waitFor(shipment.position);
    expect(queries.violations()).toEqual([]);
    const tdp = await recordEvent(store, specStream, {
      type: 'TechnicalDataPackageReleased',
      data: tdpRelease,
    });
    await runtime.waitFor(tdp.position);
    expect(queries.violations()).toEqual([
      expect.objectContaining({
        shipmentId: 'sh-1',
        position: shipment.position,
        asKnownNow: expect.objectContaining({
          status: 'expired',
          rule: 'expired-by-sunset-after-trigger',
          compliant: false,
          breach: {
            kind: 'outside-authorization',
            status: 'expired',
            rule: 'expired-by-sunset-after-trigger',
          },
          limits: [],
        }),
        asKnownWhenRecorded: expect.objectContaining({
          status: 'authorized',
          rule: 'authorized-as-continued-by-notice',
          compliant: true,
          breach: null,
        }),
      }),
    ]);
    const retraction = await recordEvent(store, programStream, {
      type: 'EventRetracted',
      data: { retractedEventId: shipment.events[0]?.eventId as string, reason: 'never shipped' },
    });
    await runtime.waitFor(retraction.position);
    expect(queries.violations()).toEqual([]);
  });
});

describe('backdating', () => {
  it('lists facts recorded more than N days after their valid date', async () => {
    const { store, runtime, queries } = await foundingLedger();
    const shipment = await recordEvent(store, programStream, {
      type: 'ShipmentRecorded',
      data: { shipmentId: 'sh-old', shippedOn: '2006-01-02', units: 5 },
    });
    await runtime.waitFor(shipment.position);
    const today = new Date().toISOString().slice(0, 10);
    const report = queries.backdating(30);
    expect(report.map((b) => b.type).sort()).toEqual(['NoticeReceived', 'ShipmentRecorded']);
    const shipped = report.find((b) => b.type === 'ShipmentRecorded');
    expect(shipped).toMatchObject({
      validDate: '2006-01-02',
      stream: programStream,
      position: shipment.position,
    });
    expect(shipped?.recordedAt.slice(0, 10)).toBe(today);
    expect(shipped?.lagDays).toBeGreaterThan(365 * 15);
    expect(queries.backdating(100_000)).toEqual([]);
  });
});

describe('audit trail', () => {
  it('links retractions both ways and answers as known at a position', async () => {
    const { store, runtime, queries } = await foundingLedger();
    const tdp = await recordEvent(store, specStream, {
      type: 'TechnicalDataPackageReleased',
      data: tdpRelease,
    });
    const tdpId = tdp.events[0]?.eventId as string;
    const retraction = await recordEvent(store, specStream, {
      type: 'EventRetracted',
      data: { retractedEventId: tdpId, reason: 'draft, not public' },
    });
    await runtime.waitFor(retraction.position);
    const trail = (await queries.auditTrail(PROGRAM_ID)) ?? [];
    const released = trail.find((e) => e.eventId === tdpId);
    const retracting = trail.at(-1);
    expect(released?.retractedBy).toBe(retracting?.eventId);
    expect(retracting).toMatchObject({
      type: 'EventRetracted',
      retracts: tdpId,
      stream: specStream,
      revision: 2,
    });
    expect(trail.map((e) => e.position)).toEqual(
      [...trail.map((e) => e.position)].sort((a, b) => a - b),
    );
    const earlier = (await queries.auditTrail(PROGRAM_ID, { position: tdp.position })) ?? [];
    expect(earlier.at(-1)).toMatchObject({ eventId: tdpId, retractedBy: null });
    expect(await queries.auditTrail('no-such-program')).toBeNull();
  });
});

describe('programs and timeline', () => {
  it('lists programs with filters and shows suspensions on the timeline', async () => {
    const { store, runtime, queries } = await foundingLedger();
    await recordEvent(store, specStream, {
      type: 'TechnicalDataPackageReleased',
      data: tdpRelease,
    });
    const suspension = await recordEvent(store, programStream, {
      type: 'NoticeReceived',
      data: {
        ...extensionNotice,
        noticeId: 'susp',
        terms: [{ kind: 'suspends', from: '2007-06-01', until: '2007-07-01' }],
      },
    });
    await runtime.waitFor(suspension.position);
    expect(
      queries.programs({ at: '2007-06-15' }).map((p) => [p.programId, p.status.status]),
    ).toEqual([[PROGRAM_ID, 'suspended']]);
    expect(queries.programs({ at: '2007-06-15', status: 'authorized' })).toEqual([]);
    expect(queries.programs({ at: '2007-06-15', supplierId: 'someone-else' })).toEqual([]);
    expect(queries.timeline(PROGRAM_ID)?.map((i) => [i.from, i.until, i.status])).toEqual([
      [null, '2005-12-08', 'not-authorized'],
      ['2005-12-08', '2007-06-01', 'authorized'],
      ['2007-06-01', '2007-07-01', 'suspended'],
      ['2007-07-01', '2007-09-08', 'authorized'],
      ['2007-09-08', null, 'expired'],
    ]);
    expect(
      queries.timeline(PROGRAM_ID, { position: suspension.position - 1 })?.map((i) => i.status),
    ).toEqual(['not-authorized', 'authorized', 'expired']);
    expect(queries.status('no-such-program', { at: '2007-01-01' })).toBeNull();
  });
});
