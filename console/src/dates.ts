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
