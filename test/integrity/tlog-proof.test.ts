/**
 * Inclusion proofs and receipts as C2SP tlog-proof bundles (docs/design.md §7.5), checked by a
 * Go program that knows only the spec and Go's sumdb/note and sumdb/tlog
 * (test/integrity/go/tlog-proof).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFoundingCase, signCheckpoint, startApi, type TestApi } from '../api/support.ts';
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
