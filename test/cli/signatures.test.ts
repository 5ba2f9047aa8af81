import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashEvent } from '../../src/core/event-hash.ts';
import Database from '../../src/eventstore/sqlite/driver.ts';
import {
  createTestFiles,
  recordFoundingCase,
  registerSigner,
  sign,
  startApi,
} from '../api/support.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';

const folder = mkdtempSync(join(tmpdir(), 'ledger-signatures-'));
const files = createTestFiles();
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
  files.remove();
});
const ledger = ledgerBinary(folder);
/** The server's key folder: `ledger checkpoint` signs with the key the server signed with. */
const keyDir = join(files.dir, 'checkpoint-key');

interface Row {
  position: number;
  event_id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

/** Runs `change` on the events table of a copy of the signed ledger; returns the copy's URL. */
function tampered(name: string, change: (db: InstanceType<typeof Database>) => void) {
  const path = join(folder, `${name}.sqlite`);
  copyFileSync(join(folder, 'signed.sqlite'), path);
  const db = new Database(path);
  change(db);
  db.close();
  return { store: `sqlite:${path}`, trusted: join(folder, 'signed.note') };
}

const rowOf = (db: InstanceType<typeof Database>, eventId: string) =>
  db.prepare('SELECT * FROM events WHERE event_id = ?').get(eventId) as Row;

/** Rewrites an event's data and, with `rehash`, its stored hash too (as a forger would). */
function rewrite(
  db: InstanceType<typeof Database>,
  eventId: string,
  data: unknown,
  rehash: boolean,
) {
  const row = rowOf(db, eventId);
  const metadata = JSON.parse(row.metadata);
  if (rehash)
    metadata.hash = hashEvent({
      stream: row.stream,
      revision: row.revision,
      eventId,
      type: row.type,
      data,
      metadata,
    });
  db.prepare('UPDATE events SET data = ?, metadata = ? WHERE event_id = ?').run(
    JSON.stringify(data),
    JSON.stringify(metadata),
    eventId,
  );
}

describe('verify and audit check every signature against the events it names', () => {
  let noticeId: string;
  let tdpId: string;
  let signatureId: string;

  beforeAll(async () => {
    const api = await startApi({
      files: { ...files, sqliteUrl: `sqlite:${join(folder, 'signed.sqlite')}` },
      store: 'sqlite',
    });
    try {
      const seeded = await recordFoundingCase(api, { tdp: true });
      noticeId = seeded.notice.eventId;
      tdpId = seeded.tdp?.eventId as string;
      await registerSigner(api);
      signatureId = (await sign(api, [noticeId, tdpId], 'approval', 'release date checked'))
        .eventId;
    } finally {
      await api.close();
    }
    const signed = await ledger(
      '--store',
      `sqlite:${join(folder, 'signed.sqlite')}`,
      'checkpoint',
      '--key-dir',
      keyDir,
      '--out',
      join(folder, 'signed.note'),
    );
    expect(signed.code, signed.stderr).toBe(0);
  }, 120_000);

  const audit = (store: string, trusted: string) =>
    ledger('--store', store, 'audit', '--trusted', trusted, '--key-dir', keyDir);

  it('an intact signed ledger passes verify and audit', async () => {
    const { store, trusted } = tampered('intact', () => {});
    const verified = await ledger('--store', store, 'verify');
    expect(verified.stdout).toBe(
      'ledger intact: 6 events in 4 streams\n1 signatures match the events they sign\n',
    );
    expect(verified.code).toBe(0);
    const audited = await audit(store, trusted);
    expect(audited.stderr).toBe('');
    expect(audited.stdout).toContain('its 1 signatures match the events they sign');
    expect(audited.code).toBe(0);
  });

  it('a signed event rewritten with a forged hash (its chain still holds) is named with the signature', async () => {
    const { store, trusted } = tampered('forged-event', (db) => {
      const data = JSON.parse(rowOf(db, tdpId).data);
      rewrite(db, tdpId, { ...data, releasedOn: '2007-03-08' }, true);
    });
    const verified = await ledger('--store', store, 'verify');
    expect(verified.code).toBe(1);
    // The TDP release is the last of its stream: no chain breaks, the signature alone catches it.
    expect(verified.stdout).toMatch(/^ledger intact: 6 events in 4 streams\n/);
    expect(verified.stdout).toContain(
      `signature broken: signature ${signatureId} (position 6) signed event ${tdpId} (position 5) when it had hash`,
    );
    const audited = await audit(store, trusted);
    expect(audited.code).toBe(1);
    expect(audited.stderr).toContain(signatureId);
    expect(audited.stderr).toContain(tdpId);
  });

  it('a signed event edited in place is named by the chain check and beside the signature', async () => {
    const { store, trusted } = tampered('edited-event', (db) => {
      const data = JSON.parse(rowOf(db, noticeId).data);
      rewrite(db, noticeId, { ...data, summary: 'Supply may continue for forty months.' }, false);
    });
    const verified = await ledger('--store', store, 'verify');
    expect(verified.code).toBe(1);
    const lines = verified.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`first bad event at position 4 .*${noticeId}.*hash-mismatch`),
    );
    expect(lines[1]).toMatch(
      new RegExp(`^signature broken: signature ${signatureId} .* signed event ${noticeId} `),
    );
    const audited = await audit(store, trusted);
    expect(audited.code).toBe(1);
    expect(audited.stderr).toMatch(
      new RegExp(`position 4 \\(${noticeId}.*it was changed; and signature ${signatureId}`),
    );
  });

