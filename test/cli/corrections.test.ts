import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestFiles,
  expectRecorded,
  keyIdOf,
  paths,
  recordFoundingCase,
  startApi,
} from '../api/support.ts';
import { extensionNotice, PROGRAM_ID } from '../support/founding-case.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';

const files = createTestFiles();
afterAll(() => files.remove());
const store = files.sqliteUrl;
const REASON = 'the letter was received on 2005-12-09, not 2005-12-08';

describe('ledger audit-trail: corrections and the person behind a key', () => {
  let originalId: string;
  let correctionId: string;

  beforeAll(async () => {
    const api = await startApi({ files, store: 'sqlite' });
    try {
      const added = await api.post(
        '/v1/people',
        { name: 'Jane Doe', email: 'jane.doe@example.com', keyIds: [keyIdOf(api.keys.recorder)] },
        { as: 'admin' },
      );
      expect(added.statusCode, added.body).toBe(201);
      const { notice } = await recordFoundingCase(api);
      originalId = notice.eventId;
      expectRecorded(await api.post(paths.retractions(originalId), { reason: REASON }));
      correctionId = expectRecorded(
        await api.post(paths.program('notices'), {
          ...extensionNotice,
          receivedOn: '2005-12-09',
          corrects: originalId,
        }),
      ).eventId;
    } finally {
      await api.close();
    }
  }, 120_000);

  it('names the person with the credentials file, links both ways, and keeps the original', async () => {
    const ledger = ledgerBinary(files.dir, { LEDGER_CREDENTIALS: files.credentialsPath });
    const run = await ledger('--store', store, 'audit-trail', PROGRAM_ID, '--format', 'json');
    expect(run.code, run.stderr).toBe(0);
    const entries = JSON.parse(run.stdout) as Record<string, string | null>[];
    const original = entries.find((e) => e.eventId === originalId);
    expect(original).toMatchObject({ person: 'Jane Doe', correctedBy: correctionId });
    expect(original?.change).toContain(`by Jane Doe (key recorder-client): ${REASON}`);
    expect(entries.find((e) => e.eventId === correctionId)?.corrects).toBe(originalId);

    const table = await ledger('--store', store, 'audit-trail', PROGRAM_ID);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('Jane Doe');
    expect(table.stdout).toContain(correctionId);
  });

  it('without the credentials file it shows the key alone', async () => {
    const ledger = ledgerBinary(files.dir, { LEDGER_CREDENTIALS: `${files.dir}/absent.json` });
    const run = await ledger('--store', store, 'audit-trail', PROGRAM_ID, '--format', 'csv');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('Jane Doe');
    expect(run.stdout).toContain(`by key recorder-client: ${REASON}`);
  });
});
