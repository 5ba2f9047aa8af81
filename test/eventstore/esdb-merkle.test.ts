/**
 * The Merkle log on KurrentDB (on the fake server): two service instances appending to one
 * database build the same tree from $all, sign checkpoints into one stream behind a revision
 * fence, give inclusion and consistency proofs that verify offline, and pass `ledger audit`;
 * a fork and a retention rule raise alarms.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonEvent } from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import { buildWitnessApp } from '../../src/api/witness-app.ts';
import { auditLedger } from '../../src/cli/audit.ts';
import { storeLedger } from '../../src/cli/integrity.ts';
import { MemoryMerkleStorage, MerkleTree } from '../../src/core/merkle/tree.ts';
import { leafHash, leafInput } from '../../src/core/merkle-leaf.ts';
import { createEsdbEventStore, type EsdbStoreOptions } from '../../src/eventstore/esdb/index.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { generateSigningKey, signNote } from '../../src/integrity/checkpoint.ts';
import { witnessVerifierKey } from '../../src/integrity/cosignature.ts';
import { openLedgerCheckpoints, proveInclusion } from '../../src/integrity/ledger-checkpoints.ts';
import { readLedger } from '../../src/integrity/verify-ledger.ts';
import { ledgerWitness } from '../../src/integrity/witness.ts';
import { parseWitnesses } from '../../src/integrity/witnesses.ts';
import { verifyCheckpoint, verifyConsistency, verifyInclusion } from '../../src/verify.ts';
import { anEvent } from './contract.ts';
import { FakeEsdbServer } from './esdb-fake.ts';

const ORIGIN = 'ledger.test/esdb';
const alarms: string[] = [];
const options: Partial<EsdbStoreOptions> = {
  retry: { baseDelayMs: 1, maxDelayMs: 5 },
  log: (line) => alarms.push(line),
};

/** Two service instances on one database, sharing the signing key as a deployment does. */
function twoInstances() {
  const server = new FakeEsdbServer();
  const key = generateSigningKey(ORIGIN);
  const open = () => {
    const store = createEsdbEventStore(server.client(), options);
    const checkpoints = openLedgerCheckpoints(store, { key: () => key, origin: ORIGIN });
    if (checkpoints === null) throw new Error('esdb keeps no checkpoints');
    return { store, checkpoints };
  };
  return { server, key, a: open(), b: open() };
}

async function appendConcurrently(a: EventStore, b: EventStore, rounds: number, tag: string) {
  await Promise.all(
    [a, b].map(async (store, writer) => {
      for (let i = 0; i < rounds; i++) {
        await store.append(`program-${tag}-${writer}-${i % 3}`, [anEvent(), anEvent()], {
          expectedRevision: 'any',
        });
      }
    }),
  );
}

async function recomputedRoot(store: EventStore): Promise<{ size: number; root: Uint8Array }> {
  const tree = new MerkleTree(new MemoryMerkleStorage());
  for await (const event of readLedger(store)) tree.append(leafHash(leafInput(event)));
  return { size: tree.size, root: tree.root() };
}

