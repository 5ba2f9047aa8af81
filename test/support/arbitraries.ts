import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { CalendarDate, DomainEvent, EventData, Fact, Term } from '../../src/domain/index.ts';

/** fast-check arbitraries for the pure domain: dates, terms and whole program histories. */

export const calendarDate = (min = '2004-01-01', max = '2012-12-31'): fc.Arbitrary<CalendarDate> =>
  fc
    .date({
      min: new Date(`${min}T00:00:00Z`),
      max: new Date(`${max}T00:00:00Z`),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10));

export const SPECS = ['usps-b-1118f', 'usps-b-1118g'] as const;

export const term = (options: { suspensions?: boolean } = {}): fc.Arbitrary<Term> =>
  fc.oneof(
    calendarDate().map((from) => ({ kind: 'authorizes' as const, from })),
    fc
      .record({
        spec: fc.constantFrom(...SPECS),
        months: fc.integer({ min: 0, max: 24 }),
        days: fc.integer({ min: 0, max: 60 }),
      })
      .filter(({ months, days }) => months + days > 0)
      .map(({ spec, months, days }) => ({
        kind: 'sunset-after-trigger' as const,
        trigger: { specificationId: spec, event: 'tdp-public-release' as const },
        offset: { months, days },
      })),
    calendarDate().map((effectiveOn) => ({ kind: 'ends-on' as const, effectiveOn })),
    calendarDate().map((effectiveOn) => ({ kind: 'revokes' as const, effectiveOn })),
    ...(options.suspensions === false
      ? []
      : [
          fc.tuple(calendarDate(), fc.integer({ min: 1, max: 400 })).map(([from, length]) => ({
            kind: 'suspends' as const,
            from,
            until: new Date(Date.parse(from) + length * 86_400_000).toISOString().slice(0, 10),
          })),
        ]),
  );

export interface GeneratedEvent {
  stream: string;
  event: DomainEvent;
  /** Index of an earlier generated event this one retracts, resolved to its id on recording. */
  retracts?: number;
  /** Milliseconds after the previous event, so record instants are non-decreasing. */
  delayMs: number;
}

export const notice = (
  noticeId: string,
  terms: Term[],
  receivedOn: CalendarDate,
): EventData<'NoticeReceived'> => ({
  noticeId,
  issuer: 'USPS',
  receivedOn,
  documentRef: `ref-${noticeId}`,
  summary: 'generated notice',
  terms,
});

/**
 * A history of one program and the specifications its terms name, in record order. Events
 * are valid for the deciders in kind, though not every refusal rule is honoured (evaluate must
 * answer for any facts it is given).
 */
