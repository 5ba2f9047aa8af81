import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import {
  type Decider,
  DomainError,
  type DomainErrorCode,
  type DomainEvent,
  type Identified,
} from '../../src/domain/index.ts';

/**
 * Given/when/then for deciders, after Emmett's DeciderSpecification: `given` events (with
 * their ids, so a retraction can point at one), `when` a command, `then` the new events or
 * the refusal's code.
 */
export function deciderSpec<C, E extends DomainEvent, S>(decider: Decider<C, E, S>) {
  return (...given: (E | Identified<E>)[]) => ({
    when(command: C) {
      const state = given.reduce(
        (s, e) => decider.evolve(s, { eventId: randomUUID(), ...e } as Identified<E>),
        decider.initialState(),
      );
      const result = decider.decide(command, state);
      return {
        thenRecords(expected: E[]) {
          if (result instanceof DomainError) throw new Error(`refused: ${result.message}`);
          expect(result).toEqual(expected);
        },
        thenRefuses(code: DomainErrorCode, message?: RegExp) {
          expect(result).toBeInstanceOf(DomainError);
          const error = result as DomainError;
          expect(error.code).toBe(code);
          if (message) expect(error.message).toMatch(message);
        },
      };
    },
  });
}
