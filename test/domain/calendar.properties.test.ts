import fc from 'fast-check';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addOffset,
  daysBetween,
  describeOffset,
  LAST_DATE,
  passesLastDate,
} from '../../src/domain/index.ts';
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

describe('calendar arithmetic on plain numbers agrees with Temporal (issue 30)', () => {
  const anyDate = calendarDate('0001-01-01', '9999-12-31');
  const temporalAdd = (
    date: string,
    o: { years?: number; months?: number; weeks?: number; days?: number },
  ) =>
    Temporal.PlainDate.from(date)
      .add({ years: o.years ?? 0 })
      .add({ months: o.months ?? 0 })
      .add({ weeks: o.weeks ?? 0, days: o.days ?? 0 });

  it('adds and counts days as Temporal does, over every four-digit year and past it', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -800_000, max: 800_000 }), (date, days) => {
        expect(addDays(date, days)).toBe(Temporal.PlainDate.from(date).add({ days }).toString());
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(anyDate, anyDate, (from, to) => {
        expect(daysBetween(from, to)).toBe(Temporal.PlainDate.from(from).until(to).days);
      }),
      { numRuns: 2000 },
    );
  });

  it('adds offsets as Temporal does, one unit after another, clamped, held at 9999-12-31', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyDate,
          calendarDate('9800-01-01', '9999-12-31'),
          fc.constantFrom('2008-02-29', '0004-02-29'),
        ),
        fc.record({
          years: fc.nat({ max: 100 }),
          months: fc.nat({ max: 1200 }),
          weeks: fc.nat({ max: 5300 }),
          days: fc.nat({ max: 36_600 }),
        }),
        (date, offset) => {
          const expected = temporalAdd(date, offset);
          expect(passesLastDate(date, offset)).toBe(expected.year > 9999);
          expect(addOffset(date, offset)).toBe(
            expected.year > 9999 ? LAST_DATE : expected.toString(),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('leaves what is not a valid four-digit date to Temporal, which refuses it as before', () => {
    for (const bad of ['2007-02-30', '2007-13-01', '07-01-01', '2007-1-01'])
      expect(() => addDays(bad, 1)).toThrow(RangeError);
    expect(addDays('9999-12-31', 1)).toBe('+010000-01-01');
    expect(addDays('0001-01-01', -1)).toBe('0000-12-31');
  });
});
