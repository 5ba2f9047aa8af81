import type { DomainEvent, Fact } from '../../src/domain/index.ts';
import { EVENT_SCHEMA_VERSION } from '../../src/domain/index.ts';
import type { EventStore } from '../../src/eventstore/port.ts';

/** Appends facts to a store as they are (ids kept, deciders bypassed), one event per append. */
export async function recordFacts(store: EventStore, facts: readonly Fact[]): Promise<void> {
  for (const f of facts) await recordEvent(store, f.stream, f, f.eventId);
}

export async function recordEvent(
  store: EventStore,
  stream: string,
  event: DomainEvent,
  eventId: string = crypto.randomUUID(),
) {
  return store.append(
    stream,
    [
      {
        eventId,
        type: event.type,
        data: event.data,
        metadata: {
          recordedBy: 'test',
          correlationId: eventId,
          causationId: null,
          schemaVersion: EVENT_SCHEMA_VERSION,
        },
      },
    ],
    { expectedRevision: 'any' },
  );
}
