import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programFacts } from '../../projections/program-facts.ts';
import { AuditFailure } from '../../src/cli/audit.ts';
import { checkReceiptAgainst, checkReceiptSignature } from '../../src/cli/receipt.ts';
import Database from '../../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore } from '../../src/eventstore/sqlite/index.ts';
import { RECEIPT_HEADER, verifyReceipt } from '../../src/verify.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';
import {
  paths,
  recordFoundingCase,
  signCheckpoint,
  startApi,
  type TestApi,
  tdpReleaseBody,
} from './support.ts';

describe('signed answers (receipts)', () => {
  let api: TestApi;
  let publicKey = '';
  let receipt = '';
  beforeAll(async () => {
    api = await startApi({ store: 'sqlite' });
    await recordFoundingCase(api, { tdp: true });
    // Receipts cite the last checkpoint kept (the service's cadence, here an admin's request).
    await signCheckpoint(api);
    publicKey = (await api.get('/v1/ledger/checkpoint/public-key', { as: 'auditor' })).data
      .verifierKey;
    const response = await api.get(`/v1/programs/${PROGRAM_ID}/status/receipt?at=2007-09-10`, {
      as: 'auditor',
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    receipt = response.body;
  });
  afterAll(() => api.close());

  it('states the answer, the query and the checkpoint it was computed at, and verifies offline', async () => {
    expect(receipt.split('\n')[0]).toBe(RECEIPT_HEADER);
    const body = verifyReceipt(receipt, publicKey);
    expect(body).toMatchObject({
      kind: 'status',
      query: { programId: PROGRAM_ID, at: '2007-09-10', asKnownAt: null },
      answer: { status: 'expired', until: '2007-09-08' },
      checkpoint: { origin: 'compliance-ledger.local/ledger', treeSize: 5 },
    });
    const checkpoint = (await api.get('/v1/ledger/checkpoint', { as: 'auditor' })).data;
    expect(body.checkpoint.rootHash).toBe(checkpoint.rootHash);
    await expect(checkReceiptAgainst(api.app.ledger.store, body)).resolves.toBeUndefined();
  });

  it('is computed from the ledger cut at its tree size, and asKnownAt still applies', async () => {
    const timeline = await api.get(`/v1/programs/${PROGRAM_ID}/timeline/receipt?asKnownAt=4`, {
      as: 'auditor',
    });
    const body = verifyReceipt(timeline.body, publicKey);
    expect(body.kind).toBe('timeline');
    expect(body.query.asKnownAt).toBe('4');
    // As known at position 4 the TDP was not recorded: one open-ended authorization.
    expect((body.answer as { status: string; until: string | null }[]).at(-1)).toMatchObject({
      status: 'authorized',
      until: null,
    });
    await checkReceiptAgainst(api.app.ledger.store, body);
  });

  it('altered in one byte, it fails naming the signature', () => {
    const at = receipt.indexOf('"expired"') + 2;
    const altered = `${receipt.slice(0, at)}X${receipt.slice(at + 1)}`;
    expect(() => checkReceiptSignature(altered, publicKey)).toThrow(
      /^the receipt does not verify: the signature of compliance-ledger\.local\/ledger does not verify$/,
    );
  });

  it('checked against a ledger whose events differ at that size, it fails naming the root', async () => {
    const copy = join(api.files.dir, 'altered.sqlite');
    const live = new Database(api.files.sqliteUrl.slice('sqlite:'.length), { readonly: true });
    await live.backup(copy);
    live.close();
    const db = new Database(copy);
    db.prepare(
      `UPDATE events SET data = json_set(data, '$.releasedOn', '2008-05-08') WHERE position = 5`,
    ).run();
    db.close();
    const store = openSqliteEventStore(copy, { readOnly: true });
    await expect(checkReceiptAgainst(store, verifyReceipt(receipt, publicKey))).rejects.toThrow(
      "the ledger's first 5 events hash to another root than the receipt's: it is not the ledger the receipt was computed from",
    );
    await store.close();
  });
});

describe('a receipt signed for a wrong answer', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ store: 'sqlite' });
    await recordFoundingCase(api, { tdp: false });
    expect((await api.post(paths.tdpReleases(), tdpReleaseBody)).statusCode).toBe(201);
    await signCheckpoint(api);
  });
  afterAll(() => api.close());

  it('fails against the ledger, naming both answers; the CLI exits 1', async () => {
    // The running read model changed behind the ledger: the server signs what it believes.
    const facts = api.app.ledger.projections.state(programFacts);
    const tdp = [...facts.specifications.values()]
      .flat()
      .find((f) => f.type === 'TechnicalDataPackageReleased');
    if (tdp?.type !== 'TechnicalDataPackageReleased') throw new Error('no TDP');
    tdp.data.releasedOn = '9999-05-08';
    const response = await api.get(`/v1/programs/${PROGRAM_ID}/status/receipt?at=2007-09-10`, {
      as: 'auditor',
    });
    const publicKey = (await api.get('/v1/ledger/checkpoint/public-key', { as: 'auditor' })).data
      .verifierKey;
    const body = verifyReceipt(response.body, publicKey);
    const failure = checkReceiptAgainst(api.app.ledger.store, body);
    await expect(failure).rejects.toThrow(AuditFailure);
    await expect(failure).rejects.toThrow(
      'the ledger at tree size 5 answers expired until 2007-09-08, the receipt says authorized until 9999-09-08',
    );

    const folder = api.files.dir;
    writeFileSync(join(folder, 'receipt.txt'), response.body);
    writeFileSync(join(folder, 'server.vkey'), `${publicKey}\n`);
    const ledger = ledgerBinary(folder);
    const offline = await ledger('receipt', 'verify', 'receipt.txt', '--public-key', 'server.vkey');
    expect(offline, offline.stderr).toMatchObject({ code: 0 });
    expect(offline.stdout).toMatch(/^receipt verified: signed by the checkpoint key, status of /);
    const recomputed = await ledger(
      '--store',
      api.files.sqliteUrl,
      'receipt',
      'verify',
      'receipt.txt',
      '--public-key',
      'server.vkey',
    );
    expect(recomputed.code).toBe(1);
    expect(recomputed.stderr).toBe(
      'compliance-ledger: receipt failed: the ledger at tree size 5 answers expired until 2007-09-08, the receipt says authorized until 9999-09-08\n',
    );
  }, 120_000);
});
