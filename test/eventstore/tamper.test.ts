/**
 * Edits a closed SQLite ledger behind the store's back, as someone with file access could, and
 * checks that verification through the store names the damaged event.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealEvent } from '../../src/core/event-hash.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import Database from '../../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import {
  type LedgerReport,
  readLedger,
  type VerifyOptions,
  verifyLedger,
} from '../../src/integrity/verify-ledger.ts';
import { anEvent } from './contract.ts';

const streams = ['specification-1118f', 'program-1118e', 'program-1118f'];
const strict: VerifyOptions = { densePositions: true, monotonicRecordedAt: true };

describe('tampering with a sqlite ledger', () => {
  let dir: string;
  let original: string;
  /** The untouched ledger, in global order. */
  let events: RecordedEvent[];
  let copies = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-tamper-'));
    original = join(dir, 'original.sqlite');
    const store = openSqliteEventStore(original);
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

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh copy of the ledger, edited by `tamper` through a second connection. */
  async function tampered(tamper: (db: BetterSqlite3.Database) => void): Promise<string> {
    const path = join(dir, `copy-${++copies}.sqlite`);
    await copyFile(original, path);
    const db = new Database(path);
    try {
      tamper(db);
    } finally {
      db.close();
    }
    return path;
  }

  async function verify(path: string, options?: VerifyOptions): Promise<LedgerReport> {
    const store = openSqliteEventStore(path);
    try {
      return await verifyLedger(readLedger(store, 5), options);
    } finally {
      await store.close();
    }
  }

  function at(position: number): RecordedEvent {
    return events[position - 1] as RecordedEvent;
  }

  it('verifies the untouched ledger', async () => {
    expect(events).toHaveLength(12);
    expect(await verify(await tampered(() => {}), strict)).toEqual({
      ok: true,
      events: 12,
      streams: 3,
    });
  });

  it('names an event whose data changed by one byte', async () => {
    const path = await tampered((db) => {
      const data = db.prepare('SELECT data FROM events WHERE position = 5').pluck().get() as string;
      const edited = data.replace('Dear', 'Deer');
      expect(edited).not.toBe(data);
      db.prepare('UPDATE events SET data = ? WHERE position = 5').run(edited);
    });

    const report = await verify(path, strict);

    expect(report).toMatchObject({
      ok: false,
      events: 4,
      problem: { kind: 'hash-mismatch', position: 5, stream: at(5).stream },
    });
  });

  it('names where a deleted event is missing', async () => {
    const deleted = at(5);
    const path = await tampered((db) => {
      db.prepare('DELETE FROM events WHERE position = 5').run();
    });
    const nextOfStream = events.find(
      (event) => event.stream === deleted.stream && event.revision === deleted.revision + 1,
    ) as RecordedEvent;

    expect(await verify(path)).toMatchObject({
      ok: false,
      problem: {
        kind: 'revision-gap',
        position: nextOfStream.position,
        stream: deleted.stream,
        revision: deleted.revision + 1,
      },
    });
    expect(await verify(path, strict)).toMatchObject({
      ok: false,
      problem: { kind: 'position-gap', position: 6, stream: at(6).stream },
    });
  });

  it('names the first of two rows whose payloads were swapped', async () => {
    const path = await tampered((db) => {
      const dataOf = db.prepare('SELECT data FROM events WHERE position = ?').pluck();
      const [four, seven] = [dataOf.get(4), dataOf.get(7)];
      const update = db.prepare('UPDATE events SET data = ? WHERE position = ?');
      update.run(seven, 4);
      update.run(four, 7);
    });

    expect(await verify(path, strict)).toMatchObject({
      ok: false,
      problem: { kind: 'hash-mismatch', position: 4, stream: at(4).stream },
    });
  });

  it('names the first of two events of a stream whose order was swapped', async () => {
    const [first, later] = events.filter((event) => event.stream === at(4).stream) as [
      RecordedEvent,
      RecordedEvent,
    ];
    const path = await tampered((db) => {
      // Whole events trade places; each stays self-consistent, only the order is wrong.
      const move = db.prepare('UPDATE events SET position = ? WHERE position = ?');
      db.transaction(() => {
        move.run(-1, first.position);
        move.run(first.position, later.position);
        move.run(later.position, -1);
      })();
    });

    expect(await verify(path, strict)).toMatchObject({
      ok: false,
      problem: { kind: 'revision-gap', position: first.position, stream: first.stream },
    });
  });

  it('names a forged event that carries a correct hash of its own', async () => {
    const stream = at(1).stream;
    const history = events.filter((event) => event.stream === stream);
    const forged = {
      ...sealEvent(
        stream,
        history.length,
        // Forks the chain after revision 0, as if later letters had never arrived.
        (history[0] as RecordedEvent).metadata.hash,
        at(12).metadata.recordedAt,
        anEvent({ data: { letter: 'USPS extends the window indefinitely' } }),
      ),
      position: 13,
    };
    const path = await tampered((db) => {
      db.prepare(
        'INSERT INTO events (position, stream, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(
        forged.position,
        forged.stream,
        forged.revision,
        forged.eventId,
        forged.type,
        JSON.stringify(forged.data),
        JSON.stringify(forged.metadata),
      );
    });

    expect(await verify(path, strict)).toMatchObject({
      ok: false,
      events: 12,
      problem: { kind: 'broken-chain', position: 13, stream, eventId: forged.eventId },
    });
  });

  it('names the row when an edit leaves data that is not JSON', async () => {
    const path = await tampered((db) => {
      db.prepare(`UPDATE events SET data = substr(data, 2) WHERE position = 8`).run();
    });

    await expect(verify(path, strict)).rejects.toThrow(
      `ledger row at position 8 (stream ${at(8).stream}) holds invalid JSON in data`,
    );
  });
});
