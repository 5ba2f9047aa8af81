import { describe, it } from 'vitest';
import { type ProgramEvent, programDecider } from '../../src/domain/index.ts';
import { deciderSpec } from '../support/decider-spec.ts';
import { extensionNotice, program } from '../support/founding-case.ts';

const given = deciderSpec(programDecider);
const registered: ProgramEvent = { type: 'ProgramRegistered', data: program };
const notice = {
  eventId: '11111111-1111-4111-8111-111111111111',
  type: 'NoticeReceived' as const,
  data: extensionNotice,
};
const application = {
  eventId: '22222222-2222-4222-8222-222222222222',
  type: 'LicenseApplicationSubmitted' as const,
  data: { applicationId: 'app-1', submittedOn: '2007-06-01', documentRef: 'APP-1' },
};
const decision = {
  eventId: '33333333-3333-4333-8333-333333333333',
  type: 'LicenseApplicationDecided' as const,
  data: {
    applicationId: 'app-1',
    decidedOn: '2007-07-01',
    decision: 'approved' as const,
    reasons: ['meets the TDP'],
    resubmissionAllowed: false,
  },
};
const shipment = {
  eventId: '44444444-4444-4444-8444-444444444444',
  type: 'ShipmentRecorded' as const,
  data: { shipmentId: 'sh-1', shippedOn: '2006-01-15', units: 40 },
};
const ended = {
  eventId: '55555555-5555-4555-8555-555555555555',
  type: 'ProgramEnded' as const,
  data: { endedOn: '2007-09-01', reason: 'transition to 1118F' },
};

