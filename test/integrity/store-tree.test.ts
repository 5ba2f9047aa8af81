/**
 * The Merkle tree every store keeps beside its events (docs/design.md §7), the first suites on
 * memory, SQLite, PostgreSQL (real server) and the KurrentDB double:
 * always the tree of exactly the committed events, built by imports and migrations, kept on
 * disk across reopenings without being recomputed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeKey } from '../../src/core/merkle/nodes.ts';
import { MemoryMerkleStorage, type MerkleNode, MerkleTree } from '../../src/core/merkle/tree.ts';
import { leafHash, leafInput } from '../../src/core/merkle-leaf.ts';
import type { EventStore, LedgerMerkleTree, RecordedEvent } from '../../src/eventstore/port.ts';
import Database from '../../src/eventstore/sqlite/driver.ts';
import { openSqliteEventStore, SQLITE_SCHEMA_VERSION } from '../../src/eventstore/sqlite/index.ts';
import { verifyConsistency, verifyInclusion } from '../../src/verify.ts';
import { anEvent } from '../eventstore/contract.ts';
import { ledgerStores } from './stores.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-tree-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The tree of `events` computed from scratch, as an auditor would. */
function treeOf(events: readonly RecordedEvent[]): MerkleTree {
  const tree = new MerkleTree();
  for (const event of events) tree.append(leafHash(leafInput(event)));
  return tree;
}

