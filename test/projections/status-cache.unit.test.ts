import { describe, expect, it } from 'vitest';
import { streams } from '../../src/domain/index.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import { ledgerProjections, ledgerQueries } from '../../src/projections/ledger-queries.ts';
import { startProjections } from '../../src/projections/runtime.ts';
import {
  currentSpecification,
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
  tdpRelease,
} from '../support/founding-case.ts';
import { recordEvent } from '../support/recording.ts';

const OTHER_ID = 'other-supplier.1118e.private-market';
const AT = { at: '2007-09-10' };

/** The founding case before the TDP release, and a second program beside it. */
async function twoPrograms() {
  const store = openMemoryEventStore();
  await recordEvent(store, streams.specification('usps-b-1118e'), {
    type: 'SpecificationRegistered',
    data: currentSpecification,
  });
  await recordEvent(store, streams.specification(SUCCESSOR_SPEC), {
    type: 'SpecificationRegistered',
    data: successorSpecification,
  });
  await recordEvent(store, streams.program(PROGRAM_ID), {
    type: 'ProgramRegistered',
    data: program,
  });
  await recordEvent(store, streams.program(PROGRAM_ID), {
    type: 'NoticeReceived',
    data: extensionNotice,
  });
  await recordEvent(store, streams.program(OTHER_ID), {
    type: 'ProgramRegistered',
    data: { ...program, programId: OTHER_ID, supplierId: 'other-supplier' },
  });
  const runtime = await startProjections(store, ledgerProjections);
  /** The same question to queries with nothing kept: what the answer must be. */
  const uncached = () => ledgerQueries(store, runtime).status(PROGRAM_ID, AT);
  return { store, runtime, queries: ledgerQueries(store, runtime), uncached };
}

describe('the status answer cache', () => {
  it('keeps the answer while only another program changes', async () => {
    const { store, runtime, queries } = await twoPrograms();
    const first = queries.status(PROGRAM_ID, AT);
    const appended = await recordEvent(store, streams.program(OTHER_ID), {
      type: 'ProgramEnded',
      data: { endedOn: '2007-01-01', reason: 'the supplier left the market' },
    });
    await runtime.waitFor(appended.position);
    expect(queries.status(PROGRAM_ID, AT)).toBe(first);
  });

  it('answers afresh after an append to the program', async () => {
    const { store, runtime, queries, uncached } = await twoPrograms();
    const first = queries.status(PROGRAM_ID, AT);
    const appended = await recordEvent(store, streams.program(PROGRAM_ID), {
      type: 'ProgramEnded',
      data: { endedOn: '2007-01-01', reason: 'the supplier left the market' },
    });
    await runtime.waitFor(appended.position);
    const next = queries.status(PROGRAM_ID, AT);
    expect(next?.status).not.toBe(first?.status);
    expect(next).toEqual(uncached());
  });

  it('answers afresh after an append to a specification the program depends on', async () => {
    const { store, runtime, queries, uncached } = await twoPrograms();
    expect(queries.status(PROGRAM_ID, AT)?.status).toBe('authorized');
    const appended = await recordEvent(store, streams.specification(SUCCESSOR_SPEC), {
      type: 'TechnicalDataPackageReleased',
      data: tdpRelease,
    });
    await runtime.waitFor(appended.position);
    expect(queries.status(PROGRAM_ID, AT)?.status).toBe('expired');
    expect(queries.status(PROGRAM_ID, AT)).toEqual(uncached());
  });

  it('keeps answers apart by asKnownAt', async () => {
    const { store, runtime, queries } = await twoPrograms();
    const appended = await recordEvent(store, streams.specification(SUCCESSOR_SPEC), {
      type: 'TechnicalDataPackageReleased',
      data: tdpRelease,
    });
    await runtime.waitFor(appended.position);
    const before = { ...AT, asKnownAt: { position: appended.position - 1 } };
    expect(queries.status(PROGRAM_ID, before)?.status).toBe('authorized');
    expect(queries.status(PROGRAM_ID, AT)?.status).toBe('expired');
    expect(queries.status(PROGRAM_ID, before)?.status).toBe('authorized');
  });

  it('keeps one answer for ledger sizes past every fact it reads (the alert engine asks at each position)', async () => {
    const { store, runtime, queries } = await twoPrograms();
    const first = queries.status(PROGRAM_ID, { ...AT, ledgerSize: runtime.position });
    for (let i = 0; i < 3; i++) {
      const appended = await recordEvent(store, streams.program(OTHER_ID), {
        type: 'ShipmentRecorded',
        data: { shipmentId: `other-${i}`, shippedOn: '2006-01-01', units: 1 },
      });
      await runtime.waitFor(appended.position);
      // The same answer object: served from the one kept entry, not kept again per size.
      expect(queries.status(PROGRAM_ID, { ...AT, ledgerSize: appended.position })).toBe(first);
    }
    expect(queries.status(PROGRAM_ID, AT)).toBe(first);
  });

  it("keeps a cut answer apart: a ledger size before the program's notice", async () => {
    const { runtime, queries } = await twoPrograms();
    const now = queries.status(PROGRAM_ID, { ...AT, ledgerSize: runtime.position });
    const beforeNotice = queries.status(PROGRAM_ID, { ...AT, ledgerSize: 3 });
    expect(beforeNotice).not.toEqual(now);
    expect(queries.status(PROGRAM_ID, { ...AT, ledgerSize: runtime.position })).toBe(now);
  });
});
