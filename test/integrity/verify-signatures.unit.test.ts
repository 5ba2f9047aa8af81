import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LedgerEventEnvelope, verifySignatures } from '../../src/verify.ts';

/** `count` events with distinct ids and hashes, then a signature on the ones `signed` picks. */
const ledgerWithSignature = fc
  .record({
    hashes: fc.uniqueArray(fc.stringMatching(/^[0-9a-f]{64}$/), { minLength: 2, maxLength: 12 }),
    pick: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  })
  .map(({ hashes, pick }) => {
    const events: LedgerEventEnvelope[] = hashes.map((hash, i) => ({
      eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      position: i + 1,
      type: 'NoticeReceived',
      data: {},
      metadata: { hash },
    }));
    const signed = events.filter((_, i) => pick[i]);
    const chosen = signed.length > 0 ? signed : [events[0] as LedgerEventEnvelope];
    const signature: LedgerEventEnvelope = {
      eventId: 'ffffffff-0000-4000-8000-000000000000',
      position: events.length + 1,
      type: 'SignatureRecorded',
      data: { events: chosen.map((e) => ({ eventId: e.eventId, hash: e.metadata.hash })) },
      metadata: { hash: 'f'.repeat(64) },
    };
    return { events, signature };
  });

type SignedEntries = { events: { eventId: string; hash: string }[] };

describe('verifySignatures (the offline verifier)', () => {
  it('accepts every signature whose hashes are those of the events it names', () => {
    fc.assert(
      fc.property(ledgerWithSignature, ({ events, signature }) => {
        expect(verifySignatures([...events, signature])).toEqual({ signatures: 1, problems: [] });
      }),
    );
  });

  it('a signature moved to another event is caught, naming the signature and that event', () => {
    fc.assert(
      fc.property(ledgerWithSignature, fc.nat(), ({ events, signature }, n) => {
        const entries = (signature.data as SignedEntries).events;
        const others = events.filter((e) => !entries.some((s) => s.eventId === e.eventId));
        fc.pre(others.length > 0);
        const to = others[n % others.length] as LedgerEventEnvelope;
        const moved = structuredClone(signature);
        ((moved.data as SignedEntries).events[0] as { eventId: string }).eventId = to.eventId;
        const { problems } = verifySignatures([...events, moved]);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatchObject({ signatureId: signature.eventId, eventId: to.eventId });
        expect(problems[0]?.message).toContain(`signed event ${to.eventId}`);
      }),
    );
  });

  it('a signed event whose hash changed is caught, naming both', () => {
    fc.assert(
      fc.property(ledgerWithSignature, ({ events, signature }) => {
        const target = (signature.data as SignedEntries).events[0] as { eventId: string };
        const altered = events.map((e) =>
          e.eventId === target.eventId ? { ...e, metadata: { hash: '0'.repeat(64) } } : e,
        );
        const { problems } = verifySignatures([...altered, signature]);
        expect(problems.map((p) => [p.signatureId, p.eventId])).toEqual([
          [signature.eventId, target.eventId],
        ]);
      }),
    );
  });

  it('refuses a signature naming an event the ledger lacks, or one recorded after it', () => {
    const event = {
      eventId: 'a',
      position: 2,
      type: 'X',
      data: {},
      metadata: { hash: '1'.repeat(64) },
    };
    const signature = (events: unknown) => ({
      eventId: 's',
      position: 1,
      type: 'SignatureRecorded',
      data: { events },
      metadata: { hash: '2'.repeat(64) },
    });
    expect(
      verifySignatures([event, signature([{ eventId: 'a', hash: '1'.repeat(64) }])]).problems[0]
        ?.message,
    ).toBe('signature s (position 1) names event a, recorded after it at position 2');
    expect(
      verifySignatures([signature([{ eventId: 'b', hash: '1'.repeat(64) }])]).problems[0]?.message,
    ).toBe('signature s (position 1) names event b, which the ledger does not hold');
    expect(verifySignatures([signature([])]).problems[0]?.message).toBe(
      'signature s (position 1) names no events',
    );
  });
});
