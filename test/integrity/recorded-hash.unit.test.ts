import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import { GENESIS_HASH, type HashableEvent, hashEvent } from '../../src/core/event-hash.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { recordedHash } from '../../src/integrity/recorded-hash.ts';
import { verifyLedger } from '../../src/integrity/verify-ledger.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const outcome = (hash: () => string) => {
  try {
    return { hash: hash() };
  } catch {
    return { refused: true };
  }
};

/** Strings with a lone surrogate, which RFC 8785 refuses, and one with only the look of one. */
const LONE_SURROGATES = ['\ud800', 'a\udc00b', '\\ud800'];

/** Anything a caller could hand verify: lone surrogates, -0, NaN, undefined, holes, dates... */
const anyValue = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.constant(() => 1),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, ...LONE_SURROGATES),
  ),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.sparseArray(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary' }), tie('node'), { maxKeys: 4 }),
    // Integer-like keys, which objects enumerate first, and __proto__ as a member.
    fc.dictionary(fc.constantFrom('0', '10', '9', 'a', '__proto__', 'B'), tie('node'), {
      maxKeys: 4,
    }),
  ),
})).node;

/** What a store hands back: JSON read from text, members in RFC 8785 order or not. */
const readBack = fc
  .tuple(
    fc.oneof(
      fc.jsonValue(),
      fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.constantFrom(...LONE_SURROGATES))),
    ),
    fc.boolean(),
  )
  .map(([value, canonical]) => {
    // A lone surrogate has no canonical text: such values are read back as JSON.stringify wrote them.
    const inOrder =
      canonical &&
      !LONE_SURROGATES.some((s) => JSON.stringify(value).includes(JSON.stringify(s).slice(1, -1)));
    return JSON.parse(inOrder ? canonicalJson(value) : JSON.stringify(value));
  });

const metadataOf = (extra: fc.Arbitrary<unknown>) =>
  fc.record(
    {
      recordedBy: fc.string(),
      correlationId: fc.string(),
      causationId: fc.option(fc.string()),
      idempotencyKey: fc.string(),
      schemaVersion: fc.integer(),
      recordedAt: fc.string(),
      prevHash: fc.string(),
      hash: fc.string(),
      extra,
      '7': extra,
    },
    { requiredKeys: ['recordedBy', 'correlationId', 'causationId', 'schemaVersion'] },
  );

/** A member named __proto__, as JSON.parse makes it (assigned, it would set the prototype). */
const withProto = (object: object, value: unknown) =>
  Object.defineProperty(object, '__proto__', {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });

const eventOf = (value: fc.Arbitrary<unknown>) =>
  fc.record({
    stream: fc.string({ unit: 'binary' }),
    revision: fc.nat(),
    eventId: fc.string(),
    type: fc.string(),
    data: value,
    // Stores keep metadata members in writing order: shuffled here.
    metadata: fc
      .tuple(metadataOf(value), fc.boolean(), fc.option(value))
      .map(([m, reversed, proto]) => {
        const shuffled = reversed ? Object.fromEntries(Object.entries(m).reverse()) : { ...m };
        return proto === null ? shuffled : withProto(shuffled, proto);
      }),
  });

