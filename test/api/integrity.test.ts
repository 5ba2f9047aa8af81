/**
 * Signed checkpoints and Merkle proofs over HTTP (docs/design.md §7), checked the way an
 * outside auditor would: every note with the published key, every proof with src/verify.ts
 * against the size and root of a verified note, every leaf recomputed from GET /v1/events.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorsPlugin } from '../../src/api/plugins/errors.ts';
import type { Ledger } from '../../src/api/plugins/ledger.ts';
import { integrityRoutes } from '../../src/api/routes/integrity.ts';
import { leafHash, leafInput } from '../../src/core/merkle-leaf.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import Database from '../../src/eventstore/sqlite/driver.ts';
import {
  type VerifiedCheckpoint,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '../../src/verify.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import {
  createTestFiles,
  expectProblem,
  expectRecorded,
  expectValidationProblem,
  PROBLEM_PREFIX,
  paths,
  recordFoundingCase,
  signCheckpoint,
  startApi,
  type TestApi,
} from './support.ts';

const fromHex = (text: string) => Buffer.from(text, 'hex');
const shipment = (shipmentId: string) => ({ shipmentId, shippedOn: '2006-03-01', units: 5 });

let api: TestApi;
let verifierKey = '';
let publicKeyPem = '';

async function allEvents(): Promise<RecordedEvent[]> {
  return (await api.get('/v1/events?limit=1000', { as: 'auditor' })).data.events;
}

/** The last checkpoint the server signed, verified with the published key. */
async function checkpointNow(): Promise<VerifiedCheckpoint & { note: string }> {
  const response = await api.get('/v1/ledger/checkpoint', { as: 'auditor' });
  expect(response.statusCode, response.body).toBe(200);
  return { ...verifyCheckpoint(response.data.note, verifierKey), note: response.data.note };
}

beforeAll(async () => {
  api = await startApi();
  const key = await api.get('/v1/ledger/checkpoint/public-key', { as: 'auditor' });
  expect(key.statusCode).toBe(200);
  ({ verifierKey, publicKeyPem } = key.data);
  await recordFoundingCase(api);
  await signCheckpoint(api);
});
afterAll(() => api?.close());

describe('GET /v1/ledger/checkpoint', () => {
  it('is a C2SP checkpoint of the ledger, signed with the published key', async () => {
    const response = await api.get('/v1/ledger/checkpoint', { as: 'auditor' });
    expect(response.statusCode).toBe(200);
    const body = response.data;
    expect(body).toEqual({
      origin: 'compliance-ledger.local/ledger',
      treeSize: 4,
      rootHash: expect.any(String),
      rootHashHex: expect.stringMatching(/^[0-9a-f]{64}$/),
      note: expect.any(String),
      cosigners: [],
      // No timestamping authority is configured here (test/integrity/trusted-time.test.ts).
      timestampToken: null,
    });
    expect(Buffer.from(body.rootHash, 'base64').toString('hex')).toBe(body.rootHashHex);
    expect(body.note.split('\n').slice(0, 3)).toEqual([body.origin, '4', body.rootHash]);
    for (const key of [verifierKey, publicKeyPem]) {
      const verified = verifyCheckpoint(body.note, key);
      expect(verified.treeSize).toBe(4);
      expect(Buffer.from(verified.rootHash).toString('hex')).toBe(body.rootHashHex);
    }
    // The root is the one a third party computes from the events served.
    const events = await allEvents();
    const { proof } = (
      await api.get(`/v1/ledger/proofs/inclusion?eventId=${events[0]?.eventId}`, { as: 'auditor' })
    ).data;
    expect(
      verifyInclusion(
        leafHash(leafInput(events[0] as RecordedEvent)),
        0,
        3,
        proof.map(fromHex),
        fromHex(body.rootHashHex),
      ),
    ).toBe(true);
  });

  it('gives the note alone to a client that prefers text/plain', async () => {
    const json = await checkpointNow();
    for (const accept of [
      'text/plain',
      'application/json;q=0.5, text/*',
      'text/plain, */*;q=0.1',
    ]) {
      const response = await api.get('/v1/ledger/checkpoint', { headers: { accept } });
      expect(response.statusCode, accept).toBe(200);
      expect(response.headers['content-type'], accept).toMatch(/^text\/plain/);
      expect(response.body, accept).toBe(json.note);
    }
    for (const accept of ['application/json', '*/*', 'text/plain;q=0.2, application/json']) {
      const response = await api.get('/v1/ledger/checkpoint', { headers: { accept } });
      expect(response.headers['content-type'], accept).toMatch(/^application\/json/);
    }
  });

  it('is the last one signed: reading never signs; an admin signs one only when the ledger grew, and every one is kept', async () => {
    const before = (await api.get('/v1/ledger/checkpoints', { as: 'auditor' })).data.items;
    const first = await checkpointNow();
    expect((await signCheckpoint(api)).note).toBe(first.note);
    const kept = (await api.get('/v1/ledger/checkpoints')).data.items;
    expect(kept.length).toBe(before.length);

    expectRecorded(await api.post(paths.program('shipments'), shipment('grow-1')));
    for (let i = 0; i < 20; i++) expect((await checkpointNow()).note).toBe(first.note);
    expect((await api.get('/v1/ledger/checkpoints')).data.items).toEqual(kept);
    await signCheckpoint(api);
    const grown = await checkpointNow();
    expect(grown.treeSize).toBe(first.treeSize + 1);
    const all = (await api.get('/v1/ledger/checkpoints')).data.items;
    expect(all.map((c: { treeSize: number }) => c.treeSize)).toEqual([
      ...kept.map((c: { treeSize: number }) => c.treeSize),
      grown.treeSize,
    ]);
    expect(all.at(-1).note).toBe(grown.note);
    for (const c of all) expect(verifyCheckpoint(c.note, verifierKey).treeSize).toBe(c.treeSize);
  });
});

