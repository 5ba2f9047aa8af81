import { describe, expect, it } from 'vitest';
import { deadlines } from '../../projections/deadlines.ts';
import type { ProgramFactsIndex } from '../../projections/program-facts.ts';
import { timeline } from '../../projections/timeline.ts';
import { type EventData, evaluate, type Fact, streams } from '../../src/domain/index.ts';
import {
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
  tdpRelease,
} from '../support/founding-case.ts';
import { factLedger } from '../support/ledger.ts';

/** Status semantics v2 (issue 11): each numbered rule as given letters, a query, the answer. */

const programStream = streams.program(PROGRAM_ID);
const specStream = streams.specification(SUCCESSOR_SPEC);
type Terms = EventData<'NoticeReceived'>['terms'];

function given() {
  const l = factLedger();
  l.record(programStream, { type: 'ProgramRegistered', data: program });
  l.record(specStream, { type: 'SpecificationRegistered', data: successorSpecification });
  const letter = (
    noticeId: string,
    receivedOn: string,
    terms: Terms,
    extra: Partial<EventData<'NoticeReceived'>> = {},
  ) =>
    l.record(programStream, {
      type: 'NoticeReceived',
      data: { ...extensionNotice, noticeId, receivedOn, terms, ...extra },
    });
  const approval = (applicationId: string, submittedOn: string, decidedOn: string) => {
    l.record(programStream, {
      type: 'LicenseApplicationSubmitted',
      data: { applicationId, submittedOn, documentRef: `APP-${applicationId}` },
    });
    return l.record(programStream, {
      type: 'LicenseApplicationDecided',
      data: {
        applicationId,
        decidedOn,
        decision: 'approved',
        reasons: [],
        resubmissionAllowed: false,
      },
    });
  };
  return { l, letter, approval };
}

const ids = (s: { basis: { eventId: string }[] }) => s.basis.map((b) => b.eventId);
const roleOf = (s: { basis: { eventId: string; roles: string[] }[] }, f: Fact) =>
  s.basis.find((b) => b.eventId === f.eventId)?.roles;

describe('rule 1: authorization is a sequence of windows; a start after an end opens a new one', () => {
  it('decertified on 2006-01-01, re-authorized from 2007-01-01 by a later letter', () => {
    const { l, letter } = given();
    const grant = letter('grant', '2005-06-01', [{ kind: 'authorizes', from: '2005-06-01' }]);
    const decert = letter('decert', '2005-12-01', [{ kind: 'ends-on', effectiveOn: '2006-01-01' }]);
    const reauth = letter('reauth', '2006-12-01', [{ kind: 'authorizes', from: '2007-01-01' }]);

    const gap = evaluate(l.facts, { at: '2006-06-01' });
    expect(gap).toMatchObject({
      status: 'expired',
      rule: 'expired-by-ends-on',
      authorizedFrom: '2005-06-01',
      until: '2006-01-01',
      windowEnd: '2006-01-01',
      lastAuthorizedDay: '2005-12-31',
    });
    expect(ids(gap)).toEqual(expect.arrayContaining([grant.eventId, decert.eventId]));
    expect(ids(gap)).not.toContain(reauth.eventId);
    expect(gap.explanation).toBe(
      'Expired on 2006-01-01 (last authorized day 2005-12-31): the end date set by notice decert (received 2005-12-01).',
    );

    const after = evaluate(l.facts, { at: '2007-03-01' });
    expect(after).toMatchObject({
      status: 'authorized',
      rule: 'authorized-by-notice',
      authorizedFrom: '2007-01-01',
      until: null,
      windowEnd: null,
      lastAuthorizedDay: null,
    });
    expect(roleOf(after, reauth)).toEqual(['authorizes']);
    expect(ids(after)).not.toContain(decert.eventId);
    expect(after.explanation).toBe(
      'Authorized since 2007-01-01 by notice reauth, with no end set.',
    );

    expect(timeline(l.facts).map((i) => [i.from, i.until, i.status])).toEqual([
      [null, '2005-06-01', 'not-authorized'],
      ['2005-06-01', '2006-01-01', 'authorized'],
      ['2006-01-01', '2007-01-01', 'expired'],
      ['2007-01-01', null, 'authorized'],
    ]);
  });

  it('the supplier ending the program is final: a later start opens no window', () => {
    const { l, letter } = given();
    letter('grant', '2005-06-01', [{ kind: 'authorizes', from: '2005-06-01' }]);
    const end = l.record(programStream, {
      type: 'ProgramEnded',
      data: { endedOn: '2006-01-01', reason: 'line closed. Staff moved.' },
    });
    letter('later', '2006-12-01', [{ kind: 'authorizes', from: '2007-01-01' }]);
    const s = evaluate(l.facts, { at: '2007-03-01' });
    expect(s).toMatchObject({ status: 'ended', rule: 'ended-by-supplier', until: '2006-01-01' });
    expect(roleOf(s, end)).toEqual(['ends']);
  });
});

