/**
 * Edits a PostgreSQL ledger behind the store's back, as someone with database access could
 * (the same edits as tamper.test.ts makes to a SQLite file), and checks that verification
 * through the store names the damaged event.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealEvent } from '../../src/core/event-hash.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres/store.ts';
import {
  type LedgerReport,
  readLedger,
  type VerifyOptions,
  verifyLedger,
} from '../../src/integrity/verify-ledger.ts';
import { postgresForSuite } from '../support/postgres-server.ts';
import { anEvent } from './contract.ts';

const server = await postgresForSuite();
afterAll(() => server?.destroy());

const streams = ['specification-1118f', 'program-1118e', 'program-1118f'];
const strict: VerifyOptions = { densePositions: true, monotonicRecordedAt: true };

describe.skipIf(!server)('tampering with a postgres ledger', () => {
  const pgServer = server as NonNullable<typeof server>;
  let original = '';
  let events: RecordedEvent[];
  let copies = 0;

  beforeAll(async () => {
    const url = await pgServer.createLedgerDatabase();
    original = new URL(url).pathname.slice(1);
    const store = await openPostgresEventStore(url);
    for (let round = 0; round < 4; round++) {
      for (const stream of streams) {
        await store.append(
          stream,
          [anEvent({ data: { letter: `Dear American Locker Group, round ${round}`, round } })],
          { expectedRevision: round === 0 ? 'no-stream' : round - 1 },
        );
      }
    }
    events = await store.readAll();
    await store.close();
  });

  async function admin<T>(database: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: pgServer.url(database) });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  }

  /** A fresh copy of the ledger database, edited by `tamper`; returns its URL. */
  async function tampered(tamper: (db: pg.Client) => Promise<unknown>): Promise<string> {
    const copy = `${original}_copy_${++copies}`;
    await admin('postgres', (db) => db.query(`CREATE DATABASE ${copy} TEMPLATE ${original}`));
    await admin(copy, tamper);
    return pgServer.url(copy);
  }

  async function verify(url: string, options?: VerifyOptions): Promise<LedgerReport> {
    const store = await openPostgresEventStore(url);
    try {
      return await verifyLedger(readLedger(store, 5), options);
    } finally {
      await store.close();
    }
  }

  const at = (position: number) => events[position - 1] as RecordedEvent;

  it('verifies the untouched ledger', async () => {
    expect(events).toHaveLength(12);
    expect(await verify(await tampered(async () => {}), strict)).toEqual({
      ok: true,
      events: 12,
      streams: 3,
    });
  });

  it('names an event whose data changed by one byte', async () => {
    const url = await tampered((db) =>
      db.query(
        `UPDATE events SET data = replace(data::text, 'Dear', 'Deer')::json WHERE position = 5`,
      ),
    );
    expect(await verify(url, strict)).toMatchObject({
      ok: false,
      events: 4,
      problem: { kind: 'hash-mismatch', position: 5, stream: at(5).stream },
    });
  });

  it('names where a deleted event is missing', async () => {
    const deleted = at(5);
    const url = await tampered((db) => db.query('DELETE FROM events WHERE position = 5'));
    const nextOfStream = events.find(
      (e) => e.stream === deleted.stream && e.revision === deleted.revision + 1,
    ) as RecordedEvent;
    expect(await verify(url)).toMatchObject({
      ok: false,
      problem: {
        kind: 'revision-gap',
        position: nextOfStream.position,
        stream: deleted.stream,
        revision: deleted.revision + 1,
      },
    });
    expect(await verify(url, strict)).toMatchObject({
      ok: false,
      problem: { kind: 'position-gap', position: 6, stream: at(6).stream },
    });
  });

  it('names the first of two rows whose payloads were swapped', async () => {
    const url = await tampered((db) =>
      db.query(
        `UPDATE events SET data = CASE position WHEN 4 THEN (SELECT data FROM events WHERE position = 7)
                                                 ELSE (SELECT data FROM events WHERE position = 4) END
          WHERE position IN (4, 7)`,
      ),
    );
    expect(await verify(url, strict)).toMatchObject({
      ok: false,
      problem: { kind: 'hash-mismatch', position: 4, stream: at(4).stream },
    });
  });

  it('names the first of two events of a stream whose order was swapped', async () => {
    const [first, later] = events.filter((e) => e.stream === at(4).stream) as [
      RecordedEvent,
      RecordedEvent,
    ];
    const url = await tampered(async (db) => {
      await db.query('BEGIN');
      await db.query('ALTER TABLE events DROP CONSTRAINT events_position_check');
      const move = 'UPDATE events SET position = $1 WHERE position = $2';
      await db.query(move, [-1, first.position]);
      await db.query(move, [first.position, later.position]);
      await db.query(move, [later.position, -1]);
      await db.query('COMMIT');
    });
    expect(await verify(url, strict)).toMatchObject({
      ok: false,
      problem: { kind: 'revision-gap', position: first.position, stream: first.stream },
    });
  });

  it('names a forged event that carries a correct hash of its own', async () => {
    const stream = at(1).stream;
    const history = events.filter((e) => e.stream === stream);
    const forged = {
      ...sealEvent(
        stream,
        history.length,
        (history[0] as RecordedEvent).metadata.hash,
        at(12).metadata.recordedAt,
        anEvent({ data: { letter: 'USPS extends the window indefinitely' } }),
      ),
      position: 13,
    };
    const url = await tampered((db) =>
      db.query(
        'INSERT INTO events (position, stream, revision, event_id, type, data, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [
          forged.position,
          forged.stream,
          forged.revision,
          forged.eventId,
          forged.type,
          JSON.stringify(forged.data),
          JSON.stringify(forged.metadata),
        ],
      ),
    );
    expect(await verify(url, strict)).toMatchObject({
      ok: false,
      events: 12,
      problem: { kind: 'broken-chain', position: 13, stream, eventId: forged.eventId },
    });
  });

  it('refuses appends on a ledger whose events lead its Merkle tree', async () => {
    const url = await tampered((db) =>
      db.query('DELETE FROM merkle_nodes WHERE level = 0 AND idx = 11'),
    );
    const store = await openPostgresEventStore(url);
    try {
      await expect(
        store.append('program-1118e', [anEvent()], { expectedRevision: 'any' }),
      ).rejects.toThrow(/the Merkle tree has 11 leaves but the ledger 12 events/);
      expect(await store.headPosition()).toBe(12);
    } finally {
      await store.close();
    }
  });
});
