/**
 * The one rule of which specifications a program depends on, the specifications a program
 * command names, and its refusal (domain).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DomainError,
  type Fact,
  resolveAuthorization,
  specificationsAwaited,
  specificationsNamedBy,
  unregisteredSpecification,
} from '../../src/domain/index.ts';
import { notice, SPECS, term } from '../support/arbitraries.ts';
import { currentSpecification, program } from '../support/founding-case.ts';
import { factLedger } from '../support/ledger.ts';

const registerProgram = { type: 'RegisterProgram' as const, data: program };
const shipment = {
  type: 'RecordShipment' as const,
  data: { shipmentId: 's-1', shippedOn: '2006-01-02', units: 1 },
};

describe('unregisteredSpecification', () => {
  it('refuses a program naming a specification not registered, naming it', () => {
    const refusal = unregisteredSpecification(registerProgram, new Set());
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: 'unknown-specification' });
    expect(refusal?.message).toContain(program.specificationId);
  });

  it('lets a program through once its specification is registered', () => {
    expect(
      unregisteredSpecification(registerProgram, new Set([currentSpecification.specificationId])),
    ).toBeNull();
  });

  it('asks nothing of a command that names no specification', () => {
    expect(unregisteredSpecification(shipment, new Set())).toBeNull();
  });
});

describe('the specifications a program waits for (property)', () => {
  it('are the same for the command check, the program-facts index and the status', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(term(), { maxLength: 4 }), { minLength: 1, maxLength: 3 }),
        (letters) => {
          const ledger = factLedger();
          ledger.record('program-p', { type: 'ProgramRegistered', data: program });
          const notices = letters.map((terms, i) => notice(`n-${i}`, terms, '2006-01-02'));
          for (const data of notices) ledger.record('program-p', { type: 'NoticeReceived', data });
          // Each specification's release, retracted: the retraction counts iff the status waits for it.
          const retractions = SPECS.map((spec) => {
            const release = ledger.record(`specification-${spec}`, {
              type: 'TechnicalDataPackageReleased',
              data: {
                specificationId: spec,
                releasedOn: '2006-03-01',
                publicRelease: true,
                documentRef: 'tdp',
              },
            });
            return ledger.record(`specification-${spec}`, {
              type: 'EventRetracted',
              data: { retractedEventId: release.eventId, reason: 'sent in error' },
            });
          });

          const fromFacts = new Set(specificationsAwaited(ledger.facts));
          const fromCommands = new Set(
            notices.flatMap((data) => specificationsNamedBy({ type: 'RecordNotice', data })),
          );
          const counted = resolveAuthorization(ledger.facts).retractions;
          const fromStatus = new Set(
            SPECS.filter((_, i) => counted.includes(retractions[i] as Fact)),
          );
          const written = new Set(
            letters
              .flat()
              .flatMap((t) =>
                t.kind === 'sunset-after-trigger' ? [t.trigger.specificationId] : [],
              ),
          );
          expect(fromFacts).toEqual(written);
          expect(fromCommands).toEqual(written);
          expect(fromStatus).toEqual(written);
          expect(specificationsNamedBy({ type: 'RegisterProgram', data: program })).toEqual([
            program.specificationId,
          ]);
        },
      ),
    );
  });
});
