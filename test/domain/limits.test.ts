import { describe, expect, it } from 'vitest';
import {
  checkLines,
  type EventData,
  type Fact,
  judgeRecorded,
  knowledgeOf,
  type Shipped,
  streams,
  type Term,
} from '../../src/domain/index.ts';
import { extensionNotice, PROGRAM_ID, program } from '../support/founding-case.ts';
import { factLedger } from '../support/ledger.ts';

/** Limits and checks (docs/design.md "Limits on units shipped", "Checks") at the edges of windows and limits. */

const stream = streams.program(PROGRAM_ID);

function given() {
  const l = factLedger('2024-12-01T12:00:00.000Z');
  l.record(stream, { type: 'ProgramRegistered', data: program });
  const letter = (
    noticeId: string,
    receivedOn: string,
    terms: Term[],
    extra: Partial<EventData<'NoticeReceived'>> = {},
  ) =>
    l.record(stream, {
      type: 'NoticeReceived',
      data: { ...extensionNotice, noticeId, receivedOn, terms, ...extra },
    });
  return { l, letter };
}

const authorizes = (from: string): Term => ({ kind: 'authorizes', from });
const limit = (
  units: number,
  extra: Partial<Extract<Term, { kind: 'limits-units' }>> = {},
): Term => ({
  kind: 'limits-units',
  units,
  ...extra,
});
const check = (
  facts: Fact[],
  onRecord: Shipped[],
  line: Shipped,
  asKnownAt?: { position: number },
) => checkLines(knowledgeOf(facts, asKnownAt), onRecord, [line])[0];

describe('the last authorized day and the first day after', () => {
  it('allows a shipment on the last authorized day and blocks one on the day after, naming the letter', () => {
    const { l, letter } = given();
    const n1 = letter('n-1', '2025-01-01', [
      authorizes('2025-01-01'),
      { kind: 'ends-on', effectiveOn: '2025-07-01' },
    ]);
    const last = check(l.facts, [], { shippedOn: '2025-06-30', units: 1 });
    expect(last?.decision).toBe('allowed');
    expect(last?.lastAuthorizedDay).toBe('2025-06-30');
    expect(last?.basis.map((b) => b.eventId)).toContain(n1.eventId);
    const after = check(l.facts, [], { shippedOn: '2025-07-01', units: 1 });
    expect(after).toMatchObject({
      decision: 'blocked',
      status: 'expired',
      lastAuthorizedDay: '2025-06-30',
      breach: { kind: 'outside-authorization', status: 'expired' },
    });
    expect(after?.explanation).toMatch(/^Blocked: expired on 2025-07-01 .*notice n-1/);
  });
});

describe('the unit that fits and the one that does not', () => {
  const { l, letter } = given();
  const n1 = letter('n-1', '2025-01-01', [authorizes('2025-01-01'), limit(100)]);
  const onRecord = [{ shippedOn: '2025-02-01', units: 60 }];

  it('allows the last 40 of 100 units per authorization, leaving 0', () => {
    const fits = check(l.facts, onRecord, { shippedOn: '2025-03-01', units: 40 });
    expect(fits?.decision).toBe('allowed');
    expect(fits?.remaining).toEqual([
      expect.objectContaining({
        eventId: n1.eventId,
        limit: 100,
        per: 'authorization',
        used: 60,
        remaining: 0,
        period: { from: '2025-01-01', until: null, name: 'authorization from 2025-01-01' },
      }),
    ]);
    expect(fits?.basis.find((b) => b.eventId === n1.eventId)?.roles).toEqual([
      'authorizes',
      'limits',
    ]);
  });

  it('blocks 41, one over, and says by how much and which letter', () => {
    const over = check(l.facts, onRecord, { shippedOn: '2025-03-01', units: 41 });
    expect(over?.decision).toBe('blocked');
    expect(over?.breach).toMatchObject({ kind: 'over-limit', limit: { remaining: -1 } });
    expect(over?.explanation).toBe(
      'Blocked: 41 units shipped on 2025-03-01 would bring the units shipped in the authorization from 2025-01-01 to 101, over the limit of 100 units per authorization set by notice n-1 by 1.',
    );
  });
});

