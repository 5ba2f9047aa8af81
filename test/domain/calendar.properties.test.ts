import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { addOffset, describeOffset, LAST_DATE } from '../../src/domain/index.ts';
import { calendarDate } from '../support/arbitraries.ts';

const daysInMonth = (year: number, month: number) =>
  Temporal.PlainYearMonth.from({ year, month }).daysInMonth;

describe('calendar arithmetic (properties)', () => {
  it('adding n months lands n months later, on the same day or the last day of a shorter month', () => {
    fc.assert(
      fc.property(
        calendarDate('1900-01-01', '2200-12-31'),
        fc.integer({ min: 0, max: 240 }),
        (date, months) => {
          const start = Temporal.PlainDate.from(date);
          const end = Temporal.PlainDate.from(addOffset(date, { months }));
          expect(end.year * 12 + end.month - (start.year * 12 + start.month)).toBe(months);
          expect(end.day).toBe(Math.min(start.day, daysInMonth(end.year, end.month)));
        },
      ),
    );
  });

  it('is monotonic: a later start never gives an earlier end', () => {
    fc.assert(
      fc.property(
        calendarDate(),
        calendarDate(),
        fc.record({
          months: fc.integer({ min: 0, max: 60 }),
          days: fc.integer({ min: 0, max: 400 }),
        }),
        (a, b, offset) => {
          const [early, late] = a <= b ? [a, b] : [b, a];
          expect(addOffset(early, offset) <= addOffset(late, offset)).toBe(true);
        },
      ),
    );
  });

  it('adding days is exact: the difference in days equals the offset', () => {
    fc.assert(
      fc.property(calendarDate(), fc.integer({ min: 1, max: 5000 }), (date, days) => {
        const diff = Temporal.PlainDate.from(date).until(addOffset(date, { days })).days;
        expect(diff).toBe(days);
      }),
    );
  });

  it('clamps at month end', () => {
    expect(addOffset('2007-01-31', { months: 1 })).toBe('2007-02-28');
    expect(addOffset('2008-01-31', { months: 1 })).toBe('2008-02-29');
    expect(addOffset('2006-10-31', { months: 4 })).toBe('2007-02-28');
    expect(addOffset('2007-03-31', { months: 1, days: 1 })).toBe('2007-05-01');
  });
});

describe('calendar arithmetic at the end of representable dates', () => {
  it('holds a result past year 9999 at 9999-12-31', () => {
    expect(addOffset('9999-12-31', { months: 1200, days: 36_600 })).toBe(LAST_DATE);
    expect(addOffset('9999-11-30', { months: 1 })).toBe('9999-12-30');
  });
});

describe('offsets (issue 21 item 10)', () => {
  it('apply the largest unit first, as one add after another', () => {
    fc.assert(
      fc.property(
        calendarDate(),
        fc.nat({ max: 5 }),
        fc.nat({ max: 30 }),
        fc.nat({ max: 10 }),
        fc.nat({ max: 60 }),
        (date, years, months, weeks, days) => {
          fc.pre(years + months + weeks + days > 0);
          const stepwise = [{ years }, { months }, { weeks }, { days }].reduce(
            (d, part) =>
              Object.values(part)[0] ? addOffset(d, part as Parameters<typeof addOffset>[1]) : d,
            date,
          );
          expect(addOffset(date, { years, months, weeks, days })).toBe(stepwise);
        },
      ),
    );
  });

  it('have one wording', () => {
    expect(describeOffset({ months: 1, days: 1 })).toBe('1 month and 1 day');
    expect(describeOffset({ years: 2, weeks: 1, days: 3 })).toBe('2 years, 1 week and 3 days');
    expect(describeOffset({ months: 4 })).toBe('4 months');
  });
});