describe('recordedHash', () => {
  it('is hashEvent: the same hash, or refused alike, for events as stores read them', () => {
    fc.assert(
      fc.property(eventOf(readBack), (event) => {
        expect(outcome(() => recordedHash(event as HashableEvent))).toEqual(
          outcome(() => hashEvent(event as HashableEvent)),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('is hashEvent for any value a caller could pass, JSON or not', () => {
    fc.assert(
      fc.property(eventOf(anyValue), (event) => {
        expect(outcome(() => recordedHash(event as HashableEvent))).toEqual(
          outcome(() => hashEvent(event as HashableEvent)),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes members in RFC 8785 order, not in the order they were read in', () => {
    const event = {
      stream: 's',
      revision: 0,
      eventId: 'e',
      type: 'T',
      // Integer-like keys come first when enumerated ("9" before "10"); RFC 8785 puts "10" first.
      data: JSON.parse('{"b":1,"a":{"9":"x","10":"y"},"\\u00e9":"\\u0041"}'),
      metadata: JSON.parse('{"recordedAt":"t","hash":"h","__proto__":"p","prevHash":"x"}'),
    };
    const canonical =
      '{"data":{"a":{"10":"y","9":"x"},"b":1,"é":"A"},"eventId":"e",' +
      '"metadata":{"__proto__":"p","prevHash":"x","recordedAt":"t"},"revision":0,"stream":"s","type":"T"}';
    expect(recordedHash(event as unknown as HashableEvent)).toBe(sha256(canonical));
  });
});

interface Style {
  reorder: boolean;
  spaces: boolean;
  escapes: boolean;
  fractions: boolean;
}

/**
 * A text of `value` that JSON.parse reads back as `value`, in a form the choices pick: members
 * in another order, spaces, escaped characters, integers written with a fraction.
 */
function rendering(value: unknown, choices: () => number, style: Style): string {
  const pick = (n: number) => choices() % n;
  const space = () => (style.spaces ? ([' ', '', '\n'][pick(3)] as string) : '');
  const escaped = (s: string) =>
    Array.from(
      { length: s.length },
      (_, i) => `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`,
    );
  const text = (s: string) =>
    style.escapes && pick(3) === 0 ? `"${escaped(s).join('')}"` : JSON.stringify(s);
  if (typeof value === 'string') return text(value);
  if (typeof value === 'number')
    return style.fractions && /^-?\d+$/.test(JSON.stringify(value)) && pick(3) === 0
      ? `${value}.0`
      : JSON.stringify(value);
  if (Array.isArray(value))
    return `[${value.map((v) => space() + rendering(v, choices, style)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (style.reorder && pick(2) === 0) entries.reverse();
    return `{${entries.map(([k, v]) => `${space()}${text(k)}${space()}:${rendering(v, choices, style)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('verifyLedger and stored texts', () => {
  it('refuses data read from a text that is not canonical, even with a hash made over that text', async () => {
    // What verify would accept if it hashed the stored text instead of rebuilding it.
    // Members only reordered is what a verify hashing JSON.stringify of the parsed data would miss.
    const style = fc.record({
      reorder: fc.boolean(),
      spaces: fc.boolean(),
      escapes: fc.boolean(),
      fractions: fc.boolean(),
    });
    const surrogateFree = fc.jsonValue().filter((v) => !/\p{Cs}/u.test(JSON.stringify(v)));
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        surrogateFree,
        fc.infiniteStream(fc.nat()),
        style,
        async (value, stream, s) => {
          const stored = rendering(value, () => stream.next().value as number, s);
          const metadata = {
            recordedBy: 'clerk',
            correlationId: 'c',
            causationId: null,
            schemaVersion: 1,
            recordedAt: '2007-05-08T12:00:00.000Z',
            prevHash: GENESIS_HASH,
          };
          const hashedText =
            `{"data":${stored},"eventId":"e1","metadata":${canonicalJson(metadata)},` +
            `"revision":0,"stream":"program-1","type":"NoticeReceived"}`;
          const event: RecordedEvent = {
            eventId: 'e1',
            stream: 'program-1',
            revision: 0,
            position: 1,
            type: 'NoticeReceived',
            data: JSON.parse(stored),
            metadata: { ...metadata, hash: sha256(hashedText) },
          };
          const canonical = stored === canonicalJson(value);
          if (!canonical) refused++;
          const report = await verifyLedger([event]);
          if (canonical) expect(report).toEqual({ ok: true, events: 1, streams: 1 });
          else expect(report).toMatchObject({ ok: false, problem: { kind: 'hash-mismatch' } });
        },
      ),
      { numRuns: 1000 },
    );
    // Most renderings differ from the canonical text, so the property checks the refusal.
    expect(refused).toBeGreaterThan(300);
  });
});
