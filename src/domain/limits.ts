import { Temporal } from 'temporal-polyfill';
import type { CalendarDate } from './calendar.ts';
import type { Fact } from './events.ts';
import type { LimitPeriod, UnitLimit } from './limit.ts';
import { type AsKnownAt, knownFacts, type NoticeFact, noticeEffectiveOn } from './windows.ts';

/**
 * A limit a letter sets, with the valid-time range in which it judges shipments
 * (docs/design.md "Limits on units shipped"): from the letter's effective date (a notice's `effectiveOn`, else its
 * receipt; an approval's decision date) until the earliest effective date of a notice
 * superseding it.
 */
export interface LimitInForce extends UnitLimit {
  /** `<eventId>/<n>`: the letter's event and the limit's place in it. */
  limitId: string;
  letter: Fact;
  /** The letter in words: "notice n-2", "the approval of license application a-1". */
  setBy: string;
  from: CalendarDate;
  until: CalendarDate | null;
}

/** The units one shipment (planned or on record) puts against the limits. */
export interface Shipped {
  shippedOn: CalendarDate;
  units: number;
  customerRef?: string | undefined;
  destination?: string | undefined;
}

/** The stretch of valid time a limit counts over for one shipment: half-open `[from, until)`. */
export interface CountingPeriod {
  from: CalendarDate;
  until: CalendarDate | null;
  /** In words: "month 2025-03", "quarter 2025-Q1", "year 2025", "authorization from 2025-01-01". */
  name: string;
}

/** The limits known at `asKnownAt`, retracted letters dropped, each cut by supersession. */
export function limitsInForce(facts: readonly Fact[], asKnownAt?: AsKnownAt): LimitInForce[] {
  const { active } = knownFacts(facts, asKnownAt);
  const notices = active.filter((f): f is NoticeFact => f.type === 'NoticeReceived');
  const cuts = new Map<string, CalendarDate>();
  for (const n of notices)
    for (const superseded of n.data.supersedes ?? []) {
      const date = noticeEffectiveOn(n.data);
      const cut = cuts.get(superseded);
      if (!cut || date < cut) cuts.set(superseded, date);
    }
  const found: LimitInForce[] = [];
  for (const f of active) {
    if (f.type === 'NoticeReceived') {
      const from = noticeEffectiveOn(f.data);
      const until = cuts.get(f.data.noticeId) ?? null;
      if (until !== null && until <= from) continue;
      f.data.terms.forEach((term, n) => {
        if (term.kind !== 'limits-units') return;
        const { kind: _, ...limit } = term;
        found.push(inForce(limit, f, n, `notice ${f.data.noticeId}`, from, until));
      });
    } else if (f.type === 'LicenseApplicationDecided' && f.data.decision === 'approved') {
      const setBy = `the approval of license application ${f.data.applicationId}`;
      for (const [n, limit] of (f.data.limits ?? []).entries())
        found.push(inForce(limit, f, n, setBy, f.data.decidedOn, null));
    }
  }
  return found;
}

const inForce = (
  limit: UnitLimit,
  letter: Fact,
  n: number,
  setBy: string,
  from: CalendarDate,
  until: CalendarDate | null,
): LimitInForce => ({ ...limit, limitId: `${letter.eventId}/${n}`, letter, setBy, from, until });

/** Whether the limit judges a shipment: shipped while the letter governs, to its customer and destination. */
export const judges = (limit: LimitInForce, s: Shipped): boolean =>
  limit.from <= s.shippedOn &&
  (limit.until === null || s.shippedOn < limit.until) &&
  counts(limit, s);

/** Whether a shipment counts against the limit: same customer and destination, where it names them. */
export const counts = (limit: UnitLimit, s: Shipped): boolean =>
  (limit.customerRef === undefined || limit.customerRef === s.customerRef) &&
  (limit.destination === undefined || limit.destination === s.destination);

/**
 * The period a limit counts over for a shipment on `shippedOn`: its calendar month, quarter or
 * year, or the authorization window it falls in (null when it falls in none).
 */
export function countingPeriod(
  per: LimitPeriod | undefined,
  shippedOn: CalendarDate,
  window: { from: CalendarDate; until: CalendarDate | null } | null,
): CountingPeriod | null {
  const day = Temporal.PlainDate.from(shippedOn);
  switch (per) {
    case undefined:
      return window && { ...window, name: `authorization from ${window.from}` };
    case 'month': {
      const start = day.with({ day: 1 });
      return calendarPeriod(start, { months: 1 }, `month ${start.toString().slice(0, 7)}`);
    }
    case 'quarter': {
      const quarter = Math.floor((day.month - 1) / 3);
      const start = day.with({ month: quarter * 3 + 1, day: 1 });
      return calendarPeriod(start, { months: 3 }, `quarter ${day.year}-Q${quarter + 1}`);
    }
    case 'year': {
      const start = day.with({ month: 1, day: 1 });
      return calendarPeriod(start, { years: 1 }, `year ${day.year}`);
    }
  }
}

function calendarPeriod(
  start: Temporal.PlainDate,
  length: Temporal.DurationLike,
  name: string,
): CountingPeriod {
  const end = start.add(length);
  // Past 9999-12-31 there is no four-digit date to end on: the last period runs open.
  return { from: start.toString(), until: end.year > 9999 ? null : end.toString(), name };
}

const within = (period: CountingPeriod, date: CalendarDate) =>
  period.from <= date && (period.until === null || date < period.until);

/**
 * The units shipped so far against each limit and period: counted once per period from the
 * shipments on record, then kept up to date as shipments are added in order.
 */
export interface Tally {
  used(limit: LimitInForce, period: CountingPeriod): number;
  add(shipment: Shipped): void;
}

export function tally(onRecord: readonly Shipped[]): Tally {
  const shipped = [...onRecord];
  const sums = new Map<string, { limit: UnitLimit; period: CountingPeriod; used: number }>();
  return {
    used(limit, period) {
      const key = `${limit.limitId}|${period.from}`;
      let sum = sums.get(key);
      if (!sum) {
        let used = 0;
        for (const s of shipped)
          if (within(period, s.shippedOn) && counts(limit, s)) used += s.units;
        sum = { limit, period, used };
        sums.set(key, sum);
      }
      return sum.used;
    },
    add(shipment) {
      shipped.push(shipment);
      for (const sum of sums.values())
        if (within(sum.period, shipment.shippedOn) && counts(sum.limit, shipment))
          sum.used += shipment.units;
    },
  };
}