describe('rule 2: a superseding notice governs from its effective date; the past stays', () => {
  it('(a) a 2007 letter superseding a 2006 decertification leaves the decertified time decertified', () => {
    const { l, letter } = given();
    letter('grant', '2005-06-01', [{ kind: 'authorizes', from: '2005-06-01' }]);
    const decert = letter('decert', '2005-12-01', [{ kind: 'ends-on', effectiveOn: '2006-01-01' }]);
    const reauth = letter('reauth', '2006-12-15', [{ kind: 'authorizes', from: '2007-01-01' }], {
      supersedes: ['decert'],
    });
    const decertified = evaluate(l.facts, { at: '2006-06-01' });
    expect(decertified).toMatchObject({ status: 'expired', until: '2006-01-01' });
    expect(roleOf(decertified, decert)).toEqual(['ends']);
    expect(evaluate(l.facts, { at: '2007-01-01' })).toMatchObject({
      status: 'authorized',
      authorizedFrom: '2007-01-01',
    });
    expect(roleOf(evaluate(l.facts, { at: '2007-01-01' }), reauth)).toEqual(['authorizes']);
  });

  it('(b) a favourable extension superseding the old end keeps the old letter governing before it', () => {
    const { l, letter } = given();
    const old = letter('old', '2005-06-01', [{ kind: 'ends-on', effectiveOn: '2007-06-01' }]);
    const extension = letter(
      'ext',
      '2007-05-01',
      [{ kind: 'ends-on', effectiveOn: '2008-01-01' }],
      {
        supersedes: ['old'],
      },
    );
    const underOld = evaluate(l.facts, { at: '2006-03-01' });
    expect(underOld).toMatchObject({
      status: 'authorized',
      rule: 'authorized-as-continued-by-notice',
      authorizedFrom: '2005-06-01',
      until: '2008-01-01',
      lastAuthorizedDay: '2007-12-31',
    });
    expect(roleOf(underOld, old)).toEqual(['authorizes']);
    expect(roleOf(underOld, extension)).toEqual(['ends']);
    expect(evaluate(l.facts, { at: '2007-06-01' }).status).toBe('authorized');
    expect(evaluate(l.facts, { at: '2008-01-01' }).status).toBe('expired');
    // As known before the extension was recorded, the old end held.
    const before = evaluate(l.facts, {
      at: '2007-06-01',
      asKnownAt: { position: extension.position - 1 },
    });
    expect(before).toMatchObject({ status: 'expired', until: '2007-06-01' });
  });

  it('an explicit effectiveOn, not the receipt, is where the superseding notice takes over', () => {
    const { l, letter } = given();
    letter('old', '2005-06-01', [{ kind: 'ends-on', effectiveOn: '2007-06-01' }]);
    letter('new', '2007-01-10', [{ kind: 'suspends', from: '2007-01-01', until: '2007-04-01' }], {
      supersedes: ['old'],
      effectiveOn: '2007-03-01',
    });
    // v3 (issue 21 item 4): the superseding letter's own dates count as written.
    expect(evaluate(l.facts, { at: '2007-02-01' }).status).toBe('suspended');
    const s = evaluate(l.facts, { at: '2007-03-01' });
    expect(s).toMatchObject({ status: 'suspended', resumesOn: '2007-04-01', windowEnd: null });
    // The superseded end (2007-06-01) is cut from the effective date 2007-03-01 on.
    expect(evaluate(l.facts, { at: '2007-06-01' }).status).toBe('authorized');
  });
});

describe('rule 3: until is the first day not authorized, suspension-aware', () => {
  it('authorized before a known suspension: until is the suspension, windowEnd the end', () => {
    const { l, letter } = given();
    letter(extensionNotice.noticeId, '2005-12-08', extensionNotice.terms);
    l.record(specStream, { type: 'TechnicalDataPackageReleased', data: tdpRelease });
    const susp = letter('susp', '2007-05-20', [
      { kind: 'suspends', from: '2007-06-01', until: '2007-07-01' },
    ]);
    const s = evaluate(l.facts, { at: '2007-05-25' });
    expect(s).toMatchObject({
      status: 'authorized',
      authorizedFrom: '2005-12-08',
      until: '2007-06-01',
      windowEnd: '2007-09-08',
      lastAuthorizedDay: '2007-05-31',
    });
    expect(roleOf(s, susp)).toEqual(['suspends']);
    expect(s.explanation).toBe(
      'Authorized since 2005-12-08 by notice usps-2005-12-08, which continues the supply program, until 2007-06-01 (last authorized day 2007-05-31): notice susp suspends supply until 2007-07-01 from 2007-06-01.',
    );
    const suspended = evaluate(l.facts, { at: '2007-06-10' });
    expect(suspended).toMatchObject({
      status: 'suspended',
      until: '2007-09-08',
      windowEnd: '2007-09-08',
      resumesOn: '2007-07-01',
    });
    const resumed = evaluate(l.facts, { at: '2007-07-01' });
    expect(resumed).toMatchObject({ until: '2007-09-08', lastAuthorizedDay: '2007-09-07' });
  });

  it('a suspension starting within N days is a deadline, agreeing with status and timeline', () => {
    const { l, letter } = given();
    letter('grant', '2007-01-01', [{ kind: 'authorizes', from: '2007-01-01' }]);
    letter('susp', '2007-05-20', [{ kind: 'suspends', from: '2007-06-01' }]);
    const index: ProgramFactsIndex = {
      programs: new Map([[PROGRAM_ID, l.facts.filter((f) => f.stream === programStream)]]),
      specifications: new Map(),
    };
    expect(deadlines(index, { today: '2007-05-25', withinDays: 10 })).toEqual([
      {
        programId: PROGRAM_ID,
        until: '2007-06-01',
        lastAuthorizedDay: '2007-05-31',
        windowEnd: null,
        daysLeft: 7,
        rule: 'suspended-by-notice',
        explanation: 'Suspended from 2007-06-01 until further notice by notice susp.',
      },
    ]);
    expect(deadlines(index, { today: '2007-05-20', withinDays: 10 })).toEqual([]);
    const authorized = timeline(l.facts).find((i) => i.status === 'authorized');
    expect(authorized?.until).toBe(evaluate(l.facts, { at: '2007-05-25' }).until);
  });
});

