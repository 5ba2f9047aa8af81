import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from '../../src/eventstore/sqlite/driver.ts';
import {
  createLedgerFiles,
  type LedgerFiles,
  registerPrograms,
  removeAllFiles,
  type ServerProcess,
  shipment,
  startServer,
  stopAllServers,
} from '../reliability/support.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';

const PROGRAM = 'copied.program';
const notice = {
  noticeId: 'grant-2020',
  issuer: 'USPS',
  receivedOn: '2020-01-02',
  documentRef: 'grant-2020.pdf',
  summary: 'Supply allowed from 2020 until the end of 2021.',
  terms: [
    { kind: 'authorizes', from: '2020-01-02' },
    { kind: 'ends-on', effectiveOn: '2022-01-01' },
  ],
};

/** Every file under a folder, recursively, with its content: what a command may not change. */
function snapshot(folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files[path] = readFileSync(path).toString('base64');
    }
  return files;
}

describe('an auditor with a copy of the ledger and the public key only', () => {
  let files: LedgerFiles;
  let server: ServerProcess;
  let auditor = '';
  const copy = mkdtempSync(join(tmpdir(), 'ledger-auditor-copy-'));
  const ledger = ledgerBinary(copy);
  afterAll(async () => {
    await stopAllServers();
    removeAllFiles();
    rmSync(copy, { recursive: true, force: true });
  });

  beforeAll(async () => {
    files = createLedgerFiles({ auditor: 'auditor', recorder: 'recorder', admin: 'admin' });
    server = await startServer(files);
    const recorder = files.keys.recorder?.key ?? '';
    auditor = files.keys.auditor?.key ?? '';
    await registerPrograms(server, recorder, [PROGRAM, 'second.program']);
    expect(
      (await server.post(`/v1/programs/${PROGRAM}/notices`, notice, { key: recorder })).status,
    ).toBe(201);
    const sign = async () =>
      expect(
        (await server.post('/v1/ledger/checkpoints', {}, { key: files.keys.admin?.key ?? '' }))
          .status,
      ).toBe(200);
    await sign();
    const trusted = await server.get('/v1/ledger/checkpoint', {
      key: auditor,
      headers: { accept: 'text/plain' },
    });
    writeFileSync(join(copy, 'trusted.note'), trusted.text);
    for (const n of [1, 2])
      expect(
        (
          await server.post(`/v1/programs/${PROGRAM}/shipments`, shipment(`s-${n}`, n), {
            key: recorder,
          })
        ).status,
      ).toBe(201);
    // The server signs the grown ledger (here an admin asks), then stops and saves its read models.
    await sign();
    await server.stop('SIGTERM');
    for (const name of ['ledger.sqlite', 'ledger.sqlite.projections'])
      cpSync(join(files.dir, name), join(copy, name), { recursive: true });
    cpSync(join(files.dir, 'checkpoint-key', 'checkpoint-key.vkey'), join(copy, 'server.vkey'));
  }, 120_000);

  const audit = (...more: string[]) =>
    ledger(
      '--store',
      'sqlite:ledger.sqlite',
      'audit',
      '--trusted',
      'trusted.note',
      '--public-key',
      'server.vkey',
      ...more,
    );

  it('the audit passes, comparing the answers too, and creates no file', async () => {
    const before = snapshot(copy);
    const passed = await audit();
    expect(passed, passed.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(passed.stdout).toMatch(
      /tree size 6 extends the trusted one of size 4.*the answers for 2 programs equal a rebuild/,
    );
    const after = snapshot(copy);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    // Only the trusted checkpoint moved on, as the audit promises.
    for (const path of Object.keys(before).filter((p) => !p.endsWith('trusted.note')))
      expect(after[path], path).toBe(before[path]);
  });

  it('read-only commands create nothing, and refuse a missing file clearly', async () => {
    const before = snapshot(copy);
    for (const [code, ...command] of [
      [0, '--store', 'sqlite:ledger.sqlite', 'status', PROGRAM, '--at', '2021-06-01'],
      [0, '--store', 'sqlite:ledger.sqlite', 'verify'],
      [0, '--store', 'sqlite:ledger.sqlite', 'timeline', PROGRAM],
      [
        3,
        '--store',
        'sqlite:ledger.sqlite',
        'proof',
        'inclusion',
        'no-such-event',
        '--public-key',
        'server.vkey',
      ],
    ] as const) {
      const run = await ledger(...command);
      expect(run.code, `${command.join(' ')}: ${run.stderr}`).toBe(code);
    }
    const mistyped = await ledger('--store', 'sqlite:ledgr.sqlite', 'status', PROGRAM);
    expect(mistyped).toMatchObject({
      code: 5,
      stderr: expect.stringMatching(/no ledger file at ledgr\.sqlite/),
    });
    // No key in this folder: proof inclusion says so rather than making one.
    const keyless = await ledger('--store', 'sqlite:ledger.sqlite', 'proof', 'inclusion', 'x');
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(/no public key/);
    expect(snapshot(copy)).toEqual(before);
  });

  it('a read model changed in the copy is named by the program whose answer differs', async () => {
    const file = join(copy, 'ledger.sqlite.projections', 'program-facts.json');
    const genuine = readFileSync(file, 'utf8');
    expect(genuine).toContain('"2022-01-01"');
    writeFileSync(file, genuine.replace('"2022-01-01"', '"9999-12-31"'));
    const failed = await audit();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      new RegExp(
        `^compliance-ledger: audit failed: answers differ: program ${PROGRAM.replace('.', '\\.')}: the read-model checkpoint program-facts answers authorized`,
      ),
    );
    writeFileSync(file, genuine);
  });

  it('one event altered in the copy: exit 1 naming it', async () => {
    const altered = join(copy, 'altered');
    mkdirSync(altered);
    for (const name of ['ledger.sqlite', 'server.vkey', 'trusted.note'])
      cpSync(join(copy, name), join(altered, name));
    const db = new Database(join(altered, 'ledger.sqlite'));
    db.prepare(`UPDATE events SET data = json_set(data, '$.units', 99) WHERE position = 5`).run();
    db.close();
    const failed = await ledgerBinary(altered)(
      '--store',
      'sqlite:ledger.sqlite',
      'audit',
      '--trusted',
      'trusted.note',
      '--public-key',
      'server.vkey',
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /^compliance-ledger: audit failed: the event at position 5 \(.+\) is not the one signed as leaf 4: it was changed\n$/,
    );
  });

  it('--url mode: a wrong API key is exit 6, never "tampering"; the key from LEDGER_API_KEY or a file', async () => {
    server = await startServer(files);
    const viaUrl = (env: Record<string, string>, ...more: string[]) =>
      ledgerBinary(copy, env)(
        'audit',
        '--trusted',
        'trusted.note',
        '--public-key',
        'server.vkey',
        '--url',
        server.baseUrl,
        ...more,
      );
    const wrong = await viaUrl({ LEDGER_API_KEY: 'not-a-key' });
    expect(wrong.code).toBe(6);
    expect(wrong.stderr).toMatch(
      /^compliance-ledger: the server refused the API key: GET .* answered 401/,
    );
    const none = await viaUrl({});
    expect(none.code).toBe(6);
    expect(none.stderr).toMatch(/no API key: set LEDGER_API_KEY/);
    const fromEnv = await viaUrl({ LEDGER_API_KEY: auditor });
    expect(fromEnv, fromEnv.stderr).toMatchObject({ code: 0 });
    writeFileSync(join(copy, 'api-key'), `${auditor}\n`);
    const fromFile = await viaUrl({}, '--api-key-file', 'api-key');
    expect(fromFile, fromFile.stderr).toMatchObject({ code: 0 });
    expect(fromFile.stdout).toMatch(/the answers for 2 programs equal a rebuild/);
  }, 180_000);
});
