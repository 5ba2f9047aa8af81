import { randomUUID } from 'node:crypto';
import type { DomainEvent, Fact } from '../../src/domain/index.ts';

/**
 * An in-memory record of facts for pure tests: each recorded event gets the next global
 * position and a record instant (by default one day after the previous one).
 */
export function factLedger(startInstant = '2005-12-01T12:00:00.000Z') {
  const facts: Fact[] = [];
  let clock = Date.parse(startInstant);
  return {
    facts,
    record(stream: string, event: DomainEvent, recordedAt?: string): Fact {
      clock = recordedAt ? Date.parse(recordedAt) : clock + 86_400_000;
      const fact: Fact = {
        ...event,
        eventId: randomUUID(),
        stream,
        position: facts.length + 1,
        recordedAt: new Date(clock).toISOString(),
      };
      facts.push(fact);
      return fact;
    },
  };
}
