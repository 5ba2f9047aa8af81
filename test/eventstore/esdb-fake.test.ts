/**
 * The esdb adapter against an in-process fake server (esdb-fake.ts): the whole contract plus
 * what only this adapter does (sparse positions, system events, reservations, resubscribing).
 * The real server runs the same contract in esdb.test.ts when Docker is there.
 */
import { AccessDeniedError, UnavailableError } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { StreamRevisionConflictError } from '../../src/eventstore/errors.ts';
import { createEsdbEventStore, type EsdbStoreOptions } from '../../src/eventstore/esdb/index.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { anEvent, describeEventStoreContract } from './contract.ts';
import { FakeEsdbServer } from './esdb-fake.ts';

const fastRetry: Partial<EsdbStoreOptions> = { retry: { baseDelayMs: 1, maxDelayMs: 5 } };

describeEventStoreContract('esdb adapter on a fake server', async () => {
  const server = new FakeEsdbServer();
  const store = createEsdbEventStore(server.client(), fastRetry);
  return {
    store,
    reopen: async () => createEsdbEventStore(server.client(), fastRetry),
    cleanup: () => store.close(),
  };
});

describe('esdb adapter, what only it does', () => {
  function setUp(options: Partial<EsdbStoreOptions> = fastRetry) {
    const server = new FakeEsdbServer();
    const store = createEsdbEventStore(server.client(), options);
    return { server, store };
  }

  it("gives each event of an append the server's own log position", async () => {
    const { server, store } = setUp();
    const batch = [anEvent(), anEvent(), anEvent()];
    const result = await store.append('program-1', batch, { expectedRevision: 'no-stream' });

    const logged = batch.map((event) => server.log.find((record) => record.id === event.eventId));
    expect(result.events.map((event) => event.position)).toEqual(
      logged.map((record) => Number(record?.position.commit)),
    );
    // Byte offsets, not a count: positions are sparse but strictly increasing within the append.
    const [p0, p1, p2] = result.events.map((event) => event.position) as [number, number, number];
    expect(p1 - p0).toBeGreaterThan(1);
    expect(p2 - p1).toBeGreaterThan(1);
    expect(result.position).toBe(p2);
  });

  it('hides system events and id reservations from every ledger read', async () => {
    const { server, store } = setUp();
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    server.systemEvent('$stats-127.0.0.1:2113', '$statsCollected');
    await store.append('program-2', [anEvent()], { expectedRevision: 'no-stream' });
    server.systemEvent('$$program-2', '$metadata');
    server.systemEvent('$stats-127.0.0.1:2113', '$statsCollected');

    const ledger = await store.readAll();
    expect(ledger.map((event) => event.stream)).toEqual(['program-1', 'program-2']);
    expect(await store.headPosition()).toBe(ledger[1]?.position);
    // The log does hold the reservations: one per appended id.
    expect(server.log.filter((record) => record.type === '$ledger-event-id-reserved')).toHaveLength(
      2,
    );

    const subscription = store.subscribe();
    const delivered = await take(subscription, 2);
    await store.append('program-3', [anEvent()], { expectedRevision: 'no-stream' });
    delivered.push(...(await take(subscription, 1)));
    await subscription.close();
    expect(delivered.map((event) => event.stream)).toEqual(['program-1', 'program-2', 'program-3']);
  });

  it('reads a page after another without scanning the log from the start', async () => {
    const { server, store } = setUp();
    for (let i = 0; i < 6; i++) {
      await store.append(`program-${i % 2}`, [anEvent()], { expectedRevision: 'any' });
    }
    const all = await store.readAll();
    const scansBefore = server.fullScans;

    const second = await store.readAll({ fromPosition: (all[1]?.position ?? 0) + 1, limit: 2 });
    const exact = await store.readAll({ fromPosition: all[4]?.position, limit: 1 });

    expect(second).toEqual(all.slice(2, 4));
    expect(exact).toEqual(all.slice(4, 5));
    expect(server.fullScans).toBe(scansBefore);
  });

  it('still reads from a position inside a record, by scanning', async () => {
    const { server, store } = setUp();
    for (let i = 0; i < 4; i++) {
      await store.append('program-1', [anEvent()], { expectedRevision: 'any' });
    }
    const all = await store.readAll();
    const inside = (all[2]?.position ?? 0) - 7;
    const scansBefore = server.fullScans;

    expect(await store.readAll({ fromPosition: inside })).toEqual(all.slice(2));
    expect(server.fullScans).toBe(scansBefore + 1);
  });

  it('re-seals on the new head when another writer wins the race under `any`', async () => {
    const { server, store } = setUp();
    const rival = createEsdbEventStore(server.client(), fastRetry);
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    const rivalEvent = anEvent();
    server.beforeNextAppend('program-1', () =>
      rival.append('program-1', [rivalEvent], { expectedRevision: 0 }),
    );

    const mine = anEvent();
    const result = await store.append('program-1', [mine], { expectedRevision: 'any' });

    const stream = await store.readStream('program-1');
    expect(stream.map((event) => event.eventId).slice(1)).toEqual([
      rivalEvent.eventId,
      mine.eventId,
    ]);
    expect(result.nextExpectedRevision).toBe(2);
    expect(stream[2]?.metadata.prevHash).toBe(stream[1]?.metadata.hash);
  });

  it("reports the server's actual revision when another writer wins an exact append", async () => {
    const { server, store } = setUp();
    const rival = createEsdbEventStore(server.client(), fastRetry);
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    server.beforeNextAppend('program-1', () =>
      rival.append('program-1', [anEvent(), anEvent()], { expectedRevision: 0 }),
    );

    const refused = store.append('program-1', [anEvent()], { expectedRevision: 0 });

    await expect(refused).rejects.toThrow(StreamRevisionConflictError);
    await expect(refused).rejects.toMatchObject({ expected: 0, actual: 2 });
    expect(await store.readStream('program-1')).toHaveLength(3);
  });

  it('gives up on `stream-exists` after its attempts while rivals keep winning', async () => {
    const { server, store } = setUp({ ...fastRetry, appendAttempts: 2 });
    const rival = createEsdbEventStore(server.client(), fastRetry);
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    const rivalWins = (): Promise<unknown> =>
      rival.append('program-1', [anEvent()], { expectedRevision: 'any' });
    server.beforeNextAppend('program-1', async () => {
      await rivalWins();
      server.beforeNextAppend('program-1', rivalWins);
    });

    await expect(
      store.append('program-1', [anEvent()], { expectedRevision: 'stream-exists' }),
    ).rejects.toMatchObject({ name: 'StreamRevisionConflictError', actual: 2 });
  });

  it('refuses to read an event another client wrote into a ledger stream', async () => {
    const { server, store } = setUp();
    server.foreignWrite('program-1', 'Hacked', { by: 'someone' });
    await expect(store.readStream('program-1')).rejects.toThrow(/not written by the ledger/);
  });

  it('delivers each event once even when the server re-sends the one it subscribes after', async () => {
    const server = new FakeEsdbServer({ resendResumePoint: true });
    const store = createEsdbEventStore(server.client(), fastRetry);
    await store.append('program-1', [anEvent(), anEvent(), anEvent()], {
      expectedRevision: 'no-stream',
    });
    const [, second] = await store.readAll();
    const subscription = store.subscribe({ fromPosition: second?.position });
    const delivered = await take(subscription, 2);
    await store.append('program-1', [anEvent()], { expectedRevision: 2 });
    delivered.push(...(await take(subscription, 1)));
    await subscription.close();

    expect(delivered.map((event) => event.revision)).toEqual([1, 2, 3]);
  });

  it.each([
    ['an unavailable node', new UnavailableError(undefined, 'leader lost')],
    ['denied access', new AccessDeniedError(undefined, 'access denied')],
    // Client/discovery.js discoverEndpoint: no command error, just this.
    ['an undiscoverable cluster', new Error('Failed to discover after 10 attempts.')],
  ])('ends the subscription with %s, for its follower to resubscribe', async (_, error) => {
    const { server, store } = setUp();
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    const subscription = store.subscribe();
    await take(subscription, 1);

    server.dropSubscriptions(error);

    await expect(take(subscription, 1)).rejects.toThrow(error.message);
  });

  it('subscribes from past the head and delivers what comes next', async () => {
    const { store } = setUp();
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    const head = await store.headPosition();
    const subscription = store.subscribe({ fromPosition: head + 1 });
    const next = anEvent();
    const receiving = take(subscription, 1);
    await store.append('program-1', [next], { expectedRevision: 0 });

    expect((await receiving).map((event) => event.eventId)).toEqual([next.eventId]);
    await subscription.close();
  });

  it('ends its subscriptions and releases the client when closed', async () => {
    const { server, store } = setUp();
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    const subscription = store.subscribe();
    await take(subscription, 1);

    await store.close();

    expect(await subscription[Symbol.asyncIterator]().next()).toEqual({
      done: true,
      value: undefined,
    });
    expect(server.disposed).toBe(true);
    expect(server.liveSubscriptions).toBe(0);
  });
});

/** The next `count` events of a subscription, leaving it open. */
async function take(
  subscription: AsyncIterable<RecordedEvent>,
  count: number,
): Promise<RecordedEvent[]> {
  const iterator = subscription[Symbol.asyncIterator]();
  const events: RecordedEvent[] = [];
  while (events.length < count) {
    const next = await iterator.next();
    if (next.done) throw new Error(`subscription ended after ${events.length} of ${count} events`);
    events.push(next.value);
  }
  return events;
}