  it('a signature edited in place is named with the events it signs', async () => {
    const { store, trusted } = tampered('edited-signature', (db) => {
      const data = JSON.parse(rowOf(db, signatureId).data);
      rewrite(db, signatureId, { ...data, meaning: 'review' }, false);
    });
    const verified = await ledger('--store', store, 'verify');
    expect(verified.code).toBe(1);
    expect(verified.stdout).toMatch(
      new RegExp(`first bad event at position 6 .*${signatureId}.*hash-mismatch`),
    );
    expect(verified.stdout).toContain(
      `signature broken: signature ${signatureId} (position 6) on events ${noticeId}, ${tdpId} was altered after it was recorded`,
    );
    const audited = await audit(store, trusted);
    expect(audited.code).toBe(1);
    expect(audited.stderr).toContain(
      `signature ${signatureId} (position 6) on events ${noticeId}, ${tdpId} was altered`,
    );
  });

  it('a signature moved to another event (even rehashed) does not match that event', async () => {
    const { store, trusted } = tampered('moved-signature', (db) => {
      const data = JSON.parse(rowOf(db, signatureId).data);
      const registered = db
        .prepare("SELECT event_id FROM events WHERE type = 'ProgramRegistered'")
        .get() as { event_id: string };
      data.events[0].eventId = registered.event_id;
      // The forger rehashes the signature: its own chain holds (last of its stream).
      rewrite(db, signatureId, data, true);
    });
    const verified = await ledger('--store', store, 'verify');
    expect(verified.code).toBe(1);
    expect(verified.stdout).toMatch(/^ledger intact: 6 events/);
    expect(verified.stdout).toMatch(
      new RegExp(
        `signature broken: signature ${signatureId} \\(position 6\\) signed event [0-9a-f-]{36} \\(position 3\\) when it had hash [0-9a-f]{64}; it now has hash [0-9a-f]{64}`,
      ),
    );
    const audited = await audit(store, trusted);
    expect(audited.code).toBe(1);
    expect(audited.stderr).toContain(signatureId);
  });
});

describe('ledger people', () => {
  const credentials = join(folder, 'people.json');
  /** The binary with `input` on its standard input (the passphrase is never an argument). */
  const withInput = (input: string, ...args: string[]) => {
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        join(import.meta.dirname, '../../src/cli/main.ts'),
        ...args,
      ],
      { cwd: folder, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  it('adds a person for a key, sets a passphrase from standard input, lists without secrets', async () => {
    const key = JSON.parse(
      (
        await ledger(
          '--json',
          'keys',
          '--credentials',
          credentials,
          'add',
          '--name',
          'jane',
          '--role',
          'admin',
        )
      ).stdout,
    );
    const added = await ledger(
      '--json',
      'people',
      '--credentials',
      credentials,
      'add',
      '--name',
      'Jane Doe',
      '--email',
      'jane@example.com',
      '--key-id',
      key.id,
    );
    expect(added.code, added.stderr).toBe(0);
    const person = JSON.parse(added.stdout);
    expect(person).toMatchObject({ name: 'Jane Doe', keyIds: [key.id], passphraseSetAt: null });

    const set = withInput(
      'a long signing passphrase\n',
      'people',
      '--credentials',
      credentials,
      'passphrase',
      person.id,
    );
    expect(set, set.stderr).toMatchObject({
      code: 0,
      stdout: `signing passphrase set for Jane Doe (id ${person.id}); unlocked\n`,
    });
    const file = readFileSync(credentials, 'utf8');
    expect(file).not.toContain('a long signing passphrase');
    expect(JSON.parse(file).people[0].passphrase.scrypt).toEqual({ N: 2 ** 17, r: 8, p: 1 });

    const listed = JSON.parse(
      (await ledger('--json', 'people', '--credentials', credentials, 'list')).stdout,
    );
    expect(listed).toEqual([
      expect.objectContaining({ id: person.id, passphraseSetAt: expect.any(String) }),
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/salt|scrypt|hash/);

    const short = withInput(
      'short\n',
      'people',
      '--credentials',
      credentials,
      'passphrase',
      person.id,
    );
    expect(short).toMatchObject({
      code: 4,
      stderr: 'compliance-ledger: a signing passphrase has at least 12 characters\n',
    });
    const twice = await ledger(
      'people',
      '--credentials',
      credentials,
      'add',
      '--name',
      'J D',
      '--email',
      'jd@example.com',
      '--key-id',
      key.id,
    );
    expect(twice).toMatchObject({
      code: 4,
      stderr: `compliance-ledger: key ${key.id} belongs to Jane Doe already\n`,
    });
    const unknown = withInput(
      'a long signing passphrase\n',
      'people',
      '--credentials',
      credentials,
      'passphrase',
      'nobody',
    );
    expect(unknown).toMatchObject({
      code: 3,
      stderr: 'compliance-ledger: no person with id nobody\n',
    });
  }, 60_000);
});
