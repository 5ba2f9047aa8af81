import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadlines } from '../../projections/deadlines.ts';
import type { ShipmentEntry, ShipmentsIndex } from '../../projections/shipments.ts';
import { timelineOf } from '../../projections/timeline.ts';
import { violations } from '../../projections/violations.ts';
import {
  addDays,
  type CalendarDate,
  evaluate,
  type Fact,
  knownFacts,
  noticeEffectiveOn,
  resolveAuthorization,
  statusOn,
  type Term,
} from '../../src/domain/index.ts';
import { calendarDate, notice, programHistory, term, toFacts } from '../support/arbitraries.ts';

const history = (options?: Parameters<typeof programHistory>[1]) =>
  programHistory('p-1', options).map((h) => toFacts(h));

const RUNS = { numRuns: 200 };

describe('evaluate (properties)', () => {
  it('is deterministic and does not depend on the order facts are passed in', () => {
    fc.assert(
      fc.property(
        history().chain((facts) =>
          fc.tuple(fc.constant(facts), fc.shuffledSubarray(facts, { minLength: facts.length })),
        ),
        calendarDate(),
        ([facts, shuffled], at) => {
          const first = evaluate(facts, { at });
          expect(evaluate(facts, { at })).toEqual(first);
          expect(evaluate(shuffled, { at })).toEqual(first);
        },
      ),
      RUNS,
    );
  });

  it('a fact recorded after K never changes the answer as known at K', () => {
    fc.assert(
      fc.property(history(), fc.nat(), calendarDate(), (facts, k, at) => {
        const cut = facts.length === 0 ? 0 : k % facts.length;
        const known: Fact[] = facts.slice(0, cut);
        const byPosition = { position: cut };
        expect(evaluate(facts, { at, asKnownAt: byPosition })).toEqual(evaluate(known, { at }));
        const instant = facts[cut - 1]?.recordedAt;
        if (instant && facts[cut]?.recordedAt !== instant) {
          expect(evaluate(facts, { at, asKnownAt: { instant } })).toEqual(evaluate(known, { at }));
        }
      }),
      RUNS,
    );
  });

  it('windows are disjoint, ordered, non-empty, and only the last may be open-ended', () => {
    fc.assert(
      fc.property(history(), (facts) => {
        const { windows } = resolveAuthorization(facts);
        windows.forEach((w, i) => {
          if (w.until !== null) expect(w.from < w.until).toBe(true);
          else expect(i).toBe(windows.length - 1);
          const next = windows[i + 1];
          if (next) expect((w.until as string) <= next.from).toBe(true);
        });
      }),
      RUNS,
    );
  });

  it('status, timeline, deadlines and violations agree at every date', () => {
    fc.assert(
      fc.property(
        history(),
        fc.array(calendarDate(), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 400 }),
        (facts, dates, withinDays) => {
          const picture = resolveAuthorization(facts);
          const intervals = timelineOf(picture);
          const index = { programs: new Map([['p-1', facts]]), specifications: new Map() };
          for (const at of dates) {
            const s = statusOn(picture, at);
            const here = intervals.find(
              (i) => (i.from === null || i.from <= at) && (i.until === null || at < i.until),
            );
            expect(here).toMatchObject({
              status: s.status,
              rule: s.rule,
              explanation: s.explanation,
            });
            const stop = firstNotAuthorized(intervals, at);
            if (s.status === 'authorized') {
              expect(s.until).toBe(stop);
              expect(s.lastAuthorizedDay).toBe(s.until && addDays(s.until, -1));
            }
            const listed = deadlines(index, { today: at, withinDays });
            // Authorized: today's `until`; suspended: the window's end (issue 21 item 11).
            const stop2 =
              s.status === 'authorized' ? s.until : s.status === 'suspended' ? s.windowEnd : null;
            const due = stop2 !== null && stop2 <= addDays(at, withinDays);
            expect(listed.map((d) => d.until)).toEqual(due ? [stop2] : []);
          }
          // A shipment is a violation (as known now) exactly when the status on its date is not authorized.
          const shipped = shipmentsOf(facts);
          const found = violations(index, shipped);
          for (const entry of shipped.byProgram.get('p-1') ?? []) {
            if (entry.retractedAt !== null) continue;
            const listedEntry = found.find((v) => v.eventId === entry.eventId);
            const compliant = statusOn(picture, entry.shippedOn).status === 'authorized';
            if (listedEntry) expect(listedEntry.asKnownNow.compliant).toBe(compliant);
            else expect(compliant).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });

  it('a superseding letter received after `at`, its own terms dated from its effective date on, never changes the status before that date', () => {
    const superseding = fc.record({
      terms: fc.array(term(), { minLength: 1, maxLength: 3 }),
      receivedOn: calendarDate(),
      effectiveOn: fc.option(calendarDate()),
      targets: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
    });
    fc.assert(
      fc.property(history(), superseding, calendarDate(), (facts, s, at) => {
        const noticeIds = facts.flatMap((f) =>
          f.type === 'NoticeReceived' ? [f.data.noticeId] : [],
        );
        fc.pre(noticeIds.length > 0);
        const data = {
          ...notice('s-new', s.terms, s.receivedOn),
          supersedes: s.targets.map((t) => noticeIds[t % noticeIds.length] as string),
          ...(s.effectiveOn ? { effectiveOn: s.effectiveOn } : {}),
        };
        fc.pre(at < noticeEffectiveOn(data) && at < data.receivedOn);
        // v3: a superseding letter's own dates count as written (issue 21 item 4).
        fc.pre(
          s.terms.every(
            (t) => ownDate(t) !== null && (ownDate(t) as string) >= noticeEffectiveOn(data),
          ),
        );
        const last = facts.at(-1) as Fact;
        const later: Fact = {
          type: 'NoticeReceived',
          data,
          eventId: randomUUID(),
          stream: last.stream,
          position: last.position + 1,
          recordedAt: last.recordedAt,
        };
        const before = evaluate(facts, { at });
        const after = evaluate([...facts, later], { at });
        expect(after.status).toBe(before.status);
        if (before.status === 'authorized' || before.status === 'suspended')
          expect(after.authorizedFrom).toBe(before.authorizedFrom);
      }),
      RUNS,
    );
  });
});

/** The first day on or after `at` whose timeline interval is not `authorized`. */
function firstNotAuthorized(
  intervals: ReturnType<typeof timelineOf>,
  at: CalendarDate,
): CalendarDate | null {
  let day = at;
  for (const i of intervals) {
    if (i.until !== null && i.until <= day) continue;
    if (i.status !== 'authorized') return day;
    if (i.until === null) return null;
    day = i.until;
  }
  return null;
}

/** The date a term sets, where it sets one itself (a sunset's date depends on its trigger). */
function ownDate(t: Term): CalendarDate | null {
  switch (t.kind) {
    case 'authorizes':
    case 'suspends':
      return t.from;
    case 'ends-on':
    case 'revokes':
      return t.effectiveOn;
    default:
      return null;
  }
}

/** The shipments index the projection would hold for these facts (retractions applied). */
function shipmentsOf(facts: readonly Fact[]): ShipmentsIndex {
  const retracted = new Map<string, number>();
  for (const f of facts)
    if (f.type === 'EventRetracted') retracted.set(f.data.retractedEventId, f.position);
  const entries: ShipmentEntry[] = facts.flatMap((f) =>
    f.type === 'ShipmentRecorded'
      ? [
          {
            eventId: f.eventId,
            shipmentId: f.data.shipmentId,
            shippedOn: f.data.shippedOn,
            units: f.data.units,
            position: f.position,
            recordedAt: f.recordedAt,
            retractedAt: retracted.get(f.eventId) ?? null,
          },
        ]
      : [],
  );
  return {
    byProgram: new Map([['p-1', entries]]),
    byEventId: new Map(entries.map((e) => [e.eventId, e])),
  };
}

describe('v3 letter order (properties, issue 21)', () => {
  /** A letter appended to the ledger, recorded last. */
  const append = (facts: Fact[], data: ReturnType<typeof notice>): Fact[] => {
    const last = facts.at(-1) as Fact;
    return [
      ...facts,
      {
        type: 'NoticeReceived',
        data,
        eventId: randomUUID(),
        stream: last.stream,
        position: last.position + 1,
        recordedAt: last.recordedAt,
      },
    ];
  };

  it('an end-only letter never makes a date authorized that was not, unless nothing in the ledger could have authorized it', () => {
    fc.assert(
      fc.property(
        history(),
        calendarDate(),
        calendarDate(),
        fc.array(calendarDate(), { minLength: 1, maxLength: 6 }),
        (facts, receivedOn, endsOn, dates) => {
          fc.pre(facts.length > 0);
          // Retracted facts are no source: read what is in force.
          const hasSource = knownFacts(facts).active.some(
            (f) =>
              (f.type === 'NoticeReceived' &&
                f.data.receivedOn <= receivedOn &&
                f.data.terms.some((t) => t.kind === 'authorizes')) ||
              (f.type === 'LicenseApplicationDecided' &&
                f.data.decision === 'approved' &&
                f.data.decidedOn <= receivedOn) ||
              (f.type === 'LicenseApplicationSubmitted' && f.data.submittedOn <= receivedOn),
          );
          fc.pre(hasSource);
          const after = append(
            facts,
            notice('end-only', [{ kind: 'ends-on', effectiveOn: endsOn }], receivedOn),
          );
          for (const at of dates)
            if (evaluate(after, { at }).status === 'authorized')
              expect(evaluate(facts, { at }).status).toMatch(/^(authorized|suspended)$/);
        },
      ),
      RUNS,
    );
  });

  it('a later end letter never leaves a date after its end authorized by an earlier letter', () => {
    fc.assert(
      fc.property(
        history(),
        calendarDate(),
        fc.constantFrom('ends-on', 'revokes'),
        fc.array(calendarDate(), { minLength: 1, maxLength: 6 }),
        (facts, endOn, kind, dates) => {
          fc.pre(facts.length > 0);
          // Written after every letter the history holds (its dates end in 2012).
          const after = append(
            facts,
            notice('later-end', [{ kind, effectiveOn: endOn }], '2013-01-01'),
          );
          for (const at of dates)
            if (at >= endOn) expect(evaluate(after, { at }).status).not.toBe('authorized');
        },
      ),
      RUNS,
    );
  });
});
