/**
 * What someone with access to a store's storage can do behind the store's back, per store, for
 * the one tamper suite (tamper.test.ts): a fresh copy of an original ledger, edited, opened.
 * Where a store cannot hold an edit, `cannot` says why and the suite skips that case there.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { nodeKey } from '../../src/core/merkle/nodes.ts';
import { createEsdbEventStore } from '../../src/eventstore/esdb/index.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import type { EventStore, RecordedEvent } from '../../src/eventstore/port.ts';
import { openPostgresEventStore } from '../../src/eventstore/postgres/store.ts';
import Database from '../../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import { FakeEsdbServer } from '../eventstore/esdb-fake.ts';
import type { PostgresServer } from '../support/postgres-server.ts';
import { esdbOptions } from './stores.ts';

/** Edits of the stored ledger; events are named by their position. */
export interface RawLedger {
  /** The event's data as the storage holds it (JSON text). */
  dataText(position: number): Promise<string>;
  setDataText(position: number, text: string): Promise<void>;
  /** Replaces the event's stored hash, as a forger who recomputed it would. */
  setHash(position: number, hash: string): Promise<void>;
  deleteEvent(position: number): Promise<void>;
  /** Two whole events trade places in the global order; each stays self-consistent. */
  swapEvents(a: number, b: number): Promise<void>;
  /** Adds an event after the last one, with the fields given (the store's position where it assigns one). */
  insertEvent(event: RecordedEvent): Promise<void>;
  /** Takes the tree's last leaf away, so the events lead the tree. */
  dropLastLeaf(): Promise<void>;
}

export type Edit = 'deleteEvent' | 'invalidJson' | 'dropLastLeaf';

export interface TamperableStore {
  kind: string;
  /** Builds the original ledger with `fill`; each `copy` starts from it. */
  seed(fill: (store: EventStore) => Promise<void>): Promise<void>;
  /** A fresh copy of the original, edited by `edit` behind the store's back, then opened. */
  copy(edit: (raw: RawLedger) => Promise<unknown>): Promise<EventStore>;
  /** Edits this store's storage cannot hold, and why. */
  cannot: Partial<Record<Edit, string>>;
  /**
   * What an audit from a checkpoint signed before an event changed names: the changed leaf
   * where the store keeps its tree, a rewritten root or a fork where the tree is built anew
   * from the events (memory's import, the esdb instance opening).
   */
  changedEventShowsAs: RegExp;
}

/** The audit names the fifth event, the one the suite changes. */
const LEAF_CHANGED =
  /the event at position 5 \(.*\) is not the one signed as leaf 4: it was changed/;

/**
 * Memory keeps nothing outside the process: its copy is the original's events, edited, imported
 * into a fresh store (which builds its tree from them), with the original's signed notes.
 */
export function memoryAccess(): TamperableStore {
  let events: RecordedEvent[] = [];
  let notes: readonly string[] = [];
  return {
    kind: 'memory',
    cannot: {
      deleteEvent: 'a memory store is filled only by appends or an import, which refuse a gap',
      invalidJson: 'a memory store holds parsed values, never text',
      dropLastLeaf: 'an import builds the tree from the events it writes',
    },
    changedEventShowsAs: /the ledger's events give root \S+ at that size: it was rewritten/,
    async seed(fill) {
      const store = openMemoryEventStore();
      await fill(store);
      events = await store.readAll();
      notes = (await store.signedCheckpoints?.notes()) ?? [];
      await store.close();
    },
    async copy(edit) {
      const rows = structuredClone(events);
      const at = (position: number) => rows.findIndex((e) => e.position === position);
      await edit({
        dataText: async (position) => JSON.stringify(rows[at(position)]?.data),
        setDataText: async (position, text) => {
          const i = at(position);
          rows[i] = { ...(rows[i] as RecordedEvent), data: JSON.parse(text) };
        },
        setHash: async (position, hash) => {
          const event = rows[at(position)] as RecordedEvent;
          event.metadata = { ...event.metadata, hash };
        },
        deleteEvent: unsupported,
        swapEvents: async (a, b) => {
          const [i, j] = [at(a), at(b)];
          const [first, second] = [rows[i] as RecordedEvent, rows[j] as RecordedEvent];
          rows[i] = { ...second, position: first.position };
          rows[j] = { ...first, position: second.position };
        },
        insertEvent: async (event) => {
          rows.push(event);
        },
        dropLastLeaf: unsupported,
      });
      const store = openMemoryEventStore();
      await store.importRecorded?.(rows);
      for (const note of notes) await store.signedCheckpoints?.append(note);
      return store;
    },
  };
}

/** A SQLite file, copied and edited through a second connection, as anyone with file access could. */
export function sqliteAccess(folder: () => string): TamperableStore {
  let original = '';
  let copies = 0;
  return {
    kind: 'sqlite',
    cannot: {},
    changedEventShowsAs: LEAF_CHANGED,
    async seed(fill) {
      original = join(folder(), 'original.sqlite');
      const store = openSqliteEventStore(original);
      await fill(store);
      await store.close();
    },
    async copy(edit) {
      const path = join(folder(), `copy-${++copies}.sqlite`);
      await copyFile(original, path);
      const db = new Database(path);
      try {
        const dataOf = db.prepare<[number], string>('SELECT data FROM events WHERE position = ?');
        const move = db.prepare('UPDATE events SET position = ? WHERE position = ?');
        await edit({
          dataText: async (position) => dataOf.pluck().get(position) as string,
          setDataText: async (position, text) => {
            db.prepare('UPDATE events SET data = ? WHERE position = ?').run(text, position);
          },
          setHash: async (position, hash) => {
            db.prepare(
              "UPDATE events SET metadata = json_set(metadata, '$.hash', ?) WHERE position = ?",
            ).run(hash, position);
          },
          deleteEvent: async (position) => {
            db.prepare('DELETE FROM events WHERE position = ?').run(position);
          },
          swapEvents: async (a, b) =>
            db.transaction(() => {
              move.run(-1, a);
              move.run(a, b);
              move.run(b, -1);
            })(),
          insertEvent: async (event) => {
            db.prepare(
              'INSERT INTO events (position, stream, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
            ).run(...eventRow(event));
          },
          dropLastLeaf: async () => {
            // Nodes are keyed in the order the tree completed them: the last leaf and after.
            const size = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
            db.prepare('DELETE FROM merkle_nodes WHERE node >= ?').run(nodeKey(0, size - 1));
          },
        });
      } finally {
        db.close();
      }
      return openSqliteEventStore(path);
    },
  };
}

