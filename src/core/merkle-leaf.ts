/** The Merkle leaf of a ledger event (docs/merkle-leaf.md). */
import { hash as sha256 } from 'node:crypto';
import { leafHashOf } from '../verify.ts';
import { canonicalJson } from './canonical-json.ts';
import type { RecordedEvent } from './envelope.ts';
import type { CanonicalEvent } from './event-hash.ts';

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

/**
 * The leaf hash of a sealed event from its canonical members (event-hash.ts): the same bytes as
 * leafHash(leafInput(event, dataJson)) for an event whose metadata holds exactly the writer's
 * known fields, the stamps and the hash (as a store seals it), without building the envelope
 * again or copying the text into a buffer. `stamps` is stampMembers(prevHash, recordedAt).
 */
export function sealedLeafHash(
  event: CanonicalEvent,
  dataJson: string,
  streamJson: string,
  revision: number,
  position: number,
  stamps: string,
  hash: string,
): Uint8Array {
  const metadata = `${event.beforeHash},"hash":${canonicalJson(hash)}${event.afterHash}${stamps}${event.afterStamps}`;
  const text =
    `{"data":${dataJson},"eventId":${event.eventId},"metadata":{${metadata.slice(1)}},` +
    `"position":${canonicalJson(position)},"revision":${canonicalJson(revision)},` +
    `"stream":${streamJson},"type":${event.type}}`;
  // U+0000 is the byte 0x00 in UTF-8: RFC 6962's leaf prefix, hashed in one call.
  return sha256('sha256', `\u0000${text}`, 'buffer');
}

/** RFC 6962 leaf hash of a leaf input: SHA-256(0x00 || input). */
export function leafHash(input: Uint8Array): Uint8Array {
  return leafHashOf(input);
}