describe('GET and POST /v1/ledger/checkpoints', () => {
  it('pages the kept checkpoints, oldest first, with limit and an opaque cursor', async () => {
    for (const id of ['page-1', 'page-2', 'page-3']) {
      expectRecorded(await api.post(paths.program('shipments'), shipment(id)));
      await signCheckpoint(api);
    }
    const sizes: number[] = [];
    let url = '/v1/ledger/checkpoints?limit=2';
    for (;;) {
      const page = (await api.get(url, { as: 'auditor' })).data;
      expect(page.items.length).toBeLessThanOrEqual(2);
      sizes.push(...page.items.map((c: { treeSize: number }) => c.treeSize));
      if (page.next === null) break;
      url = `/v1/ledger/checkpoints?limit=2&cursor=${page.next}`;
    }
    const first = (await api.get('/v1/ledger/checkpoints')).data;
    expect(first.next).toBeNull();
    expect(sizes).toEqual(first.items.map((c: { treeSize: number }) => c.treeSize));
    expect(sizes.length).toBeGreaterThanOrEqual(5);
    for (const query of ['limit=0', 'limit=1001'])
      expectValidationProblem(await api.get(`/v1/ledger/checkpoints?${query}`));
    for (const query of ['cursor=abc', 'cursor=-1'])
      expectProblem(await api.get(`/v1/ledger/checkpoints?${query}`), 400, 'invalid-cursor');
  });

  it('signs on demand for an admin only', async () => {
    for (const as of ['auditor', 'recorder'] as const)
      expectProblem(await api.post('/v1/ledger/checkpoints', undefined, { as }), 403);
  });
});

