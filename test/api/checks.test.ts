import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROGRAM_ID, program } from '../support/founding-case.ts';
import {
  expectProblem,
  expectRecorded,
  expectValidationProblem,
  paths,
  registerSpecifications,
  signCheckpoint,
  startApi,
  type TestApi,
} from './support.ts';

/** Pre-shipment checks and limits through the API (docs/design.md "Limits on units shipped", "Checks"). */

const letter = {
  noticeId: 'n-2025-01',
  issuer: 'USPS',
  receivedOn: '2025-01-01',
  documentRef: 'letter-2025-01.pdf',
  summary: 'Supply authorized through 2025, at most 100 units, at most 30 a month to acme.',
  terms: [
    { kind: 'authorizes', from: '2025-01-01' },
    { kind: 'ends-on', effectiveOn: '2026-01-01' },
    { kind: 'limits-units', units: 100 },
    { kind: 'limits-units', units: 30, per: 'month', customerRef: 'acme' },
  ],
};
const checks = paths.program('checks');

let api: TestApi;
let notice: { eventId: string; position: number };
beforeEach(async () => {
  api = await startApi();
  await registerSpecifications(api);
  expectRecorded(await api.post(paths.programs, program));
  notice = expectRecorded(await api.post(paths.program('notices'), letter));
});
afterEach(() => api.close());

const ship = async (shipmentId: string, shippedOn: string, units: number, extra = {}) =>
  api.post(paths.program('shipments'), { shipmentId, shippedOn, units, ...extra });

describe('POST /v1/programs/{id}/checks', () => {
  it('answers allowed on the last authorized day and blocked the day after, writing nothing', async () => {
    const before = await api.eventCount();
    const last = await api.post(checks, { shippedOn: '2025-12-31', units: 10 });
    expect(last.statusCode, last.body).toBe(200);
    expect(last.data).toMatchObject({
      programId: PROGRAM_ID,
      decision: 'allowed',
      lastAuthorizedDay: '2025-12-31',
      remaining: [expect.objectContaining({ limit: 100, used: 0, remaining: 90 })],
      recorded: null,
    });
    expect(last.data.basis).toEqual([
      expect.objectContaining({ type: 'ProgramRegistered' }),
      expect.objectContaining({ eventId: notice.eventId, roles: ['authorizes', 'ends', 'limits'] }),
    ]);
    const after = await api.post(checks, { shippedOn: '2026-01-01', units: 10 });
    expect(after.data).toMatchObject({ decision: 'blocked', status: 'expired' });
    expect(after.data.explanation).toMatch(/^Blocked: expired on 2026-01-01/);
    expect(await api.eventCount()).toBe(before);
  });

  it('the unit that fits and the one that does not; a retraction gives the units back', async () => {
    const shipped = expectRecorded(await ship('s-1', '2025-02-01', 95));
    expect((await api.post(checks, { shippedOn: '2025-03-01', units: 5 })).data.decision).toBe(
      'allowed',
    );
    const over = await api.post(checks, { shippedOn: '2025-03-01', units: 6 });
    expect(over.data).toMatchObject({
      decision: 'blocked',
      breach: { kind: 'over-limit', limit: { limit: 100, used: 95, remaining: -1 } },
    });
    expect(over.data.explanation).toContain('set by notice n-2025-01 by 1');
    expectRecorded(
      await api.post(paths.retractions(shipped.eventId), { reason: 'entered twice by mistake' }),
    );
    const back = await api.post(checks, { shippedOn: '2025-03-01', units: 6 });
    expect(back.data).toMatchObject({
      decision: 'allowed',
      remaining: [{ used: 0, remaining: 94 }],
    });
  });

  it('answers each check from the letters on record when it is asked: a later letter and its retraction change the next answer at once (issue 30: the kept knowledge is never stale)', async () => {
    const line = { shippedOn: '2025-06-02', units: 60 };
    expect((await api.post(checks, line)).data).toMatchObject({
      decision: 'allowed',
      remaining: [{ limit: 100, remaining: 40 }],
    });
    const narrowing = expectRecorded(
      await api.post(paths.program('notices'), {
        ...letter,
        noticeId: 'n-2025-02',
        receivedOn: '2025-05-01',
        summary: 'Supply now ends on 2025-06-01, at most 50 units.',
        terms: [
          { kind: 'ends-on', effectiveOn: '2025-06-01' },
          { kind: 'limits-units', units: 50 },
        ],
      }),
    );
    expect((await api.post(checks, line)).data).toMatchObject({
      decision: 'blocked',
      status: 'expired',
    });
    expect((await api.post(checks, { ...line, shippedOn: '2025-05-30' })).data).toMatchObject({
      decision: 'blocked',
      breach: { kind: 'over-limit', limit: { limit: 50, remaining: -10 } },
    });
    expectRecorded(
      await api.post(paths.retractions(narrowing.eventId), { reason: 'sent to the wrong program' }),
    );
    expect((await api.post(checks, line)).data).toMatchObject({
      decision: 'allowed',
      remaining: [{ limit: 100, remaining: 40 }],
    });
  });

  it('a monthly limit narrowed to a customer, across the month boundary', async () => {
    expectRecorded(await ship('s-1', '2025-03-31', 30, { customerRef: 'acme' }));
    const march = await api.post(checks, {
      shippedOn: '2025-03-31',
      units: 1,
      customerRef: 'acme',
    });
    expect(march.data.decision).toBe('blocked');
    const april = await api.post(checks, {
      shippedOn: '2025-04-01',
      units: 1,
      customerRef: 'acme',
    });
    expect(april.data.decision).toBe('allowed');
    expect(
      april.data.remaining.map((r: { limit: number; remaining: number }) => [r.limit, r.remaining]),
    ).toEqual([
      [30, 29],
      [100, 69],
    ]);
    const other = await api.post(checks, {
      shippedOn: '2025-03-31',
      units: 1,
      customerRef: 'other',
    });
    expect(other.data.decision).toBe('allowed');
  });

  it('answers as the ledger knew before and after a late letter lowering the limit', async () => {
    expectRecorded(await ship('s-1', '2025-02-01', 50));
    const lowered = expectRecorded(
      await api.post(paths.program('notices'), {
        ...letter,
        noticeId: 'n-2025-06',
        receivedOn: '2025-06-01',
        effectiveOn: '2025-07-01',
        supersedes: ['n-2025-01'],
        terms: [
          { kind: 'ends-on', effectiveOn: '2026-01-01' },
          { kind: 'limits-units', units: 40 },
        ],
      }),
    );
    const line = { shippedOn: '2025-07-01', units: 10 };
    const before = await api.post(`${checks}?asKnownAt=${lowered.position - 1}`, line);
    expect(before.data.decision).toBe('allowed');
    const now = await api.post(checks, line);
    expect(now.data).toMatchObject({ decision: 'blocked', remaining: [{ limit: 40, used: 50 }] });
    // Before the letter's effective date the first letter still judges.
    const june = await api.post(checks, { shippedOn: '2025-06-30', units: 10 });
    expect(june.data).toMatchObject({ decision: 'allowed', remaining: [{ limit: 100 }] });
  });

  it('checks a planned date in the future, refuses bad input and unknown programs', async () => {
    const future = await api.post(checks, { shippedOn: '2025-11-30', units: 1 });
    expect(future.statusCode).toBe(200);
    expect(
      expectValidationProblem(await api.post(checks, { shippedOn: '2025-02-30', units: 0 })),
    ).toEqual(expect.arrayContaining(['body.shippedOn', 'body.units']));
    expectProblem(
      await api.post(paths.program('checks', 'no-such-program'), {
        shippedOn: '2025-03-01',
        units: 1,
      }),
      404,
    );
  });
});

