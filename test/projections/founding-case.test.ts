import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  handleProgramCommand,
  handleSpecificationCommand,
} from '../../src/commands/handle-command.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
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

const folder = mkdtempSync(join(tmpdir(), 'ledger-founding-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('the founding case through the SQLite store and the projections', async () => {
  const store = openSqliteEventStore(join(folder, 'ledger.sqlite'));
  const runtime = await startProjections(store, ledgerProjections);
  const queries = ledgerQueries(store, runtime);
  const as = { recordedBy: 'compliance-office' };
  afterAll(async () => {
    await runtime.close();
    await store.close();
  });

  it('answers every step of docs/design.md §5 as the facts arrive', async () => {
    await handleSpecificationCommand(
      store,
      SUCCESSOR_SPEC,
      { type: 'RegisterSpecification', data: successorSpecification },
      as,
    );
    await handleProgramCommand(store, PROGRAM_ID, { type: 'RegisterProgram', data: program }, as);
    const notice = await handleProgramCommand(
      store,
      PROGRAM_ID,
      { type: 'RecordNotice', data: extensionNotice },
      as,
    );
    await runtime.waitFor(notice.position);

    const step1 = queries.status(PROGRAM_ID, { at: '2006-06-01' });
    expect(step1).toMatchObject({ status: 'authorized', until: null });
    expect(step1?.pendingConditions).toHaveLength(1);

    const { specificationId: _, ...release } = tdpRelease;
    const tdp = await handleSpecificationCommand(
      store,
      SUCCESSOR_SPEC,
      { type: 'ReleaseTechnicalDataPackage', data: release },
      as,
    );
    await runtime.waitFor(tdp.position);
    expect(queries.status(PROGRAM_ID, { at: '2007-06-01' })).toMatchObject({
      status: 'authorized',
      until: '2007-09-08',
      pendingConditions: [],
    });
    const before = queries.status(PROGRAM_ID, {
      at: '2007-06-01',
      asKnownAt: { position: tdp.position - 1 },
    });
    expect(before).toMatchObject({ status: 'authorized', until: null });
    expect(before?.pendingConditions).toHaveLength(1);
    expect(queries.status(PROGRAM_ID, { at: '2007-09-08' })?.status).toBe('expired');

    const late = await handleProgramCommand(
      store,
      PROGRAM_ID,
      {
        type: 'RecordShipment',
        data: { shipmentId: 'sh-2007-09-10', shippedOn: '2007-09-10', units: 12 },
      },
      as,
    );
    const early = await handleProgramCommand(
      store,
      PROGRAM_ID,
      {
        type: 'RecordShipment',
        data: { shipmentId: 'sh-2006-03-01', shippedOn: '2006-03-01', units: 30 },
      },
      as,
    );
    await runtime.waitFor(early.position);
    const found = queries.violations();
    expect(found.map((v) => v.shipmentId)).toEqual(['sh-2007-09-10']);
    expect(found[0]).toMatchObject({
      eventId: late.events[0]?.eventId,
      asKnownNow: { status: 'expired', compliant: false },
      asKnownWhenRecorded: { status: 'expired', compliant: false },
    });

    const trail = await queries.auditTrail(PROGRAM_ID);
    expect(trail?.map((e) => e.type)).toEqual([
      'SpecificationRegistered',
      'ProgramRegistered',
      'NoticeReceived',
      'TechnicalDataPackageReleased',
      'ShipmentRecorded',
      'ShipmentRecorded',
    ]);
    expect(
      trail?.every((e) => e.recordedBy === 'compliance-office' && /^[0-9a-f]{64}$/.test(e.hash)),
    ).toBe(true);
    expect(trail?.[2]?.documentRef).toBe('press-release-2005-12-08.txt');

    expect(
      queries.timeline(PROGRAM_ID)?.map(({ from, until, status }) => ({ from, until, status })),
    ).toEqual([
      { from: null, until: '2005-12-08', status: 'not-authorized' },
      { from: '2005-12-08', until: '2007-09-08', status: 'authorized' },
      { from: '2007-09-08', until: null, status: 'expired' },
    ]);
    expect(queries.deadlines({ today: '2007-06-01', withinDays: 120 })).toEqual([
      expect.objectContaining({ programId: PROGRAM_ID, until: '2007-09-08', daysLeft: 99 }),
    ]);
    expect(queries.deadlines({ today: '2007-06-01', withinDays: 90 })).toEqual([]);
  });
});
