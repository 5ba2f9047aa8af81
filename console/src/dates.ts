/**
 * The one place that turns an answer's end into the day people read. The API's `until` is the
 * first day *not* authorized (half-open); people want the last day they may ship. When the
 * answer carries `lastAuthorizedDay`, that is used as is.
 */
export function lastAuthorizedDay(answer: {
  until?: string | null;
  lastAuthorizedDay?: string | null;
}): string | null {
  if (answer.lastAuthorizedDay !== undefined) return answer.lastAuthorizedDay;
  return answer.until ? dayBefore(answer.until) : null;
}

/** The last day of a half-open interval that ends before `until`. */
export function dayBefore(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 1);
  return day.toISOString().slice(0, 10);
}

/** Today in UTC, as the API's default `at`. */
export const todayUtc = (): string => new Date().toISOString().slice(0, 10);

/** A recorded instant, to the second, with its zone spelled out. */
export const readableInstant = (instant: string): string =>
  `${instant.slice(0, 10)} ${instant.slice(11, 19)} UTC`;

/**
 * Dates are typed and shown as ISO `YYYY-MM-DD`, as the API states them: a browser's date
 * picker would show them in its locale (12/01/2026), which reads two ways.
 */
export const isoDateInput = {
  type: 'text',
  inputMode: 'numeric',
  placeholder: 'YYYY-MM-DD',
  pattern: '\\d{4}-\\d{2}-\\d{2}',
  maxLength: 10,
  autoComplete: 'off',
} as const;

/** A complete, real calendar date (2007-02-30 is not one). */
export const isCalendarDate = (text: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(text) &&
  new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;

/** A complete instant as the API takes it, in UTC. */
export const isUtcInstant = (text: string): boolean =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(text) && !Number.isNaN(Date.parse(text));
