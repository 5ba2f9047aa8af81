/**
 * What is worth telling, as pure functions of the answers the queries give (docs/design.md,
 * "Alerts"): a status change is a change of status, rule or `until`; a deadline warns once per
 * threshold crossed, the tightest one only when several are crossed at once.
 */
import { type CalendarDate, daysBetween, type ProgramStatus } from '../domain/index.ts';

export const DEADLINE_THRESHOLDS_DAYS = [90, 30, 7] as const;

/** The part of a status whose change is announced; compared as JSON text. */
export const announcedPart = (status: ProgramStatus): string =>
  JSON.stringify({ status: status.status, rule: status.rule, until: status.until });

/**
 * The threshold to warn for when `daysLeft` days remain and `warned` (or none) was the last one
 * warned for this deadline; null when there is nothing new to say.
 */
export function thresholdToWarn(daysLeft: number, warned: number | null): number | null {
  if (daysLeft < 0) return null;
  const crossed = DEADLINE_THRESHOLDS_DAYS.filter((t) => daysLeft <= t);
  const tightest = crossed.at(-1);
  if (tightest === undefined) return null;
  return warned === null || tightest < warned ? tightest : null;
}

/** Days from `today` to the first day no longer authorized; null when nothing ends it. */
export const daysUntilStop = (status: ProgramStatus, today: CalendarDate): number | null =>
  status.status === 'authorized' && status.until !== null ? daysBetween(today, status.until) : null;

/** What a status alert carries: what the console shows, and the ids of the events behind it. */
export const statusData = (programId: string, status: ProgramStatus) => ({
  programId,
  at: status.at,
  status: status.status,
  rule: status.rule,
  until: status.until,
  lastAuthorizedDay: status.lastAuthorizedDay,
  windowEnd: status.windowEnd,
  explanation: status.explanation,
  basisEventIds: status.basis.map((b) => b.eventId),
});