describe('rule 4: the basis names every fact that produces the answer, and only those', () => {
  it('an ends-on and a resolved sunset on the same day: both letters and the trigger', () => {
    const { l, letter } = given();
    const sunset = letter(extensionNotice.noticeId, '2005-12-08', extensionNotice.terms);
    const decert = letter('decert', '2006-01-10', [{ kind: 'ends-on', effectiveOn: '2007-09-08' }]);
    const tdp = l.record(specStream, { type: 'TechnicalDataPackageReleased', data: tdpRelease });
    const s = evaluate(l.facts, { at: '2007-09-08' });
    expect(s).toMatchObject({ status: 'expired', until: '2007-09-08' });
    expect(roleOf(s, sunset)).toEqual(['authorizes', 'ends']);
    expect(roleOf(s, decert)).toEqual(['ends']);
    expect(roleOf(s, tdp)).toEqual(['resolves-trigger']);
    expect(s.explanation).toContain('notice usps-2005-12-08');
    expect(s.explanation).toContain('notice decert');
  });

  it('a revocation and an ends-on on the same day: revoked wins the status, both are named', () => {
    const { l, letter } = given();
    letter('grant', '2006-01-01', [{ kind: 'authorizes', from: '2006-01-01' }]);
    const ends = letter('ends', '2006-02-01', [{ kind: 'ends-on', effectiveOn: '2006-09-01' }]);
    const revoke = letter('revoke', '2006-03-01', [{ kind: 'revokes', effectiveOn: '2006-09-01' }]);
    const end = l.record(programStream, {
      type: 'ProgramEnded',
      data: { endedOn: '2006-09-01', reason: 'discontinued' },
    });
    const s = evaluate(l.facts, { at: '2006-09-01' });
    expect(s).toMatchObject({ status: 'revoked', rule: 'revoked-by-notice' });
    for (const f of [ends, revoke, end]) expect(roleOf(s, f)).toEqual(['ends']);
    expect(s.explanation).toBe(
      'Revoked on 2006-09-01 (last authorized day 2006-08-31): the revocation in notice revoke (received 2006-03-01), the end date set by notice ends (received 2006-02-01) and the supplier ended the program, giving the reason "discontinued".',
    );
  });

  it("a shipment's retraction is not part of a status basis; a later start is not either", () => {
    const { l, letter } = given();
    letter('grant', '2006-01-01', [{ kind: 'authorizes', from: '2006-01-01' }]);
    const later = letter('later', '2006-05-01', [{ kind: 'authorizes', from: '2006-05-01' }]);
    const shipment = l.record(programStream, {
      type: 'ShipmentRecorded',
      data: { shipmentId: 's-1', shippedOn: '2006-02-01', units: 3 },
    });
    const retraction = l.record(programStream, {
      type: 'EventRetracted',
      data: { retractedEventId: shipment.eventId, reason: 'typo' },
    });
    const s = evaluate(l.facts, { at: '2006-06-01' });
    expect(ids(s)).not.toContain(retraction.eventId);
    expect(ids(s)).not.toContain(later.eventId);
  });
});

describe('rule 5: the earliest start of any source opens the window', () => {
  it('a continuation notice then an approved license: authorized from the notice on', () => {
    const { l, letter, approval } = given();
    const continuation = letter('cont', '2006-01-01', [
      { kind: 'ends-on', effectiveOn: '2008-01-01' },
    ]);
    approval('app-1', '2006-03-01', '2006-06-01');
    const s = evaluate(l.facts, { at: '2006-04-01' });
    expect(s).toMatchObject({
      status: 'authorized',
      rule: 'authorized-as-continued-by-notice',
      authorizedFrom: '2006-01-01',
      until: '2008-01-01',
    });
    expect(roleOf(s, continuation)).toEqual(['authorizes', 'ends']);
  });

  it('an approval then a renewal letter authorizing from a later date: the approved period holds', () => {
    const { l, letter, approval } = given();
    const approved = approval('app-1', '2006-01-01', '2006-02-01');
    letter('renewal', '2006-05-01', [{ kind: 'authorizes', from: '2006-09-01' }]);
    const s = evaluate(l.facts, { at: '2006-03-01' });
    expect(s).toMatchObject({
      status: 'authorized',
      rule: 'authorized-by-license-approval',
      authorizedFrom: '2006-02-01',
      until: null,
    });
    expect(roleOf(s, approved)).toEqual(['authorizes']);
    expect(s.explanation).toBe(
      'Authorized since 2006-02-01 by the approval of license application app-1, with no end set.',
    );
  });
});

