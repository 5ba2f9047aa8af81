import { z } from 'zod';
import { CalendarDate } from './calendar.ts';
import { EventId, Slug, Text } from './identifiers.ts';
import { UnitLimit } from './limit.ts';
import { Term } from './terms.ts';

/** Event payloads of docs/design.md §4; every type below is inferred from these schemas. */

export const Regulator = Text(200);
export const DocumentRef = Text(500);
/** The SHA-256 (lower-case hex) of the document a `documentRef` names: evidence bound to the record. */
export const DocumentSha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'is not 64 lower-case hex digits')
  .describe('SHA-256 of the cited document, lower-case hex');
export const Channel = z.enum(['private-market', 'regulator-purchased']);
/**
 * On a fact that corrects another (docs/design.md §10 "Corrections"): the retracted event it
 * replaces, of the same type and stream. The original stays in the ledger, linked both ways.
 */
export const Corrects = EventId.optional().describe(
  'The id of the retracted event this fact corrects (retract it first, with the reason)',
);

export const SpecificationRegistered = z
  .object({
    specificationId: Slug,
    regulator: Regulator,
    title: Text(500),
    supersedes: Slug.optional(),
  })
  .strict();

export const TechnicalDataPackageReleased = z
  .object({
    specificationId: Slug,
    releasedOn: CalendarDate,
    publicRelease: z.boolean(),
    documentRef: DocumentRef,
    documentSha256: DocumentSha256.optional(),
    corrects: Corrects,
  })
  .strict();

export const ProgramRegistered = z
  .object({
    programId: Slug,
    supplierId: Slug,
    specificationId: Slug,
    channel: Channel,
    regulator: Regulator,
    description: Text(2000).optional(),
  })
  .strict();

export const NoticeReceived = z
  .object({
    noticeId: Slug,
    issuer: Text(200),
    receivedOn: CalendarDate,
    /** When the notice takes effect in valid time, if not on `receivedOn` (DESIGN §5). */
    effectiveOn: CalendarDate.optional(),
    documentRef: DocumentRef,
    documentSha256: DocumentSha256.optional(),
    summary: Text(4000),
    supersedes: z.array(Slug).max(100).optional(),
    terms: z.array(Term).max(50),
    corrects: Corrects,
  })
  .strict();

export const LicenseApplicationSubmitted = z
  .object({
    applicationId: Slug,
    submittedOn: CalendarDate,
    documentRef: DocumentRef,
    documentSha256: DocumentSha256.optional(),
    corrects: Corrects,
  })
  .strict();

export const LicenseApplicationDecided = z
  .object({
    applicationId: Slug,
    decidedOn: CalendarDate,
    decision: z.enum(['approved', 'rejected']),
    reasons: z.array(Text(2000)).max(50),
    resubmissionAllowed: z.boolean(),
    /** Caps on the units an approval authorizes (docs/design.md "Limits on units shipped"); approvals only. */
    limits: z.array(UnitLimit).max(50).optional(),
    corrects: Corrects,
  })
  .strict();

export const ShipmentRecorded = z
  .object({
    shipmentId: Slug,
    shippedOn: CalendarDate,
    units: z.int().positive().max(1_000_000_000),
    customerRef: Text(200).optional(),
    /** Where the units go: a limit naming a destination counts only shipments naming it. */
    destination: Text(200).optional(),
    corrects: Corrects,
  })
  .strict();

/** One order line a check answered, with the answer (docs/design.md "Checks"). */
export const CheckedLine = z
  .object({
    shippedOn: CalendarDate,
    units: z.int().positive().max(1_000_000_000),
    customerRef: Text(200).optional(),
    destination: Text(200).optional(),
    decision: z.enum(['allowed', 'blocked']),
    explanation: Text(4000),
    /** The events the answer rests on: the letters that decide. */
    basis: z.array(EventId).max(1000),
  })
  .strict();

/** A pre-shipment check kept as evidence: what was asked, what the ledger answered, as of when. */
export const ShipmentChecked = z
  .object({
    /** The global position the answer was given at (what the ledger held). */
    answeredAtPosition: z.int().min(0),
    /** The record time asked about, when the check asked as the ledger knew then. */
    asKnownAt: z
      .union([
        z.object({ position: z.int().min(0) }).strict(),
        z.object({ instant: z.iso.datetime({ offset: true }) }).strict(),
      ])
      .optional(),
    lines: z.array(CheckedLine).min(1).max(5000),
  })
  .strict();

export const ProgramEnded = z
  .object({ endedOn: CalendarDate, reason: Text(2000), corrects: Corrects })
  .strict();

export const EventRetracted = z.object({ retractedEventId: EventId, reason: Text(2000) }).strict();

const event = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({ type: z.literal(type), data });

export const SpecificationEvent = z.discriminatedUnion('type', [
  event('SpecificationRegistered', SpecificationRegistered),
  event('TechnicalDataPackageReleased', TechnicalDataPackageReleased),
  event('EventRetracted', EventRetracted),
]);

export const ProgramEvent = z.discriminatedUnion('type', [
  event('ProgramRegistered', ProgramRegistered),
  event('NoticeReceived', NoticeReceived),
  event('LicenseApplicationSubmitted', LicenseApplicationSubmitted),
  event('LicenseApplicationDecided', LicenseApplicationDecided),
  event('ShipmentRecorded', ShipmentRecorded),
  event('ShipmentChecked', ShipmentChecked),
  event('ProgramEnded', ProgramEnded),
  event('EventRetracted', EventRetracted),
]);

export const DomainEvent = z.union([SpecificationEvent, ProgramEvent]);

export type SpecificationEvent = z.infer<typeof SpecificationEvent>;
export type ProgramEvent = z.infer<typeof ProgramEvent>;
export type DomainEvent = z.infer<typeof DomainEvent>;
export type DomainEventType = DomainEvent['type'];
export type EventData<T extends DomainEventType> = Extract<DomainEvent, { type: T }>['data'];

/** The version of the payload shapes above, stamped into every envelope. */
export const EVENT_SCHEMA_VERSION = 1;

/** A domain event with the identity it has in the ledger (what deciders fold). */
export type Identified<E extends DomainEvent = DomainEvent> = E & { eventId: string };

/**
 * A recorded domain event with both times (docs/design.md §3): what `evaluate` and the projections
 * read. A store's RecordedEvent, once its data is parsed, fits this shape.
 */
export type Fact<E extends DomainEvent = DomainEvent> = Identified<E> & {
  stream: string;
  position: number;
  recordedAt: string;
};
