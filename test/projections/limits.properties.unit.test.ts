import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { programFacts } from '../../projections/program-facts.ts';
import { type ShipmentsIndex, shipments } from '../../projections/shipments.ts';
import { violations } from '../../projections/violations.ts';
import {
  checkLines,
  type Fact,
  knowledgeOf,
  type LimitPeriod,
  type Shipped,
  streams,
  type Term,
} from '../../src/domain/index.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { calendarDate, notice, term } from '../support/arbitraries.ts';
import { PROGRAM_ID, program } from '../support/founding-case.ts';
import { factLedger } from '../support/ledger.ts';

const stream = streams.program(PROGRAM_ID);

const limit = fc.record(
  {
    kind: fc.constant('limits-units' as const),
    units: fc.integer({ min: 1, max: 300 }),
    per: fc.constantFrom<LimitPeriod>('month', 'quarter', 'year'),
    customerRef: fc.constantFrom('acme', 'beta'),
  },
  { requiredKeys: ['kind', 'units'] },
);

type Step =
  | {
      kind: 'letter';
      terms: Term[];
      on: string;
      effectiveOn: string | null;
      supersedes: number | null;
    }
  | { kind: 'shipment'; shipped: Shipped }
  | { kind: 'retraction'; of: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc
    .record({
      windows: fc.array(term({ suspensions: true }), { maxLength: 2 }),
      limits: fc.array(limit, { maxLength: 2 }),
      on: calendarDate('2006-01-01', '2008-12-31'),
      effectiveOn: fc.option(calendarDate('2006-01-01', '2008-12-31'), { freq: 3 }),
      supersedes: fc.option(fc.nat(), { freq: 3 }),
    })
    .map(({ windows, limits, on, effectiveOn, supersedes }) => ({
      kind: 'letter' as const,
      terms: [...windows, ...limits],
      on,
      effectiveOn,
      supersedes,
    })),
  fc
    .record(
      {
        shippedOn: calendarDate('2006-01-01', '2008-12-31'),
        units: fc.integer({ min: 1, max: 120 }),
        customerRef: fc.constantFrom('acme', 'beta'),
      },
      { requiredKeys: ['shippedOn', 'units'] },
    )
    .map((shipped) => ({ kind: 'shipment' as const, shipped })),
  fc.nat().map((of) => ({ kind: 'retraction' as const, of })),
);

/** Folds facts into the two projections the violations read, as the runtime would. */
function project(facts: Fact[]) {
  let index = programFacts.initialState();
  let shipped: ShipmentsIndex = shipments.initialState();
  for (const f of facts) {
    const event = { ...f, metadata: { recordedAt: f.recordedAt } } as unknown as RecordedEvent;
    index = programFacts.apply(index, event);
    shipped = shipments.apply(shipped, event);
  }
  return violations(index, shipped);
}

describe('a check and the violation of the shipment once recorded', () => {
  it('a check just before recording says blocked exactly when the recorded shipment is a violation', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const l = factLedger();
        l.record(stream, { type: 'ProgramRegistered', data: program });
        const notices: string[] = [];
        const onRecord: { fact: Fact; shipped: Shipped }[] = [];
        const decided = new Map<string, 'allowed' | 'blocked'>();
        steps.forEach((s, i) => {
          if (s.kind === 'letter') {
            const superseded =
              s.supersedes === null ? undefined : notices[s.supersedes % (notices.length || 1)];
            l.record(stream, {
              type: 'NoticeReceived',
              data: {
                ...notice(`n-${i}`, s.terms, s.on),
                ...(s.effectiveOn !== null && { effectiveOn: s.effectiveOn }),
                ...(superseded !== undefined && { supersedes: [superseded] }),
              },
            });
            notices.push(`n-${i}`);
          } else if (s.kind === 'shipment') {
            const [answer] = checkLines(
              knowledgeOf(l.facts),
              onRecord.map((r) => r.shipped),
              [s.shipped],
            );
            const fact = l.record(stream, {
              type: 'ShipmentRecorded',
              data: { shipmentId: `s-${i}`, ...s.shipped },
            });
            decided.set(fact.eventId, answer?.decision ?? 'allowed');
            onRecord.push({ fact, shipped: s.shipped });
          } else if (onRecord.length > 0) {
            const [gone] = onRecord.splice(s.of % onRecord.length, 1);
            if (gone)
              l.record(stream, {
                type: 'EventRetracted',
                data: { retractedEventId: gone.fact.eventId, reason: 'entered twice' },
              });
          }
        });
        fc.pre(decided.size > 0);
        const found = new Map(project(l.facts).map((v) => [v.eventId, v]));
        for (const { fact } of onRecord) {
          const violation = found.get(fact.eventId);
          const whenRecorded = violation ? violation.asKnownWhenRecorded.compliant : true;
          expect(whenRecorded ? 'allowed' : 'blocked').toBe(decided.get(fact.eventId));
        }
        // The last event a shipment: known now is known when it was recorded.
        const last = l.facts.at(-1) as Fact;
        if (last.type === 'ShipmentRecorded')
          expect(found.has(last.eventId)).toBe(decided.get(last.eventId) === 'blocked');
      }),
      { numRuns: 300 },
    );
  });
});
