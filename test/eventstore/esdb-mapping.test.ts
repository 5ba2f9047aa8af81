/** The esdb adapter's translations between the port and the server's vocabulary. */
import {
  type RecordedEvent as EsdbRecordedEvent,
  jsonEvent,
  NO_STREAM,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, sealEvent } from '../../src/core/event-hash.ts';
import { StreamRevisionConflictError } from '../../src/eventstore/errors.ts';
import {
  asLedgerEvent,
  backoffDelay,
  exactExpectedRevision,
  isSystemEvent,
  LOWERCASE_UUID,
  reservationStream,
  sizeOnDisk,
  toConflictError,
  toEventData,
  toLedgerPosition,
  toRecordedEvent,
} from '../../src/eventstore/esdb/mapping.ts';
import { isInvalidPosition } from '../../src/eventstore/esdb/reads.ts';
import { anEvent } from './contract.ts';

describe('system events', () => {
  it.each([
    ['$stats-127.0.0.1:2113', '$statsCollected'],
    ['$$program-1', '$metadata'],
    ['$settings', '$settings'],
    ['program-1', '$>'],
    ['ledger-event-id-1', '$ledger-event-id-reserved'],
  ])('treats %s / %s as the server’s', (streamId, type) => {
    expect(isSystemEvent({ streamId, type })).toBe(true);
  });

  it.each([
    ['program-1', 'NoticeReceived'],
    ['spec-$weird', 'Type$'],
  ])('treats %s / %s as a ledger event', (streamId, type) => {
    expect(isSystemEvent({ streamId, type })).toBe(false);
  });
});

describe('expected revisions', () => {
  it('appends to a stream that was read as missing only if it still is', () => {
    expect(exactExpectedRevision(-1)).toBe(NO_STREAM);
  });

  it('appends at exactly the revision read', () => {
    expect(exactExpectedRevision(0)).toBe(0n);
    expect(exactExpectedRevision(41)).toBe(41n);
  });

  it("maps the server's conflict to the port's, with -1 for no stream", () => {
    const missing = new WrongExpectedVersionError(undefined, {
      streamName: 'program-1',
      expected: 3n,
      current: NO_STREAM,
    });
    const moved = new WrongExpectedVersionError(undefined, {
      streamName: 'program-1',
      expected: 3n,
      current: 7n,
    });

    const noStream = toConflictError('program-1', 3, missing);
    const ahead = toConflictError('program-1', 'stream-exists', moved);

    expect(noStream).toBeInstanceOf(StreamRevisionConflictError);
    expect(noStream).toMatchObject({ stream: 'program-1', expected: 3, actual: -1 });
    expect(ahead).toMatchObject({ stream: 'program-1', expected: 'stream-exists', actual: 7 });
  });
});

describe('positions', () => {
  it('uses the commit position', () => {
    expect(toLedgerPosition({ commit: 123_456n, prepare: 123_456n })).toBe(123_456);
  });

  it('refuses a server that reports no position for stream reads', () => {
    expect(() => toLedgerPosition(undefined)).toThrow(/22\.6/);
    expect(() => toLedgerPosition({ commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n })).toThrow(
      /22\.6/,
    );
  });
});

describe('event conversion', () => {
  const sealed = sealEvent(
    'program-1',
    0,
    GENESIS_HASH,
    '2025-01-02T03:04:05.678Z',
    anEvent({ data: { letter: 'USPS-2005-12-08' }, idempotencyKey: 'k-1' }),
  );
  /** Payloads travel as JSON text both ways. */
  const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value));

  /** What the client hands back for an event written from `sealed`. */
  function asRead(overrides: Partial<Record<string, unknown>> = {}): EsdbRecordedEvent {
    return {
      streamId: sealed.stream,
      id: sealed.eventId,
      revision: 0n,
      type: sealed.type,
      isJson: true,
      data: viaJson(sealed.data),
      metadata: viaJson(sealed.metadata),
      created: new Date(),
      position: { commit: 4_096n, prepare: 4_096n },
      ...overrides,
      // The client types events as a JSON/binary union keyed on isJson; overrides break it on purpose.
    } as unknown as EsdbRecordedEvent;
  }

  it('writes our event id as the server event id and our envelope as JSON metadata', () => {
    const data = toEventData(sealed);
    expect(data).toMatchObject({
      id: sealed.eventId,
      contentType: 'application/json',
      type: sealed.type,
      data: sealed.data,
      metadata: sealed.metadata,
    });
  });

  it('reads back exactly what was sealed, at its position', () => {
    expect(toRecordedEvent(asRead())).toEqual({ ...sealed, position: 4_096 });
  });

  it.each([
    ['binary content', { isJson: false }],
    ['no metadata', { metadata: undefined }],
    ['metadata without a hash', { metadata: { recordedBy: 'someone' } }],
    ['metadata of another application', { metadata: { $correlationId: 'x', hash: 'h' } }],
  ])(
    'takes an event with %s for a foreign one: skipped in $all, refused in a stream',
    (_, overrides) => {
      expect(asLedgerEvent(asRead(overrides))).toBeUndefined();
      expect(() => toRecordedEvent(asRead(overrides))).toThrow(/not written by the ledger/);
    },
  );

  it('names reservations stably: a renamed stream would miss the ids reserved before', () => {
    const id = '0b5e7c9a-4f0e-4a51-9d7b-3c2f1e0d9a8b';
    expect(reservationStream(id)).toBe(`ledger-event-id-${id}`);
  });
});

describe('what the server sends back', () => {
  it('counts sizes as Event.SizeOnDisk does: data and metadata bytes, two per type character', () => {
    const event = jsonEvent({ type: 'Täg', data: { a: 'é' }, metadata: { b: 1 } });
    // {"a":"é"} is 10 bytes, {"b":1} 7, the type 3 characters.
    expect(sizeOnDisk(event)).toBe(10 + 7 + 6);
  });

  it('accepts only lowercase UUIDs, the form the server hands ids back in', () => {
    expect(LOWERCASE_UUID.test('0b5e7c9a-4f0e-4a51-9d7b-3c2f1e0d9a8b')).toBe(true);
    expect(LOWERCASE_UUID.test('0B5E7C9A-4F0E-4A51-9D7B-3C2F1E0D9A8B')).toBe(false);
    expect(LOWERCASE_UUID.test('notice-1')).toBe(false);
  });

  it("recognises the server's invalid-position refusal (RpcExceptions.cs 259-260) and nothing else", () => {
    expect(
      isInvalidPosition(new UnknownError(undefined, 'Trying to read from an invalid position.')),
    ).toBe(true);
    expect(isInvalidPosition(new UnavailableError(undefined, 'down'))).toBe(false);
    expect(isInvalidPosition(new UnknownError(undefined, 'boom'))).toBe(false);
  });

  it('doubles the retry delay up to its bound', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => backoffDelay(attempt, 100, 5_000))).toEqual([
      100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000,
    ]);
  });
});
