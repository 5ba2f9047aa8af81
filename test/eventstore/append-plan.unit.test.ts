/**
 * The append plan (src/eventstore/append-plan.ts), every rule once and with no store: the state
 * a store would read under its lock is built here by hand, and what the plan returns is checked
 * against independent computations (the event hash recomputed, RFC 6962 roots computed naively).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import { GENESIS_HASH, hashEvent } from '../../src/core/event-hash.ts';
import { type MerkleNode, MerkleTree } from '../../src/core/merkle/tree.ts';
import { leafInput } from '../../src/core/merkle-leaf.ts';
import {
  type LockedState,
  type PlannedEvent,
  planBatch,
  planImport,
  type QueuedAppend,
} from '../../src/eventstore/append-plan.ts';
import { EventIdConflictError, StreamRevisionConflictError } from '../../src/eventstore/errors.ts';
import { edgeNodes, treeKey } from '../../src/eventstore/growing-tree.ts';
import type { ExpectedRevision, RecordedEvent } from '../../src/eventstore/port.ts';
import { naiveRoot } from '../integrity/rfc6962.ts';

const metadata = { recordedBy: 'tester', correlationId: 'c', causationId: null, schemaVersion: 1 };

const append = (
  stream: string,
  ids: readonly string[],
  expectedRevision: ExpectedRevision = 'any',
  data: unknown = { n: 1 },
): QueuedAppend => ({
  stream,
  expectedRevision,
  events: ids.map((eventId) => ({
    event: { eventId, type: 'Happened', metadata },
    dataJson: canonicalJson(data),
  })),
});

/** A ledger as a store keeps it: its events and tree nodes; `state` is what it reads locked. */
class Ledger {
  events: RecordedEvent[] = [];
  nodes = new Map<string, Uint8Array>();

  state(): LockedState {
    const size = this.events.length;
    const heads = new Map<string, { revision: number; hash: string }>();
    for (const e of this.events)
      heads.set(e.stream, { revision: e.revision, hash: e.metadata.hash });
    return {
      position: size,
      recordedAt: this.events.at(-1)?.metadata.recordedAt,
      stored: new Map(this.events.map((e) => [e.eventId, e])),
      heads,
      tree: {
        size,
        edge: new Map(
          edgeNodes(size).map(({ level, index }) => [
            treeKey(level, index),
            this.nodes.get(treeKey(level, index)) as Uint8Array,
          ]),
        ),
      },
    };
  }

  apply(events: readonly PlannedEvent[], nodes: readonly MerkleNode[]): void {
    for (const { event, dataJson } of events)
      this.events.push({ ...event, data: JSON.parse(dataJson) });
    for (const n of nodes) this.nodes.set(treeKey(n.level, n.index), n.hash);
  }

  root(): Uint8Array {
    const nodes = this.nodes;
    const size = this.events.length;
    return new MerkleTree({
      size: () => size,
      get: (level, index) => nodes.get(treeKey(level, index)),
      append: () => {},
    }).root();
  }
}