describe('the Merkle log on KurrentDB', () => {
  it('is the same tree on both instances: leaf i is the i-th ledger event of $all', async () => {
    const { server, a, b } = twoInstances();
    await appendConcurrently(a.store, b.store, 6, 'x');
    server.foreignWrite('orders-1', 'OrderPlaced', { n: 1 });
    server.systemEvent('$stats-node', '$statsCollected');
    await appendConcurrently(a.store, b.store, 3, 'y');

    const expected = await recomputedRoot(a.store);
    expect(expected.size).toBe(36);
    for (const { store } of [a, b]) {
      const tree = store.merkle;
      expect(await tree?.size()).toBe(36);
      expect(Buffer.from((await tree?.root()) ?? [])).toEqual(Buffer.from(expected.root));
    }
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it('signs checkpoints into one stream behind a fence: both instances racing keep one note', async () => {
    const { key, a, b } = twoInstances();
    await appendConcurrently(a.store, b.store, 4, 'x');

    const [fromA, fromB] = await Promise.all([a.checkpoints.latest(), b.checkpoints.latest()]);

    expect(fromA.note).toBe(fromB.note);
    expect(verifyCheckpoint(fromA.note, key.verifierKey).treeSize).toBe(16);
    expect(await a.checkpoints.all()).toHaveLength(1);
    expect(await b.checkpoints.all()).toHaveLength(1);
    expect(a.store.health?.()).toMatchObject({ ok: true });
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it("keeps a witness's cosignature in its stream, for every instance", async () => {
    const { key, server } = twoInstances();
    const witnessKey = generateSigningKey('witness.test/w1');
    const dir = mkdtempSync(join(tmpdir(), 'ledger-esdb-witness-'));
    const app = buildWitnessApp(
      ledgerWitness({ key: witnessKey, logs: [key.verifierKey], stateDir: dir }),
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const witnessing = {
      witnesses: parseWitnesses(`${witnessVerifierKey(witnessKey)} http://127.0.0.1:${port}`),
      quorum: 1,
      timeoutMs: 5000,
    };
    const open = () => {
      const store = createEsdbEventStore(server.client(), options);
      const checkpoints = openLedgerCheckpoints(store, {
        key: () => key,
        origin: ORIGIN,
        witnessing,
      });
      return { store, checkpoints: checkpoints as NonNullable<typeof checkpoints> };
    };
    const [a, b] = [open(), open()];
    try {
      await appendConcurrently(a.store, b.store, 1, 'w');
      expect((await a.checkpoints.latest()).cosigners).toEqual(['witness.test/w1']);
      const published = await b.checkpoints.lastPublished();
      expect(published).toMatchObject({ treeSize: 4, cosigners: ['witness.test/w1'] });
    } finally {
      await Promise.all([a.store.close(), b.store.close(), app.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the larger of two racing checkpoints after the smaller, both consistent', async () => {
    const { key, a, b } = twoInstances();
    await appendConcurrently(a.store, b.store, 2, 'x');
    const first = await a.checkpoints.latest();
    await appendConcurrently(a.store, b.store, 2, 'y');

    const second = await b.checkpoints.latest();
    await a.store.append('program-z', [anEvent()], { expectedRevision: 'no-stream' });
    const third = await a.checkpoints.latest();

    const sizes = (await b.checkpoints.all()).map((c) => c.treeSize);
    expect(sizes).toEqual([first.treeSize, second.treeSize, third.treeSize]);
    expect(sizes).toEqual([8, 16, 17]);
    const proof = await b.store.merkle?.consistencyProof(first.treeSize, third.treeSize);
    const [c1, c3] = [first.note, third.note].map((note) =>
      verifyCheckpoint(note, key.verifierKey),
    );
    expect(
      verifyConsistency(
        c1?.treeSize ?? 0,
        c3?.treeSize ?? 0,
        proof ?? [],
        c1?.rootHash ?? new Uint8Array(),
        c3?.rootHash ?? new Uint8Array(),
      ),
    ).toBe(true);
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it('proves inclusion of an event the other instance appended a moment ago', async () => {
    const { key, a, b } = twoInstances();
    await appendConcurrently(a.store, b.store, 3, 'x');
    const appended = await a.store.append('program-new', [anEvent()], {
      expectedRevision: 'no-stream',
    });
    const eventId = appended.events[0]?.eventId as string;

    // B's tree may not have it yet: the proof waits for it, as commands wait for projections.
    const answer = await proveInclusion(b.store, b.checkpoints, eventId);

    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    const checkpoint = verifyCheckpoint(answer.checkpoint.note, key.verifierKey);
    expect(answer.leafIndex).toBe(12);
    expect(
      verifyInclusion(
        answer.leafHash,
        answer.leafIndex,
        checkpoint.treeSize,
        answer.proof,
        checkpoint.rootHash,
      ),
    ).toBe(true);
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it('passes `ledger audit` from a trusted checkpoint, and fails it when an event was changed', async () => {
    const { server, key, a, b } = twoInstances();
    await appendConcurrently(a.store, b.store, 3, 'x');
    const trusted = await a.checkpoints.latest();
    await appendConcurrently(a.store, b.store, 3, 'y');

    const result = await auditLedger(
      trusted.note,
      key.verifierKey,
      storeLedger(b.store, b.checkpoints),
    );
    expect(result.latest.treeSize).toBe(24);

    // Someone with write access to the database edits an event in place.
    const record = server.log.find((r) => r.streamId.startsWith('program-x'));
    (record?.data as Record<string, unknown>).note = 'rewritten';
    await expect(
      auditLedger(trusted.note, key.verifierKey, storeLedger(b.store, b.checkpoints)),
    ).rejects.toThrow(/is not the one signed as leaf 0: it was changed/);
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it('raises the fork alarm when a checkpoint signed elsewhere has another root at its size', async () => {
    const { server, key, a, b } = twoInstances();
    await appendConcurrently(a.store, b.store, 2, 'x');
    await a.checkpoints.latest();
    // A checkpoint another instance signed over a tree that differs from B's.
    const forged = signNote(`${ORIGIN}\n8\n${Buffer.alloc(32, 7).toString('base64')}\n`, key);
    await server
      .client()
      .appendToStream(
        'ledger-signed-checkpoints',
        jsonEvent({ type: '$ledger-signed-checkpoint', data: { note: forged } }),
      );

    await expect(b.checkpoints.all()).rejects.toThrow(/Merkle fork alarm/);
    expect(b.store.health?.()).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/another root/),
    });
    expect(alarms.some((line) => /another root/.test(line))).toBe(true);
    await Promise.all([a.store.close(), b.store.close()]);
  });

  it('raises the retention alarm for a ledger stream with $maxCount, $maxAge or $tb', async () => {
    const { server, a, b } = twoInstances();
    await a.store.append('program-kept', [anEvent()], { expectedRevision: 'no-stream' });
    server.setStreamMetadata('program-kept', { $maxCount: 10 });
    // A fresh instance checks every stream as it rebuilds its tree.
    const c = createEsdbEventStore(server.client(), options);
    await c.merkle?.size();
    for (let i = 0; i < 100 && c.health?.().ok !== false; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(c.health?.()).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/program-kept has maxCount=10/),
    });
    await Promise.all([a.store.close(), b.store.close(), c.close()]);
  });
});
