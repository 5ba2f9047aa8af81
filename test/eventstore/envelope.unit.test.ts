import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import {
  GENESIS_HASH,
  type HashableEvent,
  hashEvent,
  sameContent,
  sealEvent,
} from '../../src/core/event-hash.ts';
import type { EventToAppend, RecordedEvent } from '../../src/eventstore/port.ts';
import {
  type LedgerReport,
  verifyLedger,
  verifyStream,
} from '../../src/integrity/verify-ledger.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function toAppend(eventId: string, data: unknown = { n: 1 }): EventToAppend {
  return {
    eventId,
    type: 'NoticeReceived',
    data,
    metadata: { recordedBy: 'clerk', correlationId: 'c-1', causationId: null, schemaVersion: 1 },
  };
}

/** A sound ledger: `layout` lists the stream of each event in global order. */
function ledger(layout: string[], recordedAt = '2007-05-08T12:00:00.000Z'): RecordedEvent[] {
  const heads = new Map<string, { revision: number; hash: string }>();
  return layout.map((stream, index) => {
    const head = heads.get(stream);
    const revision = (head?.revision ?? -1) + 1;
    const sealed = sealEvent(
      stream,
      revision,
      head?.hash ?? GENESIS_HASH,
      recordedAt,
      toAppend(`e${index + 1}`, { index }),
    );
    heads.set(stream, { revision, hash: sealed.metadata.hash });
    return { ...sealed, position: index + 1 };
  });
}

function problemOf(report: LedgerReport) {
  if (report.ok) throw new Error('expected a problem, the ledger verified');
  return report.problem;
}

describe('hashEvent', () => {
  it('hashes the RFC 8785 canonical JSON of the envelope without hash and position', () => {
    const event = {
      ...sealEvent('program-1', 0, GENESIS_HASH, '2005-12-08T00:00:00.000Z', {
        ...toAppend('e1', { z: [1, 'ü'], a: 1.5e21 }),
      }),
      position: 42,
    };
    const canonical =
      '{"data":{"a":1.5e+21,"z":[1,"ü"]},"eventId":"e1","metadata":{"causationId":null,' +
      '"correlationId":"c-1","prevHash":"' +
      GENESIS_HASH +
      '","recordedAt":"2005-12-08T00:00:00.000Z","recordedBy":"clerk","schemaVersion":1},' +
      '"revision":0,"stream":"program-1","type":"NoticeReceived"}';
    expect(hashEvent(event)).toBe(sha256(canonical));
    expect(event.metadata.hash).toBe(sha256(canonical));
    expect(hashEvent({ ...event, position: 7 } as RecordedEvent)).toBe(event.metadata.hash);
  });

  it('equals SHA-256 of the canonicalize package applied to the whole envelope', () => {
    const text = fc.string({ unit: 'grapheme' });
    fc.assert(
      fc.property(
        fc.record({
          stream: text,
          revision: fc.nat(),
          eventId: text,
          type: text,
          data: fc.jsonValue(),
          metadata: fc.record(
            {
              recordedBy: text,
              correlationId: text,
              causationId: fc.option(text),
              idempotencyKey: text,
              schemaVersion: fc.integer(),
              recordedAt: text,
              prevHash: text,
              hash: text,
            },
            { requiredKeys: ['recordedBy', 'correlationId', 'causationId', 'schemaVersion'] },
          ),
        }),
        (event) => {
          const { hash: _ignored, ...metadata } = event.metadata;
          const { stream, revision, eventId, type, data } = event;
          const whole = canonicalize({ stream, revision, eventId, type, data, metadata });
          expect(hashEvent(event as HashableEvent)).toBe(sha256(whole as string));
        },
      ),
    );
  });

  it('writes canonical JSON exactly as the canonicalize package, and refuses what it refuses', () => {
    // Lone surrogates, -0, NaN, undefined members, sparse arrays, dates, symbols, functions.
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.date({ noInvalidDate: true }),
        fc.constant(Symbol('s')),
        fc.constant(() => 1),
      ),
      node: fc.oneof(
        { depthSize: 'small' },
        tie('leaf'),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.sparseArray(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'binary' }), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    const outcome = (write: () => string | undefined) => {
      try {
        return { text: write() };
      } catch {
        return { refused: true };
      }
    };
    fc.assert(
      fc.property(value, (v) => {
        const library = outcome(() => canonicalize(v));
        const ours = outcome(() => canonicalJson(v));
        expect(ours).toEqual(library.text === undefined ? { refused: true } : library);
      }),
      { numRuns: 2000 },
    );
  });

  it('does not depend on key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (data) => {
        const reversed = Object.fromEntries(Object.entries(data).reverse());
        const [a, b] = [data, reversed].map((d) =>
          sealEvent('s', 0, GENESIS_HASH, '2005-12-08T00:00:00.000Z', toAppend('e', d)),
        );
        expect(a?.metadata.hash).toBe(b?.metadata.hash);
      }),
    );
  });

  it('changes with every hashed field', () => {
    const [event] = ledger(['s']) as [RecordedEvent];
    const variants = [
      { ...event, stream: 't' },
      { ...event, revision: 1 },
      { ...event, eventId: 'other' },
      { ...event, type: 'Other' },
      { ...event, data: { index: 1 } },
      { ...event, metadata: { ...event.metadata, recordedAt: '2005-12-08T00:00:00.001Z' } },
      { ...event, metadata: { ...event.metadata, prevHash: 'f'.repeat(64) } },
      { ...event, metadata: { ...event.metadata, recordedBy: 'someone else' } },
    ];
    for (const variant of variants) expect(hashEvent(variant)).not.toBe(event.metadata.hash);
  });
});

