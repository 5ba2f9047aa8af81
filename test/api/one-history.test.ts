/**
 * One history for everyone (issue 25, docs/design.md §7): an insider who rolls the store back
 * (an old copy of the ledger put back) or rewrites it (the newest kept checkpoints deleted, an
 * event changed with its hashes resealed and the tree rebuilt) finds the server not ready, the
 * integrity alarm raised and no second root signed for a size it had signed; `ledger audit`
 * with a note the server signed exits 1 naming the size and both roots. A genuinely new ledger
 * with the same key folder starts cleanly. Run on SQLite and on a real PostgreSQL server.
 */

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAtStart, checkpointsOf, type Ledger } from '../../src/composition/open-ledger.ts';
import { hashEvent } from '../../src/core/event-hash.ts';
import { createEsdbEventStore } from '../../src/eventstore/esdb/index.ts';
import { openEventStore } from '../../src/eventstore/open.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import { generateSigningKey } from '../../src/integrity/checkpoint.ts';
import { openLedgerCheckpoints } from '../../src/integrity/ledger-checkpoints.ts';
import { START_EXIT, StartupError } from '../../src/startup.ts';
import { verifyReceipt } from '../../src/verify.ts';
import { anEvent } from '../eventstore/contract.ts';
import { FakeEsdbServer } from '../eventstore/esdb-fake.ts';
import { REPO_ROOT } from '../reliability/support.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';
import { postgresForSuite } from '../support/postgres-server.ts';
import {
  createTestFiles,
  expectProblem,
  expectRecorded,
  metricValue,
  paths,
  recordFoundingCase,
  signCheckpoint,
  startApi,
  type TestApi,
  type TestFiles,
} from './support.ts';

const pg = await postgresForSuite();
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await pg?.destroy();
});

const ORIGIN = 'compliance-ledger.local/ledger';
const shipment = (shipmentId: string) => ({ shipmentId, shippedOn: '2006-03-01', units: 5 });

interface Note {
  treeSize: number;
  rootHash: string;
  note: string;
}

/** Where the ledger lives, and how an insider copies it away and puts a copy in its place. */
interface Backend {
  name: string;
  /** A new, empty store (`name` tells SQLite files apart). */
  empty(files: TestFiles, name?: string): Promise<string>;
  /** Copies the stopped ledger away; the function puts the copy back, giving the store's URL. */
  copyAway(url: string, files: TestFiles): Promise<() => Promise<string>>;
  /** A store holding exactly these events and kept notes in place of `url`; its URL. */
  replace(url: string, files: TestFiles, events: RecordedEvent[], notes: string[]): Promise<string>;
}

const sqliteFiles = (url: string) => {
  const path = url.slice('sqlite:'.length);
  return [path, `${path}-wal`, `${path}-shm`, `${path}.projections`];
};

