/**
 * The review findings of issue 16, each shown first on the fake server (behaving as KurrentDB
 * v25.1.4's source does, cited per test) and then against the adapter.
 */
import { randomUUID } from 'node:crypto';
import {
  DeadlineExceededError,
  jsonEvent,
  NO_STREAM,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ProjectionDefinition } from '../../projections/definition.ts';
import {
  AppendTooLargeError,
  DeletedStreamError,
  EventIdConflictError,
} from '../../src/eventstore/errors.ts';
import { createEsdbEventStore, type EsdbStoreOptions } from '../../src/eventstore/esdb/index.ts';
import { startProjections } from '../../src/projections/runtime.ts';
import { anEvent } from './contract.ts';
import { FakeEsdbServer, SERVER_LIMITS } from './esdb-fake.ts';

const fast: Partial<EsdbStoreOptions> = { retry: { baseDelayMs: 1, maxDelayMs: 5 } };

function setUp(options: Partial<EsdbStoreOptions> = fast, server = new FakeEsdbServer()) {
  return { server, store: createEsdbEventStore(server.client(), options) };
}

/** Counts the events it saw, in order. */
const seen: ProjectionDefinition<string[]> = {
  name: 'seen',
  version: 1,
  initialState: () => [],
  apply: (state, event) => {
    state.push(event.eventId);
    return state;
  },
  toJSON: (state) => state,
  fromJSON: (json) => json as string[],
};

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('1. a failed cluster discovery', () => {
  it('keeps the projections resubscribing for ever, not ready meanwhile, and loses nothing', async () => {
    const { server, store } = setUp();
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    const runtime = await startProjections(store, [seen], {
      retry: { baseDelayMs: 1, maxDelayMs: 4 },
    });
    expect(runtime.following.up).toBe(true);

    // Client/discovery.js: every call fails with a plain Error, the subscription too.
    server.becomeUnreachable();
    await until(() => runtime.following.failures >= 5);
    expect(runtime.following).toMatchObject({
      up: false,
      lastError: 'Failed to discover after 10 attempts.',
    });

    server.becomeReachable();
    const later = await store.append('program-1', [anEvent()], { expectedRevision: 0 });
    await runtime.waitFor(later.position);
    expect(runtime.following.up).toBe(true);
    expect(runtime.state(seen)).toEqual((await store.readAll()).map((e) => e.eventId));
    await runtime.close();
    await store.close();
  });
});

describe('2. a foreign event in $all', () => {
  it('is skipped by reads, the head and subscriptions, and counted', async () => {
    const { server, store } = setUp();
    const counted = async () =>
      (await register.getSingleMetricAsString('ledger_esdb_foreign_events_skipped_total')).match(
        /_total (\d+)/,
      )?.[1];
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    server.foreignWrite('orders-7', 'OrderPlaced', { total: 3 });
    server.foreignWrite('typed-in-the-ui', 'Note', { text: 'hi' }, { $correlationId: 'x' });
    const before = Number(await counted());

    const ledger = await store.readAll();
    expect(ledger.map((e) => e.stream)).toEqual(['program-1']);
    expect(await store.headPosition()).toBe(ledger[0]?.position);
    // The Merkle follower counts them too, as it meets them.
    expect(Number(await counted())).toBeGreaterThanOrEqual(before + 2);

    const subscription = store.subscribe();
    const next = subscription[Symbol.asyncIterator]();
    expect((await next.next()).value).toMatchObject({ stream: 'program-1' });
    const mine = await store.append('program-2', [anEvent()], { expectedRevision: 'no-stream' });
    expect((await next.next()).value).toMatchObject({ eventId: mine.events[0]?.eventId });
    await subscription.close();
  });
});

