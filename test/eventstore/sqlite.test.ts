import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StreamRevisionConflictError } from '../../src/eventstore/errors.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import Database from '../../src/eventstore/sqlite/driver.ts';
import {
  type CommittedBatch,
  LedgerSchemaVersionError,
  openSqliteEventStore,
  SQLITE_SCHEMA_VERSION,
} from '../../src/eventstore/sqlite/index.ts';
import { WRITER_YOUNG_GENERATION_MB } from '../../src/eventstore/sqlite/writer-thread.ts';
import { readLedger, verifyLedger } from '../../src/integrity/verify-ledger.ts';
import { createTestFiles, startApi } from '../api/support.ts';
import { anEvent, describeEventStoreContract } from './contract.ts';

describeEventStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-contract-'));
  const path = join(dir, 'ledger.sqlite');
  const store = openSqliteEventStore(path);
  return {
    store,
    reopen: async () => openSqliteEventStore(path),
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('sqlite event store', () => {
  let dir: string;
  let path: string;
  let commits: CommittedBatch[];
  let store: EventStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-sqlite-'));
    path = join(dir, 'nested', 'dirs', 'ledger.sqlite');
    commits = [];
    store = openSqliteEventStore(path, { onCommit: (commit) => commits.push(commit) });
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('group commit', () => {
    it('commits appends made in one burst together, each at its own position', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, writer) =>
          store.append(`program-${writer}`, [anEvent()], { expectedRevision: 'no-stream' }),
        ),
      );

      expect(commits).toEqual([{ appends: 50, events: 50 }]);
      expect(results.map((result) => result.position).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, index) => index + 1),
      );
      const instants = new Set((await store.readAll()).map((event) => event.metadata.recordedAt));
      expect(instants.size).toBe(1);
    });

    it('fails only the conflicting append of a batch; the others see the earlier ones', async () => {
      const outcomes = await Promise.allSettled([
        store.append('program-a', [anEvent()], { expectedRevision: 'no-stream' }),
        store.append('program-a', [anEvent()], { expectedRevision: 'no-stream' }),
        store.append('program-b', [anEvent()], { expectedRevision: 'no-stream' }),
        store.append('program-a', [anEvent()], { expectedRevision: 0 }),
      ]);

      expect(commits).toEqual([{ appends: 4, events: 3 }]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      const refused = outcomes[1] as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(StreamRevisionConflictError);
      expect(refused.reason).toMatchObject({ actual: 0 });
      expect(
        outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.position : 0)),
      ).toEqual([1, 0, 2, 3]);
      expect((await store.readStream('program-a')).map((event) => event.revision)).toEqual([0, 1]);
    });

    it('recognises a retry in the same batch as its original, and the stream head it left', async () => {
      const event = anEvent();
      const [original, retry, next] = await Promise.all([
        store.append('program-a', [event], { expectedRevision: 'no-stream' }),
        store.append('program-a', [event], { expectedRevision: 'no-stream' }),
        store.append('program-a', [anEvent()], { expectedRevision: 0 }),
      ]);

      expect(commits).toEqual([{ appends: 3, events: 2 }]);
      expect(retry).toEqual(original);
      expect(next).toMatchObject({ position: 2, nextExpectedRevision: 1 });
      expect(await verifyLedger(await store.readAll(), { densePositions: true })).toMatchObject({
        ok: true,
        events: 2,
      });
    });

    it('undoes only the rows of an append that fails halfway through a batch', async () => {
      // A trigger stands in for a failure no check foresees (disk full, a constraint).
      const raw = new Database(path);
      raw.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.type = 'Poison'
                BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`);
      raw.close();

      const outcomes = await Promise.allSettled([
        store.append('program-a', [anEvent()], { expectedRevision: 'no-stream' }),
        store.append('program-b', [anEvent(), anEvent({ type: 'Poison' })], {
          expectedRevision: 'no-stream',
        }),
        store.append('program-c', [anEvent()], { expectedRevision: 'no-stream' }),
      ]);

      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
        message: 'poisoned row',
      });
      expect(commits).toEqual([{ appends: 3, events: 2 }]);
      expect(await store.readStream('program-b')).toEqual([]);
      const events = await store.readAll();
      expect(events.map((event) => [event.stream, event.position])).toEqual([
        ['program-a', 1],
        ['program-c', 2],
      ]);
      expect(await verifyLedger(events, { densePositions: true })).toMatchObject({ ok: true });
    });

    it('stores an event as it was when appended, not as the caller changed it before the commit', async () => {
      const event = anEvent({ data: { quantity: 48 } });
      const pending = store.append('program-a', [event], { expectedRevision: 'no-stream' });
      (event.data as { quantity: number }).quantity = 0;
      event.metadata.recordedBy = 'someone else';
      await pending;

      const [stored] = await store.readStream('program-a');
      expect(stored?.data).toEqual({ quantity: 48 });
      expect(stored?.metadata.recordedBy).toBe('contract-test');
      expect(await verifyLedger(await store.readAll())).toMatchObject({ ok: true });
    });

    it('writes appends still queued when it closes', async () => {
      const pending = store.append('program-a', [anEvent()], { expectedRevision: 'no-stream' });
      await store.close();
      expect(await pending).toMatchObject({ position: 1 });

      const reopened = openSqliteEventStore(path);
      try {
        expect(await reopened.readStream('program-a')).toHaveLength(1);
      } finally {
        await reopened.close();
      }
    });
  });

  describe('writer thread', () => {
    it('answers a GET while a commit waits for the disk', async () => {
      // Another connection holds the write lock: the writer's commit waits for it as it would
      // for a slow fsync, and only the thread that commits may be stalled by that.
      const files = createTestFiles();
      const ledger = join(files.dir, 'ledger.sqlite');
      const writing = openSqliteEventStore(ledger, { busyTimeoutMs: 60_000 });
      const api = await startApi({ files, store: 'sqlite' });
      const holder = new Database(ledger);
      try {
        holder.exec('BEGIN IMMEDIATE');
        let settled = false;
        const appending = writing
          .append('program-a', [anEvent()], { expectedRevision: 'no-stream' })
          .finally(() => {
            settled = true;
          });
        // The group commit starts on the next turn of the event loop; this turn comes after it.
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));

        const answered = await api.get('/v1/events', { as: 'auditor' });
        expect(answered.statusCode).toBe(200);
        expect(answered.data.events).toEqual([]);
        expect(settled).toBe(false);

        holder.exec('COMMIT');
        expect(await appending).toMatchObject({ position: 1 });
        // Read your writes: the reporting thread's own connection sees the commit at once.
        expect(await writing.readAll()).toHaveLength(1);
        expect(await api.eventCount('auditor')).toBe(1);
      } finally {
        if (holder.inTransaction) holder.exec('ROLLBACK');
        holder.close();
        await writing.close();
        await api.close();
        files.remove();
      }
    });

    it('caps its young generation (issue 28, item 9)', async () => {
      await store.append('program-a', [anEvent()], { expectedRevision: 'no-stream' });
      // A thread started with the cap has the writer's heap limit; one with V8's default young
      // generation (48 MB on Node 20, more on 24) a larger one.
      const capped = new Worker('setInterval(() => {}, 60_000)', {
        eval: true,
        resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB },
      });
      try {
        await once(capped, 'online');
        const limits = (
          process.report.getReport() as unknown as {
            workers: { javascriptHeap: { memoryLimit: number } }[];
          }
        ).workers.map((worker) => worker.javascriptHeap.memoryLimit);
        const cappedLimit = Math.min(...limits);
        expect(limits.filter((limit) => limit === cappedLimit)).toHaveLength(2);
      } finally {
        await capped.terminate();
      }
    });
  });

  describe('file and schema', () => {
    it('creates the directories, uses WAL and records the schema version', async () => {
      await store.append('program-a', [anEvent()], { expectedRevision: 'no-stream' });
      await store.close();

      const raw = new Database(path, { readonly: true });
      try {
        expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
      } finally {
        raw.close();
      }
    });

    it('refuses a file written by a newer schema, leaving it untouched', async () => {
      await store.append('program-a', [anEvent()], { expectedRevision: 'no-stream' });
      await store.close();
      const raw = new Database(path);
      raw.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
      raw.close();

      expect(() => openSqliteEventStore(path)).toThrow(LedgerSchemaVersionError);
      expect(() => openSqliteEventStore(path)).toThrow(
        `schema version ${SQLITE_SCHEMA_VERSION + 1}, but this build knows only up to ${SQLITE_SCHEMA_VERSION}`,
      );

      const after = new Database(path, { readonly: true });
      try {
        expect(after.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION + 1);
        expect(after.prepare('SELECT count(*) FROM events').pluck().get()).toBe(1);
      } finally {
        after.close();
      }
    });

    it('keeps the ledger verifiable across reopenings', async () => {
      for (let i = 0; i < 3; i++) {
        await store.append('program-a', [anEvent(), anEvent()], { expectedRevision: 'any' });
      }
      await store.close();
      const reopened = openSqliteEventStore(path);
      try {
        await reopened.append('program-a', [anEvent()], { expectedRevision: 5 });
        expect(await verifyLedger(readLedger(reopened), { densePositions: true })).toEqual({
          ok: true,
          events: 7,
          streams: 1,
        });
      } finally {
        await reopened.close();
      }
    });
  });
});
