/**
 * The event hash (docs/design.md, "Event envelope"): `hash` = SHA-256 (hex) of the RFC 8785
 * canonical JSON of {stream, revision, eventId, type, data, metadata without `hash`}; `prevHash`
 * links each event to the previous one of its stream, so every stream is a hash chain starting
 * at GENESIS_HASH.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import type { AppendMetadata, EventToAppend, RecordedEvent, RecordedMetadata } from './envelope.ts';

/** The `prevHash` of revision 0. */
export const GENESIS_HASH = '0'.repeat(64);

/** What the hash covers: everything but the global position, and metadata minus `hash` itself. */
export interface HashableEvent {
  stream: string;
  revision: number;
  eventId: string;
  type: string;
  data: unknown;
  metadata: Omit<RecordedMetadata, 'hash'> & { hash?: string };
}

export function hashEvent(event: HashableEvent): string {
  return hashWithData(event, canonicalJson(event.data));
}

/** hashEvent, given the canonical JSON of `event.data`, so appends canonicalize data once. */
function hashWithData(event: Omit<HashableEvent, 'data'>, dataJson: string): string {
  const { hash: _ignored, ...metadata } = event.metadata;
  // Keys in RFC 8785 order (by UTF-16 code units): data, eventId, metadata, revision, stream, type.
  const canonical =
    `{"data":${dataJson},"eventId":${canonicalJson(event.eventId)},` +
    `"metadata":${canonicalJson(metadata)},"revision":${canonicalJson(event.revision)},` +
    `"stream":${canonicalJson(event.stream)},"type":${canonicalJson(event.type)}}`;
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Stamps the store's part of the metadata and the hash; copies only the writer's known fields.
 * `dataJson`, when given, must be canonicalJson(event.data): adapters that store that text pass
 * it to avoid serializing the data twice.
 */
export function sealEvent(
  stream: string,
  revision: number,
  prevHash: string,
  recordedAt: string,
  event: EventToAppend,
  dataJson: string = canonicalJson(event.data),
): Omit<RecordedEvent, 'position'> {
  const { eventId, type, data } = event;
  return {
    eventId,
    stream,
    revision,
    type,
    data,
    metadata: sealMetadata(stream, revision, prevHash, recordedAt, event, dataJson),
  };
}

/** sealEvent's metadata alone, for a writer that holds the data only as `dataJson`. */
export function sealMetadata(
  stream: string,
  revision: number,
  prevHash: string,
  recordedAt: string,
  event: Omit<EventToAppend, 'data'>,
  dataJson: string,
): RecordedMetadata {
  const metadata = { ...writerMetadata(event.metadata), recordedAt, prevHash };
  const hashed = { eventId: event.eventId, stream, revision, type: event.type, metadata };
  return { ...metadata, hash: hashWithData(hashed, dataJson) };
}

/** True when `candidate` is a faithful retry of the append that stored `stored`. */
export function sameContent(stored: RecordedEvent, candidate: EventToAppend): boolean {
  return (
    stored.eventId === candidate.eventId &&
    stored.type === candidate.type &&
    canonicalJson(stored.data) === canonicalJson(candidate.data) &&
    canonicalJson(writerMetadata(stored.metadata)) ===
      canonicalJson(writerMetadata(candidate.metadata))
  );
}

/** The writer's known fields; an optional one only when present, so events without it hash as before. */
function writerMetadata(metadata: AppendMetadata): AppendMetadata {
  const { recordedBy, correlationId, causationId, idempotencyKey, keyId, schemaVersion } = metadata;
  return {
    recordedBy,
    correlationId,
    causationId,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    ...(keyId === undefined ? {} : { keyId }),
    schemaVersion,
  };
}
