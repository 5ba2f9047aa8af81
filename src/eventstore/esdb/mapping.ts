/**
 * Translations between the EventStore port and KurrentDB / EventStoreDB's vocabulary: events,
 * positions, expected revisions, the server's errors, and which events of $all are the ledger's.
 */
import {
  type AppendExpectedRevision,
  type RecordedEvent as EsdbRecordedEvent,
  type EventData,
  type JSONType,
  jsonEvent,
  NO_STREAM,
  type Position,
  type WrongExpectedVersionError,
} from '@eventstore/db-client';
import { StreamRevisionConflictError } from '../errors.ts';
import type { ExpectedRevision, RecordedEvent, RecordedMetadata } from '../port.ts';

/** Events of the server itself ($stats, $settings, stream metadata, ...), never ledger events. */
export function isSystemEvent(event: { streamId: string; type: string }): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

/** The exact revision to append at, given the stream's last revision as read (-1: none). */
export function exactExpectedRevision(actual: number): AppendExpectedRevision {
  return actual < 0 ? NO_STREAM : BigInt(actual);
}

/** The server's conflict in the port's terms; `actual` is the stream's last revision, -1 for none. */
export function toConflictError(
  stream: string,
  expected: ExpectedRevision,
  error: WrongExpectedVersionError,
): StreamRevisionConflictError {
  const actual = error.actualVersion === NO_STREAM ? -1 : Number(error.actualVersion);
  return new StreamRevisionConflictError(stream, expected, actual);
}

/** The $all position of an event as the port's number. */
export function toLedgerPosition(position: Position | undefined): number {
  // Servers before 22.6 leave it out of stream reads, or send 2^64 - 1.
  if (position === undefined || position.commit > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error('the server reports no event position: it must be EventStoreDB 22.6 or later');
  }
  return Number(position.commit);
}

/**
 * The ledger event a server event holds, or undefined when the ledger did not write it: a
 * binary event, or one whose metadata is not an envelope (typed in the admin UI, written by
 * another application or a connector). Such foreign events are skipped in $all; in a stream
 * the ledger reads they are refused (toRecordedEvent), since they break its chain.
 */
export function asLedgerEvent(event: EsdbRecordedEvent): RecordedEvent | undefined {
  const metadata = event.metadata;
  if (
    !event.isJson ||
    typeof metadata !== 'object' ||
    metadata === null ||
    metadata instanceof Uint8Array ||
    Array.isArray(metadata) ||
    typeof metadata.hash !== 'string' ||
    typeof metadata.prevHash !== 'string' ||
    typeof metadata.recordedAt !== 'string'
  ) {
    return undefined;
  }
  return {
    eventId: event.id,
    stream: event.streamId,
    revision: Number(event.revision),
    position: toLedgerPosition(event.position),
    type: event.type,
    data: event.data,
    // Written from a RecordedMetadata by toEventData; a stray writer is caught by the hash check.
    metadata: metadata as unknown as RecordedMetadata,
  };
}

/** A ledger event of a stream the ledger reads; an event the ledger did not write is an error. */
export function toRecordedEvent(event: EsdbRecordedEvent): RecordedEvent {
  const recorded = asLedgerEvent(event);
  if (recorded === undefined) {
    throw new Error(
      `event ${event.id} at revision ${event.revision} of ${event.streamId} was not written by the ledger`,
    );
  }
  return recorded;
}

export function toEventData(sealed: Omit<RecordedEvent, 'position'>): EventData {
  return jsonEvent({
    id: sealed.eventId,
    type: sealed.type,
    // Parsed back from storedData's JSON; the client's JSONType is only narrower in its typing.
    data: sealed.data as JSONType,
    metadata: { ...sealed.metadata },
  });
}

/**
 * The server keeps event ids as GUIDs and hands them back formatted lowercase with hyphens, so
 * an id in any other form would read back changed and break its event's hash.
 */
export const LOWERCASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An event's size as the server counts it against its limits (Event.SizeOnDisk in
 * src/KurrentDB.Core/Data/Event.cs, line 46 in v25.1.4): data and metadata bytes plus two bytes
 * per character of the type.
 */
export function sizeOnDisk(event: EventData): number {
  const bytes = (value: unknown) =>
    value instanceof Uint8Array ? value.length : Buffer.byteLength(JSON.stringify(value ?? ''));
  return bytes(event.data) + bytes(event.metadata) + event.type.length * 2;
}

/** The delay before the `attempt`-th retry (0-based): doubling from `baseDelayMs`, capped. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
}

/**
 * The server indexes no event ids, so each append first reserves its ids, one stream per id
 * written with "no stream" expected: the server lets exactly one reservation of an id win. The
 * reservation names the stream; another stream's append of that id is then refused. A `$`-type
 * keeps reservations out of every ledger read. An append that loses its revision race after
 * reserving leaves its reservations behind: they still let that stream, and only it, use the ids.
 */
export const RESERVATION_TYPE = '$ledger-event-id-reserved';

export function reservationStream(eventId: string): string {
  return `ledger-event-id-${eventId}`;
}