describe('recording a check', () => {
  it('keeps a ShipmentChecked event; a retry under the same key answers the same, once', async () => {
    const headers = { 'idempotency-key': 'erp-order-4711' };
    const first = await api.post(
      checks,
      { shippedOn: '2025-03-01', units: 60, record: true },
      { headers },
    );
    expect(first.statusCode, first.body).toBe(200);
    expect(first.data.recorded).toMatchObject({
      programId: PROGRAM_ID,
      eventId: expect.any(String),
    });
    const stream = await api.get(`/v1/events?fromPosition=${first.data.recorded.position}&limit=1`);
    expect(stream.data.events[0]).toMatchObject({
      type: 'ShipmentChecked',
      data: {
        lines: [
          {
            shippedOn: '2025-03-01',
            units: 60,
            decision: 'allowed',
            explanation: first.data.explanation,
            basis: first.data.basis.map((b: { eventId: string }) => b.eventId),
          },
        ],
      },
    });
    // The shipments moved on; the retry still answers as the ledger knew when the check was kept.
    expectRecorded(await ship('s-1', '2025-02-01', 50));
    const count = await api.eventCount();
    const retry = await api.post(
      checks,
      { shippedOn: '2025-03-01', units: 60, record: true },
      { headers },
    );
    expect(retry.data).toEqual(first.data);
    expect(await api.eventCount()).toBe(count);
    const fresh = await api.post(checks, { shippedOn: '2025-03-01', units: 60 });
    expect(fresh.data.decision).toBe('blocked');
    const reused = await api.post(
      checks,
      { shippedOn: '2025-03-01', units: 61, record: true },
      { headers },
    );
    expect(expectProblem(reused, 422).detail).toBe(
      'Idempotency-Key erp-order-4711 was already used for a different request',
    );
  });

  it('an auditor may check but not record', async () => {
    expect(
      (await api.post(checks, { shippedOn: '2025-03-01', units: 1 }, { as: 'auditor' })).statusCode,
    ).toBe(200);
    expectProblem(
      await api.post(
        checks,
        { shippedOn: '2025-03-01', units: 1, record: true },
        { as: 'auditor' },
      ),
      403,
    );
  });
});