describe('rule 6: a letter arriving after the supplier ended the program counts', () => {
  it('a revocation effective before the end, recorded after it', () => {
    const { l, letter } = given();
    letter('grant', '2006-01-01', [{ kind: 'authorizes', from: '2006-01-01' }]);
    l.record(programStream, {
      type: 'ProgramEnded',
      data: { endedOn: '2007-09-01', reason: 'transition' },
    });
    const revoke = letter('revoke', '2007-09-15', [{ kind: 'revokes', effectiveOn: '2007-06-01' }]);
    const s = evaluate(l.facts, { at: '2007-07-01' });
    expect(s).toMatchObject({ status: 'revoked', rule: 'revoked-by-notice', until: '2007-06-01' });
    expect(roleOf(s, revoke)).toEqual(['ends']);
    // v3 (issue 21 item 5): the earliest end in force decides, so never `ended` from here on.
    expect(evaluate(l.facts, { at: '2007-09-01' }).status).toBe('revoked');
    expect(
      evaluate(l.facts, { at: '2007-07-01', asKnownAt: { position: revoke.position - 1 } }).status,
    ).toBe('authorized');
  });
});

describe('rule 8: one true sentence per answer', () => {
  it('a notice authorized, but the supplier had ended the program first', () => {
    const { l, letter } = given();
    l.record(programStream, {
      type: 'ProgramEnded',
      data: { endedOn: '2006-01-01', reason: 'moved on' },
    });
    letter('late', '2006-02-01', [{ kind: 'authorizes', from: '2006-03-01' }]);
    const s = evaluate(l.facts, { at: '2005-06-01' });
    expect(s).toMatchObject({ status: 'not-authorized', rule: 'no-authorization' });
    expect(s.explanation).toBe(
      'Not authorized: notice late authorizes from 2006-03-01, but the supplier had ended the program on 2006-01-01, and an end by the supplier is final.',
    );
  });

  it('a sunset past 9999-12-31 is not described as an exact date', () => {
    const { l, letter } = given();
    letter('far', '2005-12-08', [
      {
        kind: 'sunset-after-trigger',
        trigger: { specificationId: SUCCESSOR_SPEC, event: 'tdp-public-release' },
        offset: { months: 1200, days: 36_600 },
      },
    ]);
    l.record(specStream, {
      type: 'TechnicalDataPackageReleased',
      data: { ...tdpRelease, releasedOn: '9950-01-01' },
    });
    const s = evaluate(l.facts, { at: '2007-01-01' });
    expect(s.until).toBe('9999-12-31');
    expect(s.explanation).toContain('which falls after 9999-12-31, the last date the ledger holds');
  });

  it("the supplier's free text is quoted, so the sentence stays one", () => {
    const { l, letter } = given();
    letter('grant', '2006-01-01', [{ kind: 'authorizes', from: '2006-01-01' }]);
    l.record(programStream, {
      type: 'ProgramEnded',
      data: { endedOn: '2006-09-01', reason: 'Line closed. Tools sold.' },
    });
    expect(evaluate(l.facts, { at: '2006-09-01' }).explanation).toBe(
      'Ended on 2006-09-01 (last authorized day 2006-08-31): the supplier ended the program, giving the reason "Line closed. Tools sold.".',
    );
  });

  it('an authorized answer names its last authorized day', () => {
    const { l, letter } = given();
    letter(extensionNotice.noticeId, '2005-12-08', extensionNotice.terms);
    l.record(specStream, { type: 'TechnicalDataPackageReleased', data: tdpRelease });
    expect(evaluate(l.facts, { at: '2007-06-01' }).explanation).toBe(
      'Authorized since 2005-12-08 by notice usps-2005-12-08, which continues the supply program, until 2007-09-08 (last authorized day 2007-09-07): 4 months after the usps-b-1118f TDP public release of 2007-05-08 (notice usps-2005-12-08).',
    );
  });
});

/**
 * Status semantics v3 (issue 21): letters are read in the order they were written. Each item as
 * the letters, the query, and the full answer: status, dates, basis and explanation.
 */
const answer = (s: ReturnType<typeof evaluate>) => ({
  status: s.status,
  rule: s.rule,
  authorizedFrom: s.authorizedFrom,
  until: s.until,
  windowEnd: s.windowEnd,
  lastAuthorizedDay: s.lastAuthorizedDay,
  resumesOn: s.resumesOn,
  pending: s.pendingConditions.map((p) => p.noticeId),
  explanation: s.explanation,
});
const basisOf = (s: ReturnType<typeof evaluate>, named: Record<string, Fact>) => {
  const names = new Map(Object.entries(named).map(([name, f]) => [f.eventId, name]));
  return s.basis.map((b) => [names.get(b.eventId) ?? b.type, ...b.roles]);
};

