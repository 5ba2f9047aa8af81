/**
 * The data files are the owner's alone (issue 14, item 12): the ledger and its -wal and -shm,
 * the read-model checkpoints, the key folders and the folders created for them, 0600 and 0700
 * whatever the umask allows.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedExample } from '../../src/cli/seed-example.ts';
import { exportLedger } from '../../src/cli/transfer.ts';
import { openMemoryEventStore } from '../../src/eventstore/memory.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import { createTestFiles, expectRecorded, paths, recordFoundingCase, startApi } from './support.ts';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('data files', () => {
  it.skipIf(process.platform === 'win32')('are created 0600 in folders created 0700', async () => {
    const files = createTestFiles();
    const data = join(files.dir, 'data');
    const ledger = join(data, 'ledger.sqlite');
    const previous = process.umask(0o022);
    try {
      const api = await startApi({
        files,
        store: 'sqlite',
        env: { LEDGER_STORE: `sqlite:${ledger}`, LEDGER_CHECKPOINT_KEY: join(data, 'key') },
      });
      try {
        await recordFoundingCase(api);
        expectRecorded(
          await api.post(paths.program('shipments'), {
            shipmentId: 'modes-1',
            shippedOn: '2006-03-01',
            units: 1,
          }),
        );
        expect(modeOf(data)).toBe('700');
        for (const file of [ledger, `${ledger}-wal`, `${ledger}-shm`])
          expect([file, modeOf(file)]).toEqual([file, '600']);
      } finally {
        await api.close();
      }
      const projections = `${ledger}.projections`;
      expect(modeOf(projections)).toBe('700');
      const saved = readdirSync(projections);
      expect(saved.length).toBeGreaterThan(0);
      for (const name of saved)
        expect([name, modeOf(join(projections, name))]).toEqual([name, '600']);
      expect(modeOf(join(data, 'key'))).toBe('700');
    } finally {
      process.umask(previous);
      files.remove();
    }
  });

  it.skipIf(process.platform === 'win32')(
    'export --out writes the ledger 0600, an existing file too (issue 28, item 8)',
    async () => {
      const files = createTestFiles();
      const previous = process.umask(0o022);
      try {
        const store = openMemoryEventStore();
        await seedExample(store);
        const fresh = join(files.dir, 'fresh.ndjson');
        const existing = join(files.dir, 'existing.ndjson');
        writeFileSync(existing, '', { mode: 0o644 });
        for (const out of [fresh, existing]) {
          expect(await exportLedger(store, out)).toBe(4);
          expect([out, modeOf(out)]).toEqual([out, '600']);
        }
        await store.close();
      } finally {
        process.umask(previous);
        files.remove();
      }
    },
  );

  it('a folder in place of a read-model file: the service starts, rebuilds and saves it (issue 28, item 8)', async () => {
    const files = createTestFiles();
    try {
      const first = await startApi({ files, store: 'sqlite' });
      await recordFoundingCase(first);
      await first.close();
      const projections = `${files.sqliteUrl.slice('sqlite:'.length)}.projections`;
      const saved = readdirSync(projections);
      expect(saved.length).toBeGreaterThan(0);
      for (const name of saved) {
        rmSync(join(projections, name));
        mkdirSync(join(projections, name, 'inside'), { recursive: true });
      }
      const again = await startApi({ files, store: 'sqlite' });
      expect((await again.get(`/v1/programs/${PROGRAM_ID}/status?at=2006-01-01`)).statusCode).toBe(
        200,
      );
      await again.close();
      for (const name of saved) expect(statSync(join(projections, name)).isFile()).toBe(true);
    } finally {
      files.remove();
    }
  });
});
