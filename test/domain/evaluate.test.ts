import { describe, expect, it } from 'vitest';
import { type EventData, evaluate, streams } from '../../src/domain/index.ts';
import {
  extensionNotice,
  PROGRAM_ID,
  program,
  SUCCESSOR_SPEC,
  successorSpecification,
  tdpRelease,
} from '../support/founding-case.ts';
import { factLedger } from '../support/ledger.ts';

const programStream = streams.program(PROGRAM_ID);
const specStream = streams.specification(SUCCESSOR_SPEC);

function registeredProgram() {
  const l = factLedger();
  l.record(programStream, { type: 'ProgramRegistered', data: program });
  l.record(specStream, { type: 'SpecificationRegistered', data: successorSpecification });
  return l;
}

const notice = (
  noticeId: string,
  terms: EventData<'NoticeReceived'>['terms'],
  extra: Partial<EventData<'NoticeReceived'>> = {},
): { type: 'NoticeReceived'; data: EventData<'NoticeReceived'> } => ({
  type: 'NoticeReceived',
  data: { ...extensionNotice, noticeId, terms, ...extra },
});

describe('evaluate: the founding case of docs/design.md §5, step by step', () => {
  const l = registeredProgram();
  const n = l.record(
    programStream,
    { type: 'NoticeReceived', data: extensionNotice },
    '2005-12-08T15:00:00.000Z',
  );
  const knownAfterNotice = [...l.facts];

  it('1. after the 2005-12-08 notice: authorized on 2006-06-01, open-ended, one pending condition', () => {
    const s = evaluate(knownAfterNotice, { at: '2006-06-01' });
    expect(s.status).toBe('authorized');
    expect(s.until).toBeNull();
    expect(s.authorizedFrom).toBe('2005-12-08');
    expect(s.pendingConditions).toEqual([
      expect.objectContaining({
        noticeId: 'usps-2005-12-08',
        eventId: n.eventId,
        specificationId: SUCCESSOR_SPEC,
        trigger: 'tdp-public-release',
        offset: { months: 4 },
        description: 'ends 4 months after the usps-b-1118f TDP public release, not yet released',
      }),
    ]);
    expect(s.basis.map((b) => b.eventId)).toContain(n.eventId);
    expect(s.explanation).toMatch(/^Authorized since 2005-12-08 .*not yet released\.$/);
  });

  const tdp = l.record(
    specStream,
    { type: 'TechnicalDataPackageReleased', data: tdpRelease },
    '2007-05-11T09:30:00.000Z',
  );

  it('2. TDP released 2007-05-08, recorded days later: authorized until 2007-09-08 as known now', () => {
    const s = evaluate(l.facts, { at: '2007-06-01' });
    expect(s.status).toBe('authorized');
    expect(s.until).toBe('2007-09-08');
    expect(s.pendingConditions).toEqual([]);
    expect(s.basis).toEqual(
      expect.arrayContaining([
        {
          eventId: n.eventId,
          position: n.position,
          type: 'NoticeReceived',
          roles: ['authorizes', 'ends'],
        },
        {
          eventId: tdp.eventId,
          position: tdp.position,
          type: 'TechnicalDataPackageReleased',
          roles: ['resolves-trigger'],
        },
      ]),
    );
    expect(s.explanation).toContain('until 2007-09-08');
  });

  it('2. as known at a moment before the TDP was recorded: authorized, still pending', () => {
    for (const asKnownAt of [{ instant: '2007-05-10T00:00:00Z' }, { position: tdp.position - 1 }]) {
      const s = evaluate(l.facts, { at: '2007-06-01', asKnownAt });
      expect(s.status).toBe('authorized');
      expect(s.until).toBeNull();
      expect(s.pendingConditions).toHaveLength(1);
      expect(s.basis.map((b) => b.eventId)).not.toContain(tdp.eventId);
    }
  });

  it('3. on 2007-09-08 the status is expired; the day before it is still authorized', () => {
    expect(evaluate(l.facts, { at: '2007-09-07' }).status).toBe('authorized');
    const s = evaluate(l.facts, { at: '2007-09-08' });
    expect(s.status).toBe('expired');
    expect(s.rule).toBe('expired-by-sunset-after-trigger');
    expect(s.explanation).toBe(
      'Expired on 2007-09-08 (last authorized day 2007-09-07): 4 months after the usps-b-1118f TDP public release of 2007-05-08 (notice usps-2005-12-08).',
    );
  });

  it('3. a shipment on 2007-09-10 falls outside the authorization', () => {
    expect(evaluate(l.facts, { at: '2007-09-10' }).status).not.toBe('authorized');
  });

  it('before the program was recorded nothing is known of it', () => {
    const s = evaluate(l.facts, { at: '2006-06-01', asKnownAt: { position: 0 } });
    expect(s.status).toBe('not-authorized');
    expect(s.rule).toBe('program-unknown');
  });
});