function merkleOf(store: EventStore): LedgerMerkleTree {
  if (!store.merkle) throw new Error('the store keeps no tree');
  return store.merkle;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const stores = await ledgerStores(() => dir);

describe.each(stores)('the %s store', (_kind, { open }) => {
  const fresh = async (name: string) => (await open(name)).store;
  it('keeps the tree of exactly the events it serves, whatever the appends', async () => {
    const store = await fresh('ledger');
    try {
      const merkle = merkleOf(store);
      expect(await merkle.size()).toBe(0);
      // One burst: single appends, a two-event append and a refused one, committed together.
      const outcomes = await Promise.allSettled([
        store.append('a', [anEvent()], { expectedRevision: 'no-stream' }),
        store.append('b', [anEvent(), anEvent({ idempotencyKey: 'k-1' })], {
          expectedRevision: 'no-stream',
        }),
        store.append('a', [anEvent()], { expectedRevision: 'no-stream' }),
        store.append('c', [anEvent({ data: { text: 'caf\u00e9 \u{1f600}', n: 1.5 } })], {
          expectedRevision: 'no-stream',
        }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      await store.append('a', [anEvent()], { expectedRevision: 0 });

      const events = await store.readAll();
      expect(events).toHaveLength(5);
      const expected = treeOf(events);
      expect(await merkle.size()).toBe(5);
      expect(hex(await merkle.root())).toBe(hex(expected.root()));
      for (const size of [1, 3, 4])
        expect(hex(await merkle.root(size))).toBe(hex(expected.root(size)));

      for (const [index, event] of events.entries()) {
        expect(await merkle.leafIndexOf(event.eventId)).toBe(index);
        const proof = await merkle.inclusionProof(index, 5);
        expect(verifyInclusion(leafHash(leafInput(event)), index, 5, proof, expected.root())).toBe(
          true,
        );
      }
      expect(await merkle.leafIndexOf('00000000-0000-4000-8000-000000000000')).toBeNull();
      expect(
        verifyConsistency(
          2,
          5,
          await merkle.consistencyProof(2, 5),
          expected.root(2),
          expected.root(),
        ),
      ).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('builds the tree of what importRecorded writes, and none of a refused import', async (context) => {
    const source = await fresh('source');
    const copy = await fresh('copy');
    const refused = await fresh('refused');
    try {
      if (!copy.capabilities.importRecorded) context.skip();
      for (let i = 0; i < 7; i++)
        await source.append(`s-${i % 3}`, [anEvent()], { expectedRevision: 'any' });
      const events = await source.readAll();
      await copy.importRecorded?.(events);
      expect(await merkleOf(copy).size()).toBe(7);
      expect(hex(await merkleOf(copy).root())).toBe(hex(await merkleOf(source).root()));
      expect(hex(await merkleOf(copy).root())).toBe(hex(treeOf(events).root()));

      // Leaf i is the event at position i + 1: a gap cannot be imported.
      const sparse = events.map((e, i) => (i < 3 ? e : { ...e, position: e.position + 1 }));
      await expect(refused.importRecorded?.(sparse)).rejects.toThrow(/positions 1, 2, 3/);
      expect(await merkleOf(refused).size()).toBe(0);
      expect(await refused.headPosition()).toBe(0);
    } finally {
      await Promise.all([source.close(), copy.close(), refused.close()]);
    }
  });
});

describe('the sqlite store', () => {
  it('keys each node by the order in which the tree completes it, so inserts only append', () => {
    const appended: MerkleNode[] = [];
    const memory = new MemoryMerkleStorage();
    const tree = new MerkleTree({
      size: () => memory.size(),
      get: (level, index) => memory.get(level, index),
      append: (nodes) => {
        memory.append(nodes);
        appended.push(...nodes);
      },
    });
    for (let i = 0; i < 300; i++) tree.append(leafHash(Buffer.from(`leaf ${i}`)));
    expect(appended.map((node) => nodeKey(node.level, node.index))).toEqual(
      appended.map((_, position) => position),
    );
    // Beyond 32 bits, where bitwise operators would wrap.
    expect(nodeKey(0, 2 ** 40)).toBe(2 * (2 ** 40 + 1) - 2 - 1);
  });

  const path = () => join(dir, 'ledger.sqlite');
  const nodeRows = (db: BetterSqlite3.Database) =>
    db.prepare('SELECT count(*) FROM merkle_nodes').pluck().get();

  it('adds no leaf for an append that fails halfway through a group-commit batch', async () => {
    const store = openSqliteEventStore(path());
    try {
      // A trigger stands in for a failure no check foresees (disk full, a constraint).
      const raw = new Database(path());
      raw.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.type = 'Poison'
                BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`);
      const outcomes = await Promise.allSettled([
        store.append('a', [anEvent()], { expectedRevision: 'no-stream' }),
        store.append('b', [anEvent(), anEvent({ type: 'Poison' })], {
          expectedRevision: 'no-stream',
        }),
        store.append('c', [anEvent()], { expectedRevision: 'no-stream' }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);

      const events = await store.readAll();
      expect(events.map((e) => e.stream)).toEqual(['a', 'c']);
      expect(await merkleOf(store).size()).toBe(2);
      expect(hex(await merkleOf(store).root())).toBe(hex(treeOf(events).root()));
      // Two leaves and their parent: the first event of the failed append had its leaf
      // written, then undone with its row.
      expect(nodeRows(raw)).toBe(3);
      raw.close();
    } finally {
      await store.close();
    }
  });

  it('reads its tree back on reopening instead of recomputing it from the events', async () => {
    const store = openSqliteEventStore(path());
    for (let i = 0; i < 40; i++)
      await store.append(`s-${i % 4}`, [anEvent()], { expectedRevision: 'any' });
    const root = hex(await merkleOf(store).root());
    await store.close();

    // Change an event behind the store's back: a tree rebuilt from the events would show it.
    const raw = new Database(path());
    raw.prepare(`UPDATE events SET data = '{"note":"changed"}' WHERE position = 17`).run();
    const rows = nodeRows(raw);
    raw.close();

    const reopened = openSqliteEventStore(path());
    try {
      expect(await merkleOf(reopened).size()).toBe(40);
      expect(hex(await merkleOf(reopened).root())).toBe(root);
      expect(hex(treeOf(await reopened.readAll()).root())).not.toBe(root);
      const after = new Database(path(), { readonly: true });
      expect(nodeRows(after)).toBe(rows);
      after.close();
    } finally {
      await reopened.close();
    }
  });

  it('builds the tree once when it opens a file from before the tree', async () => {
    const store = openSqliteEventStore(path());
    // More than one page of the migration's reads (1000 events).
    await Promise.all(
      Array.from({ length: 1500 }, (_, i) =>
        store.append(`s-${i}`, [anEvent()], { expectedRevision: 'no-stream' }),
      ),
    );
    const root = hex(await merkleOf(store).root());
    await store.close();
    // What a build of schema version 1 left: the events, no tree.
    const raw = new Database(path());
    raw.exec(
      'DROP TABLE merkle_nodes; DROP TABLE signed_checkpoints; DROP TABLE checkpoint_cosignatures; DROP TABLE checkpoint_timestamps',
    );
    raw.pragma('user_version = 1');
    raw.close();

    const migrated = openSqliteEventStore(path());
    try {
      expect(await merkleOf(migrated).size()).toBe(1500);
      expect(hex(await merkleOf(migrated).root())).toBe(root);
      await migrated.append('s-0', [anEvent()], { expectedRevision: 'any' });
      expect(hex(await merkleOf(migrated).root())).toBe(
        hex(treeOf(await migrated.readAll()).root()),
      );
    } finally {
      await migrated.close();
    }
    const after = new Database(path(), { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    after.close();
  });

  it('refuses appends once the tree lags behind the events (a file written without the tree)', async () => {
    const untracked = openSqliteEventStore(path(), { merkle: false });
    expect(untracked.merkle).toBeUndefined();
    await untracked.append('a', [anEvent()], { expectedRevision: 'no-stream' });
    await untracked.close();

    const store = openSqliteEventStore(path());
    try {
      await expect(store.append('a', [anEvent()], { expectedRevision: 0 })).rejects.toThrow(
        /the Merkle tree has 0 leaves but the ledger 1 events/,
      );
      expect(await store.headPosition()).toBe(1);
      expect(await merkleOf(store).size()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
