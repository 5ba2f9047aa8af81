import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { leafHash, leafInput } from '../../src/core/merkle-leaf.ts';
import Database from '../../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import { generateSigningKey, signNote } from '../../src/integrity/checkpoint.ts';
import { verifyCheckpoint, verifyInclusion } from '../../src/verify.ts';
import {
  createLedgerFiles,
  registerPrograms,
  removeAllFiles,
  shipment,
  startServer,
  stopAllServers,
} from '../reliability/support.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';

const folder = mkdtempSync(join(tmpdir(), 'ledger-audit-'));
afterAll(async () => {
  await stopAllServers();
  removeAllFiles();
  rmSync(folder, { recursive: true, force: true });
});

const ledger = ledgerBinary(folder);

/** Appends `count` events to the SQLite file, as the server would. */
async function appendEvents(path: string, count: number): Promise<void> {
  const store = openSqliteEventStore(path);
  try {
    for (let i = 0; i < count; i++)
      await store.append(
        `audit-${randomUUID()}`,
        [
          {
            eventId: randomUUID(),
            type: 'AuditTested',
            data: { note: `appended ${i}` },
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
  } finally {
    await store.close();
  }
}

function onFile(path: string, sql: string): void {
  const db = new Database(path);
  db.prepare(sql).run();
  db.close();
}

describe('ledger checkpoint, proof inclusion and audit on a store', () => {
  const keyDir = join(folder, 'key');
  const vkey = () => readFileSync(join(keyDir, 'checkpoint-key.vkey'), 'utf8').trim();

  /** A seeded store with a trusted checkpoint of size 3 taken by `ledger checkpoint`, then 4 more events, signed at size 7. */
  async function ledgerWithTrustedCheckpoint(name: string) {
    const path = join(folder, `${name}.sqlite`);
    const store = `sqlite:${path}`;
    const trusted = join(folder, `${name}.note`);
    // Seeding begins the checkpoint history itself (the empty tree, then the seeded one).
    expect((await ledger('--store', store, 'seed-example', '--key-dir', keyDir)).code).toBe(0);
    const saved = await ledger(
      '--store',
      store,
      'checkpoint',
      '--key-dir',
      keyDir,
      '--out',
      trusted,
    );
    expect(saved, saved.stderr).toMatchObject({ code: 0, stdout: '' });
    expect(saved.stderr).toBe(`checkpoint of tree size 4 written to ${trusted}\n`);
    await appendEvents(path, 4);
    // The server signs on its own cadence; here `ledger checkpoint` signs the grown tree.
    expect((await ledger('--store', store, 'checkpoint', '--key-dir', keyDir)).code).toBe(0);
    return { path, store, trusted };
  }

  it('checkpoint refuses a first checkpoint of a ledger with events (exit 4) unless a new history is started', async () => {
    // Events written with no signer at all: a history lost, or never begun.
    const path = join(folder, 'no-history.sqlite');
    const store = `sqlite:${path}`;
    await appendEvents(path, 4);
    const refused = await ledger('--store', store, 'checkpoint', '--key-dir', keyDir);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(
      /^compliance-ledger: no signed checkpoint is kept but the tree has 4 leaves: .*--start-new-history`\n$/,
    );
    const started = await ledger(
      '--store',
      store,
      '--json',
      'checkpoint',
      '--start-new-history',
      '--key-dir',
      keyDir,
    );
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout).treeSize).toBe(4);
  });

  it('seed-example and import begin the checkpoint history themselves: the empty tree, then the filled one', async () => {
    const seeded = join(folder, 'seeded-history.sqlite');
    expect(
      (await ledger('--store', `sqlite:${seeded}`, 'seed-example', '--key-dir', keyDir)).code,
    ).toBe(0);
    const keptSizes = (path: string) => {
      const db = new Database(path, { readonly: true });
      try {
        return (
          db.prepare('SELECT note FROM signed_checkpoints ORDER BY idx').all() as { note: string }[]
        ).map((row) => verifyCheckpoint(row.note, vkey()).treeSize);
      } finally {
        db.close();
      }
    };
    expect(keptSizes(seeded)).toEqual([0, 4]);
    // No --start-new-history needed: the history is there.
    const signed = await ledger(
      '--store',
      `sqlite:${seeded}`,
      '--json',
      'checkpoint',
      '--key-dir',
      keyDir,
    );
    expect(signed.code, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout).treeSize).toBe(4);
    // Seeding a ledger that holds events is refused (exit 4): nothing recorded, nothing signed.
    const again = await ledger('--store', `sqlite:${seeded}`, 'seed-example', '--key-dir', keyDir);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(
      /already holds 4 events: seed-example records the founding case into an empty ledger only/,
    );
    expect(keptSizes(seeded)).toEqual([0, 4]);

    const file = join(folder, 'seeded-history.ndjson');
    expect((await ledger('--store', `sqlite:${seeded}`, 'export', '--out', file)).code).toBe(0);
    const imported = join(folder, 'imported-history.sqlite');
    const run = await ledger('--store', `sqlite:${imported}`, 'import', file, '--key-dir', keyDir);
    expect(run.code, run.stderr).toBe(0);
    expect(keptSizes(imported)).toEqual([0, 4]);
  });

  it('audit passes on a ledger that grew and replaces the trusted checkpoint; then catches a changed event', async () => {
    const { path, store, trusted } = await ledgerWithTrustedCheckpoint('grown');
    const before = verifyCheckpoint(readFileSync(trusted, 'utf8'), vkey());
    expect(before.treeSize).toBe(4);

    const passed = await ledger(
      '--store',
      store,
      'audit',
      '--trusted',
      trusted,
      '--key-dir',
      keyDir,
    );
    expect(passed, passed.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(passed.stdout).toMatch(
      /^audit passed: the ledger of tree size 8 extends the trusted one of size 4/,
    );
    const replaced = readFileSync(trusted, 'utf8');
    expect(verifyCheckpoint(replaced, vkey()).treeSize).toBe(8);
    // The PEM works as well as the verifier key.
    const withPem = await ledger(
      '--store',
      store,
      '--json',
      'audit',
      '--trusted',
      trusted,
      '--key-dir',
      keyDir,
      '--public-key',
      join(keyDir, 'checkpoint-key.pub.pem'),
    );
    expect(JSON.parse(withPem.stdout)).toEqual({
      ok: true,
      from: 8,
      to: 8,
      trusted,
      // No server ran: no kept read model beside the file to compare answers with.
      programs: 0,
      unsigned: 0,
      skipped: [],
      signatures: 0,
    });

    // One event changed in the file; the stored tree is left alone.
    onFile(path, `UPDATE events SET data = '{"note":"appended 9"}' WHERE position = 5`);
    const failed = await ledger(
      '--store',
      store,
      'audit',
      '--trusted',
      trusted,
      '--key-dir',
      keyDir,
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^compliance-ledger: audit failed: the event at position 5 \(.+\) is not the one signed as leaf 4: it was changed$/,
      ),
    ]);
    expect(readFileSync(trusted, 'utf8')).toBe(replaced);
  });

  it('audit catches a removed event, and refuses a trusted checkpoint another key signed', async () => {
    const { path, store, trusted } = await ledgerWithTrustedCheckpoint('removed');
    const original = readFileSync(trusted, 'utf8');
    onFile(path, 'DELETE FROM events WHERE position = 2');
    const failed = await ledger(
      '--store',
      store,
      'audit',
      '--trusted',
      trusted,
      '--key-dir',
      keyDir,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      'compliance-ledger: audit failed: no event at position 2 (leaf 1 of the signed tree): it was removed\n',
    );
    expect(readFileSync(trusted, 'utf8')).toBe(original);

    // A trusted checkpoint this key never signed.
    const forged = join(folder, 'forged.note');
    const other = generateSigningKey('compliance-ledger.local/ledger');
    writeFileSync(forged, signNote(`${original.split('\n\n')[0]}\n`, other));
    const refused = await ledger(
      '--store',
      store,
      'audit',
      '--trusted',
      forged,
      '--key-dir',
      keyDir,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^compliance-ledger: audit failed: the trusted checkpoint does not verify: /,
    );
  });

  it('audit fails when the stored tree no longer extends the trusted checkpoint', async () => {
    const { path, store, trusted } = await ledgerWithTrustedCheckpoint('rewritten');
    const original = readFileSync(trusted, 'utf8');
    // The node over leaves 5 to 8 (post-order key 13), which the consistency proof reads.
    onFile(path, 'UPDATE merkle_nodes SET hash = zeroblob(32) WHERE node = 13');
    const failed = await ledger(
      '--store',
      store,
      'audit',
      '--trusted',
      trusted,
      '--key-dir',
      keyDir,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      'compliance-ledger: audit failed: the consistency proof from tree size 4 to 8 does not verify: the ledger is not the trusted one plus appends\n',
    );
    expect(readFileSync(trusted, 'utf8')).toBe(original);
    // Sizes 0 and 4 (seeding), 8 (the grown tree): the failed audit signed nothing.
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM signed_checkpoints').pluck().get()).toBe(3);
    db.close();
  });

  it('audit fails on a stored tree node that only an inclusion proof reads (issue 28, item 5)', async () => {
    const { path, store, trusted } = await ledgerWithTrustedCheckpoint('node-altered');
    const original = readFileSync(trusted, 'utf8');
    // Leaf 1 (post-order key 1): read by leaf 0's inclusion proof, by no root and no consistency proof.
    onFile(path, 'UPDATE merkle_nodes SET hash = zeroblob(32) WHERE node = 1');
    const failed = await ledger(
      '--store',
      store,
      'audit',
      '--trusted',
      trusted,
      '--key-dir',
      keyDir,
    );
    expect(failed.stderr).toBe(
      'compliance-ledger: audit failed: the stored Merkle tree gives an inclusion proof for leaf 0 that does not verify against the signed root: a stored node was altered\n',
    );
    expect(failed.code).toBe(1);
    expect(readFileSync(trusted, 'utf8')).toBe(original);
  });

  it('audit --trusted with a receipt is exit 2, with an empty file exit 7 (issue 28, item 5)', async () => {
    const { store } = await ledgerWithTrustedCheckpoint('trusted-mistakes');
    const receipt = join(folder, 'a.receipt');
    writeFileSync(receipt, 'compliance-ledger receipt v1\n{"kind":"status"}\n\n— key AAAA\n');
    const mistaken = await ledger(
      '--store',
      store,
      'audit',
      '--trusted',
      receipt,
      '--key-dir',
      keyDir,
    );
    expect(mistaken.stderr).toMatch(
      /^compliance-ledger: --trusted: .*a\.receipt is a receipt, not a checkpoint/,
    );
    expect(mistaken.code).toBe(2);
    const empty = join(folder, 'empty.note');
    writeFileSync(empty, '\n');
    const nothing = await ledger(
      '--store',
      store,
      'audit',
      '--trusted',
      empty,
      '--key-dir',
      keyDir,
    );
    expect(nothing.stderr).toMatch(/^compliance-ledger: --trusted: .*empty\.note is empty/);
    expect(nothing.code).toBe(7);
  });

  it('proof inclusion prints a proof that verifies against the signed checkpoint', async () => {
    const store = `sqlite:${join(folder, 'grown.sqlite')}`;
    const exported = await ledger('--store', store, 'export');
    const events = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const event = events[1];
    const run = await ledger(
      '--store',
      store,
      '--json',
      'proof',
      'inclusion',
      event.eventId,
      '--key-dir',
      keyDir,
    );
    expect(run.code, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer).toMatchObject({ eventId: event.eventId, leafIndex: 1, verified: true });
    const signed = verifyCheckpoint(answer.note, vkey());
    expect(
      verifyInclusion(
        leafHash(leafInput(event)),
        1,
        signed.treeSize,
        answer.proof.map((p: string) => Buffer.from(p, 'hex')),
        signed.rootHash,
      ),
    ).toBe(true);
    const atThree = await ledger(
      '--store',
      store,
      'proof',
      'inclusion',
      event.eventId,
      '--tree-size',
      '4',
      '--key-dir',
      keyDir,
    );
    expect(atThree.code, atThree.stderr).toBe(0);
    expect(atThree.stdout).toMatch(
      /is leaf 1 of the tree of size 4: proof verified against the signed checkpoint/,
    );
    const unknown = await ledger(
      '--store',
      store,
      'proof',
      'inclusion',
      'no-such-event',
      '--key-dir',
      keyDir,
    );
    expect(unknown).toMatchObject({
      code: 3,
      stderr: 'compliance-ledger: no event no-such-event\n',
    });
  });

  it('refuses bad audit arguments and a missing public key with exit 2, an unreadable trusted file with exit 7', async () => {
    const trusted = join(folder, 'grown.note');
    for (const bad of [
      ['audit'],
      ['audit', '--trusted', trusted, '--url', 'http://127.0.0.1:9'],
      [
        '--store',
        'sqlite:x.sqlite',
        'audit',
        '--trusted',
        trusted,
        '--url',
        'http://127.0.0.1:9',
        '--key',
        'k',
        '--public-key',
        trusted,
      ],
    ]) {
      const run = await ledger(...bad);
      expect(run.code, bad.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), bad.join(' ')).toHaveLength(1);
    }
    const keyless = await ledger(
      '--store',
      `sqlite:${join(folder, 'grown.sqlite')}`,
      'audit',
      '--trusted',
      trusted,
      '--key-dir',
      join(folder, 'no-key'),
    );
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(/^compliance-ledger: no public key: give --public-key FILE/);
    // A trusted file that cannot be read is not tampering: exit 7.
    const unreadable = await ledger('audit', '--trusted', join(folder, 'missing.note'));
    expect(unreadable.code).toBe(7);
    expect(unreadable.stderr).toMatch(/^compliance-ledger: --trusted: cannot read .*missing\.note/);
  });
});

describe('ledger audit --url against a server', () => {
  it('verifies checkpoint, consistency and every event served; catches an event changed under the server', async () => {
    const files = createLedgerFiles({ auditor: 'auditor', recorder: 'recorder', admin: 'admin' });
    const server = await startServer(files);
    const sign = async () =>
      expect(
        (await server.post('/v1/ledger/checkpoints', {}, { key: files.keys.admin?.key ?? '' }))
          .status,
      ).toBe(200);
    const recorder = files.keys.recorder?.key ?? '';
    const auditor = files.keys.auditor?.key ?? '';
    await registerPrograms(server, recorder, ['audit-program']);
    await sign();
    const note = await server.get('/v1/ledger/checkpoint', {
      key: auditor,
      headers: { accept: 'text/plain' },
    });
    expect(note.status).toBe(200);
    const trusted = join(files.dir, 'trusted.note');
    writeFileSync(trusted, note.text);
    for (const n of [1, 2, 3])
      expect(
        (
          await server.post('/v1/programs/audit-program/shipments', shipment(`s-${n}`, n), {
            key: recorder,
          })
        ).status,
      ).toBe(201);

    await sign();
    const vkeyFile = join(files.dir, 'checkpoint-key', 'checkpoint-key.vkey');
    const audit = () =>
      ledger(
        'audit',
        '--trusted',
        trusted,
        '--url',
        server.baseUrl,
        '--key',
        auditor,
        '--public-key',
        vkeyFile,
      );
    const passed = await audit();
    expect(passed, passed.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(passed.stdout).toMatch(/tree size 5 extends the trusted one of size 2/);
    const replaced = readFileSync(trusted, 'utf8');
    expect(verifyCheckpoint(replaced, readFileSync(vkeyFile, 'utf8').trim()).treeSize).toBe(5);

    onFile(
      files.storePath,
      `UPDATE events SET data = json_set(data, '$.units', 99) WHERE position = 3`,
    );
    const failed = await audit();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      'compliance-ledger: audit failed: the 5 events read do not hash to the signed root of tree size 5\n',
    );
    expect(readFileSync(trusted, 'utf8')).toBe(replaced);

    // A key that is not the ledger's: the checkpoints do not verify.
    const otherKey = join(files.dir, 'other.vkey');
    writeFileSync(otherKey, generateSigningKey('compliance-ledger.local/ledger').verifierKey);
    const wrongKey = await ledger(
      'audit',
      '--trusted',
      trusted,
      '--url',
      server.baseUrl,
      '--key',
      auditor,
      '--public-key',
      otherKey,
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/the trusted checkpoint does not verify/);
  }, 180_000);
});
