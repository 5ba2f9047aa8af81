import { DomainEvent, type Fact } from '../src/domain/index.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';

/**
 * A recorded event as the domain reads it. The data was validated by its schema before it was
 * written, so replay trusts it; events of types this code does not know are skipped.
 */
export function toFact(event: RecordedEvent): Fact | null {
  if (!KNOWN_TYPES.has(event.type)) return null;
  return {
    type: event.type,
    data: event.data,
    eventId: event.eventId,
    stream: event.stream,
    position: event.position,
    recordedAt: event.metadata.recordedAt,
  } as Fact;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(
  DomainEvent.options.flatMap((union) => union.options.map((o) => o.shape.type.value)),
);

const PROGRAM_PREFIX = 'program-';
const SPECIFICATION_PREFIX = 'specification-';

/** The aggregate a stream belongs to, from its name (docs/design.md §4 "Aggregates and streams"). */
export function streamOwner(
  stream: string,
): { kind: 'program' | 'specification'; id: string } | null {
  if (stream.startsWith(PROGRAM_PREFIX))
    return { kind: 'program', id: stream.slice(PROGRAM_PREFIX.length) };
  if (stream.startsWith(SPECIFICATION_PREFIX))
    return { kind: 'specification', id: stream.slice(SPECIFICATION_PREFIX.length) };
  return null;
}

/** The valid date a fact speaks of, where it has one. */
export function validDate(fact: Fact): string | null {
  switch (fact.type) {
    case 'NoticeReceived':
      return fact.data.receivedOn;
    case 'TechnicalDataPackageReleased':
      return fact.data.releasedOn;
    case 'LicenseApplicationSubmitted':
      return fact.data.submittedOn;
    case 'LicenseApplicationDecided':
      return fact.data.decidedOn;
    case 'ShipmentRecorded':
      return fact.data.shippedOn;
    case 'ProgramEnded':
      return fact.data.endedOn;
    default:
      return null;
  }
}
