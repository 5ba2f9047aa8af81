import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thresholdToWarn } from '../../src/alerts/alert-rules.ts';
import {
  FIRST_DELAY_MS,
  MAX_DELAY_MS,
  nextAttemptAt,
  RETRY_SPAN_MS,
} from '../../src/alerts/retry-schedule.ts';

/** The attempt times of a delivery that fails every time, on the given jitter draws. */
function failingForEver(first: number, draws: readonly number[]): number[] {
  const times = [first];
  for (let i = 0; ; i++) {
    const next = nextAttemptAt(
      times.length,
      first,
      times.at(-1) as number,
      draws[i % draws.length] as number,
    );
    if (next === null) return times;
    times.push(next);
  }
}

describe('retry schedule', () => {
  it('backs off exponentially with jitter, and keeps trying for at least 24 hours, then gives up', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 1,
          maxLength: 40,
        }),
        (first, draws) => {
          const times = failingForEver(first, draws);
          const last = times.at(-1) as number;
          expect(last - first).toBeGreaterThanOrEqual(RETRY_SPAN_MS);
          // Given up on the first failure after the span: never long past it.
          expect(last - first).toBeLessThan(RETRY_SPAN_MS + MAX_DELAY_MS);
          times.slice(1).forEach((t, i) => {
            const full = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** i);
            const delay = t - (times[i] as number);
            expect(delay).toBeGreaterThanOrEqual(full / 2);
            expect(delay).toBeLessThanOrEqual(full);
          });
        },
      ),
    );
  });

  it('spreads receivers that fail together: the same attempt on different draws lands at different times', () => {
    expect(nextAttemptAt(3, 0, 60_000, 0)).not.toBe(nextAttemptAt(3, 0, 60_000, 0.9));
  });
});

describe('deadline thresholds', () => {
  it('warns once per threshold, only the tightest when several are crossed at once, never again for a wider one', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 200 }), { maxLength: 30 }), (days) => {
        // Days left as seen on successive days (any order: a clock may jump).
        let warned: number | null = null;
        const said: number[] = [];
        for (const d of days) {
          const t = thresholdToWarn(d, warned);
          if (t === null) continue;
          expect(d).toBeLessThanOrEqual(t);
          said.push(t);
          warned = t;
        }
        expect(said).toEqual([...new Set(said)]);
        expect(said).toEqual([...said].sort((a, b) => b - a));
      }),
    );
    expect(thresholdToWarn(38, null)).toBe(90);
    expect(thresholdToWarn(6, 90)).toBe(7);
    expect(thresholdToWarn(29, 7)).toBeNull();
    expect(thresholdToWarn(91, null)).toBeNull();
  });
});
