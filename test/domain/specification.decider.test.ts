import { describe, it } from 'vitest';
import { type SpecificationEvent, specificationDecider } from '../../src/domain/index.ts';
import { deciderSpec } from '../support/decider-spec.ts';
import { successorSpecification, tdpRelease } from '../support/founding-case.ts';

const given = deciderSpec(specificationDecider);
const registered: SpecificationEvent = {
  type: 'SpecificationRegistered',
  data: successorSpecification,
};
const { specificationId: _, ...release } = tdpRelease;
const released: SpecificationEvent & { eventId: string } = {
  eventId: '8f0e7d1c-6a3b-4e59-9c2d-1b0a9f8e7d6c',
  type: 'TechnicalDataPackageReleased',
  data: tdpRelease,
};

describe('specification decider', () => {
  describe('RegisterSpecification', () => {
    it('registers a new specification', () => {
      given()
        .when({ type: 'RegisterSpecification', data: successorSpecification })
        .thenRecords([registered]);
    });
    it('the same registration sent again is one fact: nothing new is recorded (issue 21 item 7)', () => {
      given(registered)
        .when({ type: 'RegisterSpecification', data: successorSpecification })
        .thenRecords([]);
    });
    it('refuses registering twice with other content', () => {
      given(registered)
        .when({
          type: 'RegisterSpecification',
          data: { ...successorSpecification, title: 'another title' },
        })
        .thenRefuses('already-registered', /usps-b-1118f is already registered/);
    });
    it('refuses a specification that supersedes itself', () => {
      given()
        .when({
          type: 'RegisterSpecification',
          data: { ...successorSpecification, supersedes: 'usps-b-1118f' },
        })
        .thenRefuses('contradictory-terms');
    });
  });

  describe('ReleaseTechnicalDataPackage', () => {
    it('records the release under the specification id of the stream', () => {
      given(registered)
        .when({ type: 'ReleaseTechnicalDataPackage', data: release })
        .thenRecords([{ type: 'TechnicalDataPackageReleased', data: tdpRelease }]);
    });
    it('refuses a release for an unregistered specification', () => {
      given()
        .when({ type: 'ReleaseTechnicalDataPackage', data: release })
        .thenRefuses('not-registered');
    });
    it('the same release sent again is one fact: nothing new is recorded (issue 21 item 7)', () => {
      given(registered, released)
        .when({ type: 'ReleaseTechnicalDataPackage', data: release })
        .thenRecords([]);
    });
    it('a retracted release sent again is recorded anew', () => {
      given(registered, released, {
        type: 'EventRetracted',
        data: { retractedEventId: released.eventId, reason: 'wrong document' },
      })
        .when({ type: 'ReleaseTechnicalDataPackage', data: release })
        .thenRecords([{ type: 'TechnicalDataPackageReleased', data: tdpRelease }]);
    });
    it('refuses a second TDP release for one specification', () => {
      given(registered, released)
        .when({
          type: 'ReleaseTechnicalDataPackage',
          data: { ...release, releasedOn: '2007-06-01' },
        })
        .thenRefuses('tdp-already-released', /retract it first/);
    });
    it('a limited (non-public) release does not block the later public one (rule 6)', () => {
      const limited = {
        eventId: '66666666-6666-4666-8666-666666666666',
        type: 'TechnicalDataPackageReleased' as const,
        data: { ...tdpRelease, releasedOn: '2007-02-01', publicRelease: false },
      };
      given(registered, limited)
        .when({ type: 'ReleaseTechnicalDataPackage', data: release })
        .thenRecords([{ type: 'TechnicalDataPackageReleased', data: tdpRelease }]);
      given(registered, released)
        .when({
          type: 'ReleaseTechnicalDataPackage',
          data: { ...release, publicRelease: false, releasedOn: '2007-06-01' },
        })
        .thenRecords([
          {
            type: 'TechnicalDataPackageReleased',
            data: { ...tdpRelease, publicRelease: false, releasedOn: '2007-06-01' },
          },
        ]);
    });
    it('accepts a new release once the earlier one is retracted', () => {
      given(registered, released, {
        type: 'EventRetracted',
        data: { retractedEventId: released.eventId, reason: 'wrong date' },
      })
        .when({
          type: 'ReleaseTechnicalDataPackage',
          data: { ...release, releasedOn: '2007-05-09' },
        })
        .thenRecords([
          {
            type: 'TechnicalDataPackageReleased',
            data: { ...tdpRelease, releasedOn: '2007-05-09' },
          },
        ]);
    });
  });

  describe('RetractEvent', () => {
    const retract = { retractedEventId: released.eventId, reason: 'entered in error' };
    it('retracts an event of the stream', () => {
      given(registered, released)
        .when({ type: 'RetractEvent', data: retract })
        .thenRecords([{ type: 'EventRetracted', data: retract }]);
    });
    it('refuses an event not in the stream', () => {
      given(registered)
        .when({ type: 'RetractEvent', data: retract })
        .thenRefuses('unknown-event', /is not in specification usps-b-1118f/);
    });
    it('refuses an event already retracted', () => {
      given(registered, released, { type: 'EventRetracted', data: retract })
        .when({ type: 'RetractEvent', data: retract })
        .thenRefuses('already-retracted');
    });
    it('refuses retracting the registration', () => {
      const registration = { ...registered, eventId: '0c3a5b1e-2d4f-4a6b-8c9d-0e1f2a3b4c5d' };
      given(registration)
        .when({
          type: 'RetractEvent',
          data: { retractedEventId: registration.eventId, reason: 'oops' },
        })
        .thenRefuses('not-retractable');
    });
    it('refuses on an unregistered specification', () => {
      given().when({ type: 'RetractEvent', data: retract }).thenRefuses('not-registered');
    });
  });
});