describe('v3 item 1: an end-only letter continues supply only where it is authorized, or nothing could have authorized it', () => {
  it('(a) a grant from 2007-01-01, then a letter fixing the end at 2008-01-01: 2006-10-01 is not authorized', () => {
    const { l, letter } = given();
    const grant = letter('grant', '2006-06-01', [{ kind: 'authorizes', from: '2007-01-01' }]);
    const fix = letter('fix', '2006-09-01', [{ kind: 'ends-on', effectiveOn: '2008-01-01' }]);
    const s = evaluate(l.facts, { at: '2006-10-01' });
    expect(answer(s)).toEqual({
      status: 'not-authorized',
      rule: 'before-authorization',
      authorizedFrom: '2007-01-01',
      until: '2008-01-01',
      windowEnd: '2008-01-01',
      lastAuthorizedDay: null,
      resumesOn: null,
      pending: [],
      explanation:
        'Not authorized yet: authorization starts on 2007-01-01 by notice grant, until 2008-01-01 (last authorized day 2007-12-31): the end date set by notice fix (received 2006-09-01).',
    });
    expect(basisOf(s, { grant, fix })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['grant', 'authorizes'],
      ['fix', 'ends'],
    ]);
    expect(answer(evaluate(l.facts, { at: '2007-06-01' }))).toMatchObject({
      status: 'authorized',
      rule: 'authorized-by-notice',
      authorizedFrom: '2007-01-01',
      until: '2008-01-01',
      lastAuthorizedDay: '2007-12-31',
      explanation:
        'Authorized since 2007-01-01 by notice grant, until 2008-01-01 (last authorized day 2007-12-31): the end date set by notice fix (received 2006-09-01).',
    });
    expect(timeline(l.facts).map((i) => [i.from, i.until, i.status])).toEqual([
      [null, '2007-01-01', 'not-authorized'],
      ['2007-01-01', '2008-01-01', 'authorized'],
      ['2008-01-01', null, 'expired'],
    ]);
  });

  it('(b) an application, then an end-only letter, then the approval: the gap reads application-pending', () => {
    const { l, letter } = given();
    const app = l.record(programStream, {
      type: 'LicenseApplicationSubmitted',
      data: { applicationId: 'app-1', submittedOn: '2008-01-10', documentRef: 'APP-1' },
    });
    const term = letter('term', '2008-02-01', [{ kind: 'ends-on', effectiveOn: '2009-01-01' }]);
    const approval = l.record(programStream, {
      type: 'LicenseApplicationDecided',
      data: {
        applicationId: 'app-1',
        decidedOn: '2008-03-01',
        decision: 'approved',
        reasons: [],
        resubmissionAllowed: false,
      },
    });
    const s = evaluate(l.facts, { at: '2008-02-15' });
    expect(answer(s)).toEqual({
      status: 'application-pending',
      rule: 'application-pending',
      authorizedFrom: '2008-03-01',
      until: '2009-01-01',
      windowEnd: '2009-01-01',
      lastAuthorizedDay: null,
      resumesOn: null,
      pending: [],
      explanation: 'License application app-1, submitted 2008-01-10, awaits a decision.',
    });
    expect(basisOf(s, { app, term, approval })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['app', 'application'],
    ]);
    const approved = evaluate(l.facts, { at: '2008-06-01' });
    expect(answer(approved)).toEqual({
      status: 'authorized',
      rule: 'authorized-by-license-approval',
      authorizedFrom: '2008-03-01',
      until: '2009-01-01',
      windowEnd: '2009-01-01',
      lastAuthorizedDay: '2008-12-31',
      resumesOn: null,
      pending: [],
      explanation:
        'Authorized since 2008-03-01 by the approval of license application app-1, until 2009-01-01 (last authorized day 2008-12-31): the end date set by notice term (received 2008-02-01).',
    });
    expect(basisOf(approved, { app, term, approval })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['term', 'ends'],
      ['approval', 'authorizes'],
    ]);
  });

  it('with no source in the ledger, the end-only letter continues supply that predates it (the founding case)', () => {
    const { l, letter } = given();
    const cont = letter('cont', '2006-01-01', [{ kind: 'ends-on', effectiveOn: '2008-01-01' }]);
    const s = evaluate(l.facts, { at: '2006-04-01' });
    expect(answer(s)).toEqual({
      status: 'authorized',
      rule: 'authorized-as-continued-by-notice',
      authorizedFrom: '2006-01-01',
      until: '2008-01-01',
      windowEnd: '2008-01-01',
      lastAuthorizedDay: '2007-12-31',
      resumesOn: null,
      pending: [],
      explanation:
        'Authorized since 2006-01-01 by notice cont, which continues the supply program, until 2008-01-01 (last authorized day 2007-12-31): the end date set by notice cont (received 2006-01-01).',
    });
    expect(basisOf(s, { cont })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['cont', 'authorizes', 'ends'],
    ]);
  });

  it('a letter with no terms and no supersedes is correspondence: it changes no answer', () => {
    const { l, letter } = given();
    letter('grant', '2006-01-01', [{ kind: 'authorizes', from: '2006-01-01' }]);
    const before = [...l.facts];
    letter('thanks', '2006-02-01', []);
    for (const at of ['2005-06-01', '2006-01-15', '2006-03-01'])
      expect(evaluate(l.facts, { at })).toEqual(evaluate(before, { at }));
  });
});

