/**
 * The data files are the owner's alone (issue 14, item 12): the ledger and its -wal and -shm,
 * the read-model checkpoints, the key folders and the folders created for them, 0600 and 0700
 * whatever the umask allows.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
