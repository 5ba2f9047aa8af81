/**
 * `compliance-ledger backup --out FILE`: a consistent copy of a SQLite ledger taken while the
 * ledger is open and written (its latest commits still in the `-wal` file), which an auditor's
 * `verify` accepts; it never overwrites a file and refuses stores it cannot copy.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';

const folder = mkdtempSync(join(tmpdir(), 'ledger-backup-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const ledger = ledgerBinary(folder);

describe('compliance-ledger backup', () => {
  it('copies a ledger that is open and being written, commits in the -wal included; verify passes on the copy', async () => {
    const path = join(folder, 'live.sqlite');
    expect((await ledger('--store', `sqlite:${path}`, 'seed-example')).code).toBe(0);
    const store = openSqliteEventStore(path);
    try {
      for (let i = 0; i < 5; i++)
        await store.append(
          `backup-${randomUUID()}`,
          [
            {
              eventId: randomUUID(),
              type: 'BackupTested',
              data: { i },
              metadata: {
                recordedBy: 'test',
                correlationId: randomUUID(),
                causationId: null,
                schemaVersion: 1,
              },
            },
          ],
          { expectedRevision: 'no-stream' },
        );
      // The writer still holds the ledger open: its last commits are in the -wal file.
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
      const copy = join(folder, 'copy.sqlite');
      const run = await ledger('--store', `sqlite:${path}`, 'backup', '--out', copy);
      expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(new RegExp(`^ledger copied to ${copy} \\(\\d+ pages\\)\\n$`));
      expect(statSync(copy).mode & 0o777).toBe(0o600);

      const verified = await ledger('--store', `sqlite:${copy}`, '--json', 'verify');
      expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, events: 9, streams: 8 });

      // Never over a file that exists.
      writeFileSync(join(folder, 'taken.sqlite'), 'mine');
      const refused = await ledger(
        '--store',
        `sqlite:${path}`,
        'backup',
        '--out',
        join(folder, 'taken.sqlite'),
      );
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(/already exists/);
    } finally {
      await store.close();
    }
  });

  it('refuses a store that is not a sqlite: file, naming the database tool to use (exit 4)', async () => {
    const out = join(folder, 'pg.sqlite');
    const run = await ledger(
      '--store',
      'postgres://ledger@127.0.0.1:1/ledger',
      'backup',
      '--out',
      out,
    );
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/pg_dump/);
    expect(existsSync(out)).toBe(false);
  });
});
