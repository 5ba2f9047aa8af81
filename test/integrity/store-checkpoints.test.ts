/**
 * The signed checkpoints every store keeps beside its events (docs/design.md §7), on memory,
 * SQLite, PostgreSQL (real server) and the KurrentDB double: every checkpoint kept, oldest
 * first, each consistent with the ones before and with the tree as recomputed from the events
 * by the naive RFC 6962 code of rfc6962.ts; a second instance on the same ledger signs on from
 * what the first kept, and two signing at once leave one history.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leafInput } from '../../src/core/merkle-leaf.ts';
import type { EventStore } from '../../src/eventstore/port.ts';
import { generateSigningKey } from '../../src/integrity/checkpoint.ts';
import {
  type LedgerCheckpoints,
  openLedgerCheckpoints,
  proveInclusion,
} from '../../src/integrity/ledger-checkpoints.ts';
import { verifyCheckpoint, verifyConsistency, verifyInclusion } from '../../src/verify.ts';
import { anEvent } from '../eventstore/contract.ts';
import { naiveProof, naiveRoot } from './rfc6962.ts';
import { closeAll, ledgerStores } from './stores.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-checkpoints-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const stores = await ledgerStores(() => dir);
const ORIGIN = 'ledger.test/checkpoints';
const key = generateSigningKey(ORIGIN);

function checkpointsOf(store: EventStore): LedgerCheckpoints {
  const checkpoints = openLedgerCheckpoints(store, { key: () => key, origin: ORIGIN });
  if (checkpoints === null) throw new Error('the store keeps no signed checkpoints');
  return checkpoints;
}

async function appendSome(store: EventStore, count: number, tag: string): Promise<void> {
  for (let i = 0; i < count; i++)
    await store.append(`program-${tag}-${i % 2}`, [anEvent()], { expectedRevision: 'any' });
}

/** The root of the store's first `size` events, recomputed from them as an auditor would. */
async function rootOfEvents(store: EventStore, size: number): Promise<Buffer> {
  const events = await store.readAll();
  return naiveRoot(events.slice(0, size).map((event) => leafInput(event)));
}

describe.each(stores)('signed checkpoints on the %s store', (_kind, { open }) => {
  it('keeps every checkpoint signed, oldest first, consistent with each other and with the events', async () => {
    const { store } = await open('ledger');
    try {
      const checkpoints = checkpointsOf(store);
      expect(await checkpoints.lastKept()).toBeUndefined();
      const empty = await checkpoints.latest();
      await appendSome(store, 5, 'a');
      const five = await checkpoints.latest();
      // Nothing changed since: the same checkpoint, nothing signed.
      expect(await checkpoints.latest()).toEqual(five);
      await appendSome(store, 3, 'b');
      const eight = await checkpoints.latest();

      const kept = await checkpoints.all();
      expect(kept.map((c) => c.treeSize)).toEqual([0, 5, 8]);
      expect(kept.map((c) => c.note)).toEqual([empty.note, five.note, eight.note]);
      expect(await store.signedCheckpoints?.notes()).toEqual(kept.map((c) => c.note));
      for (const checkpoint of kept) {
        const verified = verifyCheckpoint(checkpoint.note, key.verifierKey);
        expect(verified.origin).toBe(ORIGIN);
        expect(Buffer.from(verified.rootHash)).toEqual(
          await rootOfEvents(store, verified.treeSize),
        );
      }
      expect(await checkpoints.ofSize(5)).toEqual(five);
      expect(await checkpoints.ofSize(6)).toBeUndefined();
      const proof = await checkpoints.tree.consistencyProof(5, 8);
      expect(verifyConsistency(5, 8, proof, five.rootHash, eight.rootHash)).toBe(true);
      const leaves = (await store.readAll()).map((event) => leafInput(event));
      expect(proof.map((hash) => Buffer.from(hash))).toEqual(naiveProof(5, leaves));

      const [, second] = await store.readAll();
      const answer = await proveInclusion(store, checkpoints, second?.eventId as string, 5);
      if (!answer.ok) throw new Error(answer.detail);
      expect(answer.checkpoint).toEqual(five);
      expect(verifyInclusion(answer.leafHash, 1, 5, answer.proof, five.rootHash)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('lets a second instance on the same ledger sign on from what the first kept', async () => {
    const { store, another } = await open('ledger');
    const other = await another();
    try {
      const first = checkpointsOf(store);
      await appendSome(store, 4, 'a');
      const four = await first.latest();
      const second = checkpointsOf(other);
      expect(await second.lastKept()).toEqual(four);

      await appendSome(other, 3, 'b');
      const seven = await second.latest();
      expect(seven.treeSize).toBe(7);
      expect((await first.all()).map((c) => c.note)).toEqual([four.note, seven.note]);
      const proof = await first.tree.consistencyProof(4, 7);
      expect(verifyConsistency(4, 7, proof, four.rootHash, seven.rootHash)).toBe(true);
    } finally {
      await closeAll([store, other]);
    }
  });

  it('keeps one history when two instances sign at once', async () => {
    const { store, another } = await open('ledger');
    const other = await another();
    try {
      await appendSome(store, 6, 'a');
      const [a, b] = [checkpointsOf(store), checkpointsOf(other)];
      const signed = await Promise.all([a.latest(), b.latest()]);

      expect(signed[0].rootHash).toEqual(signed[1].rootHash);
      // Each kept its note (memory, SQLite, PostgreSQL), or the loser kept the winner's (esdb).
      for (const kept of [await a.all(), await b.all()]) {
        expect(kept.length).toBeGreaterThanOrEqual(1);
        for (const checkpoint of kept) {
          expect(checkpoint.treeSize).toBe(6);
          expect(checkpoint.rootHash).toEqual(signed[0].rootHash);
        }
      }
      expect(Buffer.from(signed[0].rootHash)).toEqual(await rootOfEvents(store, 6));
    } finally {
      await closeAll([store, other]);
    }
  });
});
