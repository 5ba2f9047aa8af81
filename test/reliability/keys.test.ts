/**
 * `ledger keys` against one credentials file, with a real server reading it (issue 14 items 7
 * and 8): eight `ledger keys revoke` processes at once lose none of their revocations, and the
 * server refuses every revoked key; a second key of the same name is refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readCredentials } from '../../src/api/credentials.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';
import { createLedgerFiles, removeAllFiles, startServer, stopAllServers } from './support.ts';

/** Test timeout: eight CLI processes starting at once on a shared machine. */
const EIGHT_CLI_STARTS = 180_000;
const REVOKED = Array.from({ length: 8 }, (_, i) => `clerk-${i}`);

afterAll(async () => {
  await stopAllServers();
  removeAllFiles();
});

describe('ledger keys on one credentials file', () => {
  it(
    '8 parallel `ledger keys revoke`: every key revoked, and the server refuses each',
    async () => {
      const files = createLedgerFiles({
        ...Object.fromEntries(REVOKED.map((name) => [name, 'recorder' as const])),
        survivor: 'auditor',
      });
      const server = await startServer(files);
      for (const name of REVOKED)
        expect((await server.get('/v1/me', { key: files.keys[name]?.key })).status).toBe(200);

      const ledger = ledgerBinary(mkdtempSync(join(tmpdir(), 'ledger-keys-')), {
        LEDGER_CREDENTIALS: files.credentialsPath,
      });
      const runs = await Promise.all(
        REVOKED.map((name) => ledger('keys', 'revoke', files.keys[name]?.id ?? '')),
      );
      for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });

      const stored = readCredentials(files.credentialsPath);
      expect(
        stored
          .filter((k) => k.revokedAt !== null)
          .map((k) => k.name)
          .sort(),
      ).toEqual([...REVOKED].sort());
      // The server sees the file change (a watch, so it may take a moment): each one refused.
      for (const name of REVOKED)
        await vi.waitFor(
          async () => {
            expect((await server.get('/v1/me', { key: files.keys[name]?.key })).status).toBe(401);
          },
          { timeout: 10_000, interval: 20 },
        );
      expect((await server.get('/v1/me', { key: files.keys.survivor?.key })).status).toBe(200);
    },
    EIGHT_CLI_STARTS,
  );

  it('`ledger keys add` with a name already taken: refused (exit 4), one line, file unchanged', async () => {
    const files = createLedgerFiles({ clerk: 'recorder' });
    const ledger = ledgerBinary(mkdtempSync(join(tmpdir(), 'ledger-keys-')), {
      LEDGER_CREDENTIALS: files.credentialsPath,
    });
    const run = await ledger('keys', 'add', '--name', 'clerk', '--role', 'admin');
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(
      /^compliance-ledger: a key named clerk exists already \(id [0-9a-f]{8}\); key names are unique\n$/,
    );
    expect(readCredentials(files.credentialsPath)).toHaveLength(1);
  }, 60_000);
});
