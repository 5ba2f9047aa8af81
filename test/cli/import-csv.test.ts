import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_PROGRAM } from '../../src/cli/seed-example.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';

const folder = mkdtempSync(join(tmpdir(), 'import-csv-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const ledger = ledgerBinary(folder);

/** The founding case as an office's spreadsheets would hold it (what seed-example records). */
const foundingCase = {
  'specifications.csv': [
    'specificationId,regulator,title,supersedes',
    'usps-b-1118e,USPS,USPS-B-1118E Cluster Box Unit,',
    'usps-b-1118f,USPS,USPS-B-1118F Cluster Box Unit,usps-b-1118e',
  ],
  'programs.csv': [
    'programId,supplierId,specificationId,channel,regulator,description',
    `${EXAMPLE_PROGRAM},american-locker,usps-b-1118e,private-market,USPS,"1118E aluminum Cluster Box Units supplied to the private market"`,
  ],
  'letters.csv': [
    'programId,letterId,issuer,receivedOn,documentRef,summary',
    `${EXAMPLE_PROGRAM},usps-2005-12-08,United States Postal Service,2005-12-08,"American Locker Group press release 2005-17 (Business Wire, 2005-12-08)","The supply program of 1118E CBUs to the private market may continue for four months after the eventual public release of the TDP for the new 1118F CBU model."`,
  ],
  'terms.csv': [
    'letterId,kind,trigger,offset',
    'usps-2005-12-08,sunset-after-trigger,usps-b-1118f,P4M',
  ],
};

/** Writes the files into a new folder; `change` edits one file's lines first. */
function spreadsheets(name: string, change: Record<string, string[]> = {}): string {
  const dir = join(folder, name);
  mkdirSync(dir);
  for (const [file, lines] of Object.entries({ ...foundingCase, ...change }))
    writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
  return dir;
}

const statusAt = async (store: string, at: string) => {
  const run = await ledger('--store', store, '--json', 'status', EXAMPLE_PROGRAM, '--at', at);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
};

describe('compliance-ledger import-csv', () => {
  it('records the founding case from CSV files with the status the seeded example has', async () => {
    const seeded = `sqlite:${join(folder, 'seeded.sqlite')}`;
    const imported = `sqlite:${join(folder, 'imported.sqlite')}`;
    expect((await ledger('--store', seeded, 'seed-example')).code).toBe(0);
    const run = await ledger('--store', imported, 'import-csv', spreadsheets('founding'));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('recorded 4 events from 4 rows\n');
    for (const at of ['2006-06-01', '2009-01-01']) {
      const fromCsv = await statusAt(imported, at);
      expect(fromCsv.status).toBe('authorized');
      // Event ids differ (another writer recorded them); everything else is the same answer.
      const withoutIds = (s: unknown) =>
        JSON.parse(JSON.stringify(s).replace(/"[0-9a-f-]{36}"/g, '"id"'));
      expect(withoutIds(fromCsv)).toEqual(withoutIds(await statusAt(seeded, at)));
    }
  });

  it('TDP releases, license applications and decisions, shipments: the release ends the window four months on', async () => {
    const store = `sqlite:${join(folder, 'later.sqlite')}`;
    const run = await ledger(
      '--store',
      store,
      '--json',
      'import-csv',
      spreadsheets('later', {
        'tdp-releases.csv': [
          'specificationId,releasedOn,publicRelease,documentRef',
          'usps-b-1118f,2007-05-08,true,USPS-B-1118F TDP rev A',
        ],
        'license-applications.csv': [
          'programId,applicationId,submittedOn,documentRef',
          `${EXAMPLE_PROGRAM},app-2007-01,2007-01-15,application-2007-01.pdf`,
        ],
        'license-decisions.csv': [
          'programId,applicationId,decidedOn,decision,reasons,resubmissionAllowed',
          `${EXAMPLE_PROGRAM},app-2007-01,2007-02-01,rejected,"No 1118E units after the 1118F release.\nResubmit with an 1118F design.",true`,
        ],
        'shipments.csv': [
          'programId,shipmentId,shippedOn,units,customerRef',
          `${EXAMPLE_PROGRAM},sh-ok,2007-06-01,10,`,
          `${EXAMPLE_PROGRAM},sh-late,2007-09-10,10,"Acme, Inc."`,
        ],
      }),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ rows: 9, recorded: 9, alreadyRecorded: 0 });
    const trail = await ledger('--store', store, '--json', 'audit-trail', EXAMPLE_PROGRAM);
    expect(trail.stdout).toContain('Resubmit with an 1118F design.');
    expect(await statusAt(store, '2007-06-01')).toMatchObject({
      status: 'authorized',
      until: '2007-09-08',
    });
    expect((await statusAt(store, '2007-09-10')).status).toBe('expired');
    const violations = await ledger('--store', store, '--json', 'violations');
    expect(violations.stdout).toContain('sh-late');
    expect(violations.stdout).not.toContain('sh-ok');
  });

  it('a second run records nothing and says so', async () => {
    const store = `sqlite:${join(folder, 'twice.sqlite')}`;
    const dir = spreadsheets('twice');
    expect((await ledger('--store', store, 'import-csv', dir)).code).toBe(0);
    const head = (await ledger('--store', store, '--json', 'verify')).stdout;
    const again = await ledger(
      '--store',
      store,
      '--json',
      'import-csv',
      join(dir, 'programs.csv'),
      join(dir, 'specifications.csv'),
    );
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ rows: 3, recorded: 0, alreadyRecorded: 3 });
    const whole = await ledger('--store', store, 'import-csv', dir);
    expect(whole).toMatchObject({
      code: 0,
      stdout: 'nothing new: all 4 rows were recorded before\n',
    });
    expect((await ledger('--store', store, '--json', 'verify')).stdout).toBe(head);
  });

  it('a bad row names its file and line, exits 4 and records nothing, not even the good rows before it', async () => {
    const store = `sqlite:${join(folder, 'bad.sqlite')}`;
    const shipments = [
      'programId,shipmentId,shippedOn,units',
      `${EXAMPLE_PROGRAM},sh-1,2006-01-10,40`,
      `${EXAMPLE_PROGRAM},sh-2,2006-02-30,12`,
    ];
    const bad = await ledger(
      '--store',
      store,
      'import-csv',
      spreadsheets('bad', { 'shipments.csv': shipments }),
    );
    expect(bad.code).toBe(4);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^compliance-ledger: shipments\.csv:3: shippedOn: .+\n$/);
    // Refused before the store was opened: not even the ledger file was created.
    expect(existsSync(join(folder, 'bad.sqlite'))).toBe(false);
  });

  it('a term the domain refuses is named by its line in terms.csv; a refusal by the decider by its row', async () => {
    const store = `sqlite:${join(folder, 'refused.sqlite')}`;
    const badTerm = await ledger(
      '--store',
      store,
      'import-csv',
      spreadsheets('bad-term', {
        'terms.csv': [
          'letterId,kind,trigger,offset',
          'usps-2005-12-08,authorizes,,',
          'usps-2005-12-08,sunset-after-trigger,usps-b-1118f,four months',
        ],
      }),
    );
    expect(badTerm.code).toBe(4);
    expect(badTerm.stderr).toMatch(/^compliance-ledger: terms\.csv:2: from: /);
    // A shipment of a program nobody registered: the decider refuses it after the rows before
    // it were recorded in the trial copy; the store is still untouched.
    const unknown = await ledger(
      '--store',
      store,
      'import-csv',
      spreadsheets('unknown-program', {
        'shipments.csv': [
          'programId,shipmentId,shippedOn,units',
          'no-such-program,sh-1,2006-01-10,40',
        ],
      }),
    );
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toBe(
      'compliance-ledger: shipments.csv:2: the program is not registered\n',
    );
    const twice = await ledger(
      '--store',
      store,
      'import-csv',
      spreadsheets('program-twice', {
        'programs.csv': [
          ...foundingCase['programs.csv'],
          foundingCase['programs.csv'][1] as string,
        ],
      }),
    );
    expect(twice.code).toBe(4);
    expect(twice.stderr).toBe(`compliance-ledger: programs.csv:3: the same program as line 2\n`);
    expect((await ledger('--store', store, 'status', EXAMPLE_PROGRAM)).code).toBe(3);
  });
});