describe('3. a stale append whose event ids match', () => {
  it('is answered success by the server without comparing content (IndexWriter.cs CheckCommit 210-251)', async () => {
    const server = new FakeEsdbServer();
    const client = server.client();
    const id = randomUUID();
    await client.appendToStream('s', jsonEvent({ id, type: 'A', data: { n: 1 } }), {
      expectedRevision: NO_STREAM,
    });
    const stale = await client.appendToStream('s', jsonEvent({ id, type: 'B', data: { n: 2 } }), {
      expectedRevision: NO_STREAM,
    });
    expect(stale).toMatchObject({ success: true, nextExpectedRevision: 0n });
    expect(server.log.filter((r) => r.streamId === 's')).toHaveLength(1);
  });

  it('is caught by the adapter: the second of two requests with one key but other bodies conflicts', async () => {
    const { server, store } = setUp();
    const rival = createEsdbEventStore(server.client(), fast);
    const id = randomUUID();
    const first = { ...anEvent({ data: { units: 10 } }), eventId: id };
    const second = { ...anEvent({ data: { units: 99 } }), eventId: id };
    // The rival's append commits between our read of the stream and our append.
    server.beforeNextAppend('program-1', () =>
      rival.append('program-1', [first], { expectedRevision: 'no-stream' }),
    );

    await expect(
      store.append('program-1', [second], { expectedRevision: 'no-stream' }),
    ).rejects.toThrow(EventIdConflictError);
    const stored = await store.readStream('program-1');
    expect(stored.map((e) => e.data)).toEqual([{ units: 10 }]);
  });

  it('still answers a genuine concurrent retry (same content) with the original result', async () => {
    const { server, store } = setUp();
    const rival = createEsdbEventStore(server.client(), fast);
    const event = anEvent({ data: { units: 10 } });
    let original: unknown;
    server.beforeNextAppend('program-1', async () => {
      original = await rival.append('program-1', [event], { expectedRevision: 'no-stream' });
    });

    const retried = await store.append('program-1', [structuredClone(event)], {
      expectedRevision: 'no-stream',
    });
    expect(retried).toEqual(original);
  });
});

describe('4. deleted streams', () => {
  it('on the server, "no stream" to a soft-deleted stream lands at the old last revision + 1 (IndexWriter.cs 228-229, SoftUndeleteStream)', async () => {
    const server = new FakeEsdbServer();
    const client = server.client();
    for (let i = 0; i < 3; i++) {
      await client.appendToStream('s', jsonEvent({ type: 'E', data: { i } }));
    }
    server.softDelete('s');
    const result = await client.appendToStream('s', jsonEvent({ type: 'E', data: {} }), {
      expectedRevision: NO_STREAM,
    });
    expect(result.nextExpectedRevision).toBe(3n);
  });

  it('refuses to append to a soft-deleted ledger stream, writing nothing', async () => {
    const { server, store } = setUp();
    await store.append('program-1', [anEvent(), anEvent()], { expectedRevision: 'no-stream' });
    server.softDelete('program-1');
    const logged = server.log.length;

    expect(await store.readStream('program-1')).toEqual([]);
    await expect(
      store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' }),
    ).rejects.toThrow(DeletedStreamError);
    await expect(
      store.append('program-1', [anEvent()], { expectedRevision: 'any' }),
    ).rejects.toThrow(/soft-deleted or truncated/);
    expect(server.log.length).toBe(logged);
  });

  it('turns a tombstone (IndexWriter.cs 162-163) into DeletedStreamError on appends and reads', async () => {
    const { server, store } = setUp();
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    server.tombstone('program-1');

    await expect(store.readStream('program-1')).rejects.toThrow(DeletedStreamError);
    await expect(store.append('program-1', [anEvent()], { expectedRevision: 0 })).rejects.toThrow(
      DeletedStreamError,
    );
  });
});

