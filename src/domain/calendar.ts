import { Temporal } from 'temporal-polyfill';
import { z } from 'zod';

/** A valid-time calendar date, ISO `YYYY-MM-DD` (leap days checked). */
export const CalendarDate = z.iso.date();
export type CalendarDate = z.infer<typeof CalendarDate>;

/** An offset in calendar months and days; at least one part, never negative. */
export const CalendarOffset = z
  .object({
    months: z.int().min(0).max(1200).optional(),
    days: z.int().min(0).max(36_600).optional(),
  })
  .strict()
  .refine((o) => (o.months ?? 0) + (o.days ?? 0) > 0, {
    message: 'offset needs a positive number of months or days',
  });
export type CalendarOffset = z.infer<typeof CalendarOffset>;

/** The last date an ISO `YYYY-MM-DD` can hold. */
export const LAST_DATE = '9999-12-31';

/**
 * Calendar arithmetic with end-of-month clamping (2007-01-31 + 1 month = 2007-02-28):
 * months first, then days, as Temporal's PlainDate.add does. A result past year 9999 is held at
 * 9999-12-31, so every date stays a four-digit ISO date (and compares correctly as a string).
 */
export function addOffset(date: CalendarDate, offset: CalendarOffset): CalendarDate {
  const result = Temporal.PlainDate.from(date).add({
    months: offset.months ?? 0,
    days: offset.days ?? 0,
  });
  return result.year > 9999 ? LAST_DATE : result.toString();
}

/** Whether `date + offset` passes 9999-12-31, so `addOffset` held it there. */
export function passesLastDate(date: CalendarDate, offset: CalendarOffset): boolean {
  const result = Temporal.PlainDate.from(date).add({
    months: offset.months ?? 0,
    days: offset.days ?? 0,
  });
  return result.year > 9999;
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return Temporal.PlainDate.from(date).add({ days }).toString();
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return Temporal.PlainDate.from(from).until(to).days;
}

/** ISO dates of four-digit years compare correctly as strings; this names the intent. */
export function isBefore(a: CalendarDate, b: CalendarDate): boolean {
  return a < b;
}

export function earliest(dates: readonly CalendarDate[]): CalendarDate | null {
  let min: CalendarDate | null = null;
  for (const d of dates) if (min === null || d < min) min = d;
  return min;
}

export function describeOffset(offset: CalendarOffset): string {
  const parts: string[] = [];
  if (offset.months) parts.push(`${offset.months} month${offset.months === 1 ? '' : 's'}`);
  if (offset.days) parts.push(`${offset.days} day${offset.days === 1 ? '' : 's'}`);
  return parts.join(' and ');
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
