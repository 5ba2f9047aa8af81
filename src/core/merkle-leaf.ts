/** The Merkle leaf of a ledger event (docs/merkle-leaf.md). */
import { leafHashOf } from '../verify.ts';
import { canonicalJson } from './canonical-json.ts';
import type { RecordedEvent } from './envelope.ts';

/**
 * The leaf input of an event: the UTF-8 bytes of the RFC 8785 canonical JSON of its full
 * envelope, exactly the object `GET /v1/events` serves for it:
 *
 *   {eventId, stream, revision, position, type, data,
 *    metadata: {recordedAt, recordedBy, correlationId, causationId, idempotencyKey?, keyId?,
 *               schemaVersion, prevHash, hash}}
 *
 * (`idempotencyKey` and `keyId` only when present). Leaf i (0-based) is the i-th event in global order;
 * that is its rank, not its `position` (position i + 1 in memory and sqlite stores, sparse in
 * esdb). Fields outside this list are left out, so a third party recomputes the leaf from the
 * API's output alone; `hash` covers the whole metadata anyway. See docs/merkle-leaf.md.
 *
 * `dataJson`, when given, must be canonicalJson(event.data): the stores pass the text they
 * store, so an append canonicalizes its data once.
 */
export function leafInput(
  event: Omit<RecordedEvent, 'data'> & { data?: unknown },
  dataJson: string = canonicalJson(event.data),
): Uint8Array {
  const { eventId, stream, revision, position, type, metadata } = event;
  // Written out member by member in RFC 8785 order (by UTF-16 code units): only the members
  // the leaf covers, without sorting keys.
  let metadataJson = '';
  for (const key of METADATA_KEYS) {
    const value = metadata[key];
    // canonicalJson drops members whose value is undefined: an absent idempotencyKey or keyId.
    if (value !== undefined) metadataJson += `,"${key}":${canonicalJson(value)}`;
  }
  const text =
    `{"data":${dataJson},"eventId":${canonicalJson(eventId)},"metadata":{${metadataJson.slice(1)}},` +
    `"position":${canonicalJson(position)},"revision":${canonicalJson(revision)},` +
    `"stream":${canonicalJson(stream)},"type":${canonicalJson(type)}}`;
  return Buffer.from(text, 'utf8');
}

/** The leaf's metadata members, in RFC 8785 order. */
const METADATA_KEYS = [
  'causationId',
  'correlationId',
  'hash',
  'idempotencyKey',
  'keyId',
  'prevHash',
  'recordedAt',
  'recordedBy',
  'schemaVersion',
] as const satisfies readonly (keyof RecordedEvent['metadata'])[];

/** RFC 6962 leaf hash of a leaf input: SHA-256(0x00 || input). */
export function leafHash(input: Uint8Array): Uint8Array {
  return leafHashOf(input);
}
