import { Temporal } from 'temporal-polyfill';
import {
  type AsKnownAt,
  type AuthorizationPicture,
  type BasisEntry,
  type CalendarDate,
  type Fact,
  type Rule,
  resolveAuthorization,
  type Status,
  statusOn,
} from '../src/domain/index.ts';

/** One stretch of valid time with one status: [from, until), null meaning unbounded. */
export interface TimelineInterval {
  from: CalendarDate | null;
  until: CalendarDate | null;
  status: Status;
  rule: Rule;
  explanation: string;
  basis: BasisEntry[];
}

/** A date before any the ledger can hold, to ask what holds before the first change. */
const BEFORE_EVERYTHING = '0001-01-01';

/** The program's status intervals over valid time, as known at `asKnownAt`. */
export function timeline(facts: readonly Fact[], asKnownAt?: AsKnownAt): TimelineInterval[] {
  const picture = resolveAuthorization(facts, asKnownAt);
  const intervals: TimelineInterval[] = [];
  const points = changePoints(picture);
  const starts: (CalendarDate | null)[] = [null, ...points];
  starts.forEach((from, i) => {
    const s = statusOn(picture, from ?? BEFORE_EVERYTHING);
    const previous = intervals.at(-1);
    if (previous && previous.status === s.status && previous.rule === s.rule) {
      previous.until = points[i] ?? null;
      return;
    }
    intervals.push({
      from,
      until: points[i] ?? null,
      status: s.status,
      rule: s.rule,
      explanation: s.explanation,
      basis: s.basis,
    });
  });
  return intervals;
}

/** Every date on which the status can change: ends, starts, suspensions, applications. */
function changePoints(picture: AuthorizationPicture): CalendarDate[] {
  const points = new Set<CalendarDate>();
  if (picture.start) points.add(picture.start.date);
  if (picture.end) points.add(picture.end.date);
  for (const s of picture.suspensions) {
    points.add(s.from);
    if (s.until) points.add(s.until);
  }
  for (const a of picture.applications) points.add(a.data.submittedOn);
  for (const d of picture.decisions.values()) points.add(d.data.decidedOn);
  return [...points].sort();
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return Temporal.PlainDate.from(date).add({ days }).toString();
}

export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return Temporal.PlainDate.from(from).until(to).days;
}
