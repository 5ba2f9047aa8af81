import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
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

  it('a reference that leads out of the folder is refused, never opened', async () => {
    writeFileSync(join(api.files.dir, 'outside.txt'), letter);
    const events = (async function* () {
      yield* [
        {
          ...(await api.app.ledger.store.readAll({ fromPosition: 1, limit: 1 }))[0],
          data: { documentRef: '../outside.txt', documentSha256: sha256(letter) },
        },
      ] as never[];
    })();
    expect((await checkDocuments(events, folder))[0]?.state).toBe('refused');
  });

  it('each document gets its own verdict: NUL, an overlong name and a symlink do not stop the check (issue 28, item 4)', async () => {
    writeFileSync(join(api.files.dir, 'secret.txt'), letter);
    mkdirSync(join(folder, 'sub'));
    symlinkSync(join(api.files.dir, 'secret.txt'), join(folder, 'linked.txt'));
    symlinkSync(api.files.dir, join(folder, 'sub', 'up'));
    writeFileSync(join(folder, 'sub', 'kept.txt'), letter);
    const [first] = await api.app.ledger.store.readAll({ fromPosition: 1, limit: 1 });
    const refs = [
      'a\0b.txt',
      `${'x'.repeat(300)}.txt`,
      'linked.txt',
      'sub/up/secret.txt',
      '/etc/hostname',
      'sub/kept.txt',
    ];
    const events = (async function* () {
      for (const documentRef of refs)
        yield { ...first, data: { documentRef, documentSha256: sha256(letter) } } as never;
    })();
    const checks = await checkDocuments(events, folder);
    expect(checks.map((c) => [c.documentRef, c.state])).toEqual([
      [refs[0], 'unreadable'],
      [refs[1], 'unreadable'],
      ['linked.txt', 'symlink'],
      ['sub/up/secret.txt', 'symlink'],
      ['/etc/hostname', 'refused'],
      ['sub/kept.txt', 'matches'],
    ]);
    expect(checks.filter((c) => c.found !== null).map((c) => c.documentRef)).toEqual([
      'sub/kept.txt',
    ]);
  });

  it('at recording, a documentRef naming a file stays inside the folder; a plain reference passes (issue 28, item 4)', async () => {
    const before = await api.eventCount();
    for (const documentRef of [
      '../etc/shadow',
      'a/../../b',
      '/etc/shadow',
      `${'x'.repeat(256)}`,
      'a\0b',
    ])
      expectProblem(
        await api.post(paths.program('notices'), {
          ...extensionNotice,
          noticeId: 'bad-ref',
          documentRef,
        }),
        400,
      );
    expect(await api.eventCount()).toBe(before);
    for (const [i, documentRef] of ['8-K 2007-05-16 ex. 99.1', 'letters/2005/usps.pdf'].entries())
      expect(
        (
          await api.post(paths.program('notices'), {
            ...extensionNotice,
            noticeId: `good-ref-${i}`,
            documentRef,
          })
        ).statusCode,
      ).toBe(201);
  });
});
