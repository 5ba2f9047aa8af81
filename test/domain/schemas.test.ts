import { describe, expect, it } from 'vitest';
import { DomainEvent, NoticeReceived, ProgramCommand, Slug, Term } from '../../src/domain/index.ts';
import { extensionNotice } from '../support/founding-case.ts';

describe('schemas', () => {
  it('normalizes identifiers to lower case and refuses what is not a slug', () => {
    expect(Slug.parse('  American-Locker.1118E ')).toBe('american-locker.1118e');
    for (const bad of ['', '-leading-dash', 'has space', 'x'.repeat(65), 'ünïcode'])
      expect(Slug.safeParse(bad).success).toBe(false);
  });

  it('accepts the founding notice and refuses impossible dates, unknown fields and empty offsets', () => {
    expect(NoticeReceived.parse(extensionNotice)).toEqual(extensionNotice);
    expect(NoticeReceived.safeParse({ ...extensionNotice, receivedOn: '2005-02-29' }).success).toBe(
      false,
    );
    expect(NoticeReceived.safeParse({ ...extensionNotice, extra: 1 }).success).toBe(false);
    const emptyOffset = {
      kind: 'sunset-after-trigger',
      trigger: { specificationId: 'usps-b-1118f', event: 'tdp-public-release' },
      offset: {},
    };
    const result = Term.safeParse(emptyOffset);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(
      /positive number of years, months, weeks or days/,
    );
    expect(Term.safeParse({ kind: 'expires', on: '2007-01-01' }).success).toBe(false);
  });

  it('discriminates events and commands by type', () => {
    expect(DomainEvent.safeParse({ type: 'NoticeReceived', data: extensionNotice }).success).toBe(
      true,
    );
    expect(DomainEvent.safeParse({ type: 'NoticeLost', data: extensionNotice }).success).toBe(
      false,
    );
    const shipment = ProgramCommand.safeParse({
      type: 'RecordShipment',
      data: { shipmentId: 'S-1', shippedOn: '2007-09-10', units: 0 },
    });
    expect(shipment.success).toBe(false);
    expect(shipment.error?.issues[0]?.path).toEqual(['data', 'units']);
  });
});