describe('sealEvent', () => {
  it('stamps the store fields and keeps only the writer metadata it knows', () => {
    const append = toAppend('e1');
    const sealed = sealEvent('s', 3, 'a'.repeat(64), '2005-12-08T00:00:00.000Z', {
      ...append,
      metadata: { ...append.metadata, hash: 'forged', idempotencyKey: 'k' } as never,
    });
    expect(sealed).toMatchObject({ stream: 's', revision: 3, eventId: 'e1' });
    expect(sealed.metadata).toEqual({
      ...append.metadata,
      idempotencyKey: 'k',
      recordedAt: '2005-12-08T00:00:00.000Z',
      prevHash: 'a'.repeat(64),
      hash: hashEvent(sealed),
    });
  });
});

describe('sameContent', () => {
  const [stored] = ledger(['s']) as [RecordedEvent];
  const original = toAppend('e1', { index: 0 });

  it('accepts a faithful retry regardless of key order and store-stamped fields', () => {
    expect(sameContent(stored, original)).toBe(true);
    expect(
      sameContent(stored, {
        ...original,
        metadata: { ...original.metadata, recordedAt: 'x' } as never,
      }),
    ).toBe(true);
  });

  it('rejects any change a writer could make', () => {
    const changes: EventToAppend[] = [
      { ...original, eventId: 'e2' },
      { ...original, type: 'Other' },
      { ...original, data: { index: 1 } },
      { ...original, metadata: { ...original.metadata, correlationId: 'c-2' } },
      { ...original, metadata: { ...original.metadata, causationId: 'e0' } },
      { ...original, metadata: { ...original.metadata, schemaVersion: 2 } },
      { ...original, metadata: { ...original.metadata, idempotencyKey: 'k' } },
    ];
    for (const changed of changes) expect(sameContent(stored, changed)).toBe(false);
  });
});

