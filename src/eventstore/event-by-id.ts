import type { EventStore, RecordedEvent } from './port.ts';

/**
 * One event by its id, read from the store (not a read model, which may lag): the tree's index
 * of event ids gives its position, one row is read there. Null when the store holds no such event.
 */
export async function eventById(
  store: Pick<EventStore, 'merkle' | 'readAll'>,
  eventId: string,
): Promise<RecordedEvent | null> {
  const tree = store.merkle;
  if (!tree)
    throw new Error('this store keeps no index of event ids (it was opened without its tree)');
  const leafIndex = await tree.leafIndexOf(eventId);
  if (leafIndex === null) return null;
  const position = (await tree.positionOf?.(leafIndex)) ?? leafIndex + 1;
  const [event] = await store.readAll({ fromPosition: position, limit: 1 });
  return event?.eventId === eventId ? event : null;
}