/** A PostgreSQL database, copied as a template and edited as its superuser. */
export function postgresAccess(server: PostgresServer): TamperableStore {
  let original = '';
  let copies = 0;
  async function admin<T>(database: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: server.url(database) });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  }
  return {
    kind: 'postgres',
    cannot: { invalidJson: 'the json column refuses text that is not JSON' },
    changedEventShowsAs: LEAF_CHANGED,
    async seed(fill) {
      const url = await server.createLedgerDatabase();
      original = new URL(url).pathname.slice(1);
      const store = await openPostgresEventStore(url);
      await fill(store);
      await store.close();
    },
    async copy(edit) {
      const copy = `${original}_copy_${++copies}`;
      await admin('postgres', (db) => db.query(`CREATE DATABASE ${copy} TEMPLATE ${original}`));
      await admin(copy, (db) =>
        edit({
          dataText: async (position) =>
            (
              await db.query<{ data: string }>(
                'SELECT data::text AS data FROM events WHERE position = $1',
                [position],
              )
            ).rows[0]?.data as string,
          setDataText: async (position, text) => {
            await db.query('UPDATE events SET data = $1::json WHERE position = $2', [
              text,
              position,
            ]);
          },
          setHash: async (position, hash) => {
            await db.query(
              "UPDATE events SET metadata = jsonb_set(metadata::jsonb, '{hash}', to_jsonb($1::text))::json WHERE position = $2",
              [hash, position],
            );
          },
          deleteEvent: async (position) => {
            await db.query('DELETE FROM events WHERE position = $1', [position]);
          },
          swapEvents: async (a, b) => {
            await db.query('BEGIN');
            await db.query('ALTER TABLE events DROP CONSTRAINT events_position_check');
            const move = 'UPDATE events SET position = $1 WHERE position = $2';
            await db.query(move, [-1, a]);
            await db.query(move, [a, b]);
            await db.query(move, [b, -1]);
            await db.query('COMMIT');
          },
          insertEvent: async (event) => {
            await db.query(
              'INSERT INTO events (position, stream, revision, event_id, type, data, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7)',
              [...eventRow(event)],
            );
          },
          dropLastLeaf: async () => {
            await db.query(
              'DELETE FROM merkle_nodes WHERE level = 0 AND idx = (SELECT count(*) - 1 FROM events)',
            );
          },
        }),
      );
      return openPostgresEventStore(server.url(copy));
    },
  };
}

/**
 * The KurrentDB double: a copy of the server's log, its records edited in place. It differs:
 * positions are commit offsets (sparse, so a missing event leaves no position gap to see), an
 * inserted event gets the server's next offset, records hold parsed JSON, and each instance
 * rebuilds its tree from $all when it opens, so the tree can never lag the events (and an edit
 * shows as a tree that no longer gives the signed roots).
 */
export function esdbAccess(): TamperableStore {
  let original = new FakeEsdbServer();
  return {
    kind: 'esdb (the KurrentDB double)',
    cannot: {
      invalidJson: 'the double holds parsed JSON',
      dropLastLeaf: 'each instance rebuilds its tree from $all when it opens',
    },
    changedEventShowsAs: /Merkle fork alarm: the checkpoint of tree size 12 has another root/,
    async seed(fill) {
      original = new FakeEsdbServer();
      const store = createEsdbEventStore(original.client(), esdbOptions);
      await fill(store);
      await store.close();
    },
    async copy(edit) {
      const server = original.copy();
      const at = (position: number) =>
        server.log.findIndex((record) => record.position.commit === BigInt(position));
      const record = (position: number) => server.log[at(position)] as (typeof server.log)[0];
      await edit({
        dataText: async (position) => JSON.stringify(record(position).data),
        setDataText: async (position, text) => {
          record(position).data = JSON.parse(text);
        },
        setHash: async (position, hash) => {
          const kept = record(position);
          kept.metadata = { ...(kept.metadata as object), hash };
        },
        deleteEvent: async (position) => {
          server.log.splice(at(position), 1);
        },
        swapEvents: async (a, b) => {
          const [i, j] = [at(a), at(b)];
          const [first, second] = [record(a), record(b)];
          server.log[i] = { ...second, position: first.position };
          server.log[j] = { ...first, position: second.position };
        },
        insertEvent: async (event) =>
          server.foreignWrite(event.stream, event.type, event.data, event.metadata, event.eventId),
        dropLastLeaf: unsupported,
      });
      return createEsdbEventStore(server.client(), esdbOptions);
    },
  };
}

async function unsupported(): Promise<never> {
  throw new Error('this store cannot hold that edit (see its `cannot`)');
}

function eventRow(event: RecordedEvent) {
  return [
    event.position,
    event.stream,
    event.revision,
    event.eventId,
    event.type,
    JSON.stringify(event.data),
    JSON.stringify(event.metadata),
  ] as const;
}
