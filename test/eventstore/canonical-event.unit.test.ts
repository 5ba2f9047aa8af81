/**
 * The append's fast sealing (issue 30): an event's canonical members written once and shared by
 * its hash and its Merkle leaf must give exactly what sealMetadata and leafInput give, for any
 * event, so the ledger stays byte for byte the same. Strings include lone surrogates, which
 * both must refuse alike.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import type { EventToAppend } from '../../src/core/envelope.ts';
import {
  canonicalEvent,
  hashCanonical,
  sealMetadata,
  stampedMetadata,
  stampMembers,
} from '../../src/core/event-hash.ts';
import { leafHash, leafInput, sealedLeafHash } from '../../src/core/merkle-leaf.ts';

const text = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
);

const toAppend = fc.record({
  eventId: text,
  type: text,
  data: fc.jsonValue(),
  metadata: fc.record(
    {
      recordedBy: text,
      correlationId: text,
      causationId: fc.option(text),
      idempotencyKey: text,
      keyId: text,
      schemaVersion: fc.integer(),
    },
    { requiredKeys: ['recordedBy', 'correlationId', 'causationId', 'schemaVersion'] },
  ),
}) as fc.Arbitrary<EventToAppend>;

/** What `seal` returns, or the refusal's class. */
function outcome<T>(seal: () => T): T | { refused: string } {
  try {
    return seal();
  } catch (error) {
    return { refused: (error as Error).constructor.name };
  }
}

describe('an event sealed from its canonical members', () => {
  it('has the hash, stored metadata and leaf hash sealMetadata and leafInput give', () => {
    fc.assert(
      fc.property(
        toAppend,
        text,
        fc.nat(),
        fc.integer({ min: 1 }),
        text,
        text,
        (event, stream, revision, position, prevHash, recordedAt) => {
          const old = outcome(() => {
            const dataJson = canonicalJson(event.data);
            const metadata = sealMetadata(stream, revision, prevHash, recordedAt, event, dataJson);
            const { eventId, type } = event;
            const recorded = { eventId, stream, revision, position, type, metadata };
            return {
              stored: JSON.stringify(metadata),
              leaf: Buffer.from(leafHash(leafInput(recorded, dataJson))).toString('hex'),
            };
          });
          const fast = outcome(() => {
            const dataJson = canonicalJson(event.data);
            const canonical = canonicalEvent(event);
            const streamJson = canonicalJson(stream);
            const stamps = stampMembers(prevHash, recordedAt);
            const hash = hashCanonical(canonical, dataJson, streamJson, revision, stamps);
            const metadata = stampedMetadata(event.metadata, recordedAt, prevHash, hash);
            const leaf = sealedLeafHash(
              canonical,
              dataJson,
              streamJson,
              revision,
              position,
              stamps,
              hash,
            );
            return { stored: JSON.stringify(metadata), leaf: Buffer.from(leaf).toString('hex') };
          });
          expect(fast).toEqual(old);
        },
      ),
      { numRuns: 500 },
    );
  });
});
