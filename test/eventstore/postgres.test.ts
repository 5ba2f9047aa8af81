/**
 * The PostgreSQL store against a real server (test/support/postgres-server.ts): the contract,
 * the global order no reader can see out of order, several stores (as several service
 * instances) on one database, migrations, and the loss of the server under load.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MerkleTree } from '../../src/core/merkle/tree.ts';
import { leafHash, leafInput } from '../../src/core/merkle-leaf.ts';
import { snapshotEvent } from '../../src/eventstore/append-rules.ts';
import { StoreUnavailableError, StreamRevisionConflictError } from '../../src/eventstore/errors.ts';
import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
} from '../../src/eventstore/port.ts';
import { createPool, postgresSettings } from '../../src/eventstore/postgres/config.ts';
import {
  NulCharacterError,
  textArrayLiteral,
  textLiteral,
} from '../../src/eventstore/postgres/literals.ts';
import {
  POSTGRES_SCHEMA_VERSION,
  PostgresSchemaVersionError,
} from '../../src/eventstore/postgres/migrations.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres/store.ts';
import { postgresWriteDriver } from '../../src/eventstore/postgres/write-driver.ts';
import { commitBatch } from '../../src/eventstore/write-path.ts';
import { readLedger, verifyLedger } from '../../src/integrity/verify-ledger.ts';
import { verifyConsistency, verifyInclusion } from '../../src/verify.ts';
import { postgresForSuite } from '../support/postgres-server.ts';
import { anEvent, describeEventStoreContract } from './contract.ts';

const server = await postgresForSuite();
afterAll(() => server?.destroy());

describe.skipIf(!server)('postgres event store', () => {
  const pgServer = server as NonNullable<typeof server>;
  let contractUrl: Promise<string> | undefined;

  describeEventStoreContract('postgres', async () => {
    contractUrl ??= pgServer.createLedgerDatabase();
    const url = await contractUrl;
    const store = await openPostgresEventStore(url);
    return {
      store,
      reopen: () => openPostgresEventStore(url),
      cleanup: () => store.close(),
    };
  });

  /** A fresh ledger database and `count` stores on it, as `count` service instances would open. */
  async function instances(count: number): Promise<{ url: string; stores: EventStore[] }> {
    const url = await pgServer.createLedgerDatabase();
    const stores: EventStore[] = [];
    for (let i = 0; i < count; i++) stores.push(await openPostgresEventStore(url));
    return { url, stores };
  }
  const closeAll = (stores: EventStore[]) => Promise.all(stores.map((store) => store.close()));

  async function sql<T extends pg.QueryResultRow>(
    url: string,
    text: string,
    values: unknown[] = [],
  ): Promise<T[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /**
   * Reads the global order the way a subscriber does (from the last position seen + 1) as fast
   * as it can until `done`, and returns every position it saw arrive out of turn: a reader that
   * saw N + 1 before N would skip N for ever.
   */
  async function outOfTurnPositions(
    readFrom: (from: number) => Promise<number[]>,
    done: () => boolean,
  ): Promise<number[]> {
    const skipped: number[] = [];
    let next = 1;
    for (let last = false; !last; ) {
      last = done();
      for (const position of await readFrom(next)) {
        if (position !== next) skipped.push(next);
        next = position + 1;
      }
    }
    return skipped;
  }

  describe('global order', () => {
    it('the reader used below does catch the trap of a sequence: a later number committed first', async () => {
      const url = await pgServer.createLedgerDatabase();
      await sql(url, 'CREATE TABLE numbered (position bigserial PRIMARY KEY)');
      const slow = new pg.Client({ connectionString: url });
      await slow.connect();
      try {
        await slow.query('BEGIN');
        await slow.query('INSERT INTO numbered DEFAULT VALUES'); // takes 1, not yet committed
        await sql(url, 'INSERT INTO numbered DEFAULT VALUES'); // takes 2, commits at once
        let reads = 0;
        const skipped = await outOfTurnPositions(
          async (from) => {
            const rows = await sql<{ position: number }>(
              url,
              'SELECT position::float8 AS position FROM numbered WHERE position >= $1 ORDER BY position',
              [from],
            );
            // The first read saw 2 alone; only now does 1 commit.
            if (++reads === 1) await slow.query('COMMIT');
            return rows.map((row) => row.position);
          },
          () => reads > 0,
        );
        expect(skipped).toEqual([1]);
      } finally {
        await slow.end();
      }
    });

    it('no reader ever sees a position before every lower one, with four instances appending at once', async () => {
      const { url, stores } = await instances(4);
      const reader = await openPostgresEventStore(url);
      try {
        let writing = true;
        const writers = stores.map(async (store, w) => {
          for (let round = 0; round < 40; round++) {
            await Promise.all(
              Array.from({ length: 8 }, (_, a) =>
                store.append(`order-${w}-${a}`, [anEvent(), anEvent()], {
                  expectedRevision: 'any',
                }),
              ),
            );
          }
        });
        const skipped = outOfTurnPositions(
          async (from) =>
            (await reader.readAll({ fromPosition: from })).map((event) => event.position),
          () => !writing,
        );
        await Promise.all(writers);
        writing = false;
        expect(await skipped).toEqual([]);
        const all = await reader.readAll();
        expect(all.map((event) => event.position)).toEqual(
          Array.from({ length: 4 * 40 * 8 * 2 }, (_, i) => i + 1),
        );
      } finally {
        await closeAll([...stores, reader]);
      }
    });

    it('an append waits for the append lock another transaction holds, then goes after it', async () => {
      const { url, stores } = await instances(1);
      const store = stores[0] as EventStore;
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      try {
        await store.append('before', [anEvent()], { expectedRevision: 'no-stream' });
        await holder.query('BEGIN');
        await holder.query(`SELECT pg_advisory_xact_lock(${0x4c454447}, 1)`);
        let settled = false;
        const waiting = store
          .append('while-held', [anEvent()], { expectedRevision: 'no-stream' })
          .finally(() => {
            settled = true;
          });
        // The append's transaction is queued behind the lock: the server shows it waiting.
        for (;;) {
          const [row] = await sql<{ waiting: number }>(
            pgServer.url(),
            `SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = $1)`,
            [new URL(url).pathname.slice(1)],
          );
          if ((row?.waiting ?? 0) > 0) break;
        }
        expect(settled).toBe(false);
        expect(await store.headPosition()).toBe(1);
        await holder.query('COMMIT');
        expect((await waiting).position).toBe(2);
      } finally {
        await holder.end();
        await closeAll(stores);
      }
    });
  });

  describe('a row that fails where no check foresaw it', () => {
    it('refuses only its own append: the batch is redone append by append, the tree keeps up', async () => {
      const { url, stores } = await instances(1);
      const store = stores[0] as EventStore;
      try {
        // A trigger stands in for a failure no check foresees (a constraint, a row too large).
        await sql(
          url,
          `CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.type = 'Poison' THEN RAISE EXCEPTION 'poisoned row'; END IF; RETURN NEW; END $$;
           CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison()`,
        );
        // One burst: committed as one batch, whose multi-row INSERT the poisoned row fails.
        const outcomes = await Promise.allSettled([
          store.append('a', [anEvent()], { expectedRevision: 'no-stream' }),
          store.append('b', [anEvent(), anEvent({ type: 'Poison' })], {
            expectedRevision: 'no-stream',
          }),
          store.append('c', [anEvent()], { expectedRevision: 'no-stream' }),
          store.append('a', [anEvent()], { expectedRevision: 0 }),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual([
          'fulfilled',
          'rejected',
          'fulfilled',
          'fulfilled',
        ]);
        expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/poisoned row/);
        const events = await store.readAll();
        expect(events.map((e) => [e.stream, e.position])).toEqual([
          ['a', 1],
          ['c', 2],
          ['a', 3],
        ]);
        const merkle = store.merkle as NonNullable<EventStore['merkle']>;
        expect(await merkle.size()).toBe(3);
        const tree = new MerkleTree();
        for (const e of events) tree.append(leafHash(leafInput(e)));
        expect(Buffer.from(await merkle.root())).toEqual(Buffer.from(tree.root()));
        expect(await verifyLedger(readLedger(store), { densePositions: true })).toMatchObject({
          ok: true,
        });
      } finally {
        await closeAll(stores);
      }
    });
  });

  describe('the write sent with COMMIT (one round trip)', () => {
    it('a unique constraint the plan cannot foresee, failing at COMMIT, refuses only its own append', async () => {
      const { url, stores } = await instances(1);
      const store = stores[0] as EventStore;
      try {
        await sql(url, `CREATE UNIQUE INDEX one_per_ref ON events ((data ->> 'ref'))`);
        await store.append('first', [anEvent({ data: { ref: 'R-0' } })], {
          expectedRevision: 'no-stream',
        });
        // One burst, one batch: its rows and COMMIT go in one round trip, which the second
        // R-1 fails with 23505 (a conflict); the batch is redone append by append.
        const outcomes = await Promise.allSettled([
          store.append('a', [anEvent({ data: { ref: 'R-1' } })], { expectedRevision: 'no-stream' }),
          store.append('b', [anEvent({ data: { ref: 'R-1' } })], { expectedRevision: 'no-stream' }),
          store.append('c', [anEvent({ data: { ref: 'R-2' } })], { expectedRevision: 'no-stream' }),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
        const events = await store.readAll();
        expect(events.map((e) => [e.stream, e.position])).toEqual([
          ['first', 1],
          ['a', 2],
          ['c', 3],
        ]);
        const tree = new MerkleTree();
        for (const e of events) tree.append(leafHash(leafInput(e)));
        const merkle = store.merkle as NonNullable<EventStore['merkle']>;
        expect(Buffer.from(await merkle.root())).toEqual(Buffer.from(tree.root()));
        expect(await verifyLedger(readLedger(store), { densePositions: true })).toMatchObject({
          ok: true,
        });
        // The connection went back to the pool clean: the next append commits.
        expect(
          (await store.append('d', [anEvent()], { expectedRevision: 'no-stream' })).position,
        ).toBe(4);
      } finally {
        await closeAll(stores);
      }
    });

    it('the connection lost during that round trip: refused as unavailable, nothing written, the next append goes on', async () => {
      const { url, stores } = await instances(1);
      const store = stores[0] as EventStore;
      const admin = new pg.Client({ connectionString: pgServer.url() });
      await admin.connect();
      try {
        await sql(
          url,
          `CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.type = 'Slow' THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END $$;
           CREATE TRIGGER slow BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION slow()`,
        );
        await store.append('kept', [anEvent()], { expectedRevision: 'no-stream' });
        const lost = store.append('lost', [anEvent({ type: 'Slow' })], {
          expectedRevision: 'no-stream',
        });
        // The backend sleeping in the INSERT sent with COMMIT is ended, as a crash would.
        for (let ended = 0; ended === 0; ) {
          const { rows } = await admin.query<{ ended: number }>(
            `SELECT count(pg_terminate_backend(pid))::int AS ended FROM pg_stat_activity
              WHERE datname = $1 AND query LIKE '%INSERT INTO events%COMMIT%' AND pid <> pg_backend_pid()`,
            [new URL(url).pathname.slice(1)],
          );
          ended = rows[0]?.ended ?? 0;
        }
        await expect(lost).rejects.toThrow(StoreUnavailableError);
        const next = await store.append('next', [anEvent()], { expectedRevision: 'no-stream' });
        expect(next.position).toBe(2);
        expect((await store.readAll()).map((e) => e.stream)).toEqual(['kept', 'next']);
        expect(await verifyLedger(readLedger(store), { densePositions: true })).toMatchObject({
          ok: true,
        });
      } finally {
        await admin.end();
        await closeAll(stores);
      }
    });

    /** Round trips of the write path while `work` runs (not the listener's LISTEN). */
    async function roundTrips(work: () => Promise<unknown>): Promise<number> {
      const query = vi.spyOn(pg.Client.prototype, 'query');
      try {
        await work();
        return query.mock.calls.filter(([text]) => !String(text).startsWith('LISTEN')).length;
      } finally {
        query.mockRestore();
      }
    }

    it("a store's next commit plans on the state its last one left: one round trip, checked by the server", async () => {
      const { url, stores } = await instances(1);
      const other = stores[0] as EventStore;
      // The driver alone, without the store's listener: only the server's guard tells it that
      // another instance moved on.
      const pool = createPool(postgresSettings(url));
      const driver = postgresWriteDriver(pool);
      const append = async (event: EventToAppend, expectedRevision: ExpectedRevision) => {
        const batch = [{ stream: 's', expectedRevision, events: [snapshotEvent('s', event)] }];
        const [outcome] = await commitBatch(driver, batch);
        if (!outcome?.ok) throw outcome?.error;
        return outcome.result;
      };
      try {
        const first = anEvent();
        expect(await roundTrips(() => append(first, 'no-stream'))).toBe(2);
        expect(await roundTrips(() => append(anEvent(), 0))).toBe(1);
        // A refusal on that state is checked in one round trip too.
        let refused: unknown;
        expect(
          await roundTrips(() => append(anEvent(), 0).catch((error) => (refused = error))),
        ).toBe(1);
        expect(refused).toBeInstanceOf(StreamRevisionConflictError);
        // A retry of a stored event: the server refuses the plan (its id is stored), and the
        // batch is planned again on what a read answers, which recognises the retry.
        expect(await append(first, 'no-stream')).toMatchObject({
          position: 1,
          nextExpectedRevision: 0,
        });
        // Another instance moves the stream on: the known head (revision 1) is stale. Planned
        // on it, the right expected revision would be refused, writing nothing; the server
        // refuses that plan, and read afresh the append goes through.
        await other.append('s', [anEvent()], { expectedRevision: 1 });
        let result: AppendResult | undefined;
        expect(
          await roundTrips(async () => {
            result = await append(anEvent(), 2);
          }),
        ).toBe(4); // the refused plan, ROLLBACK, then the read and the write
        expect(result).toMatchObject({ position: 4, nextExpectedRevision: 3 });
        const events = await other.readAll();
        expect(events.map((e) => [e.stream, e.revision, e.position])).toEqual([
          ['s', 0, 1],
          ['s', 1, 2],
          ['s', 2, 3],
          ['s', 3, 4],
        ]);
        const tree = new MerkleTree();
        for (const e of events) tree.append(leafHash(leafInput(e)));
        const merkle = other.merkle as NonNullable<EventStore['merkle']>;
        expect(Buffer.from(await merkle.root())).toEqual(Buffer.from(tree.root()));
        expect(await verifyLedger(readLedger(other), { densePositions: true })).toMatchObject({
          ok: true,
          events: 4,
        });
      } finally {
        await pool.end();
        await closeAll(stores);
      }
    });

    it('the tree edge and stream heads a store carries from commit to commit are the ones a read would give', async () => {
      const { stores } = await instances(1);
      const store = stores[0] as EventStore;
      try {
        // Batches of 1 to 7 appends over 5 streams, 45 events: every tree size up to 45 is an
        // edge the next batch plans on without reading it.
        let round = 0;
        for (let events = 0; events < 45; round++) {
          const size = (round % 7) + 1;
          await Promise.all(
            Array.from({ length: size }, (_, i) =>
              store.append(`carried-${(round + i) % 5}`, [anEvent()], { expectedRevision: 'any' }),
            ),
          );
          events += size;
        }
        const all = await store.readAll();
        const expected = new MerkleTree();
        for (const event of all) expected.append(leafHash(leafInput(event)));
        const merkle = store.merkle as NonNullable<EventStore['merkle']>;
        for (const size of [1, 2, 7, 16, 31, all.length]) {
          expect(Buffer.from(await merkle.root(size))).toEqual(Buffer.from(expected.root(size)));
        }
        expect(await verifyLedger(readLedger(store), { densePositions: true })).toMatchObject({
          ok: true,
          events: all.length,
        });
      } finally {
        await closeAll(stores);
      }
    });

    it("a store that heard another instance's commit reads the state again instead of planning on what it left", async () => {
      const { stores } = await instances(2);
      const [a, b] = stores as [EventStore, EventStore];
      const live = a.subscribe({ fromPosition: 1 });
      try {
        await a.append('s', [anEvent()], { expectedRevision: 'no-stream' });
        await b.append('s', [anEvent()], { expectedRevision: 0 });
        // `a`'s listener heard both commits once its subscription delivered both.
        let seen = 0;
        for await (const _ of live) if (++seen === 2) break;
        expect(await roundTrips(() => a.append('s', [anEvent()], { expectedRevision: 1 }))).toBe(2);
        expect((await a.readStream('s')).map((e) => e.position)).toEqual([1, 2, 3]);
      } finally {
        await live.close();
        await closeAll(stores);
      }
    });

    it('literals read back exactly the text they carry, quotes and backslashes included, under either string syntax', async () => {
      const client = new pg.Client({ connectionString: pgServer.url() });
      await client.connect();
      const text = fc
        .oneof(
          fc.string({ unit: 'binary-ascii' }),
          fc.string({ unit: 'grapheme' }),
          fc.constantFrom("'; DROP TABLE x; --", "\\'", "E'\\\\'", "''", '\\', '$$', '\\x00'),
        )
        .filter((s) => !s.includes('\u0000'));
      try {
        for (const conforming of ['on', 'off']) {
          await client.query(`SET standard_conforming_strings = ${conforming}`);
          await client.query('SET escape_string_warning = off');
          await fc.assert(
            fc.asyncProperty(text, fc.array(text, { maxLength: 4 }), async (one, many) => {
              // The simple query protocol, as the write path sends them.
              const { rows } = await client.query<{ one: string; many: string[] }>(
                `SELECT ${textLiteral(one)} AS one, ${textArrayLiteral(many)} AS many`,
              );
              expect(rows).toEqual([{ one, many }]);
            }),
            { numRuns: 200 },
          );
        }
      } finally {
        await client.end();
      }
      // PostgreSQL's text cannot hold U+0000, and a query's text would end there.
      expect(() => textLiteral('a\u0000b')).toThrow(NulCharacterError);
    });
  });

  describe('several instances on one database', () => {
    it('exactly one winner per revision, one chain, one tree, and every instance sees every write', async () => {
      const { stores } = await instances(3);
      try {
        const feeds = stores.map((store) => store.subscribe({ fromPosition: 1 }));
        const outcomes = await Promise.allSettled(
          Array.from({ length: 30 }, (_, i) =>
            (stores[i % 3] as EventStore).append('contested', [anEvent()], {
              expectedRevision: i < 3 ? 'no-stream' : Math.floor(i / 3) - 1,
            }),
          ),
        );
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o) => o.status === 'rejected');
        for (const o of lost) expect(o.reason).toBeInstanceOf(StreamRevisionConflictError);
        const history = await (stores[1] as EventStore).readStream('contested');
        expect(history.length).toBe(won.length);
        expect(history.map((e) => e.revision)).toEqual(history.map((_, i) => i));

        // A retry through another instance is recognised: same result, nothing written.
        const retried = anEvent({ idempotencyKey: 'k-1' });
        const first = await (stores[0] as EventStore).append('keyed', [retried], {
          expectedRevision: 'no-stream',
        });
        expect(
          await (stores[2] as EventStore).append('keyed', [retried], {
            expectedRevision: 'no-stream',
          }),
        ).toEqual(first);

        const all = await (stores[2] as EventStore).readAll();
        expect(all.map((e) => e.position)).toEqual(all.map((_, i) => i + 1));
        expect(
          await verifyLedger(readLedger(stores[0] as EventStore), { densePositions: true }),
        ).toMatchObject({
          ok: true,
          events: all.length,
        });

        // Each instance's live subscription delivers every instance's events, in order.
        for (const feed of feeds) {
          const seen: RecordedEvent[] = [];
          for await (const event of feed) {
            seen.push(event);
            if (seen.length === all.length) break;
          }
          expect(seen.map((e) => e.eventId)).toEqual(all.map((e) => e.eventId));
        }
        await Promise.all(feeds.map((feed) => feed.close()));

        const expected = new MerkleTree();
        for (const event of all) expected.append(leafHash(leafInput(event)));
        for (const store of stores) {
          const merkle = store.merkle as NonNullable<EventStore['merkle']>;
          expect(await merkle.size()).toBe(all.length);
          expect(Buffer.from(await merkle.root()).toString('hex')).toBe(
            Buffer.from(expected.root()).toString('hex'),
          );
        }
      } finally {
        await closeAll(stores);
      }
    });

    it('answers roots and proofs of any size that verify against a tree computed from scratch', async () => {
      const { stores } = await instances(2);
      try {
        const [a, b] = stores as [EventStore, EventStore];
        for (let i = 0; i < 37; i++)
          await (i % 2 ? a : b).append(`tree-${i % 5}`, [anEvent()], { expectedRevision: 'any' });
        const events = await a.readAll();
        const merkle = b.merkle as NonNullable<EventStore['merkle']>;
        const expected = new MerkleTree();
        for (const event of events) expected.append(leafHash(leafInput(event)));
        for (const size of [1, 2, 3, 8, 13, 32, 37]) {
          const root = await merkle.root(size);
          expect(Buffer.from(root)).toEqual(Buffer.from(expected.root(size)));
          for (const leaf of [0, Math.floor(size / 2), size - 1]) {
            const proof = await merkle.inclusionProof(leaf, size);
            const hash = leafHash(leafInput(events[leaf] as RecordedEvent));
            expect(verifyInclusion(hash, leaf, size, proof, root)).toBe(true);
          }
          for (const older of [1, Math.ceil(size / 3), size]) {
            const proof = await merkle.consistencyProof(older, size);
            expect(verifyConsistency(older, size, proof, expected.root(older), root)).toBe(true);
          }
        }
        expect(await merkle.leafIndexOf((events[20] as RecordedEvent).eventId)).toBe(20);
        expect(await merkle.leafIndexOf('no-such-event')).toBeNull();
        await expect(merkle.root(38)).rejects.toThrow(RangeError);
      } finally {
        await closeAll(stores);
      }
    });

    it('keeps the signed notes of every instance, in the order they were appended', async () => {
      const { stores } = await instances(2);
      try {
        const [a, b] = stores.map((s) => s.signedCheckpoints) as [
          NonNullable<EventStore['signedCheckpoints']>,
          NonNullable<EventStore['signedCheckpoints']>,
        ];
        await a.append('note 1');
        await Promise.all([b.append('note 2'), a.append('note 3')]);
        const notes = await b.notes();
        expect(notes[0]).toBe('note 1');
        expect([...notes.slice(1)].sort()).toEqual(['note 2', 'note 3']);
        expect(await a.notes(1)).toEqual(notes.slice(1));
        // Witnesses' cosignatures, kept in the database beside the notes (migration step 4).
        await Promise.all([
          a.addCosignature({ treeSize: 1, line: '\u2014 w1 AAAA\n' }),
          b.addCosignature({ treeSize: 1, line: '\u2014 w2 BBBB\n' }),
        ]);
        const cosignatures = await b.cosignatures();
        expect([...cosignatures].sort((x, y) => x.line.localeCompare(y.line))).toEqual([
          { treeSize: 1, line: '\u2014 w1 AAAA\n' },
          { treeSize: 1, line: '\u2014 w2 BBBB\n' },
        ]);
        expect(await a.cosignatures(1)).toEqual(cosignatures.slice(1));
      } finally {
        await closeAll(stores);
      }
    });
  });

  describe('schema', () => {
    it('runs as a role without superuser rights, and refuses a database of a newer build untouched', async () => {
      const { url, stores } = await instances(1);
      await (stores[0] as EventStore).append('kept', [anEvent()], {
        expectedRevision: 'no-stream',
      });
      await closeAll(stores);
      expect(await sql(url, 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).toEqual([
        { rolsuper: false },
      ]);
      expect(await sql(url, 'SELECT version FROM ledger_schema')).toEqual([
        { version: POSTGRES_SCHEMA_VERSION },
      ]);
      await sql(url, 'UPDATE ledger_schema SET version = $1', [POSTGRES_SCHEMA_VERSION + 1]);
      await expect(openPostgresEventStore(url)).rejects.toThrow(PostgresSchemaVersionError);
      expect(await sql(url, 'SELECT count(*)::int AS n FROM events')).toEqual([{ n: 1 }]);
    });

    it('migrates once when instances start together', async () => {
      const url = await pgServer.createLedgerDatabase();
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openPostgresEventStore(url)),
      );
      await closeAll(stores);
      expect(await sql(url, 'SELECT version FROM ledger_schema')).toEqual([
        { version: POSTGRES_SCHEMA_VERSION },
      ]);
    });

    it('takes pool size and statement timeout from the URL, and refuses bad values', () => {
      const settings = postgresSettings(
        'postgres://u:p@db:5432/ledger?sslmode=disable&pool_size=4&statement_timeout=2500',
      );
      expect(settings).toEqual({
        connectionString: 'postgres://u:p@db:5432/ledger?sslmode=disable',
        poolSize: 4,
        statementTimeoutMs: 2500,
      });
      expect(postgresSettings('postgresql://db/ledger')).toMatchObject({
        poolSize: 10,
        statementTimeoutMs: 30_000,
      });
      expect(() => postgresSettings('postgres://db/ledger?pool_size=0')).toThrow(/pool_size/);
      expect(() => postgresSettings('postgres://db/ledger?statement_timeout=soon')).toThrow(
        /statement_timeout/,
      );
    });
  });

  // Last: it stops the suite's server (and starts it again).
  describe('the server stopped at once under load, then started again', () => {
    it('refuses as unavailable meanwhile, loses no acknowledged write, and subscriptions catch up', async () => {
      const { stores } = await instances(2);
      const [a, b] = stores as [EventStore, EventStore];
      // On `a`, which writes nothing after the restart: only its listener, connected again,
      // can wake it for `b`'s append then.
      const live = a.subscribe({ fromPosition: 1 });
      const delivered: RecordedEvent[] = [];
      const following = (async () => {
        for await (const event of live) delivered.push(event);
      })();
      try {
        /** eventId -> position of every append acknowledged. */
        const acked = new Map<string, number>();
        const refusals: unknown[] = [];
        let enoughAcked: () => void = () => {};
        const enough = new Promise<void>((resolve) => {
          enoughAcked = resolve;
        });
        const writers = Array.from({ length: 8 }, async (_, w) => {
          // Each writer appends until the database refuses it once.
          for (;;) {
            const event = anEvent();
            try {
              const result = await a.append(`burst-${w}`, [event], { expectedRevision: 'any' });
              acked.set(event.eventId, result.position);
              if (acked.size >= 100) enoughAcked();
            } catch (error) {
              refusals.push(error);
              return;
            }
          }
        });
        await enough;
        await pgServer.stopImmediately();
        await Promise.all(writers);
        expect(refusals).toHaveLength(8);
        for (const refusal of refusals) expect(refusal).toBeInstanceOf(StoreUnavailableError);
        await expect(a.headPosition()).rejects.toThrow(StoreUnavailableError);
        await expect(
          b.append('during-outage', [anEvent()], { expectedRevision: 'any' }),
        ).rejects.toThrow(StoreUnavailableError);

        await pgServer.start();
        const after = await b.append('after-restart', [anEvent()], { expectedRevision: 'any' });

        const all = await a.readAll();
        const byId = new Map(all.map((event) => [event.eventId, event.position]));
        const missing = [...acked].filter(([id, position]) => byId.get(id) !== position);
        expect(missing, 'acknowledged appends missing or moved').toEqual([]);
        expect(all.map((e) => e.position)).toEqual(all.map((_, i) => i + 1));
        expect(after.position).toBe(all.length);
        expect(await verifyLedger(readLedger(a), { densePositions: true })).toMatchObject({
          ok: true,
        });
        const tree = a.merkle as NonNullable<EventStore['merkle']>;
        expect(await tree.size()).toBe(all.length);

        // The subscription outlived the restart and delivered everything once, in order.
        while (delivered.length < all.length) await new Promise((r) => setTimeout(r, 20));
        expect(delivered.map((e) => e.eventId)).toEqual(all.map((e) => e.eventId));
      } finally {
        await live.close();
        await following;
        await closeAll(stores);
      }
    }, 120_000);
  });
});
