import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkLines,
  knowledgeOf,
  type LimitPeriod,
  type Shipped,
  streams,
  type Term,
} from '../../src/domain/index.ts';
import { calendarDate, notice } from '../support/arbitraries.ts';
import { PROGRAM_ID, program } from '../support/founding-case.ts';
import { factLedger } from '../support/ledger.ts';

const stream = streams.program(PROGRAM_ID);

const limitTerm = fc.record(
  {
    kind: fc.constant('limits-units' as const),
    units: fc.integer({ min: 1, max: 200 }),
    per: fc.constantFrom<LimitPeriod>('month', 'quarter', 'year'),
    customerRef: fc.constantFrom('acme', 'beta'),
  },
  { requiredKeys: ['kind', 'units'] },
);
const line = fc.record(
  {
    shippedOn: calendarDate('2025-01-01', '2026-12-31'),
    units: fc.integer({ min: 1, max: 80 }),
    customerRef: fc.constantFrom('acme', 'beta'),
  },
  { requiredKeys: ['shippedOn', 'units'] },
);

/** The period key of a day, computed here apart from the code under test. */
function periodKey(per: LimitPeriod | undefined, day: string): string {
  if (per === 'month') return day.slice(0, 7);
  if (per === 'quarter')
    return `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3)}`;
  if (per === 'year') return day.slice(0, 4);
  return 'the one open-ended window';
}

/** For every limit and period: the units of the shipments it counts never pass it. */
function withinEveryLimit(limits: Extract<Term, { kind: 'limits-units' }>[], shipped: Shipped[]) {
  for (const limit of limits) {
    const sums = new Map<string, number>();
    for (const s of shipped) {
      if (limit.customerRef !== undefined && s.customerRef !== limit.customerRef) continue;
      const key = periodKey(limit.per, s.shippedOn);
      sums.set(key, (sums.get(key) ?? 0) + s.units);
    }
    for (const sum of sums.values()) expect(sum).toBeLessThanOrEqual(limit.units);
  }
}

describe('limits, for any letters and order lines', () => {
  const givenLetters = (limits: Extract<Term, { kind: 'limits-units' }>[]) => {
    const l = factLedger();
    l.record(stream, { type: 'ProgramRegistered', data: program });
    l.record(stream, {
      type: 'NoticeReceived',
      data: notice('n-1', [{ kind: 'authorizes', from: '2025-01-01' }, ...limits], '2024-12-01'),
    });
    return knowledgeOf(l.facts);
  };

  it('the allowed checks, each recorded before the next is checked, never pass a limit', () => {
    fc.assert(
      fc.property(
        fc.array(limitTerm, { minLength: 1, maxLength: 3 }),
        fc.array(line, { maxLength: 60 }),
        (limits, lines) => {
          const knowledge = givenLetters(limits);
          const recorded: Shipped[] = [];
          for (const planned of lines) {
            const [answer] = checkLines(knowledge, recorded, [planned]);
            if (answer?.decision === 'allowed') recorded.push(planned);
          }
          withinEveryLimit(limits, recorded);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the allowed lines of one batch never pass a limit, and a blocked line always would', () => {
    fc.assert(
      fc.property(
        fc.array(limitTerm, { minLength: 1, maxLength: 3 }),
        fc.array(line, { maxLength: 60 }),
        (limits, lines) => {
          const answers = checkLines(givenLetters(limits), [], lines);
          const allowed = lines.filter((_, i) => answers[i]?.decision === 'allowed');
          withinEveryLimit(limits, allowed);
          answers.forEach((a, i) => {
            if (a.decision === 'allowed') return;
            const before = lines.slice(0, i).filter((_, j) => answers[j]?.decision === 'allowed');
            expect(() => withinEveryLimit(limits, [...before, lines[i] as Shipped])).toThrow();
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