const sqlite: Backend = {
  name: 'SQLite',
  empty: async (files, name) =>
    name === undefined ? files.sqliteUrl : `sqlite:${join(files.dir, `${name}.sqlite`)}`,
  async copyAway(url, files) {
    // The ledger file and its read models, as an operator would back them up.
    const copies = join(files.dir, `copy-${Date.now()}`);
    for (const file of sqliteFiles(url))
      if (existsSync(file))
        cpSync(file, join(copies, file.split('/').at(-1) as string), { recursive: true });
    return async () => {
      for (const file of sqliteFiles(url)) rmSync(file, { recursive: true, force: true });
      for (const name of readdirSync(copies))
        cpSync(join(copies, name), join(files.dir, name), { recursive: true });
      return url;
    };
  },
  async replace(url, _files, events, notes) {
    for (const file of sqliteFiles(url).slice(0, 3)) rmSync(file, { force: true });
    await fill(url, events, notes);
    return url;
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  empty: async () => (pg as NonNullable<typeof pg>).createLedgerDatabase(),
  async copyAway(url) {
    // A dump of the database, restored later into a database of its own (pg_restore's effect).
    const { events, notes } = await contents(url);
    return async () => {
      const restored = await (pg as NonNullable<typeof pg>).createLedgerDatabase();
      await fill(restored, events, notes);
      return restored;
    };
  },
  async replace(_url, _files, events, notes) {
    const replaced = await (pg as NonNullable<typeof pg>).createLedgerDatabase();
    await fill(replaced, events, notes);
    return replaced;
  },
};

/** Every event and every kept note of a store. */
async function contents(url: string): Promise<{ events: RecordedEvent[]; notes: string[] }> {
  const store = await openEventStore(url);
  try {
    return {
      events: await store.readAll({ fromPosition: 1, limit: 100_000 }),
      notes: [...((await store.signedCheckpoints?.notes()) ?? [])],
    };
  } finally {
    await store.close();
  }
}

/** Writes events as recorded (the store rebuilds its tree) and notes into an empty store. */
async function fill(url: string, events: RecordedEvent[], notes: string[]): Promise<void> {
  const store = await openEventStore(url);
  try {
    await store.importRecorded?.(events);
    for (const note of notes) await store.signedCheckpoints?.append(note);
  } finally {
    await store.close();
  }
}

/** The events with the one at `position` changed and every hash after it in its stream resealed. */
function rewritten(events: RecordedEvent[], position: number): RecordedEvent[] {
  const target = events.find((e) => e.position === position) as RecordedEvent;
  let prevHash: string | undefined;
  return events.map((event) => {
    if (event.stream !== target.stream || event.revision < target.revision) return event;
    const data =
      event.position === position ? { ...(event.data as object), units: 500 } : event.data;
    const metadata = { ...event.metadata, prevHash: prevHash ?? event.metadata.prevHash };
    const hash = hashEvent({ ...event, data, metadata });
    prevHash = hash;
    return { ...event, data, metadata: { ...metadata, hash } };
  });
}

async function start(files: TestFiles, url: string): Promise<TestApi> {
  // No cadence: every signature in these tests is one the test asked for.
  const api = await startApi({
    files,
    env: { LEDGER_STORE: url, LEDGER_CHECKPOINT_INTERVAL_MS: '0' },
  });
  cleanups.push(() => api.close());
  return api;
}

async function keptNotes(api: TestApi): Promise<Note[]> {
  const response = await api.get('/v1/ledger/checkpoints?limit=1000', { as: 'auditor' });
  expect(response.statusCode, response.body).toBe(200);
  return response.data.items;
}

/** Every root each size was ever signed with, across every note seen: one each, or equivocation. */
function rootsBySize(notes: Note[]): Map<number, Set<string>> {
  const roots = new Map<number, Set<string>>();
  for (const note of notes) {
    const set = roots.get(note.treeSize) ?? new Set();
    set.add(note.rootHash);
    roots.set(note.treeSize, set);
  }
  return roots;
}

async function expectAlarm(api: TestApi, size: number, root: string, how: RegExp) {
  const ready = await api.get('/readyz', { as: null });
  expect(ready.statusCode).toBe(503);
  expect(ready.data.detail).toMatch(/^integrity alarm: /);
  expect(ready.data.detail).toContain(`the server signed tree size ${size} with root ${root}`);
  expect(ready.data.detail).toMatch(how);
  expect(await metricValue(api, 'ledger_integrity_alarm')).toBe(1);
  expect(api.app.ledger.alarm.raised).toMatch(how);
}

/** Writes, then asks for a signature: refused as a fork; nothing new is kept. */
async function expectNoSecondRoot(api: TestApi, before: Note[], signed: Note[], writes: number) {
  for (let i = 0; i < writes; i++)
    expectRecorded(await api.post(paths.program('shipments'), shipment(`after-${i}`)));
  expectProblem(
    await api.post('/v1/ledger/checkpoints', undefined, { as: 'admin' }),
    500,
    'merkle-fork',
  );
  const after = await keptNotes(api);
  expect(after).toEqual(before);
  for (const [size, roots] of rootsBySize([...signed, ...after]))
    expect(roots.size, `tree size ${size} signed with ${[...roots].join(' and ')}`).toBe(1);
}

async function audit(files: TestFiles, url: string, note: Note) {
  const trusted = join(files.dir, `trusted-${note.treeSize}.checkpoint`);
  writeFileSync(trusted, note.note);
  return ledgerBinary(files.dir)(
    '--store',
    url,
    'audit',
    '--trusted',
    trusted,
    '--key-dir',
    join(files.dir, 'checkpoint-key'),
  );
}

async function expectAuditFails(files: TestFiles, url: string, note: Note, how: RegExp) {
  const run = await audit(files, url, note);
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr).toContain(`tree size ${note.treeSize} with root ${note.rootHash}`);
  expect(run.stderr).toMatch(how);
}

const backends = [sqlite, ...(pg ? [postgres] : [])];

