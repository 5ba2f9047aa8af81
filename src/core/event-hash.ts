/**
 * The event hash (docs/design.md, "Event envelope"): `hash` = SHA-256 (hex) of the RFC 8785
 * canonical JSON of {stream, revision, eventId, type, data, metadata without `hash`}; `prevHash`
 * links each event to the previous one of its stream, so every stream is a hash chain starting
 * at GENESIS_HASH.
 */
import { createHash, hash as sha256 } from 'node:crypto';
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

/**
 * An event's members the store does not stamp, as canonical JSON, written once per append and
 * shared by its hash (here) and its Merkle leaf (merkle-leaf.ts), which hold the same members
 * in the same RFC 8785 order around the stamped ones. Metadata members are `,"key":value` runs,
 * an absent optional one left out: `beforeHash` = causationId, correlationId; `afterHash` =
 * idempotencyKey, keyId; `afterStamps` = recordedBy, schemaVersion (prevHash and recordedAt,
 * stamped, sort between). Strings only, so it crosses to the writer thread cheaply.
 */
export interface CanonicalEvent {
  eventId: string;
  type: string;
  beforeHash: string;
  afterHash: string;
  afterStamps: string;
}

/** The canonical members of an event to append; a TypeError for what JSON cannot hold. */
export function canonicalEvent(event: Omit<EventToAppend, 'data'>): CanonicalEvent {
  const { recordedBy, correlationId, causationId, idempotencyKey, keyId, schemaVersion } =
    event.metadata;
  return {
    eventId: canonicalJson(event.eventId),
    type: canonicalJson(event.type),
    beforeHash: member('causationId', causationId) + member('correlationId', correlationId),
    afterHash: member('idempotencyKey', idempotencyKey) + member('keyId', keyId),
    afterStamps: member('recordedBy', recordedBy) + member('schemaVersion', schemaVersion),
  };
}

/** An object member as RFC 8785 writes it after a comma; nothing for an undefined value. */
const member = (key: string, value: unknown): string =>
  value === undefined ? '' : `,"${key}":${canonicalJson(value)}`;

/** The stamped metadata members, prevHash and recordedAt, in the same form. */
export const stampMembers = (prevHash: string, recordedAt: string): string =>
  `,"prevHash":${canonicalJson(prevHash)},"recordedAt":${canonicalJson(recordedAt)}`;

/**
 * The event hash from canonical members: the same text hashWithData writes for an event whose
 * metadata holds exactly the writer's known fields and the stamps (as sealMetadata's does).
 * `stamps` is stampMembers(prevHash, recordedAt); `streamJson` is canonicalJson(stream).
 */
export function hashCanonical(
  event: CanonicalEvent,
  dataJson: string,
  streamJson: string,
  revision: number,
  stamps: string,
): string {
  const metadata = `{${(event.beforeHash + event.afterHash + stamps + event.afterStamps).slice(1)}}`;
  const canonical =
    `{"data":${dataJson},"eventId":${event.eventId},"metadata":${metadata},` +
    `"revision":${canonicalJson(revision)},"stream":${streamJson},"type":${event.type}}`;
  return sha256('sha256', canonical);
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

/** The metadata sealMetadata returns, given the hash: its members in the order stored. */
export function stampedMetadata(
  metadata: AppendMetadata,
  recordedAt: string,
  prevHash: string,
  hash: string,
): RecordedMetadata {
  const { recordedBy, correlationId, causationId, idempotencyKey, keyId, schemaVersion } = metadata;
  // writerMetadata's members, then the stamps, written out: cheaper than spreading its copy.
  if (idempotencyKey === undefined && keyId === undefined) {
    return { recordedBy, correlationId, causationId, schemaVersion, recordedAt, prevHash, hash };
  }
  if (keyId === undefined) {
    return {
      recordedBy,
      correlationId,
      causationId,
      idempotencyKey,
      schemaVersion,
      recordedAt,
      prevHash,
      hash,
    };
  }
  if (idempotencyKey === undefined) {
    return {
      recordedBy,
      correlationId,
      causationId,
      keyId,
      schemaVersion,
      recordedAt,
      prevHash,
      hash,
    };
  }
  return {
    recordedBy,
    correlationId,
    causationId,
    idempotencyKey,
    keyId,
    schemaVersion,
    recordedAt,
    prevHash,
    hash,
  };
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
