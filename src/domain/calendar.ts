import { Temporal } from 'temporal-polyfill';
import { z } from 'zod';

/** A valid-time calendar date, ISO `YYYY-MM-DD` (leap days checked). */
/** The founding case's first expired day as the API document's example. */
export const CalendarDate = z.iso.date().meta({ examples: ['2007-09-08'] });
export type CalendarDate = z.infer<typeof CalendarDate>;

/** An offset in calendar years, months, weeks and days; at least one part, never negative. */
export const CalendarOffset = z
  .object({
    years: z.int().min(0).max(100).optional(),
    months: z.int().min(0).max(1200).optional(),
    weeks: z.int().min(0).max(5300).optional(),
    days: z.int().min(0).max(36_600).optional(),
  })
  .strict()
  .refine((o) => (o.years ?? 0) + (o.months ?? 0) + (o.weeks ?? 0) + (o.days ?? 0) > 0, {
    message: 'offset needs a positive number of years, months, weeks or days',
  });
export type CalendarOffset = z.infer<typeof CalendarOffset>;

/** The last date an ISO `YYYY-MM-DD` can hold. */
export const LAST_DATE = '9999-12-31';

/**
 * Calendar arithmetic with end-of-month clamping (2007-01-31 + 1 month = 2007-02-28): the
 * largest unit first: years, then months, then weeks and days, each step clamped. A
 * result past year 9999 is held at 9999-12-31, so every date stays a four-digit ISO date (and
 * compares correctly as a string).
 */
export function addOffset(date: CalendarDate, offset: CalendarOffset): CalendarDate {
  const result = added(date, offset);
  return result.year > 9999 ? LAST_DATE : result.toString();
}

/** Whether `date + offset` passes 9999-12-31, so `addOffset` held it there. */
export function passesLastDate(date: CalendarDate, offset: CalendarOffset): boolean {
  return added(date, offset).year > 9999;
}

/**
 * One unit after another, so 2008-02-29 + 1 year + 1 month is 2009-02-28 + 1 month = 2009-03-28.
 * Computed on plain numbers (each status answer adds many dates); anything but a four-digit ISO
 * date and whole units goes to Temporal, which answers or refuses as it always did.
 */
function added(date: CalendarDate, offset: CalendarOffset): { year: number; toString(): string } {
  const start = dayParts(date);
  const { years = 0, months = 0, weeks = 0, days = 0 } = offset;
  const byTemporal = () =>
    Temporal.PlainDate.from(date).add({ years }).add({ months }).add({ weeks, days });
  if (start === null || ![years, months, weeks, days].every(Number.isSafeInteger))
    return byTemporal();
  const year = start.year + years;
  const day = Math.min(start.day, daysInMonth(year, start.month));
  const monthIndex = year * 12 + start.month - 1 + months;
  const moved = { year: Math.floor(monthIndex / 12), month: (monthIndex % 12) + 1, day };
  moved.day = Math.min(day, daysInMonth(moved.year, moved.month));
  const end = ofEpochDay(epochDay(moved) + weeks * 7 + days);
  if (Number.isNaN(end.year)) return byTemporal();
  return { year: end.year, toString: () => isoDate(end) };
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  const start = dayParts(date);
  const end =
    start === null || !Number.isSafeInteger(days) ? null : ofEpochDay(epochDay(start) + days);
  return end !== null && end.year >= 1 && end.year <= 9999
    ? isoDate(end)
    : Temporal.PlainDate.from(date).add({ days }).toString();
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  const [a, b] = [dayParts(from), dayParts(to)];
  return a !== null && b !== null
    ? epochDay(b) - epochDay(a)
    : Temporal.PlainDate.from(from).until(to).days;
}

interface DayParts {
  year: number;
  month: number;
  day: number;
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysInMonth = (year: number, month: number) =>
  month === 2 && isLeapYear(year) ? 29 : (MONTH_DAYS[month - 1] as number);

/** A valid ISO date of a four-digit year as numbers; null for anything else. */
function dayParts(date: string): DayParts | null {
  const match = ISO_DAY.exec(date);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
    ? { year, month, day }
    : null;
}

/** Days since 1970-01-01 (proleptic Gregorian, as ISO 8601 and Temporal count them). */
function epochDay({ year, month, day }: DayParts): number {
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  return Math.round(at.getTime() / DAY_MS);
}

function ofEpochDay(days: number): DayParts {
  const at = new Date(days * DAY_MS);
  return { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate() };
}

const isoDate = ({ year, month, day }: DayParts): CalendarDate =>
  `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/** ISO dates of four-digit years compare correctly as strings; this names the intent. */
export function isBefore(a: CalendarDate, b: CalendarDate): boolean {
  return a < b;
}

export function earliest(dates: readonly CalendarDate[]): CalendarDate | null {
  let min: CalendarDate | null = null;
  for (const d of dates) if (min === null || d < min) min = d;
  return min;
}

/** The one wording of an offset, everywhere: "1 year, 2 months and 1 day". */
export function describeOffset(offset: CalendarOffset): string {
  const parts = (['years', 'months', 'weeks', 'days'] as const)
    .filter((unit) => offset[unit])
    .map((unit) => `${offset[unit]} ${offset[unit] === 1 ? unit.slice(0, -1) : unit}`);
  return parts.length <= 1
    ? (parts[0] ?? '')
    : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1) as string}`;
}

/** The UTC calendar date of an ISO 8601 instant (a record time): the day it was recorded on. */
export const dateOfInstant = (instant: string): CalendarDate =>
  new Date(instant).toISOString().slice(0, 10);

/** Today's date in UTC: the one clock read, done at the edges (routes, CLI) and passed in. */
export const todayUtc = (): CalendarDate => dateOfInstant(new Date().toISOString());

/** The calendar date at `now` in an IANA time zone: the office's "today". */
export const todayIn = (timeZone: string, now: Date): CalendarDate =>
  Temporal.Instant.fromEpochMilliseconds(now.getTime())
    .toZonedDateTimeISO(timeZone)
    .toPlainDate()
    .toString();

/** Whether `name` is an IANA time zone this runtime knows. */
export function isTimeZone(name: string): boolean {
  try {
    Temporal.Now.instant().toZonedDateTimeISO(name);
    return true;
  } catch {
    return false;
  }
}