describe('GET /v1/ledger/proofs/inclusion', () => {
  it('proves every event of the ledger in the latest checkpoint and in earlier ones', async () => {
    const earlier = await checkpointNow();
    expectRecorded(await api.post(paths.program('shipments'), shipment('incl-1')));
    expectRecorded(await api.post(paths.program('shipments'), shipment('incl-2')));
    await signCheckpoint(api);
    const events = await allEvents();
    for (const [index, event] of events.entries()) {
      const response = await api.get(`/v1/ledger/proofs/inclusion?eventId=${event.eventId}`, {
        as: 'auditor',
      });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.data;
      // Size and root from the signed note, never from fields beside it.
      const signed = verifyCheckpoint(body.checkpoint.note, verifierKey);
      expect(signed.treeSize).toBe(events.length);
      expect(body).toMatchObject({
        eventId: event.eventId,
        leafIndex: index,
        treeSize: events.length,
      });
      const leaf = leafHash(leafInput(event));
      expect(body.leafHash).toBe(Buffer.from(leaf).toString('hex'));
      expect(
        verifyInclusion(leaf, index, signed.treeSize, body.proof.map(fromHex), signed.rootHash),
      ).toBe(true);
      // The proof is of its own size only: it fails against the earlier root.
      expect(
        verifyInclusion(leaf, index, signed.treeSize, body.proof.map(fromHex), earlier.rootHash),
      ).toBe(false);
    }

    const old = events[1] as RecordedEvent;
    const inEarlier = await api.get(
      `/v1/ledger/proofs/inclusion?eventId=${old.eventId}&treeSize=${earlier.treeSize}`,
    );
    expect(inEarlier.statusCode).toBe(200);
    expect(inEarlier.data.checkpoint.note).toBe(earlier.note);
    expect(
      verifyInclusion(
        leafHash(leafInput(old)),
        1,
        earlier.treeSize,
        inEarlier.data.proof.map(fromHex),
        earlier.rootHash,
      ),
    ).toBe(true);
  });

  it('takes the current tree size once it is signed, never signing it for the asking', async () => {
    expectRecorded(await api.post(paths.program('shipments'), shipment('incl-now')));
    const events = await allEvents();
    const last = events.at(-1) as RecordedEvent;
    const url = `/v1/ledger/proofs/inclusion?eventId=${last.eventId}&treeSize=${events.length}`;
    expectProblem(await api.get(url), 404, 'unknown-checkpoint');
    await signCheckpoint(api);
    const response = await api.get(url);
    expect(response.statusCode, response.body).toBe(200);
    expect(verifyCheckpoint(response.data.checkpoint.note, verifierKey).treeSize).toBe(
      events.length,
    );
    const kept = (await api.get('/v1/ledger/checkpoints')).data.items;
    expect(kept.at(-1).treeSize).toBe(events.length);
  });

  it('answers problems for unknown events, sizes never signed and events after the checkpoint', async () => {
    const events = await allEvents();
    const kept = (await api.get('/v1/ledger/checkpoints')).data.items;
    const smallest = kept[0].treeSize;
    const unsigned = [...Array(events.length).keys()].find(
      (n) => !kept.some((c: { treeSize: number }) => c.treeSize === n),
    );
    expect(unsigned).toBeDefined();
    const first = events[0]?.eventId;
    const last = events.at(-1)?.eventId;

    expectProblem(
      await api.get('/v1/ledger/proofs/inclusion?eventId=00000000-0000-4000-8000-000000000000'),
      404,
      'not-found',
    );
    const never = expectProblem(
      await api.get(`/v1/ledger/proofs/inclusion?eventId=${first}&treeSize=${unsigned}`),
      404,
      'unknown-checkpoint',
    );
    expect(never.detail).toContain(`tree size ${unsigned}`);
    expectProblem(
      await api.get(`/v1/ledger/proofs/inclusion?eventId=${first}&treeSize=${events.length + 5}`),
      404,
      'unknown-checkpoint',
    );
    expectProblem(
      await api.get(`/v1/ledger/proofs/inclusion?eventId=${last}&treeSize=${smallest}`),
      404,
      'not-in-checkpoint',
    );
    for (const query of [
      '',
      `eventId=${first}&treeSize=abc`,
      `eventId=${first}&treeSize=-1`,
      'eventId=',
    ])
      expectValidationProblem(await api.get(`/v1/ledger/proofs/inclusion?${query}`));
  });
});

describe('GET /v1/ledger/proofs/consistency', () => {
  it('proves each kept checkpoint extends every earlier one, with both notes', async () => {
    expectRecorded(await api.post(paths.program('shipments'), shipment('cons-1')));
    await signCheckpoint(api);
    const latest = await checkpointNow();
    const kept = (await api.get('/v1/ledger/checkpoints')).data.items;
    expect(kept.length).toBeGreaterThanOrEqual(3);
    for (const from of kept) {
      const response = await api.get(`/v1/ledger/proofs/consistency?from=${from.treeSize}`, {
        as: 'auditor',
      });
      expect(response.statusCode, response.body).toBe(200);
      const earlier = verifyCheckpoint(response.data.from.note, verifierKey);
      const later = verifyCheckpoint(response.data.to.note, verifierKey);
      expect(later.treeSize).toBe(latest.treeSize);
      const proof = response.data.proof.map(fromHex);
      expect(
        verifyConsistency(
          earlier.treeSize,
          later.treeSize,
          proof,
          earlier.rootHash,
          later.rootHash,
        ),
      ).toBe(true);
    }
    const [a, b] = kept;
    const between = await api.get(
      `/v1/ledger/proofs/consistency?from=${a.treeSize}&to=${b.treeSize}`,
    );
    expect(between.data.to.note).toBe(b.note);
    expect(
      verifyConsistency(
        a.treeSize,
        b.treeSize,
        between.data.proof.map(fromHex),
        fromHex(a.rootHashHex),
        fromHex(b.rootHashHex),
      ),
    ).toBe(true);
  });

  it('answers problems for sizes out of order or never signed', async () => {
    const kept = (await api.get('/v1/ledger/checkpoints')).data.items;
    const [a, b] = kept;
    const reversed = expectProblem(
      await api.get(`/v1/ledger/proofs/consistency?from=${b.treeSize}&to=${a.treeSize}`),
      400,
      'invalid-tree-sizes',
    );
    expect(reversed.detail).toContain(`from (${b.treeSize})`);
    const latest = await checkpointNow();
    expectProblem(
      await api.get(`/v1/ledger/proofs/consistency?from=${latest.treeSize + 1}`),
      404,
      'unknown-checkpoint',
    );
    expectProblem(
      await api.get(`/v1/ledger/proofs/consistency?from=${a.treeSize}&to=${latest.treeSize + 1}`),
      404,
      'unknown-checkpoint',
    );
    for (const query of ['', 'from=x', 'from=1.5', `from=${a.treeSize}&to=-2`])
      expectValidationProblem(await api.get(`/v1/ledger/proofs/consistency?${query}`));
  });
});

