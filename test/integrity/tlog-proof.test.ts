/**
 * The log in standard formats (docs/design.md §7.6), checked by Go programs that know only the
 * specs and Go's sumdb/note and sumdb/tlog: inclusion proofs and receipts as C2SP tlog-proof
 * bundles (test/integrity/go/tlog-proof), and the log as C2SP tlog-tiles followed over HTTP
 * (test/integrity/go/tlog-tiles).
 */
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFoundingCase, signCheckpoint, startApi, type TestApi } from '../api/support.ts';
import { anEvent } from '../eventstore/contract.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import { buildGo, goAvailable } from '../support/go-tool.ts';

describe.skipIf(!goAvailable('tlog-proof interoperability'))('C2SP tlog-proof bundles', () => {
  let api: TestApi;
  let verifierKey = '';
  let tool = '';
  let checkpoint: { rootHash: string; treeSize: number; note: string };
  const check = (name: string, bundle: string) => {
    const path = join(api.files.dir, name);
    writeFileSync(path, bundle);
    const run = spawnSync(tool, [path, verifierKey]);
    return { code: run.status, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
  };

  beforeAll(async () => {
    api = await startApi();
    tool = join(api.files.dir, 'tlog-proof');
    buildGo(join(import.meta.dirname, 'go/tlog-proof'), tool);
    await recordFoundingCase(api, { tdp: true });
    checkpoint = await signCheckpoint(api);
    verifierKey = (await api.get('/v1/ledger/checkpoint/public-key', { as: 'auditor' })).data
      .verifierKey;
  }, 120_000);
  afterAll(() => api?.close());

  it('an inclusion proof as a bundle verifies with Go, and fails once a hash or the entry is changed', async () => {
    const events = (await api.get('/v1/events?fromPosition=2&limit=1', { as: 'auditor' })).data
      .events;
    const response = await api.get(
      `/v1/ledger/proofs/inclusion?eventId=${events[0].eventId}&format=tlog-proof`,
      { as: 'auditor' },
    );
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.headers['content-disposition']).toMatch(/\.tlog-proof"$/);
    const bundle = response.body;
    const lines = bundle.split('\n');
    expect(lines[0]).toBe('c2sp.org/tlog-proof@v1');
    expect(lines[2]).toBe('index 1');
    expect(bundle.endsWith(`\n\n${checkpoint.note}`)).toBe(true);
    // The extra data is the event exactly as GET /v1/events serves it (its leaf input).
    const extra = JSON.parse(
      Buffer.from(lines[1]?.slice('extra '.length) ?? '', 'base64').toString(),
    );
    expect(extra).toEqual(events[0]);

    expect(check('event.tlog-proof', bundle)).toEqual({
      code: 0,
      stdout: `entry 1 is in the checkpoint of compliance-ledger.local/ledger, size 5, root ${checkpoint.rootHash}\n`,
      stderr: '',
    });

    const hash = lines[3] as string;
    const flipped = `${hash[0] === 'A' ? 'B' : 'A'}${hash.slice(1)}`;
    const badHash = check('bad-hash.tlog-proof', bundle.replace(hash, flipped));
    expect(badHash.code).toBe(1);
    expect(badHash.stderr).toMatch(/^tlog-proof: inclusion proof: /);
    const otherEntry = Buffer.from(JSON.stringify({ ...extra, type: 'Other' })).toString('base64');
    const badEntry = check(
      'bad-entry.tlog-proof',
      bundle.replace(lines[1] as string, `extra ${otherEntry}`),
    );
    expect(badEntry.code).toBe(1);
    expect(badEntry.stderr).toMatch(/^tlog-proof: inclusion proof: /);
  });

  it('a receipt as a bundle verifies with Go: its checkpoint, the last entry of that tree, and the receipt', async () => {
    const response = await api.get(
      `/v1/programs/${PROGRAM_ID}/status/receipt?at=2007-09-10&format=tlog-proof`,
      { as: 'auditor' },
    );
    expect(response.statusCode, response.body).toBe(200);
    const run = check('receipt.tlog-proof', response.body);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [entry, header, json] = run.stdout.split('\n');
    expect(entry).toBe(
      `entry 4 is in the checkpoint of compliance-ledger.local/ledger, size 5, root ${checkpoint.rootHash}`,
    );
    expect(header).toBe('receipt: compliance-ledger receipt v1');
    const body = JSON.parse(json as string);
    expect(body.checkpoint).toMatchObject({ treeSize: 5, rootHash: checkpoint.rootHash });
    expect(body.answer).toMatchObject({ status: 'expired', until: '2007-09-08' });
  });
});

describe.skipIf(!goAvailable('tlog-tiles interoperability'))('C2SP tlog-tiles', () => {
  let api: TestApi;
  let prefix = '';
  let tool = '';
  let verifierKey = '';
  const follow = (token: string) =>
    promisify(execFile)(tool, [prefix, token, verifierKey]).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  beforeAll(async () => {
    api = await startApi();
    tool = join(api.files.dir, 'tlog-tiles');
    buildGo(join(import.meta.dirname, 'go/tlog-tiles'), tool);
    await recordFoundingCase(api, { tdp: true });
    // 300 leaves: full and partial level-0 tiles and bundles, and a level-1 tile.
    for (let batch = 0; batch < 3; batch++)
      await api.app.ledger.store.append(
        `tiles-${batch}`,
        Array.from({ length: 100 - (batch === 2 ? 5 : 0) }, () => anEvent()),
        { expectedRevision: 'no-stream' },
      );
    expect((await signCheckpoint(api)).treeSize).toBe(300);
    verifierKey = (await api.get('/v1/ledger/checkpoint/public-key', { as: 'auditor' })).data
      .verifierKey;
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    prefix = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}/v1/ledger/tlog`;
  }, 120_000);
  afterAll(() => api?.close());

  it('is followed by Go: every tile checked against the signed root, every entry proven', async () => {
    const run = await follow(api.keys.auditor);
    expect(run).toEqual({
      code: 0,
      stdout:
        'compliance-ledger.local/ledger: 300 entries, each proven in the checkpoint of size 300\n',
      stderr: '',
    });
  });

  it('is behind the same keys as every read, and serves no tile the checkpoint does not cover', async () => {
    const refused = await follow('lk_00000000_not-a-key');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/HTTP 401/);
    const beyond = await api.get('/v1/ledger/tlog/tile/0/001.p/45', { as: 'auditor' });
    expect(beyond.statusCode).toBe(404);
    expect(beyond.data.detail).toMatch(/not covered by the last checkpoint \(tree size 300\)/);
    const level1 = await api.get('/v1/ledger/tlog/tile/1/000.p/1', { as: 'auditor' });
    expect(level1.statusCode).toBe(200);
    expect(level1.headers['content-type']).toBe('application/octet-stream');
    expect(level1.rawPayload).toHaveLength(32);
    expect((await api.get('/v1/ledger/tlog/tile/0/1234', { as: 'auditor' })).statusCode).toBe(404);
  });
});