describe('a recorded shipment over a limit', () => {
  it('answers 201 with the violation at once, and the violations list shows used and remaining', async () => {
    const within = await ship('s-1', '2025-02-01', 90);
    expectRecorded(within);
    expect(within.data.violation).toBeNull();
    const over = await ship('s-2', '2025-02-02', 20);
    expectRecorded(over);
    expect(over.data.violation).toMatchObject({
      breach: { kind: 'over-limit', limit: { limit: 100, used: 90, remaining: -10 } },
      explanation: expect.stringContaining('over the limit of 100 units per authorization'),
    });
    const outside = await ship('s-3', '2026-01-05', 1);
    expect(outside.data.violation).toMatchObject({
      breach: { kind: 'outside-authorization', status: 'expired' },
    });
    const listed = await api.get('/v1/compliance/violations');
    expect(listed.data.violations.map((v: { shipmentId: string }) => v.shipmentId)).toEqual([
      's-2',
      's-3',
    ]);
    expect(listed.data.violations[0].asKnownNow).toMatchObject({
      compliant: false,
      limits: [{ limit: 100, used: 90, remaining: -10 }],
    });
    await signCheckpoint(api); // reports cite the last kept checkpoint
    const report = await api.get(`/v1/programs/${PROGRAM_ID}/audit-report?format=md`);
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain(
      'limits as known now: 100 per authorization set by notice n-2025-01 in the authorization from 2025-01-01: 90 used before, -10 left after',
    );
  });
});

describe('POST /v1/checks', () => {
  it('answers 1,000 order lines in one request, lines of one program depleting in order', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => ({
      programId: i % 10 === 9 ? 'no-such-program' : PROGRAM_ID,
      shippedOn: `2025-${String((i % 12) + 1).padStart(2, '0')}-15`,
      units: 1,
    }));
    const before = await api.eventCount();
    const answer = await api.post('/v1/checks', { lines });
    expect(answer.statusCode, answer.body.slice(0, 500)).toBe(200);
    expect(answer.data.lines).toHaveLength(1000);
    const ours = answer.data.lines.filter((l: { programId: string }) => l.programId === PROGRAM_ID);
    expect(ours).toHaveLength(900);
    // 100 units per authorization: the first 100 lines of the program fit, the rest do not.
    expect(ours.slice(0, 100).every((l: { decision: string }) => l.decision === 'allowed')).toBe(
      true,
    );
    expect(ours.slice(100).every((l: { decision: string }) => l.decision === 'blocked')).toBe(true);
    expect(ours[99].remaining[0]).toMatchObject({ used: 99, remaining: 0 });
    const unknown = answer.data.lines.find(
      (l: { programId: string }) => l.programId !== PROGRAM_ID,
    );
    expect(unknown).toMatchObject({ decision: 'blocked', rule: 'program-unknown' });
    expect(answer.data.recorded).toEqual([]);
    expect(await api.eventCount()).toBe(before);
  });

  it('records one ShipmentChecked per program held, under the Idempotency-Key', async () => {
    const lines = [
      { programId: PROGRAM_ID, shippedOn: '2025-03-01', units: 70 },
      { programId: PROGRAM_ID, shippedOn: '2025-03-02', units: 40 },
      { programId: 'no-such-program', shippedOn: '2025-03-02', units: 1 },
    ];
    const headers = { 'idempotency-key': 'batch-1' };
    const first = await api.post('/v1/checks', { lines, record: true }, { headers });
    expect(first.data.lines.map((l: { decision: string }) => l.decision)).toEqual([
      'allowed',
      'blocked',
      'blocked',
    ]);
    expect(first.data.recorded).toEqual([
      { programId: PROGRAM_ID, eventId: expect.any(String), position: expect.any(Number) },
    ]);
    const count = await api.eventCount();
    const retry = await api.post('/v1/checks', { lines, record: true }, { headers });
    expect(retry.data).toEqual(first.data);
    expect(await api.eventCount()).toBe(count);
  });
});