describe('v3 item 2: a start opens a window after an end only when written after it', () => {
  it('a renewal from 2007-01-01, then a revocation from 2006-12-01: 2007-03-01 reads expired, naming the revocation', () => {
    const { l, letter } = given();
    const old = letter('old', '2005-01-01', [
      { kind: 'authorizes', from: '2005-01-01' },
      { kind: 'ends-on', effectiveOn: '2006-01-01' },
    ]);
    const renewal = letter('renewal', '2006-10-01', [{ kind: 'authorizes', from: '2007-01-01' }]);
    const revoke = letter('revoke', '2006-11-15', [{ kind: 'revokes', effectiveOn: '2006-12-01' }]);
    const s = evaluate(l.facts, { at: '2007-03-01' });
    expect(answer(s)).toEqual({
      status: 'expired',
      rule: 'expired-by-ends-on',
      authorizedFrom: '2005-01-01',
      until: '2006-01-01',
      windowEnd: '2006-01-01',
      lastAuthorizedDay: '2005-12-31',
      resumesOn: null,
      pending: [],
      explanation:
        'Expired on 2006-01-01 (last authorized day 2005-12-31): the end date set by notice old (received 2005-01-01); and from 2006-12-01 the revocation in notice revoke (received 2006-11-15); the authorization from 2007-01-01 by notice renewal never took effect, ended from 2006-12-01 by the revocation in notice revoke (received 2006-11-15).',
    });
    expect(basisOf(s, { old, renewal, revoke })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['old', 'authorizes', 'ends'],
      ['renewal', 'authorizes'],
      ['revoke', 'ends'],
    ]);
    // As known before the revocation was recorded, the renewal opened a window.
    expect(
      evaluate(l.facts, { at: '2007-03-01', asKnownAt: { position: revoke.position - 1 } }).status,
    ).toBe('authorized');
    expect(timeline(l.facts).filter((i) => i.status === 'authorized')).toHaveLength(1);
  });

  it('a grant from 2006-06-01, then a revocation from 2006-03-01: never authorized', () => {
    const { l, letter } = given();
    const grant = letter('grant', '2006-01-15', [{ kind: 'authorizes', from: '2006-06-01' }]);
    const revoke = letter('revoke', '2006-01-20', [{ kind: 'revokes', effectiveOn: '2006-03-01' }]);
    const s = evaluate(l.facts, { at: '2006-07-01' });
    expect(answer(s)).toEqual({
      status: 'not-authorized',
      rule: 'no-authorization',
      authorizedFrom: null,
      until: null,
      windowEnd: null,
      lastAuthorizedDay: null,
      resumesOn: null,
      pending: [],
      explanation:
        'Not authorized: notice grant authorizes from 2006-06-01, but the revocation in notice revoke (received 2006-01-20), written after it, ends it from 2006-03-01.',
    });
    expect(basisOf(s, { grant, revoke })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['grant', 'authorizes'],
      ['revoke', 'ends'],
    ]);
    expect(timeline(l.facts).map((i) => i.status)).toEqual(['not-authorized']);
  });

  it('on one day, record order decides which letter was written later', () => {
    const { l, letter } = given();
    letter('revoke', '2006-01-20', [{ kind: 'revokes', effectiveOn: '2006-03-01' }]);
    letter('grant', '2006-01-20', [{ kind: 'authorizes', from: '2006-06-01' }]);
    expect(evaluate(l.facts, { at: '2006-07-01' }).status).toBe('authorized');
  });

  it("a license decision's letter date is its decidedOn", () => {
    const { l, letter, approval } = given();
    letter('revoke', '2006-01-20', [{ kind: 'revokes', effectiveOn: '2006-01-25' }]);
    approval('app-1', '2006-01-01', '2006-02-01');
    expect(answer(evaluate(l.facts, { at: '2006-07-01' }))).toMatchObject({
      status: 'authorized',
      rule: 'authorized-by-license-approval',
      authorizedFrom: '2006-02-01',
      until: null,
    });
    // A revocation written after the approval, dated before it, ends it.
    letter('revoke-2', '2006-02-05', [{ kind: 'revokes', effectiveOn: '2006-01-31' }]);
    expect(answer(evaluate(l.facts, { at: '2006-07-01' }))).toMatchObject({
      status: 'not-authorized',
      rule: 'no-authorization',
      explanation:
        'Not authorized: the approval of license application app-1 authorizes from 2006-02-01, but the revocation in notice revoke-2 (received 2006-02-05), written after it, ends it from 2006-01-31.',
    });
  });
});

describe('v3 item 3: a superseded open sunset stays pending before the superseding letter takes effect', () => {
  it('the founding sunset, superseded from 2008-01-01 by an end of 2009-01-01', () => {
    const { l, letter } = given();
    const founding = letter(extensionNotice.noticeId, '2005-12-08', extensionNotice.terms);
    const ext = letter('ext', '2006-06-01', [{ kind: 'ends-on', effectiveOn: '2009-01-01' }], {
      supersedes: [extensionNotice.noticeId],
      effectiveOn: '2008-01-01',
    });
    const s = evaluate(l.facts, { at: '2007-06-01' });
    expect(answer(s)).toEqual({
      status: 'authorized',
      rule: 'authorized-as-continued-by-notice',
      authorizedFrom: '2005-12-08',
      until: '2009-01-01',
      windowEnd: '2009-01-01',
      lastAuthorizedDay: '2008-12-31',
      resumesOn: null,
      pending: [extensionNotice.noticeId],
      explanation:
        'Authorized since 2005-12-08 by notice usps-2005-12-08, which continues the supply program, until 2009-01-01 (last authorized day 2008-12-31): the end date set by notice ext (received 2006-06-01); it may end sooner: it ends 4 months after the usps-b-1118f TDP public release, not yet released (notice usps-2005-12-08).',
    });
    expect(basisOf(s, { founding, ext })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['founding', 'authorizes', 'awaits-trigger'],
      ['ext', 'ends'],
    ]);
    // From the superseding letter's effective date on, the old sunset no longer bears.
    expect(evaluate(l.facts, { at: '2008-02-01' }).pendingConditions).toEqual([]);
    // Once the TDP is released, the sunset ends supply before 2008-01-01.
    l.record(specStream, { type: 'TechnicalDataPackageReleased', data: tdpRelease });
    expect(answer(evaluate(l.facts, { at: '2007-06-01' }))).toMatchObject({
      status: 'authorized',
      until: '2007-09-08',
      pending: [],
    });
    expect(evaluate(l.facts, { at: '2007-10-01' }).status).toBe('expired');
  });
});

