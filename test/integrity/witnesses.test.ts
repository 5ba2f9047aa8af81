/**
 * Witness cosigning (docs/design.md, "Witnesses"): a supplier's ledger and an inspector's ledger
 * witness each other through `compliance-ledger witness` servers listening on real ports; a
 * checkpoint without the quorum is not published; witnesses refuse forks, and the policy check
 * of the offline verifier rejects notes without enough cosignatures. Go's sumdb/note, not the
 * project's code, verifies the cosigned notes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWitnessApp } from '../../src/api/witness-app.ts';
import Database from '../../src/eventstore/sqlite/driver.ts';
import {
  type CheckpointKey,
  loadOrCreateSigningKey,
  signNote,
} from '../../src/integrity/checkpoint.ts';
import { witnessVerifierKey } from '../../src/integrity/cosignature.ts';
import { ledgerWitness } from '../../src/integrity/witness.ts';
import { addCheckpointBody } from '../../src/integrity/witnesses.ts';
import { verifyCosignedCheckpoint, verifyReceipt, type WitnessPolicy } from '../../src/verify.ts';
import {
  createTestFiles,
  paths,
  recordFoundingCase,
  registerSpecifications,
  signCheckpoint,
  startApi,
  type TestApi,
  type TestFiles,
  tdpReleaseBody,
} from '../api/support.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';

const SUPPLIER = 'supplier.example/ledger';
const INSPECTOR = 'inspector.example/ledger';

const NOTE_SOURCES = '/usr/share/gocode/src/golang.org/x/mod/sumdb/note';
const goMissing = spawnSync('go', ['version']).status !== 0 || !existsSync(NOTE_SOURCES);
const skipGo = goMissing && process.env.LEDGER_REQUIRE_GO !== '1';
if (skipGo)
  console.log(
    'skipping the Go interoperability check: no `go` or no golang-golang-x-mod-dev (CI sets LEDGER_REQUIRE_GO=1 and installs them)',
  );

interface RunningWitness {
  key: CheckpointKey;
  vkey: string;
  app: FastifyInstance;
  url: string;
}

async function startWitness(
  files: TestFiles,
  name: string,
  logs: string[],
  port = 0,
): Promise<RunningWitness> {
  const folder = name.replaceAll(/[^a-z]/g, '-');
  const key = loadOrCreateSigningKey(join(files.dir, `${folder}-key`), name);
  const app = buildWitnessApp(ledgerWitness({ key, logs, stateDir: join(files.dir, folder) }));
  await app.listen({ host: '127.0.0.1', port });
  const { port: bound } = app.server.address() as AddressInfo;
  return { key, vkey: witnessVerifierKey(key), app, url: `http://127.0.0.1:${bound}` };
}

const noteOf = async (api: TestApi) => {
  const response = await api.get('/v1/ledger/checkpoint', {
    as: 'auditor',
    headers: { accept: 'text/plain' },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.body;
};

const post = (witness: RunningWitness, body: string) =>
  fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body });

describe('two ledgers witnessing each other', () => {
  const supplierFiles = createTestFiles();
  const inspectorFiles = createTestFiles();
  const supplierKey = loadOrCreateSigningKey(join(supplierFiles.dir, 'checkpoint-key'), SUPPLIER);
  const inspectorKey = loadOrCreateSigningKey(
    join(inspectorFiles.dir, 'checkpoint-key'),
    INSPECTOR,
  );
  let supplier: TestApi;
  let inspector: TestApi;
  /** The supplier's witness of the inspector's ledger, and the inspector's of the supplier's. */
  let bySupplier: RunningWitness;
  let byInspector: RunningWitness;
  /** A third witness of the supplier's ledger: its policy is 2 of 2. */
  let third: RunningWitness;
  let policy: WitnessPolicy;
  const env = (origin: string, witnesses: RunningWitness[], quorum: number) => ({
    LEDGER_ORIGIN: origin,
    LEDGER_CHECKPOINT_INTERVAL_MS: '0',
    LEDGER_WITNESSES: witnesses.map((w) => `${w.vkey} ${w.url}`).join(','),
    LEDGER_WITNESS_QUORUM: String(quorum),
  });

  beforeAll(async () => {
    bySupplier = await startWitness(supplierFiles, 'supplier.example/witness', [
      inspectorKey.verifierKey,
    ]);
    byInspector = await startWitness(inspectorFiles, 'inspector.example/witness', [
      supplierKey.verifierKey,
    ]);
    third = await startWitness(supplierFiles, 'third.example/witness', [supplierKey.verifierKey]);
    supplier = await startApi({
      files: supplierFiles,
      store: 'sqlite',
      env: env(SUPPLIER, [byInspector, third], 2),
    });
    inspector = await startApi({
      files: inspectorFiles,
      store: 'sqlite',
      env: env(INSPECTOR, [bySupplier], 1),
    });
    policy = { log: supplierKey.verifierKey, witnesses: [byInspector.vkey, third.vkey], quorum: 2 };
  });
  afterAll(async () => {
    await Promise.all([supplier, inspector].map((api) => api.close()));
    await Promise.all([bySupplier, byInspector, third].map((w) => w.app.close()));
  });

  let publishedNote = '';
  let inspectorNote = '';

  it("cosigns each ledger's checkpoints by the other's witness, and serves the cosigned note", async () => {
    await recordFoundingCase(supplier);
    const signed = await signCheckpoint(supplier);
    expect(signed.cosigners.sort()).toEqual(['inspector.example/witness', 'third.example/witness']);
    publishedNote = await noteOf(supplier);
    expect(publishedNote).toBe(signed.note);
    expect(verifyCosignedCheckpoint(publishedNote, policy)).toMatchObject({
      origin: SUPPLIER,
      treeSize: 4,
    });

    await registerSpecifications(inspector);
    expect((await signCheckpoint(inspector)).cosigners).toEqual(['supplier.example/witness']);
    inspectorNote = await noteOf(inspector);
    expect(
      verifyCosignedCheckpoint(inspectorNote, {
        log: inspectorKey.verifierKey,
        witnesses: [bySupplier.vkey],
        quorum: 1,
      }).treeSize,
    ).toBe(2);
    // The witness serves what it cosigned, for monitors (tlog-witness, monitoring prefix).
    const hash = (await import('../../src/integrity/witness.ts')).originHash(INSPECTOR);
    const served = await fetch(`${bySupplier.url}/${hash}/checkpoint`);
    expect(await served.text()).toBe(inspectorNote);
  });

  it.skipIf(skipGo)("verifies with Go's sumdb/note and the log's and witnesses' keys", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-go-note-'));
    try {
      const binary = join(dir, 'cosigned-note');
      const build = spawnSync(
        'go',
        ['build', '-o', binary, join(import.meta.dirname, 'go/cosigned-note/main.go')],
        {
          env: {
            ...process.env,
            GOPATH: '/usr/share/gocode',
            GO111MODULE: 'off',
            GOCACHE: join(dir, 'cache'),
            GOFLAGS: '',
          },
          encoding: 'utf8',
        },
      );
      expect(build.status, build.stderr).toBe(0);
      const open = (note: string, ...keys: string[]) => {
        writeFileSync(join(dir, 'note'), note);
        return spawnSync(binary, [join(dir, 'note'), ...keys], { encoding: 'utf8' });
      };
      const supplierRun = open(
        publishedNote,
        supplierKey.verifierKey,
        byInspector.vkey,
        third.vkey,
      );
      expect(supplierRun.status, supplierRun.stderr).toBe(0);
      expect(supplierRun.stdout.trim().split('\n').sort()).toEqual([
        'inspector.example/witness',
        SUPPLIER,
        'third.example/witness',
      ]);
      const inspectorRun = open(inspectorNote, inspectorKey.verifierKey, bySupplier.vkey);
      expect(inspectorRun.status, inspectorRun.stderr).toBe(0);
      expect(inspectorRun.stdout.trim().split('\n').sort()).toEqual([
        INSPECTOR,
        'supplier.example/witness',
      ]);
      // A cosignature changed by one bit fails in Go too.
      const lines = publishedNote.split('\n');
      const last = lines.length - 2;
      const sig = Buffer.from((lines[last] as string).split(' ')[2] as string, 'base64');
      sig[20] = (sig[20] as number) ^ 1;
      lines[last] =
        `${(lines[last] as string).split(' ').slice(0, 2).join(' ')} ${sig.toString('base64')}`;
      const tampered = open(
        lines.join('\n'),
        supplierKey.verifierKey,
        byInspector.vkey,
        third.vkey,
      );
      expect(tampered.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  let unpublishedNote = '';

  it('does not publish a checkpoint without the quorum: receipts keep citing the older one', async () => {
    const receiptSize = async () => {
      const response = await supplier.get(
        `/v1/programs/${PROGRAM_ID}/status/receipt?at=2007-09-10`,
        { as: 'auditor' },
      );
      expect(response.statusCode, response.body).toBe(200);
      return verifyReceipt(response.body, supplierKey.verifierKey).checkpoint.treeSize;
    };
    const { port } = third.app.server.address() as AddressInfo;
    await third.app.close();
    await supplier.post(paths.tdpReleases(), tdpReleaseBody);
    const signed = await signCheckpoint(supplier);
    expect(signed).toMatchObject({ treeSize: 5, cosigners: ['inspector.example/witness'] });
    unpublishedNote = signed.note;
    expect(await noteOf(supplier)).toBe(publishedNote);
    expect(await receiptSize()).toBe(4);

    // The witness is back: the next round asks it again, from the size it last cosigned.
    third = await startWitness(
      supplierFiles,
      'third.example/witness',
      [supplierKey.verifierKey],
      port,
    );
    expect((await signCheckpoint(supplier)).cosigners).toHaveLength(2);
    expect(verifyCosignedCheckpoint(await noteOf(supplier), policy).treeSize).toBe(5);
    expect(await receiptSize()).toBe(5);
  });

  it('rejects, by policy, a note without enough cosignatures and a fork the witness refused', async () => {
    expect(() => verifyCosignedCheckpoint(unpublishedNote, policy)).toThrow(
      /cosigned by 1 of the policy's witnesses \(inspector.example\/witness\), fewer than the 2/,
    );
    // The supplier's key signs another root for size 5: a fork, which no witness cosigns.
    const fork = signNote(
      `${SUPPLIER}\n5\n${Buffer.alloc(32, 7).toString('base64')}\n`,
      supplierKey,
    );
    const refused = await post(byInspector, addCheckpointBody(fork, 5, []));
    expect(refused.status).toBe(422);
    expect(await refused.text()).toMatch(/another root: a fork/);
    expect(() => verifyCosignedCheckpoint(fork, policy)).toThrow(/cosigned by 0/);
    // Nor a smaller one than it saw: 409 with the size it cosigned last (tlog-witness).
    const stale = await post(byInspector, addCheckpointBody(publishedNote, 4, []));
    expect(stale.status).toBe(409);
    expect(stale.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(await stale.text()).toBe('5\n');
  });

  it('audits with a policy: passes on the published ledger, fails without the quorum and on a refused fork', async () => {
    const dir = supplierFiles.dir;
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const policyFile = (witnesses: RunningWitness[]) =>
      [
        `log ${supplierKey.verifierKey}`,
        ...witnesses.map((w) => `witness ${w.vkey}`),
        'quorum 2',
        '',
      ].join('\n');
    const policyPath = write('policy', policyFile([byInspector, third]));
    // bySupplier witnesses the inspector's ledger, never the supplier's.
    const stricter = write('stricter-policy', policyFile([byInspector, bySupplier]));
    const fork = signNote(
      `${SUPPLIER}\n5\n${Buffer.alloc(32, 9).toString('base64')}\n`,
      supplierKey,
    );
    expect((await post(byInspector, addCheckpointBody(fork, 5, []))).status).toBe(422);
    const receipt = (
      await supplier.get(`/v1/programs/${PROGRAM_ID}/status/receipt?at=2007-09-10`, {
        as: 'auditor',
      })
    ).body;
    const ledger = ledgerBinary(dir);
    const audit = (trusted: string, policyPath: string) =>
      ledger(
        '--store',
        supplierFiles.sqliteUrl,
        'audit',
        '--trusted',
        trusted,
        '--policy',
        policyPath,
        '--key-dir',
        join(dir, 'checkpoint-key'),
      );
    const [passed, unpublished, forked, receiptRun] = await Promise.all([
      audit(write('trusted-1', publishedNote), policyPath),
      audit(write('trusted-2', publishedNote), stricter),
      audit(write('trusted-fork', fork), policyPath),
      ledger('receipt', 'verify', write('receipt', receipt), '--policy', policyPath),
    ]);
    expect(passed.code, passed.stderr).toBe(0);
    expect(passed.stdout).toMatch(
      /audit passed: the ledger of tree size 5 extends the trusted one of size 4/,
    );
    expect(unpublished.code).toBe(1);
    expect(unpublished.stderr).toMatch(
      /the trusted checkpoint does not verify: .*cosigned by 1 of the policy's witnesses \(inspector.example\/witness\), fewer than the 2/,
    );
    expect(forked.code).toBe(1);
    expect(forked.stderr).toMatch(
      /the trusted checkpoint does not verify: .*tree size 5 is cosigned by 0/,
    );
    expect(receiptRun.code, receiptRun.stderr).toBe(0);
    // The offline verifier: the receipt carries the cosigned checkpoint it cites.
    expect(verifyReceipt(receipt, supplierKey.verifierKey, policy).checkpoint.treeSize).toBe(5);
    expect(() =>
      verifyReceipt(receipt, supplierKey.verifierKey, {
        ...policy,
        witnesses: [byInspector.vkey, bySupplier.vkey],
      }),
    ).toThrow(/receipt: the checkpoint it cites tree size 5 is cosigned by 1/);
  });

  it('answers 404 for a log it does not witness, 403 for a checkpoint its log did not sign', async () => {
    expect((await post(byInspector, addCheckpointBody(inspectorNote, 0, []))).status).toBe(404);
    const impostor = loadOrCreateSigningKey(join(supplierFiles.dir, 'impostor-key'), SUPPLIER);
    const forged = signNote(
      `${SUPPLIER}\n6\n${Buffer.alloc(32, 1).toString('base64')}\n`,
      impostor,
    );
    expect((await post(byInspector, addCheckpointBody(forged, 5, []))).status).toBe(403);
    expect((await post(byInspector, 'old 5\n')).status).toBe(400);
  });

  it('ignores a kept cosignature that does not verify, and goes on answering', async () => {
    const line = publishedNote.trimEnd().split('\n').at(-1) as string;
    const [dash, name, base64] = line.split(' ') as [string, string, string];
    const bytes = Buffer.from(base64, 'base64');
    bytes[40] = (bytes[40] as number) ^ 1;
    const db = new Database(supplierFiles.sqliteUrl.slice('sqlite:'.length));
    db.prepare(
      'INSERT INTO checkpoint_cosignatures (idx, tree_size, line) SELECT max(idx) + 1, 4, ? FROM checkpoint_cosignatures',
    ).run(`${dash} ${name} ${bytes.toString('base64')}\n`);
    db.close();
    const served = await supplier.get('/v1/ledger/checkpoints', { as: 'auditor' });
    expect(served.statusCode, served.body).toBe(200);
    const four = served.data.items.find((c: { treeSize: number }) => c.treeSize === 4);
    expect(four.note).toBe(publishedNote);
  });
});
