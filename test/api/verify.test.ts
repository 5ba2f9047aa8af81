/**
 * GET /v1/ledger/verify runs the same checks as `compliance-ledger verify`: on a store with
 * dense positions, a dropped last event of a stream (which no hash chain shows) is a
 * position gap. Before the composition root the API checked the chains only and said ok.
 */

import { afterEach, describe, expect, it } from 'vitest';
import Database from '../../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import { anEvent } from '../eventstore/contract.ts';
import { createTestFiles, startApi, type TestFiles } from './support.ts';

let files: TestFiles | undefined;
afterEach(() => files?.remove());

describe('GET /v1/ledger/verify', () => {
  it('names a position gap that the hash chains cannot show', async () => {
    files = createTestFiles();
    const path = files.sqliteUrl.slice('sqlite:'.length);
    const store = openSqliteEventStore(path);
    await store.append('a', [anEvent()], { expectedRevision: 'no-stream' });
    await store.append('b', [anEvent()], { expectedRevision: 'no-stream' });
    await store.append('a', [anEvent()], { expectedRevision: 0 });
    await store.close();

    const intact = await startApi({ files, store: 'sqlite' });
    const before = await intact.get('/v1/ledger/verify', { as: 'auditor' });
    expect(before.data).toMatchObject({ ok: true, events: 3 });
    await intact.app.close();

    // Stream b's only event goes: every chain is still sound, position 2 is missing.
    const db = new Database(path);
    db.prepare('DELETE FROM events WHERE position = 2').run();
    db.close();

    const api = await startApi({ files, store: 'sqlite' });
    try {
      const after = await api.get('/v1/ledger/verify', { as: 'auditor' });
      expect(after.statusCode).toBe(200);
      expect(after.data).toMatchObject({
        ok: false,
        events: 1,
        problem: { position: 3, kind: 'position-gap' },
      });
    } finally {
      await api.app.close();
    }
  });
});
