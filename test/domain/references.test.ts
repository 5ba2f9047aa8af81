/** The one rule of which specifications a program command names, and its refusal (domain). */
import { describe, expect, it } from 'vitest';
import { DomainError, unregisteredSpecification } from '../../src/domain/index.ts';
import { currentSpecification, program } from '../support/founding-case.ts';

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