describe.each(backends)('one history on $name', (backend) => {
  it('a ledger copied back over a newer one: not ready, alarm, no second root, audit exits 1', async () => {
    const files = createTestFiles();
    cleanups.push(files.remove);
    const url = await backend.empty(files);
    const first = await start(files, url);
    await recordFoundingCase(first);
    const early: Note = await signCheckpoint(first);
    await first.close();

    const putBack = await backend.copyAway(url, files);
    const second = await start(files, url);
    for (let i = 0; i < 3; i++)
      expectRecorded(await second.post(paths.program('shipments'), shipment(`lost-${i}`)));
    const late: Note = await signCheckpoint(second);
    const signed = await keptNotes(second);
    await second.close();

    const restored = await putBack();
    // Shorter than the note the auditor holds: tampering (exit 1), not a store failure.
    await expectAuditFails(files, restored, late, /the ledger holds only \d+ events .*rolled back/);

    const third = await start(files, restored);
    const before = await keptNotes(third);
    expect(before.at(-1)?.treeSize).toBe(early.treeSize);
    await expectAlarm(third, late.treeSize, late.rootHash, /rolled back or cut/);
    // Exactly as many writes as were lost: the tree is back at the size of `late`, with another root.
    await expectNoSecondRoot(third, before, signed, late.treeSize - early.treeSize);
    await third.close();

    for (const note of signed.filter((n) => n.treeSize > early.treeSize))
      await expectAuditFails(
        files,
        restored,
        note,
        /events give root \S+ at that size: it was rewritten/,
      );
  });

  it('newest kept checkpoints deleted and an event rewritten: not ready, alarm, no second root, audit exits 1', async () => {
    const files = createTestFiles();
    cleanups.push(files.remove);
    const url = await backend.empty(files);
    const api = await start(files, url);
    await recordFoundingCase(api);
    const kept: Note = await signCheckpoint(api);
    for (const batch of ['b', 'c'])
      for (let i = 0; i < 2; i++)
        expectRecorded(await api.post(paths.program('shipments'), shipment(`${batch}-${i}`)));
    await signCheckpoint(api);
    expectRecorded(await api.post(paths.program('shipments'), shipment('d-0')));
    const last: Note = await signCheckpoint(api);
    const signed = await keptNotes(api);
    await api.close();

    // The insider's edit: rows after `kept` deleted, the first shipment after it changed.
    const { events, notes } = await contents(url);
    const survivors = signed.filter((n) => n.treeSize <= kept.treeSize).map((n) => n.note);
    expect(notes.slice(0, survivors.length)).toEqual(survivors);
    const edited = await backend.replace(
      url,
      files,
      rewritten(events, kept.treeSize + 1),
      survivors,
    );

    const again = await start(files, edited);
    const before = await keptNotes(again);
    expect(before).toEqual(signed.filter((n) => n.treeSize <= kept.treeSize));
    await expectAlarm(again, last.treeSize, last.rootHash, /it was rewritten/);
    // The read models sealed for this ledger (beside a SQLite file) show it too.
    if (backend === sqlite)
      expect(again.app.ledger.alarm.raised).toMatch(
        /read-model checkpoint \S+ was sealed by this server for this ledger, but the ledger at position \d+ is not the one sealed/,
      );
    // No write needed: the rewritten tree has the size of `last`, with another root.
    await expectNoSecondRoot(again, before, signed, 0);
    await again.close();

    for (const note of signed.filter((n) => n.treeSize > kept.treeSize))
      await expectAuditFails(
        files,
        edited,
        note,
        /events give root \S+ at that size: it was rewritten/,
      );
  });

  it('a ledger cut below the checkpoints it keeps: not ready, alarm, audit exits 1 (not 5)', async () => {
    const files = createTestFiles();
    cleanups.push(files.remove);
    const url = await backend.empty(files);
    const api = await start(files, url);
    await recordFoundingCase(api);
    const kept: Note = await signCheckpoint(api);
    expectRecorded(await api.post(paths.program('shipments'), shipment('cut-0')));
    const last: Note = await signCheckpoint(api);
    await api.close();

    // The newest event deleted, every kept checkpoint left in place.
    const { events, notes } = await contents(url);
    const cut = await backend.replace(url, files, events.slice(0, kept.treeSize), notes);
    await expectAuditFails(
      files,
      cut,
      last,
      /the ledger holds only \d+ events .*rolled back or cut/,
    );
    const again = await start(files, cut);
    await expectAlarm(again, last.treeSize, last.rootHash, /rolled back or cut/);
    await again.close();
  });

  it('a new ledger (empty, seeded or imported into an empty store) with the same key folder starts cleanly', async () => {
    const files = createTestFiles();
    cleanups.push(files.remove);
    const oldUrl = await backend.empty(files);
    const old = await start(files, oldUrl);
    await recordFoundingCase(old);
    await signCheckpoint(old);
    await old.close();
    const { events } = await contents(oldUrl);

    const empty = await backend.empty(files, 'empty');
    const seeded = await backend.empty(files, 'seeded');
    const seed = await ledgerBinary(files.dir)(
      '--store',
      seeded,
      'seed-example',
      '--key-dir',
      join(files.dir, 'checkpoint-key'),
    );
    expect(seed.code, seed.stderr).toBe(0);
    const imported = await backend.empty(files, 'imported');
    await fill(imported, events, []);
    for (const url of [empty, seeded, imported]) {
      const api = await start(files, url);
      expect((await api.get('/readyz', { as: null })).statusCode, url).toBe(200);
      expect(api.app.ledger.alarm.raised).toBeNull();
      expect(await metricValue(api, 'ledger_integrity_alarm')).toBe(0);
      await api.close();
    }

    // The empty one grows and signs: a record of its own starts beside the key.
    const fresh = await start(files, empty);
    await recordFoundingCase(fresh);
    const signed = await signCheckpoint(fresh);
    expect(signed.treeSize).toBeGreaterThan(0);
    expect((await fresh.get('/readyz', { as: null })).statusCode).toBe(200);
    expect(fresh.app.ledger.alarm.raised).toBeNull();
    await fresh.close();
  });

  it('a store whose kept checkpoints another key signed refuses to start: one line, exit 78', async () => {
    const files = createTestFiles();
    cleanups.push(files.remove);
    const url = await backend.empty(files);
    const api = await start(files, url);
    await recordFoundingCase(api);
    await signCheckpoint(api);
    await api.close();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: '0',
        LEDGER_STORE: url,
        LEDGER_CREDENTIALS: files.credentialsPath,
        LEDGER_CHECKPOINT_KEY: join(files.dir, 'another-key'),
        LOG_LEVEL: 'warn',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(START_EXIT.config);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^compliance-ledger: cannot start: LEDGER_CHECKPOINT_KEY \S+another-key: kept checkpoint 1 does not verify with .*signed with another key/,
    );
  });
});