describe('on a sqlite store', () => {
  it('keeps its key and every checkpoint across restarts, beside the ledger', async () => {
    const files = createTestFiles();
    try {
      const first = await startApi({ files, store: 'sqlite' });
      await recordFoundingCase(first);
      const signed = await signCheckpoint(first);
      const key = (await first.get('/v1/ledger/checkpoint/public-key')).data;
      await first.close();
      expect(existsSync(`${files.dir}/checkpoint-key/checkpoint-key.pem`)).toBe(true);
      expect(readFileSync(`${files.dir}/checkpoint-key/checkpoint-key.vkey`, 'utf8')).toBe(
        `${key.verifierKey}\n`,
      );

      const second = await startApi({ files, store: 'sqlite' });
      try {
        expect((await second.get('/v1/ledger/checkpoint/public-key')).data).toEqual(key);
        // The first is the empty tree's, signed on the ledger's first start.
        const kept = (await second.get('/v1/ledger/checkpoints')).data.items;
        expect(kept.map((c: { treeSize: number }) => c.treeSize)).toEqual([0, signed.treeSize]);
        expect(kept.at(-1)).toEqual(signed);
        expect((await second.get('/v1/ledger/checkpoint')).data).toEqual(signed);
        expectRecorded(
          await second.post(paths.program('shipments', PROGRAM_ID), shipment('after-restart')),
        );
        const grown = await signCheckpoint(second);
        const proof = (await second.get(`/v1/ledger/proofs/consistency?from=${signed.treeSize}`))
          .data;
        expect(proof.to.note).toBe(grown.note);
        expect(
          verifyConsistency(
            signed.treeSize,
            grown.treeSize,
            proof.proof.map(fromHex),
            fromHex(signed.rootHashHex),
            fromHex(grown.rootHashHex),
          ),
        ).toBe(true);
      } finally {
        await second.close();
      }
    } finally {
      files.remove();
    }
  });

  it('refuses to sign a tree that no longer extends the last checkpoint', async () => {
    const files = createTestFiles();
    try {
      const api = await startApi({ files, store: 'sqlite' });
      try {
        await recordFoundingCase(api);
        const signed = await signCheckpoint(api);
        // Someone rewrites the stored node over the first four leaves (post-order key 6).
        const raw = new Database(files.sqliteUrl.slice('sqlite:'.length));
        raw.prepare('UPDATE merkle_nodes SET hash = zeroblob(32) WHERE node = 6').run();
        raw.close();
        expectRecorded(await api.post(paths.program('shipments'), shipment('after-rewrite')));
        const refused = expectProblem(
          await api.post('/v1/ledger/checkpoints', undefined, { as: 'admin' }),
          500,
          'merkle-fork',
        );
        expect(refused.detail).toContain(
          `the server signed tree size ${signed.treeSize} with root ${signed.rootHash}`,
        );
        expect(refused.detail).toContain('it was rewritten');
        expect((await api.get('/readyz')).statusCode).toBe(503);
        expect((await api.get('/v1/ledger/checkpoints')).data.items.at(-1)).toEqual(signed);
      } finally {
        await api.close();
      }
    } finally {
      files.remove();
    }
  });
});

