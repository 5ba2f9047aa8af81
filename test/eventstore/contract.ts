/**
 * The contract every EventStore adapter passes (docs/design.md §6, "Stores"). Each adapter's
 * test file calls describeEventStoreContract with a way to open a store.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashEvent } from '../../src/core/event-hash.ts';
import { EventIdConflictError, StreamRevisionConflictError } from '../../src/eventstore/errors.ts';
import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
} from '../../src/eventstore/port.ts';
import { readLedger, verifyLedger, verifyStream } from '../../src/integrity/verify-ledger.ts';

export interface OpenedStore {
  store: EventStore;
  /** Opens the same ledger again; the test closes `store` first and closes what this returns. */
  reopen?: () => Promise<EventStore>;
  /** Closes `store` if still open and removes whatever the store left behind. */
  cleanup: () => Promise<void>;
}

/**
 * `open` is called before each test. The store it returns may hold events from earlier tests,
 * but nobody else may write to it while the test runs: the tests compare positions relative to
 * the head they find at the start.
 */
export function describeEventStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name} event store contract`, () => {
    let opened: OpenedStore;
    let store: EventStore;
    /** Head position when the test started; this test's events come after it. */
    let start: number;
    /** A prefix that makes this test's stream names unique in a shared store. */
    let prefix: string;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      start = await store.headPosition();
      prefix = `contract-${randomUUID().slice(0, 8)}`;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    const streamName = (label: string) => `${prefix}-${label}`;

    /** This test's events in global order. */
    async function written(): Promise<RecordedEvent[]> {
      const events = await store.readAll({ fromPosition: start + 1 });
      return events.filter((event) => event.stream.startsWith(prefix));
    }

    describe('appending and reading', () => {
      it('records an append with its envelope and reports where it went', async () => {
        const stream = streamName('first');
        const first = anEvent({ data: { letter: 'USPS-2005-12-08', window: { months: 4 } } });
        const second = anEvent({ type: 'Other', idempotencyKey: 'key-1' });

        const result = await store.append(stream, [first, second], {
          expectedRevision: 'no-stream',
        });

        const recorded = await store.readStream(stream);
        expect(recorded.map((event) => event.eventId)).toEqual([first.eventId, second.eventId]);
        expect(recorded.map((event) => event.revision)).toEqual([0, 1]);
        const [r0, r1] = recorded as [RecordedEvent, RecordedEvent];
        expect(r0.position).toBeGreaterThan(start);
        expect(r1.position).toBeGreaterThan(r0.position);
        expect(result).toEqual({
          stream,
          nextExpectedRevision: 1,
          position: r1.position,
          events: [
            { eventId: first.eventId, revision: 0, position: r0.position },
            { eventId: second.eventId, revision: 1, position: r1.position },
          ],
        });
        expect(r0).toMatchObject({ stream, type: first.type, data: first.data });
        expect(r0.metadata).toMatchObject(first.metadata);
        expect(r1.metadata).toMatchObject(second.metadata);
        expect(r0.metadata.recordedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(r0.metadata.prevHash).toBe(GENESIS_HASH);
        expect(r1.metadata.prevHash).toBe(r0.metadata.hash);
        expect(r0.metadata.hash).toBe(hashEvent(r0));
        expect(r1.metadata.hash).toBe(hashEvent(r1));
      });

      it('reads an unknown stream as empty', async () => {
        expect(await store.readStream(streamName('never-written'))).toEqual([]);
      });

      it('reads a stream from a revision on', async () => {
        const stream = streamName('from-revision');
        const written = [anEvent(), anEvent(), anEvent()];
        await store.append(stream, written, { expectedRevision: 'no-stream' });
        const tail = await store.readStream(stream, { fromRevision: 1 });
        expect(tail.map((e) => [e.eventId, e.revision])).toEqual([
          [written[1]?.eventId, 1],
          [written[2]?.eventId, 2],
        ]);
        expect(await store.readStream(stream, { fromRevision: 3 })).toEqual([]);
      });

      it('finds an event by its id, as stored, and nothing under an id never stored', async () => {
        const stream = streamName('find');
        const written = [anEvent(), anEvent()];
        await store.append(stream, written, { expectedRevision: 'no-stream' });
        const [, second] = await store.readStream(stream);
        expect(await store.findEvent(written[1]?.eventId as string)).toEqual(second);
        expect(await store.findEvent(randomUUID())).toBeNull();
      });

      it('refuses an append of no events, writing nothing', async () => {
        const stream = streamName('empty');
        await expect(store.append(stream, [], { expectedRevision: 'any' })).rejects.toThrow(
          TypeError,
        );
        await expect(store.append(stream, [], { expectedRevision: 'any' })).rejects.toThrow(
          /at least one event/,
        );
        expect(await store.headPosition()).toBe(start);
      });

      it('refuses an expected revision that is not one of the four kinds', async () => {
        for (const expectedRevision of [-1, 1.5, 'latest']) {
          await expect(
            store.append(streamName('bad-expectation'), [anEvent()], {
              expectedRevision: expectedRevision as ExpectedRevision,
            }),
          ).rejects.toThrow(TypeError);
        }
        expect(await store.headPosition()).toBe(start);
      });

      it('refuses an append naming one event id twice', async () => {
        const event = anEvent();
        await expect(
          store.append(streamName('twice'), [event, { ...event }], { expectedRevision: 'any' }),
        ).rejects.toThrow(EventIdConflictError);
        expect(await store.headPosition()).toBe(start);
      });

      it('writes all events of an append or none', async () => {
        const stream = streamName('atomic');
        const good = anEvent();
        const unstorable = anEvent({ data: { amount: 10n } });
        await expect(
          store.append(stream, [good, unstorable], { expectedRevision: 'no-stream' }),
        ).rejects.toThrow(TypeError);
        expect(await store.readStream(stream)).toEqual([]);
        expect(await store.headPosition()).toBe(start);

        // Its id was not consumed either: the good event alone appends normally.
        await store.append(stream, [good], { expectedRevision: 'no-stream' });
        expect((await store.readStream(stream)).map((event) => event.eventId)).toEqual([
          good.eventId,
        ]);
      });

      it('refuses data JSON cannot hold, writing nothing', async () => {
        const unstorable: unknown[] = [
          undefined,
          { amount: 1n },
          { ratio: Number.NaN },
          { format: () => 'text' },
        ];
        for (const data of unstorable) {
          await expect(
            store.append(streamName('unstorable'), [{ ...anEvent(), data }], {
              expectedRevision: 'any',
            }),
          ).rejects.toThrow(TypeError);
        }
        expect(await store.headPosition()).toBe(start);
      });

      it('keeps what it stored when a caller changes the objects it passed or got back', async () => {
        const stream = streamName('isolated');
        const event = anEvent({ data: { items: ['a'] } });
        await store.append(stream, [event], { expectedRevision: 'no-stream' });
        (event.data as { items: string[] }).items.push('changed by writer');

        const [read] = await store.readStream(stream);
        try {
          ((read as RecordedEvent).data as { items: string[] }).items.push('changed by reader');
        } catch {
          // A store may hand out frozen events; refusing the change is fine too.
        }
        const [again] = await store.readStream(stream);
        expect((again as RecordedEvent).data).toEqual({ items: ['a'] });
        expect(await verifyStream(await store.readStream(stream))).toMatchObject({ ok: true });
      });

      it('orders events of all streams by strictly increasing global position', async () => {
        const results: AppendResult[] = [];
        for (let round = 0; round < 4; round++) {
          for (const label of ['a', 'b', 'c']) {
            results.push(
              await store.append(streamName(label), [anEvent(), anEvent()], {
                expectedRevision: round === 0 ? 'no-stream' : round * 2 - 1,
              }),
            );
          }
        }
        const events = await written();
        const positions = events.map((event) => event.position);
        expect(positions).toHaveLength(24);
        expectStrictlyIncreasing(positions);
        expect(positions).toEqual(
          results.flatMap((result) => result.events.map((event) => event.position)),
        );
        expect(events.map((event) => event.eventId)).toEqual(
          results.flatMap((result) => result.events.map((event) => event.eventId)),
        );
      });

      it('pages through the global order with fromPosition and limit', async () => {
        for (let i = 0; i < 10; i++) {
          await store.append(streamName(`page-${i % 3}`), [anEvent()], { expectedRevision: 'any' });
        }
        const everything = await store.readAll({ fromPosition: start + 1 });
        expect(everything).toHaveLength(10);

        const pages: RecordedEvent[][] = [];
        let fromPosition = start + 1;
        for (;;) {
          const page = await store.readAll({ fromPosition, limit: 3 });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(3);
          pages.push(page);
          fromPosition = (page.at(-1) as RecordedEvent).position + 1;
        }
        expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 1]);
        expect(pages.flat()).toEqual(everything);

        const third = everything[2] as RecordedEvent;
        expect(await store.readAll({ fromPosition: third.position, limit: 2 })).toEqual(
          everything.slice(2, 4),
        );
        expect(await store.readAll({ fromPosition: start + 1, limit: 0 })).toEqual([]);
        const head = await store.headPosition();
        expect(head).toBe((everything.at(-1) as RecordedEvent).position);
        expect(await store.readAll({ fromPosition: head + 1 })).toEqual([]);
      });
    });

    describe('expected revision', () => {
      /** A stream holding revisions 0 and 1. */
      async function streamAtRevisionOne(label: string): Promise<string> {
        const stream = streamName(label);
        await store.append(stream, [anEvent(), anEvent()], { expectedRevision: 'no-stream' });
        return stream;
      }

      const accepted: [string, ExpectedRevision, 'new' | 'existing', number][] = [
        ['no-stream on a new stream', 'no-stream', 'new', 0],
        ['stream-exists on an existing stream', 'stream-exists', 'existing', 2],
        ['any on a new stream', 'any', 'new', 0],
        ['any on an existing stream', 'any', 'existing', 2],
        ['the exact last revision', 1, 'existing', 2],
      ];
      for (const [label, expectedRevision, kind, revision] of accepted) {
        it(`accepts ${label}`, async () => {
          const stream = kind === 'new' ? streamName('new') : await streamAtRevisionOne('existing');
          const event = anEvent();
          const result = await store.append(stream, [event], { expectedRevision });
          expect(result.nextExpectedRevision).toBe(revision);
          const recorded = await store.readStream(stream);
          expect(recorded.at(-1)).toMatchObject({ eventId: event.eventId, revision });
          expect(await verifyStream(recorded)).toMatchObject({ ok: true, events: revision + 1 });
        });
      }

      const refused: [string, ExpectedRevision, 'new' | 'existing', number][] = [
        ['no-stream on an existing stream', 'no-stream', 'existing', 1],
        ['stream-exists on a new stream', 'stream-exists', 'new', -1],
        ['a stale revision', 0, 'existing', 1],
        ['a revision ahead of the stream', 5, 'existing', 1],
        ['an exact revision on a new stream', 0, 'new', -1],
      ];
      for (const [label, expectedRevision, kind, actual] of refused) {
        it(`refuses ${label} with the actual revision, writing nothing`, async () => {
          const stream = kind === 'new' ? streamName('new') : await streamAtRevisionOne('existing');
          const before = await store.readStream(stream);
          const head = await store.headPosition();

          const error = await store
            .append(stream, [anEvent(), anEvent()], { expectedRevision })
            .then(
              () => undefined,
              (reason: unknown) => reason,
            );

          expect(error).toBeInstanceOf(StreamRevisionConflictError);
          expect(error).toMatchObject({ stream, expected: expectedRevision, actual });
          expect(await store.readStream(stream)).toEqual(before);
          expect(await store.headPosition()).toBe(head);
        });
      }

      it('lets exactly one of many concurrent writers win each revision of a stream', async () => {
        const stream = streamName('contended');
        await store.append(stream, [anEvent()], { expectedRevision: 'no-stream' });
        for (let revision = 1; revision <= 8; revision++) {
          const outcomes = await Promise.allSettled(
            Array.from({ length: 8 }, () =>
              store.append(stream, [anEvent()], { expectedRevision: revision - 1 }),
            ),
          );
          const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
          const losers = outcomes.filter((outcome) => outcome.status === 'rejected');
          expect(winners).toHaveLength(1);
          expect(winners[0]?.value.nextExpectedRevision).toBe(revision);
          expect(losers).toHaveLength(7);
          for (const loser of losers) {
            expect(loser.reason).toBeInstanceOf(StreamRevisionConflictError);
            expect(loser.reason).toMatchObject({ actual: revision });
          }
        }
        const recorded = await store.readStream(stream);
        expect(recorded.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
        expect(await verifyStream(recorded)).toMatchObject({ ok: true, events: 9 });
      });

      it('refuses an append whose metadata JSON cannot hold and commits the others of its burst', async () => {
        const unhashable = anEvent();
        // A lone UTF-16 surrogate: no canonical JSON, so no hash.
        unhashable.metadata.recordedBy = 'clerk \ud800';
        const [refused, kept] = await Promise.allSettled([
          store.append(streamName('unhashable'), [unhashable], { expectedRevision: 'any' }),
          store.append(streamName('kept'), [anEvent()], { expectedRevision: 'any' }),
        ]);
        expect(refused.status === 'rejected' && refused.reason).toBeInstanceOf(TypeError);
        expect(kept.status).toBe('fulfilled');
        expect((await written()).map((event) => event.stream)).toEqual([streamName('kept')]);
      });
    });

    describe('retried appends', () => {
      it('returns the original result for a retry and writes nothing, even after the stream moved on', async () => {
        const stream = streamName('retried');
        const batch = [anEvent({ data: { n: 1 } }), anEvent({ data: { n: 2 } })];
        const original = await store.append(stream, batch, { expectedRevision: 'no-stream' });
        await store.append(stream, [anEvent()], { expectedRevision: 1 });
        const head = await store.headPosition();

        const retry = await store.append(stream, structuredClone(batch), {
          expectedRevision: 'no-stream',
        });

        expect(retry).toEqual(original);
        expect(await store.headPosition()).toBe(head);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('recognises a retry with an exact expected revision and reordered data keys', async () => {
        const stream = streamName('retried-exact');
        await store.append(stream, [anEvent()], { expectedRevision: 'no-stream' });
        const event = anEvent({ data: { program: 'cbu-1118e', window: { from: 1, to: 2 } } });
        const original = await store.append(stream, [event], { expectedRevision: 0 });
        await store.append(stream, [anEvent()], { expectedRevision: 1 });

        const reordered = { ...event, data: { window: { to: 2, from: 1 }, program: 'cbu-1118e' } };
        expect(await store.append(stream, [reordered], { expectedRevision: 0 })).toEqual(original);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      const conflicts: [string, (event: EventToAppend, stream: string) => Promise<unknown>][] = [
        [
          'other data under the same id',
          (event, stream) =>
            store.append(stream, [{ ...event, data: { n: 2 } }], { expectedRevision: 'no-stream' }),
        ],
        [
          'another type under the same id',
          (event, stream) =>
            store.append(stream, [{ ...event, type: 'Other' }], { expectedRevision: 'no-stream' }),
        ],
        [
          'other writer metadata under the same id',
          (event, stream) =>
            store.append(stream, [{ ...event, metadata: { ...event.metadata, recordedBy: 'x' } }], {
              expectedRevision: 'no-stream',
            }),
        ],
        [
          'the same event in another stream',
          (event) =>
            store.append(streamName('elsewhere'), [event], { expectedRevision: 'no-stream' }),
        ],
        [
          'the same event at another revision',
          (event, stream) => store.append(stream, [event], { expectedRevision: 0 }),
        ],
        [
          'stored ids mixed with new ones',
          (event, stream) => store.append(stream, [event, anEvent()], { expectedRevision: 'any' }),
        ],
      ];
      for (const [label, reappend] of conflicts) {
        it(`refuses ${label} with EventIdConflictError, writing nothing`, async () => {
          const stream = streamName('conflicting');
          const event = anEvent({ data: { n: 1 } });
          await store.append(stream, [event], { expectedRevision: 'no-stream' });
          const before = await written();

          await expect(reappend(event, stream)).rejects.toThrow(EventIdConflictError);

          expect(await written()).toEqual(before);
          expect(await store.headPosition()).toBe((before.at(-1) as RecordedEvent).position);
        });
      }
    });

    describe('integrity', () => {
      it('chains every stream from the genesis hash and verifies the whole ledger', async () => {
        for (let round = 0; round < 5; round++) {
          for (const label of ['spec', 'program', 'shipments']) {
            await store.append(
              streamName(label),
              Array.from({ length: 1 + (round % 3) }, () => anEvent({ data: { round, label } })),
              { expectedRevision: 'any' },
            );
          }
        }
        for (const label of ['spec', 'program', 'shipments']) {
          const events = await store.readStream(streamName(label));
          expect(events[0]?.metadata.prevHash).toBe(GENESIS_HASH);
          expect(await verifyStream(events)).toEqual({ ok: true, events: 9, streams: 1 });
        }
        const report = await verifyLedger(readLedger(store, 7));
        expect(report).toMatchObject({ ok: true });
        expect(report.events).toBe(await countAll(store));
      });

      it('keeps a checkpoint timestamp token durably, the first one kept staying', async () => {
        const log = store.signedCheckpoints;
        if (log === undefined) return;
        const imprint = randomBytes(32).toString('hex');
        const first = Uint8Array.from(randomBytes(300));
        expect(await log.timestampOf(imprint)).toBeUndefined();
        await log.keepTimestamp(imprint, first);
        await log.keepTimestamp(imprint, Uint8Array.from(randomBytes(300)));
        expect(await log.timestampOf(imprint)).toEqual(first);
        if (!opened.reopen) return;
        await store.close();
        const reopened = await opened.reopen();
        try {
          expect(await reopened.signedCheckpoints?.timestampOf(imprint)).toEqual(first);
        } finally {
          await reopened.close();
        }
      });

      it('never lets recordedAt go back along the global order', async () => {
        await Promise.all(
          Array.from({ length: 10 }, (_, writer) =>
            (async () => {
              for (let i = 0; i < 5; i++) {
                await store.append(streamName(`clock-${writer}`), [anEvent()], {
                  expectedRevision: 'any',
                });
              }
            })(),
          ),
        );
        const instants = (await written()).map((event) => event.metadata.recordedAt);
        expect(instants).toHaveLength(50);
        expect(instants).toEqual([...instants].sort());
      });
    });

    describe('subscriptions', () => {
      it('catches up, then delivers live events without gaps or duplicates while writers race', async () => {
        const writers = 20;
        const appendsPerWriter = 25;
        const total = writers * appendsPerWriter;
        let appended = 0;
        let reachedMidway: () => void = () => {};
        const midway = new Promise<void>((resolve) => {
          reachedMidway = resolve;
        });
        const writing = Promise.all(
          Array.from({ length: writers }, async (_, writer) => {
            const stream = streamName(`writer-${writer}`);
            for (let revision = 0; revision < appendsPerWriter; revision++) {
              await store.append(stream, [anEvent()], {
                expectedRevision: revision === 0 ? 'no-stream' : revision - 1,
              });
              if (++appended === total / 4) reachedMidway();
            }
          }),
        );

        await midway;
        const lastPosition = writing.then(() => store.headPosition());
        const fromStart = collectThrough(store, start + 1, lastPosition);
        const midwayHead = await store.headPosition();
        const fromMidway = collectThrough(store, midwayHead + 1, lastPosition);
        await writing;

        const all = await written();
        expect(all).toHaveLength(total);
        expect(positionsOf(await fromStart)).toEqual(positionsOf(all));
        expect(positionsOf(await fromMidway)).toEqual(
          positionsOf(all.filter((event) => event.position > midwayHead)),
        );
        for (let writer = 0; writer < writers; writer++) {
          const stream = all.filter((event) => event.stream === streamName(`writer-${writer}`));
          expect(stream.map((event) => event.revision)).toEqual(
            Array.from({ length: appendsPerWriter }, (_, revision) => revision),
          );
        }
        expect(await verifyLedger(readLedger(store))).toMatchObject({ ok: true });
      });

      it('ends the iteration when the subscription is closed', async () => {
        const stream = streamName('closing');
        await store.append(stream, [anEvent(), anEvent()], { expectedRevision: 'no-stream' });
        const subscription = store.subscribe({ fromPosition: start + 1 });
        const received: RecordedEvent[] = [];
        let gotBoth: () => void = () => {};
        const bothDelivered = new Promise<void>((resolve) => {
          gotBoth = resolve;
        });
        const iterating = (async () => {
          for await (const event of subscription) {
            received.push(event);
            if (received.length === 2) gotBoth();
          }
        })();

        await bothDelivered;
        await subscription.close();
        await iterating;
        await store.append(stream, [anEvent()], { expectedRevision: 1 });
        expect(received.map((event) => event.revision)).toEqual([0, 1]);
      });
    });

    describe('lifecycle', () => {
      it('refuses appends and reads once closed', async () => {
        await store.close();
        await expect(
          store.append(streamName('late'), [anEvent()], { expectedRevision: 'any' }),
        ).rejects.toThrow(/closed/);
        await expect(store.readAll()).rejects.toThrow(/closed/);
      });

      it('keeps everything across a reopen and carries on from where it was', async (context) => {
        if (opened.reopen === undefined) {
          context.skip();
          return;
        }
        const retried = anEvent();
        const original = await store.append(streamName('kept'), [retried], {
          expectedRevision: 'no-stream',
        });
        for (let i = 0; i < 5; i++) {
          await store.append(streamName(`kept-${i % 2}`), [anEvent(), anEvent()], {
            expectedRevision: 'any',
          });
        }
        const before = await store.readAll();
        const head = await store.headPosition();
        await store.close();

        const reopened = await opened.reopen();
        try {
          expect(await reopened.readAll()).toEqual(before);
          expect(await reopened.headPosition()).toBe(head);
          expect(
            await reopened.append(streamName('kept'), [retried], { expectedRevision: 'no-stream' }),
          ).toEqual(original);
          await expect(
            reopened.append(streamName('kept'), [anEvent()], { expectedRevision: 'no-stream' }),
          ).rejects.toThrow(StreamRevisionConflictError);
          const next = await reopened.append(streamName('kept'), [anEvent()], {
            expectedRevision: 0,
          });
          expect(next.position).toBeGreaterThan(head);
          expect(await verifyLedger(readLedger(reopened))).toMatchObject({ ok: true });
        } finally {
          await reopened.close();
        }
      });
    });
  });
}

export function anEvent(
  overrides: { type?: string; data?: unknown; idempotencyKey?: string } = {},
): EventToAppend {
  const { type = 'ContractTested', data = { note: 'a fact' }, idempotencyKey } = overrides;
  return {
    eventId: randomUUID(),
    type,
    data,
    metadata: {
      recordedBy: 'contract-test',
      correlationId: randomUUID(),
      causationId: null,
      schemaVersion: 1,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    },
  };
}

/** Subscribes from `fromPosition` and collects until `lastPosition` (once known) arrived. */
async function collectThrough(
  store: EventStore,
  fromPosition: number,
  lastPosition: Promise<number>,
): Promise<RecordedEvent[]> {
  const subscription = store.subscribe({ fromPosition });
  const received: RecordedEvent[] = [];
  let target = Number.POSITIVE_INFINITY;
  void lastPosition.then((position) => {
    target = position;
    // Everything was delivered before the target was known: stop waiting for more.
    if ((received.at(-1)?.position ?? fromPosition - 1) >= target) void subscription.close();
  });
  for await (const event of subscription) {
    received.push(event);
    if (event.position >= target) break;
  }
  await subscription.close();
  return received;
}

function positionsOf(events: readonly RecordedEvent[]): number[] {
  return events.map((event) => event.position);
}

function expectStrictlyIncreasing(values: readonly number[]): void {
  values.slice(1).forEach((value, index) => {
    expect(value).toBeGreaterThan(values[index] as number);
  });
}

async function countAll(store: EventStore): Promise<number> {
  let count = 0;
  for await (const _ of readLedger(store)) count++;
  return count;
}
