import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDocuments } from '../../src/cli/documents.ts';
import { readLedger } from '../../src/integrity/verify-ledger.ts';
import {
  currentSpecification,
  extensionNotice,
  PROGRAM_ID,
  program,
  successorSpecification,
} from '../support/founding-case.ts';
import { expectProblem, paths, startApi, type TestApi } from './support.ts';

const letter = 'USPS letter of 2005-12-08: supply may continue four months after the 1118F TDP.';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('documentSha256: evidence bound to the record', () => {
  let api: TestApi;
  let folder: string;
  beforeAll(async () => {
    api = await startApi({ store: 'sqlite' });
    folder = join(api.files.dir, 'documents');
    mkdirSync(folder);
    expect((await api.post(paths.specifications, currentSpecification)).statusCode).toBe(201);
    expect((await api.post(paths.specifications, successorSpecification)).statusCode).toBe(201);
    expect((await api.post(paths.programs, program)).statusCode).toBe(201);
  });
  afterAll(() => api.close());

  it('is refused unless 64 lower-case hex digits, and nothing is written', async () => {
    const before = await api.eventCount();
    for (const bad of ['abc', sha256(letter).toUpperCase(), `${sha256(letter)}0`])
      expectProblem(
        await api.post(paths.program('notices'), { ...extensionNotice, documentSha256: bad }),
        400,
      );
    expect(await api.eventCount()).toBe(before);
  });

  it('is shown in the audit trail with the event in words; documents check compares files', async () => {
    const recorded = await api.post(paths.program('notices'), {
      ...extensionNotice,
      documentSha256: sha256(letter),
    });
    expect(recorded.statusCode, recorded.body).toBe(201);
    const trail = await api.get(`/v1/programs/${PROGRAM_ID}/audit-trail`, { as: 'auditor' });
    const notice = trail.data.entries.find((e: { type: string }) => e.type === 'NoticeReceived');
    expect(notice).toMatchObject({
      documentRef: extensionNotice.documentRef,
      documentSha256: sha256(letter),
      content: expect.stringMatching(
        /^Notice usps-2005-12-08 from United States Postal Service received on 2005-12-08, document press-release-2005-12-08\.txt \(SHA-256 [0-9a-f]{64}\): Supply of 1118E .* Terms: ends 4 months after the public TDP release of usps-b-1118f\.$/,
      ),
    });

    const check = () => checkDocuments(readLedger(api.app.ledger.store), folder);
    expect((await check()).map((c) => c.state)).toEqual(['missing']);
    writeFileSync(join(folder, extensionNotice.documentRef), letter);
    expect(await check()).toEqual([
      expect.objectContaining({
        state: 'matches',
        recorded: sha256(letter),
        found: sha256(letter),
      }),
    ]);
    writeFileSync(join(folder, extensionNotice.documentRef), `${letter} `);
    expect(await check()).toEqual([
      expect.objectContaining({ state: 'differs', documentRef: extensionNotice.documentRef }),
    ]);
  });

  it('a reference that leads out of the folder is never opened', async () => {
    writeFileSync(join(api.files.dir, 'outside.txt'), letter);
    const events = (async function* () {
      yield* [
        {
          ...(await api.app.ledger.store.readAll({ fromPosition: 1, limit: 1 }))[0],
          data: { documentRef: '../outside.txt', documentSha256: sha256(letter) },
        },
      ] as never[];
    })();
    expect((await checkDocuments(events, folder))[0]?.state).toBe('missing');
  });
});