export const programHistory = (
  programId: string,
  options: { suspensions?: boolean; maxEvents?: number } = {},
): fc.Arbitrary<GeneratedEvent[]> => {
  const stream = `program-${programId}`;
  const step = fc.oneof(
    fc
      .record({
        terms: fc.array(term(options), { minLength: 1, maxLength: 3 }),
        on: calendarDate(),
        supersedes: fc.option(fc.nat(), { freq: 3 }),
        effectiveOn: fc.option(calendarDate(), { freq: 4 }),
      })
      .map(
        ({ terms, on, supersedes, effectiveOn }) =>
          (i: number): GeneratedEvent => ({
            stream,
            event: {
              type: 'NoticeReceived',
              data: {
                ...notice(`n-${i}`, terms, on),
                ...(supersedes !== null && i > 1 ? { supersedes: [`n-${supersedes % i}`] } : {}),
                ...(effectiveOn !== null ? { effectiveOn } : {}),
              },
            },
            delayMs: 0,
          }),
      ),
    fc.record({ spec: fc.constantFrom(...SPECS), on: calendarDate(), pub: fc.boolean() }).map(
      ({ spec, on, pub }) =>
        (): GeneratedEvent => ({
          stream: `specification-${spec}`,
          event: {
            type: 'TechnicalDataPackageReleased',
            data: { specificationId: spec, releasedOn: on, publicRelease: pub, documentRef: 'tdp' },
          },
          delayMs: 0,
        }),
    ),
    calendarDate().map(
      (on) =>
        (i: number): GeneratedEvent => ({
          stream,
          event: {
            type: 'LicenseApplicationSubmitted',
            data: { applicationId: `a-${i}`, submittedOn: on, documentRef: 'app' },
          },
          delayMs: 0,
        }),
    ),
    fc.record({ on: calendarDate(), approved: fc.boolean() }).map(
      ({ on, approved }) =>
        (i: number): GeneratedEvent => ({
          stream,
          event: {
            type: 'LicenseApplicationDecided',
            data: {
              applicationId: `a-${Math.max(0, i - 1)}`,
              decidedOn: on,
              decision: approved ? 'approved' : 'rejected',
              reasons: [],
              resubmissionAllowed: !approved,
            },
          },
          delayMs: 0,
        }),
    ),
    fc.record({ on: calendarDate(), units: fc.integer({ min: 1, max: 500 }) }).map(
      ({ on, units }) =>
        (i: number): GeneratedEvent => ({
          stream,
          event: { type: 'ShipmentRecorded', data: { shipmentId: `s-${i}`, shippedOn: on, units } },
          delayMs: 0,
        }),
    ),
    calendarDate().map(
      (on) => (): GeneratedEvent => ({
        stream,
        event: { type: 'ProgramEnded', data: { endedOn: on, reason: 'generated' } },
        delayMs: 0,
      }),
    ),
    fc.nat().map(
      (target) =>
        (i: number): GeneratedEvent => ({
          stream,
          event: { type: 'EventRetracted', data: { retractedEventId: '', reason: 'generated' } },
          retracts: i === 0 ? undefined : target % i,
          delayMs: 0,
        }),
    ),
  );
  return fc
    .array(fc.tuple(step, fc.integer({ min: 0, max: 5 * 86_400_000 })), {
      maxLength: options.maxEvents ?? 25,
    })
    .map((steps) => [
      {
        stream,
        event: {
          type: 'ProgramRegistered',
          data: {
            programId,
            supplierId: 'supplier',
            specificationId: 'usps-b-1118e',
            channel: 'private-market',
            regulator: 'USPS',
          },
        },
        delayMs: 0,
      } satisfies GeneratedEvent,
      ...steps.map(([make, delayMs], i) => ({ ...make(i + 1), delayMs })),
    ]);
};

/**
 * Records a generated history as facts: ids, positions from `firstPosition`, record instants.
 * A retraction lands in its target's stream and is dropped where the deciders would refuse it
 * (a registration, a retraction, or an event already retracted).
 */
export function toFacts(
  history: GeneratedEvent[],
  firstPosition = 1,
  start = Date.parse('2005-06-01T00:00:00Z'),
): Fact[] {
  const facts: Fact[] = [];
  const byIndex: (Fact | undefined)[] = [];
  const retracted = new Set<string>();
  let clock = start;
  for (const g of history) {
    clock += g.delayMs;
    let { stream, event } = g;
    if (event.type === 'EventRetracted') {
      const target = g.retracts === undefined ? undefined : byIndex[g.retracts];
      if (!target || retracted.has(target.eventId) || NOT_RETRACTABLE.has(target.type)) {
        byIndex.push(undefined);
        continue;
      }
      retracted.add(target.eventId);
      stream = target.stream;
      event = {
        type: 'EventRetracted',
        data: { retractedEventId: target.eventId, reason: event.data.reason },
      };
    }
    const fact = {
      ...event,
      eventId: randomUUID(),
      stream,
      position: firstPosition + facts.length,
      recordedAt: new Date(clock).toISOString(),
    } as Fact;
    facts.push(fact);
    byIndex.push(fact);
  }
  return facts;
}

const NOT_RETRACTABLE = new Set(['ProgramRegistered', 'SpecificationRegistered', 'EventRetracted']);

/**
 * Histories of several programs, interleaved at random (each program's own order kept), as
 * facts numbered from position 1: the shape of a real ledger with thousands of events.
 */
export const ledgerHistory = (
  programs: number,
  options: { maxEvents?: number } = {},
): fc.Arbitrary<Fact[]> =>
  fc
    .tuple(
      fc.tuple(...Array.from({ length: programs }, (_, i) => programHistory(`p-${i}`, options))),
      fc.infiniteStream(fc.nat()),
    )
    .map(([histories, choices]) => {
      const queues = histories.map((h) => toFacts(h));
      const merged: Fact[] = [];
      const picks = choices[Symbol.iterator]();
      while (queues.some((q) => q.length > 0)) {
        const open = queues.filter((q) => q.length > 0);
        const queue = open[(picks.next().value as number) % open.length] as Fact[];
        merged.push(queue.shift() as Fact);
      }
      return merged.map((f, i) => ({ ...f, position: i + 1 }));
    });
