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

/** One stretch of valid time with one answer: [from, until), null meaning unbounded. */
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
  return timelineOf(resolveAuthorization(facts, asKnownAt));
}

/**
 * The answers of `statusOn` at every date the answer can change, consecutive equal answers
 * joined: the timeline is the status asked day by day, never a second reading of the letters.
 */
export function timelineOf(picture: AuthorizationPicture): TimelineInterval[] {
  const intervals: TimelineInterval[] = [];
  const points = changePoints(picture);
  const starts: (CalendarDate | null)[] = [null, ...points];
  starts.forEach((from, i) => {
    const s = statusOn(picture, from ?? BEFORE_EVERYTHING);
    const previous = intervals.at(-1);
    if (
      previous &&
      previous.status === s.status &&
      previous.rule === s.rule &&
      previous.explanation === s.explanation
    ) {
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

/**
 * Every date on which the answer can change: windows, suspensions, every start and end (a later
 * end comes into force, a cut start would have begun), applications, open sunsets' limits.
 */
function changePoints(picture: AuthorizationPicture): CalendarDate[] {
  const points = new Set<CalendarDate>();
  for (const s of picture.starts) points.add(s.date);
  for (const e of picture.ends) points.add(e.date);
  for (const p of picture.pending) if (p.before) points.add(p.before);
  for (const w of picture.windows) {
    points.add(w.from);
    if (w.until) points.add(w.until);
    for (const s of w.suspensions) {
      points.add(s.from);
      if (s.until) points.add(s.until);
    }
  }
  if (picture.finalEnd) points.add(picture.finalEnd.date);
  for (const a of picture.applications) points.add(a.data.submittedOn);
  for (const d of picture.decisions.values()) points.add(d.data.decidedOn);
  return [...points].sort();
}
