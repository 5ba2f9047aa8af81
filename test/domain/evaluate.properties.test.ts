import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { evaluate, type Fact, resolveAuthorization, statusOn } from '../../src/domain/index.ts';
import { calendarDate, programHistory, toFacts } from '../support/arbitraries.ts';

const history = (options?: Parameters<typeof programHistory>[1]) =>
  programHistory('p-1', options).map((h) => toFacts(h));

describe('evaluate (properties)', () => {
  it('is deterministic and does not depend on the order facts are passed in', () => {
    fc.assert(
      fc.property(
        history().chain((facts) =>
          fc.tuple(fc.constant(facts), fc.shuffledSubarray(facts, { minLength: facts.length })),
        ),
        calendarDate(),
        ([facts, shuffled], at) => {
          const first = evaluate(facts, { at });
          expect(evaluate(facts, { at })).toEqual(first);
          expect(evaluate(shuffled, { at })).toEqual(first);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a fact recorded after K never changes the answer as known at K', () => {
    fc.assert(
      fc.property(history(), fc.nat(), calendarDate(), (facts, k, at) => {
        const cut = facts.length === 0 ? 0 : k % facts.length;
        const known: Fact[] = facts.slice(0, cut);
        const byPosition = { position: cut };
        expect(evaluate(facts, { at, asKnownAt: byPosition })).toEqual(evaluate(known, { at }));
        const instant = facts[cut - 1]?.recordedAt;
        if (instant && facts[cut]?.recordedAt !== instant) {
          expect(evaluate(facts, { at, asKnownAt: { instant } })).toEqual(evaluate(known, { at }));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('for any resolved window, from <= until and the status flips exactly once, at until', () => {
    fc.assert(
      fc.property(history({ suspensions: false }), (facts) => {
        const picture = resolveAuthorization(facts);
        fc.pre(picture.start !== null && picture.end !== null);
        const from = picture.start?.date as string;
        const until = picture.end?.date as string;
        expect(from <= until).toBe(true);
        const days: boolean[] = [];
        const last = Temporal.PlainDate.from(until).add({ days: 30 });
        for (
          let d = Temporal.PlainDate.from(from);
          Temporal.PlainDate.compare(d, last) < 0;
          d = d.add({ days: 1 })
        ) {
          days.push(statusOn(picture, d.toString()).status === 'authorized');
        }
        const flips = days.filter((v, i) => i > 0 && v !== days[i - 1]).length;
        expect(days[0]).toBe(true);
        expect(flips).toBe(1);
        const firstNotAuthorized = Temporal.PlainDate.from(from)
          .add({ days: days.indexOf(false) })
          .toString();
        expect(firstNotAuthorized).toBe(until);
      }),
      { numRuns: 200 },
    );
  });
});
