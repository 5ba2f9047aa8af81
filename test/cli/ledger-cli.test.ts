import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  handleProgramCommand,
  handleSpecificationCommand,
} from '../../src/commands/handle-command.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import { PROGRAM_ID, tdpRelease } from '../support/founding-case.ts';
import { ledgerBinary, type Run } from '../support/ledger-binary.ts';

const folder = mkdtempSync(join(tmpdir(), 'ledger-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const ledger = ledgerBinary(folder);

const store = (name: string) => `sqlite:${join(folder, name)}`;
const json = (run: Run) => JSON.parse(run.stdout);

describe('the ledger binary', () => {
  const main = store('main.sqlite');
  beforeAll(async () => {
    expect((await ledger('--store', main, 'seed-example')).code).toBe(0);
    // The TDP release and two shipments, recorded through the library on the same file.
    const s = openSqliteEventStore(join(folder, 'main.sqlite'));
    const as = { recordedBy: 'test' };
    const { specificationId: _, ...release } = tdpRelease;
    await handleSpecificationCommand(
      s,
      'usps-b-1118f',
      { type: 'ReleaseTechnicalDataPackage', data: release },
      as,
    );
    for (const [shipmentId, shippedOn] of [
      ['sh-ok', '2007-06-01'],
      ['sh-late', '2007-09-10'],
    ] as const)
      await handleProgramCommand(
        s,
        PROGRAM_ID,
        { type: 'RecordShipment', data: { shipmentId, shippedOn, units: 10 } },
        as,
      );
    await s.close();
    // Seeding began the checkpoint history; the grown tree is signed as the service would.
    expect((await ledger('--store', main, 'checkpoint')).code).toBe(0);
  }, 60_000);

  it('status: a table by default, JSON with --json, as known at a position', async () => {
    const table = await ledger('--store', main, 'status', PROGRAM_ID, '--at', '2007-06-01');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`${PROGRAM_ID} on 2007-06-01: authorized`);
    expect(table.stdout).toContain('until 2007-09-08');
    const before = json(
      await ledger(
        '--store',
        main,
        '--json',
        'status',
        PROGRAM_ID,
        '--at',
        '2007-06-01',
        '--as-known-at',
        '4',
      ),
    );
    expect(before).toMatchObject({ status: 'authorized', until: null });
    expect(before.pendingConditions).toHaveLength(1);
    expect(
      json(await ledger('--store', main, '--json', 'status', PROGRAM_ID, '--at', '2007-09-08'))
        .status,
    ).toBe('expired');
  });

  it('exits 3 for an unknown program and 2 for bad arguments, with one line on stderr', async () => {
    const unknown = await ledger('--store', main, 'status', 'no-such-program');
    expect(unknown).toMatchObject({ code: 3, stdout: '' });
    expect(unknown.stderr).toBe('compliance-ledger: no program no-such-program in the ledger\n');
    for (const bad of [
      ['status', PROGRAM_ID, '--at', '2006-02-30'],
      ['status', PROGRAM_ID, '--as-known-at', 'yesterday'],
      ['deadlines', '--within', '-3'],
      ['bogus'],
      ['audit-trail', PROGRAM_ID, '--format', 'pdf'],
      // An unknown store scheme is a bad argument too (README's exit codes), not a failed store.
      ['--store', 'mysql://db', 'verify'],
    ]) {
      const run = await ledger('--store', main, ...bad);
      expect(run.code, bad.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), bad.join(' ')).toHaveLength(1);
    }
  });

  it('audit-trail in every format', async () => {
    const rows = json(await ledger('--store', main, 'audit-trail', PROGRAM_ID, '--format', 'json'));
    expect(rows.map((r: { type: string }) => r.type)).toEqual([
      'SpecificationRegistered',
      'ProgramRegistered',
      'NoticeReceived',
      'TechnicalDataPackageReleased',
      'ShipmentRecorded',
      'ShipmentRecorded',
    ]);
    const csv = (await ledger('--store', main, 'audit-trail', PROGRAM_ID, '--format', 'csv')).stdout
      .trim()
      .split('\n');
    expect(csv[0]).toBe(
      'position,recordedAt,recordedBy,person,stream,revision,type,validDate,content,documentRef,documentSha256,eventId,hash,retracts,retractedBy,corrects,correctedBy,change,signatures',
    );
    expect(csv).toHaveLength(7);
    const md = (await ledger('--store', main, 'audit-trail', PROGRAM_ID, '--format', 'md')).stdout
      .trim()
      .split('\n');
    expect(md[1]).toMatch(/^\| --- \|/);
    expect(md).toHaveLength(8);
    const html = join(folder, 'report.html');
    expect(
      (await ledger('--store', main, 'audit-trail', PROGRAM_ID, '--format', 'html', '--out', html))
        .code,
    ).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).toContain(PROGRAM_ID);
    expect(page).toContain(rows[3].hash);
    expect(page).not.toMatch(/<script|<link|src="http/);
  });

  it('replay: summary of the whole ledger, or cut at a position', async () => {
    const all = json(await ledger('--store', main, '--json', 'replay'));
    expect(all).toMatchObject({ events: 7, position: 7, programs: 1, violations: 1 });
    const cut = json(await ledger('--store', main, '--json', 'replay', '--to-position', '4'));
    expect(cut).toMatchObject({ events: 4, position: 4, programs: 1, violations: 0 });
  });

  it('deadlines, violations and backdating', async () => {
    expect(
      json(
        await ledger(
          '--store',
          main,
          '--json',
          'deadlines',
          '--today',
          '2007-06-01',
          '--within',
          '120',
        ),
      ),
    ).toEqual([
      expect.objectContaining({ programId: PROGRAM_ID, until: '2007-09-08', daysLeft: 99 }),
    ]);
    expect(
      json(
        await ledger(
          '--store',
          main,
          '--json',
          'deadlines',
          '--today',
          '2007-06-01',
          '--within',
          '30',
        ),
      ),
    ).toEqual([]);
    const violations = json(await ledger('--store', main, '--json', 'violations'));
    expect(violations.map((v: { shipmentId: string }) => v.shipmentId)).toEqual(['sh-late']);
    const backdated = json(
      await ledger('--store', main, '--json', 'backdating', '--threshold-days', '30'),
    );
    expect(backdated.map((b: { type: string }) => b.type).sort()).toEqual([
      'NoticeReceived',
      'ShipmentRecorded',
      'ShipmentRecorded',
      'TechnicalDataPackageReleased',
    ]);
  });

  it('deadlines, violations and backdating as known at a position (issue 21 item 9)', async () => {
    const at = (...a: string[]) => ledger('--store', main, '--json', ...a, '--as-known-at', '4');
    expect(json(await at('deadlines', '--today', '2007-06-01', '--within', '120'))).toEqual([]);
    expect(json(await at('violations'))).toEqual([]);
    expect(
      json(await ledger('--store', main, '--json', 'violations', '--as-known-at', '7')),
    ).toHaveLength(1);
    expect(json(await at('backdating')).map((b: { type: string }) => b.type)).toEqual([
      'NoticeReceived',
    ]);
    const bad = await ledger('--store', main, 'violations', '--as-known-at', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^compliance-ledger: --as-known-at: must be a position/);
  });

  it('export, then import into an empty store, then verify; import refuses a non-empty store and a broken file', async () => {
    const file = join(folder, 'ledger.ndjson');
    expect((await ledger('--store', main, 'export', '--out', file)).code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(7);
    const copy = store('copy.sqlite');
    const imported = await ledger('--store', copy, '--json', 'import', file);
    expect(imported.code).toBe(0);
    expect(json(imported)).toEqual({ events: 7, streams: 3, renumbered: false });
    expect(json(await ledger('--store', copy, '--json', 'verify'))).toEqual({
      ok: true,
      events: 7,
      streams: 3,
      signatures: { signatures: 0, problems: [] },
    });
    const original = json(
      await ledger('--store', main, 'audit-trail', PROGRAM_ID, '--format', 'json'),
    );
    expect(
      json(await ledger('--store', copy, 'audit-trail', PROGRAM_ID, '--format', 'json')),
    ).toEqual(original);
    const again = await ledger('--store', copy, 'import', file);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/not empty/);

    const broken = join(folder, 'broken.ndjson');
    writeFileSync(
      broken,
      lines.map((l, i) => (i === 3 ? l.replace('four months', 'five months') : l)).join('\n'),
    );
    const refused = await ledger('--store', store('empty.sqlite'), 'import', broken);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/position 4 .*hash-mismatch/);
    expect(json(await ledger('--store', store('empty.sqlite'), '--json', 'verify'))).toEqual({
      ok: true,
      events: 0,
      streams: 0,
      signatures: { signatures: 0, problems: [] },
    });
  });

  it('verify passes, then fails naming the event after one byte of the file changed', async () => {
    const path = join(folder, 'tampered.sqlite');
    expect((await ledger('--store', `sqlite:${path}`, 'seed-example')).code).toBe(0);
    const intact = await ledger('--store', `sqlite:${path}`, 'verify');
    expect(intact).toMatchObject({ code: 0, stdout: 'ledger intact: 4 events in 3 streams\n' });
    const bytes = readFileSync(path);
    const at = bytes.indexOf('four months after the eventual');
    expect(at).toBeGreaterThan(0);
    bytes[at] = 'F'.charCodeAt(0);
    writeFileSync(path, bytes);
    const failed = await ledger('--store', `sqlite:${path}`, 'verify');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(
      /first bad event at position 4 in stream program-american-locker\.1118e\.private-market .*hash-mismatch/,
    );
  });

  it('keys: add, list, revoke', async () => {
    const credentials = join(folder, 'keys.json');
    const added = json(
      await ledger(
        '--json',
        'keys',
        '--credentials',
        credentials,
        'add',
        '--name',
        'alice',
        '--role',
        'auditor',
      ),
    );
    expect(added.key).toMatch(/^lk_[0-9a-f]{8}_/);
    expect(readFileSync(credentials, 'utf8')).not.toContain(added.key);
    const listed = json(await ledger('--json', 'keys', '--credentials', credentials, 'list'));
    expect(listed).toEqual([
      expect.objectContaining({ id: added.id, name: 'alice', role: 'auditor', revokedAt: null }),
    ]);
    expect(JSON.stringify(listed)).not.toContain('sha256');
    expect((await ledger('keys', '--credentials', credentials, 'revoke', added.id)).code).toBe(0);
    expect(
      json(await ledger('--json', 'keys', '--credentials', credentials, 'list'))[0].revokedAt,
    ).not.toBeNull();
    const bad = await ledger(
      'keys',
      '--credentials',
      credentials,
      'add',
      '--name',
      'bob',
      '--role',
      'root',
    );
    expect(bad.code).toBe(2);
    const unknown = await ledger('keys', '--credentials', credentials, 'revoke', 'no-such-id');
    expect(unknown).toMatchObject({
      code: 3,
      stderr: 'compliance-ledger: no key with id no-such-id\n',
    });
  });
});

describe('one name in every help text', () => {
  it('a subcommand help shows the global --store, --json and --all; the root help names each store scheme', async () => {
    for (const args of [
      ['status', '--help'],
      ['keys', 'add', '--help'],
      ['import-csv', '--help'],
    ]) {
      const help = await ledger(...args);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: compliance-ledger /);
      expect(help.stdout).toContain('Global Options:');
      for (const option of ['--store <url>', '--json', '--all'])
        expect(help.stdout).toContain(option);
    }
    const root = await ledger('--help');
    for (const scheme of ['sqlite:', 'postgres://', 'esdb://', 'memory:'])
      expect(root.stdout).toContain(scheme);
  });

  it('help and messages name the command compliance-ledger, never a bare `ledger …`', async () => {
    const bare =
      /(?<![\w-])ledger (status|check|audit|verify|checkpoint|proof|documents|people|keys|receipt|import|export)\b/;
    for (const args of [['--help'], ['checkpoint', '--help'], ['people', 'add', '--help']])
      expect((await ledger(...args)).stdout).not.toMatch(bare);
  });
});