describe('the append plan', () => {
  it('numbers events after the head, revisions after the stream head, one commit instant', () => {
    const ledger = new Ledger();
    const first = planBatch([append('a', ['1', '2'])], ledger.state(), Date.parse('2026-01-01'));
    ledger.apply(first.events, first.nodes);
    const plan = planBatch(
      [append('b', ['3']), append('a', ['4'], 1)],
      ledger.state(),
      Date.parse('2026-01-02'),
    );
    expect(plan.events.map(({ event }) => [event.stream, event.revision, event.position])).toEqual([
      ['b', 0, 3],
      ['a', 2, 4],
    ]);
    expect(new Set(plan.events.map(({ event }) => event.metadata.recordedAt))).toEqual(
      new Set(['2026-01-02T00:00:00.000Z']),
    );
    expect(plan.outcomes).toEqual([
      {
        ok: true,
        written: 1,
        result: {
          stream: 'b',
          nextExpectedRevision: 0,
          position: 3,
          events: [{ eventId: '3', revision: 0, position: 3 }],
        },
      },
      {
        ok: true,
        written: 1,
        result: {
          stream: 'a',
          nextExpectedRevision: 2,
          position: 4,
          events: [{ eventId: '4', revision: 2, position: 4 }],
        },
      },
    ]);
  });

  it('never stamps a commit before the previous one, even when the clock went back', () => {
    const ledger = new Ledger();
    const first = planBatch([append('a', ['1'])], ledger.state(), Date.parse('2026-05-05'));
    ledger.apply(first.events, first.nodes);
    const plan = planBatch([append('a', ['2'])], ledger.state(), Date.parse('2026-01-01'));
    expect(plan.events[0]?.event.metadata.recordedAt).toBe('2026-05-05T00:00:00.000Z');
  });

  it('seals each stream as a hash chain from the genesis hash, across batches', () => {
    const ledger = new Ledger();
    for (const batch of [[append('a', ['1', '2']), append('b', ['3'])], [append('a', ['4'])]]) {
      const plan = planBatch(batch, ledger.state());
      ledger.apply(plan.events, plan.nodes);
    }
    const chain = ledger.events.filter((e) => e.stream === 'a');
    expect(chain.map((e) => e.metadata.prevHash)).toEqual([
      GENESIS_HASH,
      chain[0]?.metadata.hash,
      chain[1]?.metadata.hash,
    ]);
    for (const e of ledger.events) expect(e.metadata.hash).toBe(hashEvent(e));
  });

  it('checks each expected revision against what the earlier appends of the batch left', () => {
    const plan = planBatch(
      [append('a', ['1'], 'no-stream'), append('a', ['2'], 'no-stream'), append('a', ['3'], 0)],
      new Ledger().state(),
    );
    expect(plan.outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    const refused = plan.outcomes[1] as { error: unknown };
    expect(refused.error).toBeInstanceOf(StreamRevisionConflictError);
    expect(refused.error).toMatchObject({ expected: 'no-stream', actual: 0 });
    // The refused append costs the others nothing: no gap in positions or revisions.
    expect(plan.events.map(({ event }) => [event.eventId, event.revision, event.position])).toEqual(
      [
        ['1', 0, 1],
        ['3', 1, 2],
      ],
    );
  });

  it('answers a retry with the original result and writes nothing, even after the stream moved on', () => {
    const ledger = new Ledger();
    const original = planBatch([append('a', ['1', '2'], 'no-stream')], ledger.state());
    ledger.apply(original.events, original.nodes);
    const moved = planBatch([append('a', ['3'])], ledger.state());
    ledger.apply(moved.events, moved.nodes);
    const retry = planBatch([append('a', ['1', '2'], 'no-stream')], ledger.state());
    expect(retry.events).toEqual([]);
    expect(retry.nodes).toEqual([]);
    expect(retry.outcomes).toEqual([{ ...original.outcomes[0], written: 0 }]);
  });

  it('recognises a retry of an append earlier in the same batch', () => {
    const plan = planBatch(
      [append('a', ['1'], 'no-stream'), append('a', ['1'], 'no-stream')],
      new Ledger().state(),
    );
    expect(plan.events).toHaveLength(1);
    expect(plan.outcomes[1]).toEqual({ ...plan.outcomes[0], written: 0 });
  });

  it('refuses a stored id with other content, in another stream, or mixed with new ids', () => {
    const ledger = new Ledger();
    const first = planBatch([append('a', ['1'])], ledger.state());
    ledger.apply(first.events, first.nodes);
    const plan = planBatch(
      [append('a', ['1'], 'any', { n: 2 }), append('b', ['1']), append('a', ['1', 'new'])],
      ledger.state(),
    );
    expect(plan.events).toEqual([]);
    for (const outcome of plan.outcomes) {
      expect(outcome.ok).toBe(false);
      expect((outcome as { error: unknown }).error).toBeInstanceOf(EventIdConflictError);
    }
  });

  it('extends the Merkle tree so its root is RFC 6962 over the leaves of every event', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 3 })), {
            minLength: 1,
            maxLength: 5,
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (batches) => {
          const ledger = new Ledger();
          let id = 0;
          for (const batch of batches) {
            const plan = planBatch(
              batch.map(([stream, count]) =>
                append(
                  stream,
                  Array.from({ length: count }, () => String(++id)),
                ),
              ),
              ledger.state(),
            );
            ledger.apply(plan.events, plan.nodes);
          }
          expect(ledger.events.map((e) => e.position)).toEqual(ledger.events.map((_, i) => i + 1));
          expect(Buffer.from(ledger.root())).toEqual(
            naiveRoot(ledger.events.map((e) => leafInput(e))),
          );
        },
      ),
    );
  });

  it('leaves the tree as it was when an append is refused', () => {
    const ledger = new Ledger();
    const plan = planBatch(
      [append('a', ['1']), append('a', ['2'], 'no-stream'), append('a', ['3'])],
      ledger.state(),
    );
    ledger.apply(plan.events, plan.nodes);
    expect(plan.nodes.filter((n) => n.level === 0)).toHaveLength(2);
    expect(Buffer.from(ledger.root())).toEqual(naiveRoot(ledger.events.map((e) => leafInput(e))));
  });

  it('plans nothing for a store whose tree and events disagree', () => {
    const state = { ...new Ledger().state(), position: 1 };
    expect(() => planBatch([append('a', ['1'])], state)).toThrow(
      /the Merkle tree has 0 leaves but the ledger 1 events/,
    );
  });

  it('plans without a tree for a store kept without one', () => {
    const plan = planBatch([append('a', ['1'])], { ...new Ledger().state(), tree: null });
    expect(plan.events).toHaveLength(1);
    expect(plan.nodes).toEqual([]);
  });
});

describe('the import plan', () => {
  const recorded = (): RecordedEvent[] => {
    const ledger = new Ledger();
    const plan = planBatch([append('a', ['1', '2']), append('b', ['3'])], ledger.state());
    ledger.apply(plan.events, plan.nodes);
    return ledger.events;
  };

  it('writes the events as recorded, with the tree over them', () => {
    const events = recorded();
    const ledger = new Ledger();
    const plan = planImport(events, ledger.state());
    ledger.apply(plan.events, plan.nodes);
    expect(ledger.events).toEqual(events);
    expect(Buffer.from(ledger.root())).toEqual(naiveRoot(events.map((e) => leafInput(e))));
  });

  it('needs an empty store and positions 1, 2, 3, ...', () => {
    const events = recorded();
    expect(() => planImport(events, { position: 3, tree: null })).toThrow(/needs an empty store/);
    expect(() => planImport(events.slice(1), new Ledger().state())).toThrow(/got 2 at 1/);
  });
});
