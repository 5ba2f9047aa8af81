import {
  addDays,
  type CalendarDate,
  daysBetween,
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
 * Programs, as known now, authorized on `today` whose authorization stops within `withinDays`
 * days: the `until` of today's status, so a suspension ahead is a deadline as an end is.
 */
export function deadlines(
  index: ProgramFactsIndex,
  options: { today: CalendarDate; withinDays: number },
): Deadline[] {
  const horizon = addDays(options.today, options.withinDays);
  const found: Deadline[] = [];
  for (const programId of index.programs.keys()) {
    const picture = resolveAuthorization(factsOfProgram(index, programId) ?? []);
    const today = statusOn(picture, options.today);
    if (today.status !== 'authorized' || today.until === null || today.until > horizon) continue;
    const stopping = statusOn(picture, today.until);
    found.push({
      programId,
      until: today.until,
      lastAuthorizedDay: today.lastAuthorizedDay ?? addDays(today.until, -1),
      windowEnd: today.windowEnd,
      daysLeft: daysBetween(options.today, today.until),
      rule: stopping.rule,
      explanation: stopping.explanation,
    });
  }
  return found.sort((a, b) =>
    a.until === b.until ? a.programId.localeCompare(b.programId) : a.until < b.until ? -1 : 1,
  );
}