describe('the signed-checkpoint history of a sqlite ledger', () => {
  it('lives in the ledger file: a deleted history is refused a new first checkpoint until an admin starts one', async () => {
    const files = createTestFiles();
    try {
      const first = await startApi({ files, store: 'sqlite' });
      await recordFoundingCase(first);
      const signed = await signCheckpoint(first);
      await first.close();
      expect(existsSync(`${files.sqliteUrl.slice('sqlite:'.length)}.signed-checkpoints`)).toBe(
        false,
      );
      const raw = new Database(files.sqliteUrl.slice('sqlite:'.length));
      raw.prepare('DELETE FROM signed_checkpoints').run();
      raw.close();

      const second = await startApi({ files, store: 'sqlite' });
      try {
        const refused = expectProblem(
          await second.post('/v1/ledger/checkpoints', undefined, { as: 'admin' }),
          409,
          'checkpoint-history-missing',
        );
        expect(refused.detail).toContain('--start-new-history');
        expectProblem(await second.get('/v1/ledger/checkpoint'), 409, 'checkpoint-history-missing');
        expect((await second.get('/v1/ledger/checkpoints')).data.items).toEqual([]);
        const checkpoints = second.app.ledger.checkpoints;
        const restarted = await checkpoints?.latest({ startNewHistory: true });
        expect(restarted?.treeSize).toBe(signed.treeSize);
      } finally {
        await second.close();
      }
    } finally {
      files.remove();
    }
  });

  it('takes in the `<ledger>.signed-checkpoints` file of an older ledger once', async () => {
    const files = createTestFiles();
    try {
      const first = await startApi({ files, store: 'sqlite' });
      await recordFoundingCase(first);
      const signed = await signCheckpoint(first);
      await first.close();
      // Back to schema 2, with the history in the file beside it as that version kept it.
      const path = files.sqliteUrl.slice('sqlite:'.length);
      const raw = new Database(path);
      const notes = raw.prepare('SELECT note FROM signed_checkpoints ORDER BY idx').pluck().all();
      raw.exec(
        'DROP TABLE checkpoint_timestamps; DROP TABLE checkpoint_cosignatures; DROP TABLE signed_checkpoints; PRAGMA user_version = 2',
      );
      raw.close();
      writeFileSync(
        `${path}.signed-checkpoints`,
        notes.map((n) => `${JSON.stringify(n)}\n`).join(''),
      );

      const second = await startApi({ files, store: 'sqlite' });
      try {
        expect((await second.get('/v1/ledger/checkpoint')).data).toEqual(signed);
        expect((await second.get('/v1/ledger/checkpoints')).data.items).toHaveLength(notes.length);
        rmSync(`${path}.signed-checkpoints`);
        expectRecorded(await second.post(paths.program('shipments'), shipment('after-migration')));
        expect((await signCheckpoint(second)).treeSize).toBe(signed.treeSize + 1);
      } finally {
        await second.close();
      }
    } finally {
      files.remove();
    }
  });
});

describe('plugin dependencies', () => {
  it('fail at start when a plugin the routes need is missing, whatever the order', async () => {
    const app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await expect(app.register(integrityRoutes, { prefix: '/v1' })).rejects.toThrow(
      /dependency 'ledger' of plugin 'integrity-routes' is not registered/,
    );
    await app.close();
  });
});

describe('on a store without a Merkle tree', () => {
  it('answers 501 integrity-unsupported on every route', async () => {
    const app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await app.register(errorsPlugin);
    // Stand-ins under the names the routes depend on: a store without a tree, no auth, no limit.
    await app.register(
      fp(
        async (a) => {
          a.decorate('ledger', { checkpoints: null } as unknown as Ledger);
        },
        { name: 'ledger' },
      ),
    );
    await app.register(fp(async () => {}, { name: 'auth' }));
    await app.register(fp(async () => {}, { name: 'rate-limit' }));
    await app.register(integrityRoutes, { prefix: '/v1' });
    try {
      for (const url of [
        '/v1/ledger/checkpoint',
        '/v1/ledger/checkpoints',
        '/v1/ledger/checkpoint/public-key',
        '/v1/ledger/proofs/inclusion?eventId=e',
        '/v1/ledger/proofs/consistency?from=0',
      ]) {
        const response = await app.inject({ url });
        expect(response.statusCode, url).toBe(501);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.json().type).toBe(`${PROBLEM_PREFIX}integrity-unsupported`);
      }
    } finally {
      await app.close();
    }
  });
});