describe('evaluate: edge cases', () => {
  it('clamps month ends: Oct 31 + 4 months is Feb 28, or Feb 29 in a leap year', () => {
    for (const [releasedOn, until] of [
      ['2006-10-31', '2007-02-28'],
      ['2007-10-31', '2008-02-29'],
    ] as const) {
      const l = registeredProgram();
      l.record(programStream, { type: 'NoticeReceived', data: extensionNotice });
      l.record(specStream, {
        type: 'TechnicalDataPackageReleased',
        data: { ...tdpRelease, releasedOn },
      });
      const s = evaluate(l.facts, { at: '2006-12-01' });
      expect(s.until).toBe(until);
      expect(evaluate(l.facts, { at: until }).status).toBe('expired');
    }
  });

  it('an ends-on earlier than a resolved sunset is the effective end', () => {
    const l = registeredProgram();
    l.record(programStream, { type: 'NoticeReceived', data: extensionNotice });
    const decert = l.record(
      programStream,
      notice('decert', [{ kind: 'ends-on', effectiveOn: '2007-07-01' }]),
    );
    l.record(specStream, { type: 'TechnicalDataPackageReleased', data: tdpRelease });
    const s = evaluate(l.facts, { at: '2007-07-01' });
    expect(s.until).toBe('2007-07-01');
    expect(s.status).toBe('expired');
    expect(s.rule).toBe('expired-by-ends-on');
    // Received the same day, the decertification also continues the program from then.
    expect(s.basis.find((b) => b.eventId === decert.eventId)?.roles).toEqual([
      'authorizes',
      'ends',
    ]);
    expect(evaluate(l.facts, { at: '2007-06-30' }).status).toBe('authorized');
  });

  it('a later notice superseding an earlier one removes the earlier terms, from its record time on', () => {
    const l = registeredProgram();
    l.record(programStream, { type: 'NoticeReceived', data: extensionNotice });
    l.record(specStream, { type: 'TechnicalDataPackageReleased', data: tdpRelease });
    const later = l.record(
      programStream,
      notice('usps-2007-08-01', [{ kind: 'ends-on', effectiveOn: '2007-12-31' }], {
        receivedOn: '2007-08-01',
        supersedes: ['usps-2005-12-08'],
      }),
    );
    const now = evaluate(l.facts, { at: '2007-10-01' });
    expect(now.status).toBe('authorized');
    expect(now.until).toBe('2007-12-31');
    const before = evaluate(l.facts, {
      at: '2007-10-01',
      asKnownAt: { position: later.position - 1 },
    });
    expect(before.status).toBe('expired');
    expect(before.until).toBe('2007-09-08');
  });

  it('a retracted TDP release makes the sunset pending again', () => {
    const l = registeredProgram();
    l.record(programStream, { type: 'NoticeReceived', data: extensionNotice });
    const tdp = l.record(specStream, { type: 'TechnicalDataPackageReleased', data: tdpRelease });
    const retraction = l.record(specStream, {
      type: 'EventRetracted',
      data: { retractedEventId: tdp.eventId, reason: 'the TDP was a draft, not public' },
    });
    const s = evaluate(l.facts, { at: '2007-10-01' });
    expect(s.status).toBe('authorized');
    expect(s.until).toBeNull();
    expect(s.pendingConditions).toHaveLength(1);
    expect(s.basis.find((b) => b.eventId === retraction.eventId)?.roles).toEqual(['retracts']);
    expect(s.basis.map((b) => b.eventId)).not.toContain(tdp.eventId);
    const before = evaluate(l.facts, {
      at: '2007-10-01',
      asKnownAt: { position: retraction.position - 1 },
    });
    expect(before.status).toBe('expired');
  });

  it('a TDP release that is not public does not trigger the sunset', () => {
    const l = registeredProgram();
    l.record(programStream, { type: 'NoticeReceived', data: extensionNotice });
    l.record(specStream, {
      type: 'TechnicalDataPackageReleased',
      data: { ...tdpRelease, publicRelease: false },
    });
    expect(evaluate(l.facts, { at: '2008-01-01' }).pendingConditions).toHaveLength(1);
  });

  it('a suspension inside the window suspends, and authorization resumes at its end', () => {
    const l = registeredProgram();
    l.record(programStream, { type: 'NoticeReceived', data: extensionNotice });
    l.record(specStream, { type: 'TechnicalDataPackageReleased', data: tdpRelease });
    l.record(
      programStream,
      notice('susp', [{ kind: 'suspends', from: '2007-06-01', until: '2007-07-01' }]),
    );
    expect(evaluate(l.facts, { at: '2007-05-31' }).status).toBe('authorized');
    const s = evaluate(l.facts, { at: '2007-06-01' });
    expect(s.status).toBe('suspended');
    expect(s.until).toBe('2007-09-08');
    expect(s.explanation).toBe('Suspended from 2007-06-01 until 2007-07-01 by notice susp.');
    expect(evaluate(l.facts, { at: '2007-06-30' }).status).toBe('suspended');
    expect(evaluate(l.facts, { at: '2007-07-01' }).status).toBe('authorized');
  });

  it('an approved license with no notice authorizes from its decision date', () => {
    const l = registeredProgram();
    l.record(programStream, {
      type: 'LicenseApplicationSubmitted',
      data: { applicationId: 'app-1', submittedOn: '2007-06-01', documentRef: 'APP-1' },
    });
    const approval = l.record(programStream, {
      type: 'LicenseApplicationDecided',
      data: {
        applicationId: 'app-1',
        decidedOn: '2007-07-15',
        decision: 'approved',
        reasons: [],
        resubmissionAllowed: false,
      },
    });
    expect(evaluate(l.facts, { at: '2007-05-31' }).status).toBe('not-authorized');
    expect(evaluate(l.facts, { at: '2007-06-01' }).status).toBe('application-pending');
    const s = evaluate(l.facts, { at: '2007-07-15' });
    expect(s).toMatchObject({
      status: 'authorized',
      rule: 'authorized-by-license-approval',
      authorizedFrom: '2007-07-15',
      until: null,
    });
    expect(s.basis.find((b) => b.eventId === approval.eventId)?.roles).toEqual(['authorizes']);
  });

  it('a later notice start does not move an approval: the earliest start opens the window', () => {
    const l = registeredProgram();
    l.record(programStream, {
      type: 'LicenseApplicationSubmitted',
      data: { applicationId: 'app-1', submittedOn: '2007-06-01', documentRef: 'APP-1' },
    });
    l.record(programStream, {
      type: 'LicenseApplicationDecided',
      data: {
        applicationId: 'app-1',
        decidedOn: '2007-07-15',
        decision: 'approved',
        reasons: [],
        resubmissionAllowed: false,
      },
    });
    l.record(programStream, notice('start', [{ kind: 'authorizes', from: '2007-08-01' }]));
    expect(evaluate(l.facts, { at: '2007-07-20' }).rule).toBe('authorized-by-license-approval');
    expect(evaluate(l.facts, { at: '2007-08-01' }).rule).toBe('authorized-by-license-approval');
  });

  it('a rejected application with resubmission allowed, then a new application', () => {
    const l = registeredProgram();
    l.record(programStream, {
      type: 'LicenseApplicationSubmitted',
      data: { applicationId: 'app-1', submittedOn: '2007-06-01', documentRef: 'APP-1' },
    });
    l.record(programStream, {
      type: 'LicenseApplicationDecided',
      data: {
        applicationId: 'app-1',
        decidedOn: '2007-07-01',
        decision: 'rejected',
        reasons: ['incomplete drawings'],
        resubmissionAllowed: true,
      },
    });
    const s = evaluate(l.facts, { at: '2007-07-02' });
    expect(s.status).toBe('application-rejected');
    expect(s.explanation).toBe(
      'License application app-1 was rejected on 2007-07-01 (resubmission allowed).',
    );
    l.record(programStream, {
      type: 'LicenseApplicationSubmitted',
      data: { applicationId: 'app-2', submittedOn: '2007-08-01', documentRef: 'APP-2' },
    });
    expect(evaluate(l.facts, { at: '2007-07-20' }).status).toBe('application-rejected');
    expect(evaluate(l.facts, { at: '2007-08-01' }).status).toBe('application-pending');
  });

  it('revocation and the supplier ending the program name their own statuses', () => {
    const l = registeredProgram();
    l.record(programStream, notice('grant', [{ kind: 'authorizes', from: '2006-01-01' }]));
    l.record(programStream, {
      type: 'ProgramEnded',
      data: { endedOn: '2006-09-01', reason: 'discontinued' },
    });
    expect(evaluate(l.facts, { at: '2006-09-01' })).toMatchObject({
      status: 'ended',
      until: '2006-09-01',
    });
    l.record(programStream, notice('revoke', [{ kind: 'revokes', effectiveOn: '2006-06-01' }]));
    expect(evaluate(l.facts, { at: '2006-06-01' })).toMatchObject({
      status: 'revoked',
      until: '2006-06-01',
    });
    expect(evaluate(l.facts, { at: '2006-05-31' }).status).toBe('authorized');
  });

  it('an end dated before a start, written before it, ends nothing: the start opens its window after it', () => {
    const l = registeredProgram();
    l.record(
      programStream,
      notice('revoke', [{ kind: 'revokes', effectiveOn: '2006-03-01' }], {
        receivedOn: '2006-01-15',
      }),
    );
    l.record(
      programStream,
      notice('grant', [{ kind: 'authorizes', from: '2006-06-01' }], { receivedOn: '2006-01-20' }),
    );
    expect(evaluate(l.facts, { at: '2006-02-01' })).toMatchObject({
      status: 'not-authorized',
      rule: 'before-authorization',
      authorizedFrom: '2006-06-01',
    });
    expect(evaluate(l.facts, { at: '2006-07-01' }).status).toBe('authorized');
  });

  it('a program with no notice and no application is not authorized', () => {
    const s = evaluate(registeredProgram().facts, { at: '2007-01-01' });
    expect(s).toMatchObject({
      status: 'not-authorized',
      rule: 'no-authorization',
      authorizedFrom: null,
      until: null,
    });
  });
});