describe('reading never signs', () => {
  it('100 receipts and reports read while writes arrive sign nothing; they cite the last kept checkpoint', async () => {
    const files = createTestFiles();
    cleanups.push(files.remove);
    const api = await start(files, files.sqliteUrl);
    await recordFoundingCase(api, { tdp: true });
    const cited: Note = await signCheckpoint(api);
    const before = await keptNotes(api);
    const key = (await api.get('/v1/ledger/checkpoint/public-key', { as: 'auditor' })).data
      .verifierKey;
    // A write before every fifth read: each of those reads finds the ledger grown.
    for (let i = 0; i < 100; i++) {
      if (i % 5 === 0)
        expectRecorded(await api.post(paths.program('shipments'), shipment(`while-reading-${i}`)));
      const response = await api.get(
        i % 2 === 0
          ? `/v1/programs/${PROGRAM_ID}/status/receipt?at=2007-09-10`
          : `/v1/programs/${PROGRAM_ID}/audit-report?format=json&at=2007-09-10`,
        { as: 'auditor' },
      );
      expect(response.statusCode, response.body).toBe(200);
      const checkpoint =
        i % 2 === 0 ? verifyReceipt(response.body, key).checkpoint : response.data.checkpoint;
      expect(checkpoint).toMatchObject({ treeSize: cited.treeSize, rootHash: cited.rootHash });
    }
    expect(await keptNotes(api)).toEqual(before);
    // Once the writes are in, a read says how far the ledger grew past the cited checkpoint.
    const receipt = await api.get(`/v1/programs/${PROGRAM_ID}/status/receipt?at=2007-09-10`, {
      as: 'auditor',
    });
    expect(receipt.headers['ledger-events-since-checkpoint']).toBe('20');
    const report = await api.get(`/v1/programs/${PROGRAM_ID}/audit-report?format=json`, {
      as: 'auditor',
    });
    expect(report.data.checkpoint.eventsSince).toBe(20);
    await api.close();
  });
});

describe('on KurrentDB (the double)', () => {
  it('a database whose kept checkpoints another key signed refuses to start: one line, exit 78', async () => {
    const server = new FakeEsdbServer();
    const folder = mkdtempSync(join(tmpdir(), 'ledger-esdb-key-'));
    cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
    const config = {
      LEDGER_STORE: 'esdb://fake:2113?tls=false',
      LEDGER_CHECKPOINT_KEY: folder,
      LEDGER_ORIGIN: ORIGIN,
    };
    const first = createEsdbEventStore(server.client(), {
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    const signing = openLedgerCheckpoints(first, {
      key: () => generateSigningKey(ORIGIN),
      origin: ORIGIN,
    });
    await first.append('program-1', [anEvent()], { expectedRevision: 'any' });
    await signing?.latest();
    await first.close();

    const store = createEsdbEventStore(server.client(), {
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    cleanups.push(() => store.close());
    const checkpoints = checkpointsOf(store, config);
    const refused = checkAtStart({ checkpoints } as Ledger, config);
    await expect(refused).rejects.toThrow(StartupError);
    await expect(refused).rejects.toMatchObject({ exitCode: START_EXIT.config });
    await expect(refused).rejects.toThrow(
      new RegExp(
        `^LEDGER_CHECKPOINT_KEY ${folder}: kept checkpoint 1 does not verify with [^\\n]*signed with another key`,
      ),
    );
  });
});
