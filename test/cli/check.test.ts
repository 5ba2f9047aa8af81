import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleProgramCommand } from '../../src/commands/handle-command.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';

const folder = mkdtempSync(join(tmpdir(), 'ledger-check-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const ledger = ledgerBinary(folder);
const store = `sqlite:${join(folder, 'ledger.sqlite')}`;

describe('compliance-ledger check', () => {
  beforeAll(async () => {
    expect((await ledger('--store', store, 'seed-example')).code).toBe(0);
    const s = openSqliteEventStore(join(folder, 'ledger.sqlite'));
    const as = { recordedBy: 'test' };
    await handleProgramCommand(
      s,
      PROGRAM_ID,
      {
        type: 'RecordNotice',
        data: {
          noticeId: 'usps-2006-01-10',
          issuer: 'USPS',
          receivedOn: '2006-01-10',
          documentRef: 'letter-2006-01-10.pdf',
          summary: 'At most 50 units a month.',
          terms: [{ kind: 'limits-units', units: 50, per: 'month' }],
        },
      },
      as,
    );
    await handleProgramCommand(
      s,
      PROGRAM_ID,
      { type: 'RecordShipment', data: { shipmentId: 'sh-1', shippedOn: '2006-03-01', units: 45 } },
      as,
    );
    await s.close();
  }, 60_000);

  it('allowed: exit 0, the sentence and what is left under the limit', async () => {
    const run = await ledger(
      '--store',
      store,
      'check',
      PROGRAM_ID,
      '--shipped-on',
      '2006-03-20',
      '--units',
      '5',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${PROGRAM_ID}: 5 units on 2006-03-20: allowed`);
    expect(run.stdout).toContain('leaves 0 units in the month 2006-03');
    expect(run.stdout).toMatch(/50 per month.*notice usps-2006-01-10.*month 2006-03.*45.*0/);
  });

  it('blocked: exit 8 with the reason; --json gives the whole answer', async () => {
    const run = await ledger(
      '--store',
      store,
      '--json',
      'check',
      PROGRAM_ID,
      '--shipped-on',
      '2006-03-20',
      '--units',
      '6',
    );
    expect(run.code).toBe(8);
    expect(JSON.parse(run.stdout)).toMatchObject({
      decision: 'blocked',
      breach: { kind: 'over-limit', limit: { limit: 50, used: 45, remaining: -1 } },
    });
    const before = await ledger(
      '--store',
      store,
      'check',
      PROGRAM_ID,
      '--shipped-on',
      '2006-03-20',
      '--units',
      '6',
      '--as-known-at',
      '4',
    );
    expect(before.code, before.stdout).toBe(0);
  });

  it('bad arguments exit 2, an unknown program 3, each one line on stderr', async () => {
    const zero = await ledger(
      '--store',
      store,
      'check',
      PROGRAM_ID,
      '--shipped-on',
      '2006-03-20',
      '--units',
      '0',
    );
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/^compliance-ledger: --units: .*\n$/);
    const unknown = await ledger(
      '--store',
      store,
      'check',
      'no-such-program',
      '--shipped-on',
      '2006-03-20',
      '--units',
      '1',
    );
    expect(unknown).toMatchObject({
      code: 3,
      stderr: 'compliance-ledger: no program no-such-program in the ledger\n',
    });
  });
});