describe('v3 item 4: a superseding renewal keeps the start it writes', () => {
  it('a renewal received 2007-02-15 from 2007-01-01, superseding the expired letter: January 2007 is authorized', () => {
    const { l, letter } = given();
    const old = letter('old', '2005-01-01', [
      { kind: 'authorizes', from: '2005-01-01' },
      { kind: 'ends-on', effectiveOn: '2007-01-01' },
    ]);
    const renewal = letter('renewal', '2007-02-15', [{ kind: 'authorizes', from: '2007-01-01' }], {
      supersedes: ['old'],
    });
    const s = evaluate(l.facts, { at: '2007-01-15' });
    expect(answer(s)).toEqual({
      status: 'authorized',
      rule: 'authorized-by-notice',
      authorizedFrom: '2007-01-01',
      until: null,
      windowEnd: null,
      lastAuthorizedDay: null,
      resumesOn: null,
      pending: [],
      explanation: 'Authorized since 2007-01-01 by notice renewal, with no end set.',
    });
    expect(basisOf(s, { old, renewal })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['renewal', 'authorizes'],
    ]);
    // The superseded letter's end before the renewal's effective date still holds in the past.
    expect(answer(evaluate(l.facts, { at: '2006-12-31' }))).toMatchObject({
      status: 'authorized',
      authorizedFrom: '2005-01-01',
      until: null,
      explanation:
        'Authorized since 2005-01-01 by notice old, continued from 2007-01-01 by notice renewal, with no end set.',
    });
  });
});

describe('v3 item 5: several ends, the earliest decides and every one is named', () => {
  it('decertified from 2007-09-08, supplier ended 2007-09-09: 2007-09-10 is expired, naming both', () => {
    const { l, letter } = given();
    const grant = letter('grant', '2006-01-01', [{ kind: 'authorizes', from: '2006-01-01' }]);
    const decert = letter('decert', '2007-06-01', [{ kind: 'ends-on', effectiveOn: '2007-09-08' }]);
    const end = l.record(programStream, {
      type: 'ProgramEnded',
      data: { endedOn: '2007-09-09', reason: 'line closed' },
    });
    const s = evaluate(l.facts, { at: '2007-09-10' });
    expect(answer(s)).toEqual({
      status: 'expired',
      rule: 'expired-by-ends-on',
      authorizedFrom: '2006-01-01',
      until: '2007-09-08',
      windowEnd: '2007-09-08',
      lastAuthorizedDay: '2007-09-07',
      resumesOn: null,
      pending: [],
      explanation:
        'Expired on 2007-09-08 (last authorized day 2007-09-07): the end date set by notice decert (received 2007-06-01); and from 2007-09-09 the supplier ended the program, giving the reason "line closed".',
    });
    expect(basisOf(s, { grant, decert, end })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['grant', 'authorizes'],
      ['decert', 'ends'],
      ['end', 'ends'],
    ]);
    // A shipment on 2007-09-10 is judged on this status (projections/violations.ts).
    const shipment = evaluate(l.facts, { at: '2007-09-10' });
    expect([shipment.status, shipment.rule]).toEqual(['expired', 'expired-by-ends-on']);
  });

  it('a revocation from 2007-06-01 recorded after the supplier ended on 2007-09-01 reads revoked, never ended', () => {
    const { l, letter } = given();
    const grant = letter('grant', '2006-01-01', [{ kind: 'authorizes', from: '2006-01-01' }]);
    const end = l.record(programStream, {
      type: 'ProgramEnded',
      data: { endedOn: '2007-09-01', reason: 'transition' },
    });
    const revoke = letter('revoke', '2007-09-15', [{ kind: 'revokes', effectiveOn: '2007-06-01' }]);
    const s = evaluate(l.facts, { at: '2007-10-01' });
    expect(answer(s)).toEqual({
      status: 'revoked',
      rule: 'revoked-by-notice',
      authorizedFrom: '2006-01-01',
      until: '2007-06-01',
      windowEnd: '2007-06-01',
      lastAuthorizedDay: '2007-05-31',
      resumesOn: null,
      pending: [],
      explanation:
        'Revoked on 2007-06-01 (last authorized day 2007-05-31): the revocation in notice revoke (received 2007-09-15); and from 2007-09-01 the supplier ended the program, giving the reason "transition".',
    });
    expect(basisOf(s, { grant, end, revoke })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['grant', 'authorizes'],
      ['end', 'ends'],
      ['revoke', 'ends'],
    ]);
    expect(timeline(l.facts).map((i) => [i.from, i.status])).toEqual([
      [null, 'not-authorized'],
      ['2006-01-01', 'authorized'],
      ['2007-06-01', 'revoked'],
      ['2007-09-01', 'revoked'],
    ]);
  });
});