describe('program decider', () => {
  describe('RegisterProgram', () => {
    it('registers a new program', () => {
      given().when({ type: 'RegisterProgram', data: program }).thenRecords([registered]);
    });
    it('the same registration sent again is one fact: nothing new is recorded (issue 21 item 7)', () => {
      given(registered).when({ type: 'RegisterProgram', data: program }).thenRecords([]);
    });
    it('refuses registering twice with other content', () => {
      given(registered)
        .when({ type: 'RegisterProgram', data: { ...program, channel: 'regulator-purchased' } })
        .thenRefuses('already-registered', /american-locker.1118e.private-market/);
    });
  });

  describe('every other command on an unregistered program', () => {
    it('is refused as not registered', () => {
      given().when({ type: 'RecordNotice', data: extensionNotice }).thenRefuses('not-registered');
      given().when({ type: 'RecordShipment', data: shipment.data }).thenRefuses('not-registered');
    });
  });

  describe('RecordNotice', () => {
    it('records a notice', () => {
      given(registered)
        .when({ type: 'RecordNotice', data: extensionNotice })
        .thenRecords([{ type: 'NoticeReceived', data: extensionNotice }]);
    });
    it('treats the same notice again as a no-op', () => {
      given(registered, notice)
        .when({ type: 'RecordNotice', data: extensionNotice })
        .thenRecords([]);
    });
    it('refuses a notice id reused with different content', () => {
      given(registered, notice)
        .when({ type: 'RecordNotice', data: { ...extensionNotice, summary: 'something else' } })
        .thenRefuses('notice-id-conflict', /usps-2005-12-08 is already recorded/);
    });
    it('accepts the corrected notice once the original is retracted', () => {
      const corrected = { ...extensionNotice, summary: 'corrected summary' };
      given(registered, notice, {
        type: 'EventRetracted',
        data: { retractedEventId: notice.eventId, reason: 'typo' },
      })
        .when({ type: 'RecordNotice', data: corrected })
        .thenRecords([{ type: 'NoticeReceived', data: corrected }]);
    });
    it('refuses a suspension that ends before it starts', () => {
      given(registered)
        .when({
          type: 'RecordNotice',
          data: {
            ...extensionNotice,
            noticeId: 'n-2',
            terms: [{ kind: 'suspends', from: '2006-03-01', until: '2006-03-01' }],
          },
        })
        .thenRefuses('contradictory-terms', /must end after it starts/);
    });
    it('refuses superseding a notice that is not recorded, or itself', () => {
      given(registered)
        .when({
          type: 'RecordNotice',
          data: { ...extensionNotice, noticeId: 'n-2', supersedes: ['nope'] },
        })
        .thenRefuses('unknown-superseded-notice', /nope/);
      given(registered, notice)
        .when({
          type: 'RecordNotice',
          data: { ...extensionNotice, noticeId: 'n-2', supersedes: ['n-2'] },
        })
        .thenRefuses('contradictory-terms');
    });
    it('records a notice that supersedes a recorded one', () => {
      const later = { ...extensionNotice, noticeId: 'n-2', supersedes: ['usps-2005-12-08'] };
      given(registered, notice)
        .when({ type: 'RecordNotice', data: later })
        .thenRecords([{ type: 'NoticeReceived', data: later }]);
    });
    it("records a regulator's letter on an ended program (issue 11 rule 6)", () => {
      const revocation = {
        ...extensionNotice,
        noticeId: 'revoke',
        terms: [{ kind: 'revokes' as const, effectiveOn: '2007-06-01' }],
      };
      given(registered, ended)
        .when({ type: 'RecordNotice', data: revocation })
        .thenRecords([{ type: 'NoticeReceived', data: revocation }]);
    });
    it('refuses one notice that authorizes from a date and ends on or before it (rule 7)', () => {
      given(registered)
        .when({
          type: 'RecordNotice',
          data: {
            ...extensionNotice,
            noticeId: 'n-2',
            terms: [
              { kind: 'authorizes', from: '2007-01-01' },
              { kind: 'ends-on', effectiveOn: '2006-01-01' },
            ],
          },
        })
        .thenRefuses('contradictory-terms', /authorizes from 2007-01-01 but its ends-on term/);
      given(registered)
        .when({
          type: 'RecordNotice',
          data: {
            ...extensionNotice,
            noticeId: 'n-3',
            terms: [
              { kind: 'authorizes', from: '2007-01-01' },
              { kind: 'revokes', effectiveOn: '2007-01-01' },
            ],
          },
        })
        .thenRefuses('contradictory-terms', /revokes term/);
    });
  });

  describe('SubmitLicenseApplication', () => {
    it('records an application; the same again is a no-op; other content is refused', () => {
      given(registered)
        .when({ type: 'SubmitLicenseApplication', data: application.data })
        .thenRecords([{ type: 'LicenseApplicationSubmitted', data: application.data }]);
      given(registered, application)
        .when({ type: 'SubmitLicenseApplication', data: application.data })
        .thenRecords([]);
      given(registered, application)
        .when({ type: 'SubmitLicenseApplication', data: { ...application.data, documentRef: 'X' } })
        .thenRefuses('application-id-conflict');
    });
    it('is refused on an ended program', () => {
      given(registered, ended)
        .when({ type: 'SubmitLicenseApplication', data: application.data })
        .thenRefuses('program-ended');
    });
  });

  describe('DecideLicenseApplication', () => {
    it('records a decision on a submitted application', () => {
      given(registered, application)
        .when({ type: 'DecideLicenseApplication', data: decision.data })
        .thenRecords([{ type: 'LicenseApplicationDecided', data: decision.data }]);
    });
    it('refuses a decision for an unknown application', () => {
      given(registered)
        .when({ type: 'DecideLicenseApplication', data: decision.data })
        .thenRefuses('unknown-application', /app-1/);
    });
    it('refuses deciding twice with another outcome, accepts the same decision again as a no-op', () => {
      given(registered, application, decision)
        .when({
          type: 'DecideLicenseApplication',
          data: { ...decision.data, decision: 'rejected' },
        })
        .thenRefuses('application-already-decided');
      given(registered, application, decision)
        .when({ type: 'DecideLicenseApplication', data: decision.data })
        .thenRecords([]);
    });
    it('refuses a decision dated before the application', () => {
      given(registered, application)
        .when({
          type: 'DecideLicenseApplication',
          data: { ...decision.data, decidedOn: '2007-05-31' },
        })
        .thenRefuses('decision-before-submission');
    });

    it('records an approval with limits, and refuses limits on a rejection', () => {
      const limits = [{ units: 500, per: 'year' as const }];
      given(registered, application)
        .when({ type: 'DecideLicenseApplication', data: { ...decision.data, limits } })
        .thenRecords([{ type: 'LicenseApplicationDecided', data: { ...decision.data, limits } }]);
      given(registered, application)
        .when({
          type: 'DecideLicenseApplication',
          data: { ...decision.data, decision: 'rejected', limits },
        })
        .thenRefuses('contradictory-terms', /a rejection cannot set limits/);
    });

    it('records a check as evidence, after the end too', () => {
      const checked = {
        answeredAtPosition: 3,
        lines: [
          {
            shippedOn: '2007-06-01',
            units: 5,
            decision: 'allowed' as const,
            explanation: 'Allowed: authorized.',
            basis: [notice.eventId],
          },
        ],
      };
      given(registered, ended)
        .when({ type: 'RecordCheck', data: checked })
        .thenRecords([{ type: 'ShipmentChecked', data: checked }]);
    });
    it("records the regulator's decision on an ended program (rule 6)", () => {
      given(registered, application, ended)
        .when({ type: 'DecideLicenseApplication', data: decision.data })
        .thenRecords([{ type: 'LicenseApplicationDecided', data: decision.data }]);
    });
  });

  describe('RecordShipment', () => {
    it('records a shipment, even one outside any authorization', () => {
      given(registered)
        .when({ type: 'RecordShipment', data: shipment.data })
        .thenRecords([{ type: 'ShipmentRecorded', data: shipment.data }]);
    });
    it('records a shipment on an ended program (a fact is never refused for being late)', () => {
      given(registered, ended)
        .when({ type: 'RecordShipment', data: { ...shipment.data, shippedOn: '2007-09-10' } })
        .thenRecords([
          { type: 'ShipmentRecorded', data: { ...shipment.data, shippedOn: '2007-09-10' } },
        ]);
    });
    it('treats the same shipment again as a no-op and refuses its id with other content', () => {
      given(registered, shipment)
        .when({ type: 'RecordShipment', data: shipment.data })
        .thenRecords([]);
      given(registered, shipment)
        .when({ type: 'RecordShipment', data: { ...shipment.data, units: 41 } })
        .thenRefuses('shipment-id-conflict');
    });
  });

  describe('EndProgram', () => {
    it('ends a program', () => {
      given(registered)
        .when({ type: 'EndProgram', data: ended.data })
        .thenRecords([{ type: 'ProgramEnded', data: ended.data }]);
    });
    it('refuses ending twice', () => {
      given(registered, ended)
        .when({ type: 'EndProgram', data: ended.data })
        .thenRefuses('program-ended');
    });
    it('can end again once the end is retracted', () => {
      given(registered, ended, {
        type: 'EventRetracted',
        data: { retractedEventId: ended.eventId, reason: 'wrong date' },
      })
        .when({ type: 'EndProgram', data: { ...ended.data, endedOn: '2007-09-05' } })
        .thenRecords([{ type: 'ProgramEnded', data: { ...ended.data, endedOn: '2007-09-05' } }]);
    });
  });

  describe('RetractEvent', () => {
    const retract = (eventId: string) => ({
      retractedEventId: eventId,
      reason: 'entered in error',
    });
    it('retracts an event of the stream, also after the program ended', () => {
      given(registered, shipment, ended)
        .when({ type: 'RetractEvent', data: retract(shipment.eventId) })
        .thenRecords([{ type: 'EventRetracted', data: retract(shipment.eventId) }]);
    });
    it('refuses an event not in the stream', () => {
      given(registered)
        .when({ type: 'RetractEvent', data: retract(shipment.eventId) })
        .thenRefuses('unknown-event');
    });
    it('refuses an event already retracted', () => {
      given(registered, shipment, { type: 'EventRetracted', data: retract(shipment.eventId) })
        .when({ type: 'RetractEvent', data: retract(shipment.eventId) })
        .thenRefuses('already-retracted');
    });
    it('refuses retracting an application that has a decision', () => {
      given(registered, application, decision)
        .when({ type: 'RetractEvent', data: retract(application.eventId) })
        .thenRefuses('not-retractable', /retract the decision first/);
    });
    it('refuses retracting a retraction', () => {
      const retraction = {
        eventId: '66666666-6666-4666-8666-666666666666',
        type: 'EventRetracted' as const,
        data: retract(shipment.eventId),
      };
      given(registered, shipment, retraction)
        .when({ type: 'RetractEvent', data: retract(retraction.eventId) })
        .thenRefuses('not-retractable');
    });
  });

  describe('a correction (corrects: a retracted event of the stream, of the same type)', () => {
    const retraction = {
      eventId: '77777777-7777-4777-8777-777777777777',
      type: 'EventRetracted' as const,
      data: { retractedEventId: shipment.eventId, reason: 'it was 45 units' },
    };
    const corrected = { ...shipment.data, units: 45, corrects: shipment.eventId };
    const correction = {
      eventId: '88888888-8888-4888-8888-888888888888',
      type: 'ShipmentRecorded' as const,
      data: corrected,
    };
    it('records the corrected fact, its id free again, once the original is retracted', () => {
      given(registered, shipment, retraction)
        .when({ type: 'RecordShipment', data: corrected })
        .thenRecords([{ type: 'ShipmentRecorded', data: corrected }]);
    });
    it('refuses it while the original is in force', () => {
      given(registered, shipment)
        .when({ type: 'RecordShipment', data: { ...corrected, shipmentId: 'sh-2' } })
        .thenRefuses('not-retracted', /retract it with the reason first/);
    });
    it('refuses an event of another type or not in the stream', () => {
      given(registered, notice, {
        ...retraction,
        data: { ...retraction.data, retractedEventId: notice.eventId },
      })
        .when({ type: 'RecordShipment', data: { ...corrected, corrects: notice.eventId } })
        .thenRefuses('not-a-correction', /NoticeReceived/);
      given(registered)
        .when({ type: 'RecordShipment', data: corrected })
        .thenRefuses('not-a-correction', /is not in program/);
    });
    it('refuses a second correction while the first stands, and allows one once it is retracted', () => {
      given(registered, shipment, retraction, correction)
        .when({ type: 'RecordShipment', data: { ...corrected, shipmentId: 'sh-3' } })
        .thenRefuses('already-corrected', new RegExp(correction.eventId));
      const again = { ...corrected, units: 46 };
      given(registered, shipment, retraction, correction, {
        eventId: '99999999-9999-4999-8999-999999999999',
        type: 'EventRetracted' as const,
        data: { retractedEventId: correction.eventId, reason: 'it was 46 units' },
      })
        .when({ type: 'RecordShipment', data: again })
        .thenRecords([{ type: 'ShipmentRecorded', data: again }]);
    });
  });
});