describe('5. deadlines', () => {
  it.each(['deadline-after-commit', 'deadline-before-commit'] as const)(
    'finds out what became of an append answered %s, and writes it once',
    async (fault) => {
      const { server, store } = setUp();
      await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
      server.answerNextAppend('program-1', fault);
      const batch = [anEvent(), anEvent()];

      const result = await store.append('program-1', batch, { expectedRevision: 0 });

      const stored = await store.readStream('program-1');
      expect(stored.map((e) => e.eventId)).toEqual([
        expect.any(String),
        ...batch.map((e) => e.eventId),
      ]);
      expect(result.events.map((e) => e.position)).toEqual(stored.slice(1).map((e) => e.position));
    },
  );

  it('passes the error on when every re-send stays unanswered, having written nothing', async () => {
    const { server, store } = setUp({ ...fast, appendResends: 1 });
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    const logged = server.log.length;
    // The append and its one re-send both go unanswered.
    server.answerNextAppend('program-1', 'deadline-before-commit');
    server.answerNextAppend('program-1', 'deadline-before-commit');
    await expect(
      store.append('program-1', [anEvent()], { expectedRevision: 0 }),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
    // Only the id reservation was written.
    expect(server.log.slice(logged).map((r) => r.type)).toEqual(['$ledger-event-id-reserved']);
  });

  it('lets an append to another stream through while one waits on the server', async () => {
    const { server, store } = setUp();
    // While program-1's append is at the server, program-2's append runs to its end: with one
    // commit turn for the whole process this would deadlock.
    let other: unknown;
    server.beforeNextAppend('program-1', async () => {
      other = await store.append('program-2', [anEvent()], { expectedRevision: 'no-stream' });
    });
    await store.append('program-1', [anEvent()], { expectedRevision: 'no-stream' });
    expect(other).toMatchObject({ stream: 'program-2', nextExpectedRevision: 0 });
  });
});

describe('6. sparse positions', () => {
  it('never turns a failed read from a position into a scan of $all from the start', async () => {
    const { server, store } = setUp();
    for (let i = 0; i < 3; i++) {
      await store.append('program-1', [anEvent()], { expectedRevision: 'any' });
    }
    const all = await store.readAll();
    const scans = server.fullScans;
    server.failNextReads(new UnavailableError(undefined, 'leader lost'));

    await expect(store.readAll({ fromPosition: (all[0]?.position ?? 0) + 1 })).rejects.toThrow(
      UnavailableError,
    );
    expect(server.fullScans).toBe(scans);
  });
});

describe('7. limits and formats', () => {
  it('refuses an append over the limit before writing anything, reservations included', async () => {
    const { server, store } = setUp();
    const logged = server.log.length;
    const big = anEvent({ data: { text: 'x'.repeat(1024 * 1024) } });

    await expect(
      store.append('program-1', [big], { expectedRevision: 'no-stream' }),
    ).rejects.toThrow(AppendTooLargeError);
    expect(server.log.length).toBe(logged);
  });

  it("maps the server's own refusal (Streams.Append.cs 71-73) to the same error", async () => {
    const server = new FakeEsdbServer({ limits: SERVER_LIMITS['eventstoredb-24.10'] });
    const { store } = setUp({ ...fast, maxAppendBytes: 4 * 1024 * 1024 }, server);
    const events = [1, 2, 3].map(() => anEvent({ data: { text: 'x'.repeat(400 * 1024) } }));

    await expect(
      store.append('program-1', events, { expectedRevision: 'no-stream' }),
    ).rejects.toThrow(AppendTooLargeError);
    expect(await store.readStream('program-1')).toEqual([]);
  });

  it('refuses an event id that is not a lowercase UUID, which would read back changed', async () => {
    const { store } = setUp();
    const event = { ...anEvent(), eventId: randomUUID().toUpperCase() };
    await expect(
      store.append('program-1', [event], { expectedRevision: 'no-stream' }),
    ).rejects.toThrow(/lowercase UUID/);
    expect(await store.readAll()).toEqual([]);
  });

  it('on the server, an uppercase id comes back lowercase', async () => {
    const server = new FakeEsdbServer();
    const id = randomUUID().toUpperCase();
    await server.client().appendToStream('s', jsonEvent({ id, type: 'E', data: {} }));
    expect(server.log.at(-1)?.id).toBe(id.toLowerCase());
  });
});

describe('the fake itself', () => {
  it('answers WrongExpectedVersion to a stale append whose first id differs', async () => {
    const server = new FakeEsdbServer();
    const client = server.client();
    await client.appendToStream('s', jsonEvent({ type: 'A', data: {} }));
    await expect(
      client.appendToStream('s', jsonEvent({ type: 'B', data: {} }), {
        expectedRevision: NO_STREAM,
      }),
    ).rejects.toThrow(WrongExpectedVersionError);
  });
});