describe('verifyLedger', () => {
  it('accepts a sound ledger and counts its events and streams', async () => {
    expect(await verifyLedger(ledger(['a', 'b', 'a', 'c', 'b']))).toEqual({
      ok: true,
      events: 5,
      streams: 3,
    });
    expect(await verifyLedger([])).toEqual({ ok: true, events: 0, streams: 0 });
  });

  it('reads async iterables', async () => {
    async function* events() {
      yield* ledger(['a', 'b', 'a']);
    }
    expect(await verifyLedger(events())).toEqual({ ok: true, events: 3, streams: 2 });
  });

  it('names an edited event', async () => {
    const events = ledger(['a', 'b', 'a', 'b']);
    events[2] = { ...(events[2] as RecordedEvent), data: { index: 99 } };
    const report = await verifyLedger(events);
    expect(report.events).toBe(2);
    expect(problemOf(report)).toMatchObject({
      kind: 'hash-mismatch',
      position: 3,
      stream: 'a',
      eventId: 'e3',
      revision: 1,
    });
  });

  it('names the next event of a stream that lost one', async () => {
    const events = ledger(['a', 'b', 'a', 'b', 'a']);
    events.splice(2, 1);
    expect(problemOf(await verifyLedger(events))).toMatchObject({
      kind: 'revision-gap',
      position: 5,
      stream: 'a',
      revision: 2,
    });
  });

  it('names a stream that does not start at revision 0', async () => {
    const events = ledger(['a', 'a']).slice(1);
    expect(problemOf(await verifyLedger(events))).toMatchObject({
      kind: 'revision-gap',
      position: 2,
    });
  });

  it('names a repeated revision', async () => {
    const events = ledger(['a', 'a']);
    events.push({ ...(events[1] as RecordedEvent), position: 3 });
    expect(problemOf(await verifyLedger(events))).toMatchObject({
      kind: 'revision-repeat',
      position: 3,
      stream: 'a',
    });
  });

  it('names an inserted event whose own hash is right but whose chain is not', async () => {
    const events = ledger(['a', 'a', 'a']);
    const forged = sealEvent(
      'a',
      2,
      (events[0] as RecordedEvent).metadata.hash,
      '2007-05-08T12:00:00.000Z',
      toAppend('forged'),
    );
    events.splice(2, 1, { ...forged, position: 3 });
    expect(problemOf(await verifyLedger(events))).toMatchObject({
      kind: 'broken-chain',
      position: 3,
      eventId: 'forged',
    });
  });

  it('names a position that does not increase', async () => {
    const events = ledger(['a', 'b', 'c']);
    events[2] = { ...(events[2] as RecordedEvent), position: 2 };
    expect(problemOf(await verifyLedger(events))).toMatchObject({
      kind: 'position-order',
      position: 2,
      stream: 'c',
    });
  });

  it('cannot see a dropped last event of a stream by its chain; dense positions can', async () => {
    const events = ledger(['a', 'b', 'a', 'b']);
    events.splice(2, 1);
    expect(await verifyLedger(events)).toMatchObject({ ok: true, events: 3 });
    expect(problemOf(await verifyLedger(events, { densePositions: true }))).toMatchObject({
      kind: 'position-gap',
      position: 4,
      stream: 'b',
      message: expect.stringContaining('position 3 is missing'),
    });
  });

  it('checks recordedAt order when the store promises it', async () => {
    const events = [
      ...ledger(['a'], '2007-05-08T12:00:00.001Z'),
      ...ledger(['b'], '2007-05-08T12:00:00.000Z').map((event) => ({ ...event, position: 2 })),
    ];
    expect(await verifyLedger(events)).toMatchObject({ ok: true });
    expect(problemOf(await verifyLedger(events, { monotonicRecordedAt: true }))).toMatchObject({
      kind: 'recorded-at-order',
      position: 2,
      stream: 'b',
    });
  });

  it('reports malformed rows instead of throwing', async () => {
    const events = ledger(['a', 'a']);
    events[1] = { ...(events[1] as RecordedEvent), metadata: undefined as never };
    expect(problemOf(await verifyLedger(events))).toMatchObject({
      kind: 'malformed',
      position: 2,
      message: expect.stringContaining('metadata'),
    });
  });
});

describe('verifyStream', () => {
  it('accepts one sound stream and refuses events of another', async () => {
    const events = ledger(['a', 'b', 'a']);
    const streamA = events.filter((event) => event.stream === 'a');
    expect(await verifyStream(streamA)).toEqual({ ok: true, events: 2, streams: 1 });
    expect(problemOf(await verifyStream(events))).toMatchObject({
      kind: 'foreign-stream',
      position: 2,
      stream: 'b',
    });
  });
});
