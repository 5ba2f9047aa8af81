import type { RecordedEvent } from '../../core/envelope.ts';

/** The `events` columns, in EventRow order. */
export const EVENT_COLUMNS = 'position, stream, revision, event_id, type, data, metadata';

/** Rows come back as arrays (in `columns` order): cheaper than objects on the read path. */
export type EventRow = [
  position: number,
  stream: string,
  revision: number,
  eventId: string,
  type: string,
  data: string,
  metadata: string,
];

export function toRecordedEvent([
  position,
  stream,
  revision,
  eventId,
  type,
  data,
  metadata,
]: EventRow): RecordedEvent {
  const parse = (text: string, column: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(
        `ledger row at position ${position} (stream ${stream}) holds invalid JSON in ${column}`,
        { cause: error },
      );
    }
  };
  return {
    eventId,
    stream,
    revision,
    position,
    type,
    data: parse(data, 'data'),
    metadata: parse(metadata, 'metadata') as RecordedEvent['metadata'],
  };
}