describe('per-period limits across a period boundary', () => {
  const cases = [
    ['month', '2025-03-31', '2025-04-01', 'month 2025-04'],
    ['quarter', '2025-03-31', '2025-04-01', 'quarter 2025-Q2'],
    ['year', '2025-12-31', '2026-01-01', 'year 2026'],
  ] as const;
  for (const [per, lastDay, firstDay, nextName] of cases)
    it(`${per}: full on ${lastDay}, fresh on ${firstDay}`, () => {
      const { l, letter } = given();
      letter('n-1', '2025-01-01', [authorizes('2025-01-01'), limit(50, { per })]);
      const onRecord = [{ shippedOn: lastDay, units: 50 }];
      expect(check(l.facts, onRecord, { shippedOn: lastDay, units: 1 })?.decision).toBe('blocked');
      const next = check(l.facts, onRecord, { shippedOn: firstDay, units: 1 });
      expect(next?.decision).toBe('allowed');
      expect(next?.remaining[0]).toMatchObject({
        used: 0,
        remaining: 49,
        period: { name: nextName },
      });
    });

  it('a limit without per counts over the window the shipment falls in, not the next one', () => {
    const { l, letter } = given();
    letter('n-1', '2025-01-01', [
      authorizes('2025-01-01'),
      { kind: 'ends-on', effectiveOn: '2025-04-01' },
      limit(10),
    ]);
    letter('n-2', '2025-06-01', [authorizes('2025-06-01')]);
    const onRecord = [{ shippedOn: '2025-03-01', units: 10 }];
    expect(check(l.facts, onRecord, { shippedOn: '2025-03-02', units: 1 })?.decision).toBe(
      'blocked',
    );
    // n-1's limit still judges (no letter supersedes it); the new window starts from 0.
    expect(
      check(l.facts, onRecord, { shippedOn: '2025-06-02', units: 10 })?.remaining[0],
    ).toMatchObject({
      used: 0,
      remaining: 0,
      period: { from: '2025-06-01' },
    });
  });
});

describe('a superseding letter raises or lowers a limit from its effective date', () => {
  const onRecord = [{ shippedOn: '2025-03-01', units: 90 }];
  for (const [units, before, after] of [
    [150, 'blocked', 'allowed'],
    [80, 'allowed', 'blocked'],
  ] as const)
    it(`to ${units}: ${before} on 2025-06-30, ${after} from 2025-07-01`, () => {
      const { l, letter } = given();
      letter('n-1', '2025-01-01', [authorizes('2025-01-01'), limit(100)]);
      letter('n-2', '2025-06-15', [authorizes('2025-01-01'), limit(units)], {
        supersedes: ['n-1'],
        effectiveOn: '2025-07-01',
      });
      const shipment = units === 150 ? 20 : 5;
      const june = check(l.facts, onRecord, { shippedOn: '2025-06-30', units: shipment });
      const july = check(l.facts, onRecord, { shippedOn: '2025-07-01', units: shipment });
      expect(june?.decision).toBe(before);
      expect(june?.remaining.map((r) => r.setBy)).toEqual(['notice n-1']);
      expect(july?.decision).toBe(after);
      expect(july?.remaining.map((r) => [r.setBy, r.used])).toEqual([['notice n-2', 90]]);
    });
});

