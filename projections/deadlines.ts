import {
  type AsKnownAt,
  addDays,
  type CalendarDate,
  daysBetween,
  type ProgramStatus,
  type Rule,
  resolveAuthorization,
  statusOn,
} from '../src/domain/index.ts';
import { factsOfProgram, type ProgramFactsIndex } from './program-facts.ts';

export interface Deadline {
  programId: string;
  /** First day no longer authorized: a suspension's start or the window's end. */
  until: CalendarDate;
  lastAuthorizedDay: CalendarDate;
  /** The window's own end, which a suspension may come before. */
  windowEnd: CalendarDate | null;
  daysLeft: number;
  /** The rule of the status on `until` (suspended, expired, revoked, ended). */
  rule: Rule;
  explanation: string;
}

/**
 * Programs, as known now (or at `asKnownAt`), whose authorization stops within `withinDays` days of `today`: an
 * authorized program at the `until` of today's status (a suspension ahead is a deadline as an
 * end is), a suspended one at its window's end (issue 21 item 11).
 */
export function deadlines(
  index: ProgramFactsIndex,
  options: { today: CalendarDate; withinDays: number; asKnownAt?: AsKnownAt },
): Deadline[] {
  const horizon = addDays(options.today, options.withinDays);
  const found: Deadline[] = [];
  for (const programId of index.programs.keys()) {
    const picture = resolveAuthorization(factsOfProgram(index, programId) ?? [], options.asKnownAt);
    const today = statusOn(picture, options.today);
    const until = stopsOn(today);
    if (until === null || until > horizon) continue;
    const stopping = statusOn(picture, until);
    found.push({
      programId,
      until,
      lastAuthorizedDay:
        today.status === 'authorized'
          ? (today.lastAuthorizedDay ?? addDays(until, -1))
          : (stopping.lastAuthorizedDay ?? addDays(until, -1)),
      windowEnd: today.windowEnd,
      daysLeft: daysBetween(options.today, until),
      rule: stopping.rule,
      explanation: stopping.explanation,
    });
  }
  return found.sort((a, b) =>
    a.until === b.until ? a.programId.localeCompare(b.programId) : a.until < b.until ? -1 : 1,
  );
}

/** The first day an authorization in force today stops: today's `until`, or a suspended window's end. */
function stopsOn(today: ProgramStatus): CalendarDate | null {
  if (today.status === 'authorized') return today.until;
  if (today.status === 'suspended') return today.windowEnd;
  return null;
}
