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