describe('as known before and after a late letter', () => {
  it('allows as known before the letter capping the year arrived, blocks as known after', () => {
    const { l, letter } = given();
    letter('n-1', '2025-01-01', [authorizes('2025-01-01')]);
    const late = letter('n-2', '2025-05-01', [limit(100, { per: 'year' })], {
      effectiveOn: '2025-01-01',
    });
    const onRecord = [{ shippedOn: '2025-02-01', units: 90 }];
    const line = { shippedOn: '2025-06-01', units: 20 };
    const before = check(l.facts, onRecord, line, { position: late.position - 1 });
    expect(before?.decision).toBe('allowed');
    expect(before?.remaining).toEqual([]);
    const after = check(l.facts, onRecord, line, { position: late.position });
    expect(after?.decision).toBe('blocked');
    expect(after?.basis.map((b) => b.eventId)).toContain(late.eventId);
  });
});

describe('several limits, narrowed by customer and destination', () => {
  it('every limit judging the line is reported, the tightest first, and decides', () => {
    const { l, letter } = given();
    letter('n-1', '2025-01-01', [
      authorizes('2025-01-01'),
      limit(1000, { per: 'year' }),
      limit(30, { per: 'month', customerRef: 'acme' }),
      limit(5, { destination: 'CA' }),
    ]);
    const onRecord: Shipped[] = [
      { shippedOn: '2025-03-01', units: 25, customerRef: 'acme' },
      { shippedOn: '2025-03-02', units: 100, customerRef: 'other' },
    ];
    const acme = check(l.facts, onRecord, {
      shippedOn: '2025-03-05',
      units: 6,
      customerRef: 'acme',
    });
    expect(acme?.decision).toBe('blocked');
    expect(acme?.remaining.map((r) => [r.limit, r.used, r.remaining])).toEqual([
      [30, 25, -1],
      [1000, 125, 869],
    ]);
    const other = check(l.facts, onRecord, {
      shippedOn: '2025-03-05',
      units: 6,
      customerRef: 'other',
    });
    expect(other?.decision).toBe('allowed');
    const canada = check(l.facts, onRecord, {
      shippedOn: '2025-03-05',
      units: 6,
      destination: 'CA',
    });
    expect(canada?.breach).toMatchObject({
      kind: 'over-limit',
      limit: { limit: 5, remaining: -1 },
    });
  });

  it('an approval sets limits from its decision date', () => {
    const { l } = given();
    l.record(stream, {
      type: 'LicenseApplicationSubmitted',
      data: { applicationId: 'a-1', submittedOn: '2025-01-01', documentRef: 'app' },
    });
    l.record(stream, {
      type: 'LicenseApplicationDecided',
      data: {
        applicationId: 'a-1',
        decidedOn: '2025-02-01',
        decision: 'approved',
        reasons: [],
        resubmissionAllowed: false,
        limits: [{ units: 10, per: 'quarter' }],
      },
    });
    const answer = check(l.facts, [], { shippedOn: '2025-02-01', units: 11 });
    expect(answer?.explanation).toContain('set by the approval of license application a-1 by 1');
  });
});

describe('order lines deplete in order; recorded shipments are judged in record order', () => {
  it('a blocked line does not use units; an allowed one does', () => {
    const { l, letter } = given();
    letter('n-1', '2025-01-01', [authorizes('2025-01-01'), limit(100)]);
    const lines = [80, 30, 20, 1].map((units) => ({ shippedOn: '2025-03-01', units }));
    expect(checkLines(knowledgeOf(l.facts), [], lines).map((j) => j.decision)).toEqual([
      'allowed',
      'blocked',
      'allowed',
      'blocked',
    ]);
  });

  it('every recorded shipment counts, so one over the limit and those after it are violations', () => {
    const { l, letter } = given();
    letter('n-1', '2025-01-01', [authorizes('2025-01-01'), limit(100)]);
    const recorded = [80, 30, 20].map((units) => ({ shippedOn: '2025-03-01', units }));
    expect(judgeRecorded(knowledgeOf(l.facts), recorded).map((j) => j.decision)).toEqual([
      'allowed',
      'blocked',
      'blocked',
    ]);
  });
});