describe('v3 item 6: every date is credited to the letter that sets it', () => {
  it('a suspension until further notice, lifted by a later letter: both letters named, each with its date', () => {
    const { l, letter } = given();
    const grant = letter('grant', '2006-01-01', [{ kind: 'authorizes', from: '2006-01-01' }]);
    const ns = letter('n-s', '2006-02-20', [{ kind: 'suspends', from: '2006-03-01' }]);
    const nr = letter('n-r', '2006-05-05', [], { supersedes: ['n-s'], effectiveOn: '2006-05-10' });
    const s = evaluate(l.facts, { at: '2006-04-01' });
    expect(answer(s)).toEqual({
      status: 'suspended',
      rule: 'suspended-by-notice',
      authorizedFrom: '2006-01-01',
      until: null,
      windowEnd: null,
      lastAuthorizedDay: null,
      resumesOn: '2006-05-10',
      pending: [],
      explanation:
        'Suspended from 2006-03-01 by notice n-s until further notice, lifted from 2006-05-10 by notice n-r.',
    });
    expect(basisOf(s, { grant, ns, nr })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['grant', 'authorizes'],
      ['ns', 'suspends'],
      ['nr', 'lifts'],
    ]);
    const ahead = evaluate(l.facts, { at: '2006-02-25' });
    expect(ahead.explanation).toBe(
      'Authorized since 2006-01-01 by notice grant, until 2006-03-01 (last authorized day 2006-02-28): notice n-s suspends supply until further notice, lifted from 2006-05-10 by notice n-r from 2006-03-01.',
    );
    expect(basisOf(ahead, { grant, ns, nr })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['grant', 'authorizes'],
      ['ns', 'suspends'],
      ['nr', 'lifts'],
    ]);
    expect(evaluate(l.facts, { at: '2006-05-10' }).status).toBe('authorized');
  });
});

describe('v3 item 11: deadlines include a suspended program whose window ends, and a suspension ahead', () => {
  const indexOf = (facts: Fact[]): ProgramFactsIndex => ({
    programs: new Map([[PROGRAM_ID, facts.filter((f) => f.stream === programStream)]]),
    specifications: new Map(),
  });

  it('suspended until further notice, the window ending 2007-09-08: a deadline within 30 days', () => {
    const { l, letter } = given();
    letter('grant', '2006-01-01', [
      { kind: 'authorizes', from: '2006-01-01' },
      { kind: 'ends-on', effectiveOn: '2007-09-08' },
    ]);
    letter('susp', '2007-05-20', [{ kind: 'suspends', from: '2007-06-01' }]);
    const index = indexOf(l.facts);
    expect(deadlines(index, { today: '2007-08-20', withinDays: 30 })).toEqual([
      {
        programId: PROGRAM_ID,
        until: '2007-09-08',
        lastAuthorizedDay: '2007-05-31',
        windowEnd: '2007-09-08',
        daysLeft: 19,
        rule: 'expired-by-ends-on',
        explanation:
          'Expired on 2007-09-08 (last authorized day 2007-05-31): the end date set by notice grant (received 2006-01-01).',
      },
    ]);
    expect(deadlines(index, { today: '2007-08-20', withinDays: 10 })).toEqual([]);
    // Before it: the suspension that starts within N days is the deadline.
    expect(deadlines(index, { today: '2007-05-25', withinDays: 10 })).toEqual([
      expect.objectContaining({ until: '2007-06-01', rule: 'suspended-by-notice', daysLeft: 7 }),
    ]);
  });
});

describe('v3 item 10: offsets in every unit, an inclusive end, one wording', () => {
  it('a letter granting supply through 2007-08-31 ends authorization on 2007-09-01, shown as the last authorized day', () => {
    const { l, letter } = given();
    const grant = letter('grant', '2006-01-01', [
      { kind: 'authorizes', from: '2006-01-01' },
      { kind: 'last-authorized-day', date: '2007-08-31' },
    ]);
    expect(answer(evaluate(l.facts, { at: '2007-08-31' }))).toMatchObject({
      status: 'authorized',
      until: '2007-09-01',
      lastAuthorizedDay: '2007-08-31',
      explanation:
        'Authorized since 2006-01-01 by notice grant, until 2007-09-01 (last authorized day 2007-08-31): the last authorized day 2007-08-31 set by notice grant (received 2006-01-01).',
    });
    const after = evaluate(l.facts, { at: '2007-09-01' });
    expect(answer(after)).toMatchObject({ status: 'expired', lastAuthorizedDay: '2007-08-31' });
    expect(basisOf(after, { grant })).toEqual([
      ['ProgramRegistered', 'registers'],
      ['grant', 'authorizes', 'ends'],
    ]);
  });

  it('a sunset of 1 year, 1 month, 1 week and 1 day, applied largest unit first, worded once', () => {
    const { l, letter } = given();
    letter('grant', '2006-01-01', [
      { kind: 'authorizes', from: '2006-01-01' },
      {
        kind: 'sunset-after-trigger',
        trigger: { specificationId: SUCCESSOR_SPEC, event: 'tdp-public-release' },
        offset: { years: 1, months: 1, weeks: 1, days: 1 },
      },
    ]);
    const pending = evaluate(l.facts, { at: '2006-06-01' });
    expect(pending.explanation).toBe(
      'Authorized since 2006-01-01 by notice grant; it ends 1 year, 1 month, 1 week and 1 day after the usps-b-1118f TDP public release, not yet released.',
    );
    l.record(specStream, {
      type: 'TechnicalDataPackageReleased',
      data: { ...tdpRelease, releasedOn: '2007-01-31' },
    });
    // 2007-01-31 + 1 year = 2008-01-31, + 1 month = 2008-02-29, + 1 week = 2008-03-07, + 1 day.
    expect(evaluate(l.facts, { at: '2008-01-01' }).until).toBe('2008-03-08');
  });
});
