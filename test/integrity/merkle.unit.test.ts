import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import {
  MemoryMerkleStorage,
  type MerkleNode,
  type MerkleStorage,
  MerkleTree,
} from '../../src/core/merkle/tree.ts';
import { leafHash, leafInput } from '../../src/core/merkle-leaf.ts';
import type { RecordedEvent } from '../../src/eventstore/port.ts';
import {
  CONSISTENCY_PROOFS,
  hex,
  INCLUSION_PROOFS,
  LEAF_INPUTS,
  leafInputs,
  NODE_HASHES,
  naiveLeafHash,
  naivePath,
  naiveProof,
  naiveRoot,
  ROOTS,
  toHex,
} from './rfc6962.ts';

function treeOf(inputs: readonly Uint8Array[], storage?: MerkleStorage): MerkleTree {
  const tree = new MerkleTree(storage);
  for (const input of inputs) tree.append(leafHash(input));
  return tree;
}

/** Counts storage reads and the nodes written, to show the tree never rebuilds. */
class CountingStorage implements MerkleStorage {
  readonly inner = new MemoryMerkleStorage();
  reads = 0;
  writes = 0;
  size(): number {
    return this.inner.size();
  }
  get(level: number, index: number): Uint8Array | undefined {
    this.reads++;
    return this.inner.get(level, index);
  }
  append(nodes: readonly MerkleNode[]): void {
    this.writes += nodes.length;
    this.inner.append(nodes);
  }
}

describe('RFC 6962 reference data', () => {
  const tree = treeOf(LEAF_INPUTS);

  it('gives the reference root for every size 0..8, the empty one SHA-256 of nothing', () => {
    expect(ROOTS.map((_, n) => toHex(tree.root(n)))).toEqual(ROOTS);
    expect(toHex(tree.root())).toBe(
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    );
    expect(toHex(new MerkleTree().root())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('stores every complete subtree of the reference tree under (level, index)', () => {
    const storage = new MemoryMerkleStorage();
    treeOf(LEAF_INPUTS, storage);
    const stored = NODE_HASHES.map((row, level) =>
      row.map((_, index) => toHex(storage.get(level, index) ?? new Uint8Array())),
    );
    expect(stored).toEqual(NODE_HASHES);
    expect(storage.get(3, 1)).toBeUndefined();
    expect(storage.get(4, 0)).toBeUndefined();
  });

  it.each(INCLUSION_PROOFS)(
    'gives the reference audit path of leaf %i in size %i',
    (m, n, path) => {
      expect(tree.inclusionProof(m, n).map(toHex)).toEqual(path);
    },
  );

  it.each(CONSISTENCY_PROOFS)('gives the reference consistency proof %i -> %i', (m, n, proof) => {
    expect(tree.consistencyProof(m, n).map(toHex)).toEqual(proof);
  });
});

describe('incremental tree', () => {
  const inputs = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 90 });

  it('has, after every append, the root a from-scratch MTH gives', () => {
    fc.assert(
      fc.property(inputs, (leaves) => {
        const tree = new MerkleTree();
        leaves.forEach((input, i) => {
          expect(tree.append(leafHash(input))).toBe(i);
          expect(toHex(tree.root())).toBe(toHex(naiveRoot(leaves.slice(0, i + 1))));
        });
        for (let m = 0; m <= leaves.length; m++) {
          expect(toHex(tree.root(m))).toBe(toHex(naiveRoot(leaves.slice(0, m))));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('gives the RFC 6962 PATH and PROOF of any earlier size', () => {
    const scenario = inputs.chain((leaves) =>
      fc.record({
        leaves: fc.constant(leaves),
        queries: fc.array(
          fc
            .tuple(fc.nat(leaves.length - 1), fc.nat(leaves.length - 1))
            .map(([a, b]) => [Math.min(a, b) + 1, Math.max(a, b) + 1] as const),
          { minLength: 1, maxLength: 25 },
        ),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ leaves, queries }) => {
        const tree = treeOf(leaves);
        for (const [m, n] of queries) {
          const prefix = leaves.slice(0, n);
          expect(tree.inclusionProof(m - 1, n).map(toHex)).toEqual(
            naivePath(m - 1, prefix).map(toHex),
          );
          expect(tree.consistencyProof(m, n).map(toHex)).toEqual(naiveProof(m, prefix).map(toHex));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('appends with O(log n) storage work and computes roots and proofs without rebuilding', () => {
    const storage = new CountingStorage();
    const tree = treeOf(leafInputs(1023), storage);
    // Each leaf writes itself and the subtrees it completes: fewer than 2 nodes a leaf in all,
    // and one read (the left sibling) per completed subtree.
    expect(storage.writes).toBeLessThan(2 * 1023);
    expect(storage.reads).toBeLessThan(1023);

    // Leaf 1023 = 0b1111111111 completes ten subtrees, the worst case: ten reads, eleven writes.
    storage.reads = 0;
    storage.writes = 0;
    tree.append(leafHash(Buffer.from('leaf 1023')));
    expect([storage.reads, storage.writes]).toEqual([10, 11]);

    for (const [work, bound] of [
      [() => tree.root(), 1],
      [() => tree.root(777), 4], // 777 = 512 + 256 + 8 + 1: four perfect subtrees
      [() => tree.inclusionProof(3, 1001), 2 * 10],
      [() => tree.consistencyProof(333, 1001), 2 * 10],
    ] as const) {
      storage.reads = 0;
      work();
      expect(storage.reads).toBeLessThanOrEqual(bound);
    }
    expect(toHex(tree.root(1001))).toBe(toHex(naiveRoot(leafInputs(1001))));
  });

  it('resumes from its storage: a new tree over the same storage goes on where it stopped', () => {
    const storage = new MemoryMerkleStorage();
    treeOf(leafInputs(37), storage);
    const reopened = new MerkleTree(storage);
    expect(reopened.size).toBe(37);
    for (const input of leafInputs(64).slice(37)) reopened.append(leafHash(input));
    expect(toHex(reopened.root())).toBe(toHex(naiveRoot(leafInputs(64))));
    expect(reopened.consistencyProof(37).map(toHex)).toEqual(
      naiveProof(37, leafInputs(64)).map(toHex),
    );
  });

  it('hands out copies: changing a returned proof or root does not change the tree', () => {
    const tree = treeOf(leafInputs(8));
    const root = toHex(tree.root());
    tree.root().fill(0);
    tree.root(0).fill(0);
    for (const element of tree.inclusionProof(2)) element.fill(0);
    for (const element of tree.consistencyProof(4)) element.fill(0);
    expect(toHex(tree.root())).toBe(root);
    expect(toHex(tree.root(0))).toBe(ROOTS[0]);
    expect(tree.inclusionProof(2).map(toHex)).toEqual(naivePath(2, leafInputs(8)).map(toHex));
  });
});

describe('refusals', () => {
  const tree = treeOf(leafInputs(5));

  it('refuses sizes and indices outside the tree', () => {
    expect(() => tree.root(6)).toThrow(RangeError);
    expect(() => tree.root(-1)).toThrow(RangeError);
    expect(() => tree.root(2.5)).toThrow(RangeError);
    expect(() => tree.inclusionProof(5, 5)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 0)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 6)).toThrow(RangeError);
    expect(() => tree.inclusionProof(-1)).toThrow(RangeError);
    expect(() => tree.consistencyProof(4, 3)).toThrow(RangeError);
    expect(() => tree.consistencyProof(1, 6)).toThrow(RangeError);
    expect(() => tree.consistencyProof(-1)).toThrow(RangeError);
  });

  it('gives empty consistency proofs from the empty tree and between equal sizes', () => {
    expect(tree.consistencyProof(0, 5)).toEqual([]);
    expect(tree.consistencyProof(3, 3)).toEqual([]);
  });

  it('takes only 32-byte leaf hashes', () => {
    expect(() => new MerkleTree().append(new Uint8Array(31))).toThrow(TypeError);
    expect(() => new MerkleTree().append(new Uint8Array(33))).toThrow(TypeError);
  });

  it('memory storage refuses a node out of order and then holds nothing of it', () => {
    const storage = new MemoryMerkleStorage();
    const hash = new Uint8Array(32);
    expect(() =>
      storage.append([
        { level: 0, index: 0, hash },
        { level: 1, index: 3, hash },
      ]),
    ).toThrow(/not the next node/);
    expect(storage.size()).toBe(0);
    expect(storage.get(0, 0)).toBeUndefined();
  });

  it('names the node a damaged storage lacks', () => {
    const storage = new MemoryMerkleStorage();
    treeOf(leafInputs(6), storage);
    const holey: MerkleStorage = {
      size: () => storage.size(),
      get: (level, index) => (level === 1 && index === 2 ? undefined : storage.get(level, index)),
      append: (nodes) => storage.append(nodes),
    };
    expect(() => new MerkleTree(holey).root()).toThrow('Merkle storage lacks node (1, 2)');
  });
});

describe('leaf input', () => {
  const event: RecordedEvent = {
    eventId: '0b7e8f8c-54a4-4c1e-9a57-3f1c2d6e9a10',
    stream: 'program-american-locker.1118e.private-market',
    revision: 0,
    position: 1,
    type: 'ProgramRegistered',
    data: {
      programId: 'american-locker.1118e.private-market',
      supplierId: 'american-locker',
      specificationId: 'usps-b-1118e',
      channel: 'private-market',
      regulator: 'USPS',
    },
    metadata: {
      recordedBy: 'clerk@american-locker',
      correlationId: 'c0ffee00-0000-4000-8000-000000000001',
      causationId: null,
      schemaVersion: 1,
      recordedAt: '2005-12-09T14:03:27.120Z',
      prevHash: '0'.repeat(64),
      hash: '4f3d10e0954694ede4c81c1e41a204e517a0781457da11567770b6ea3f36f074',
    },
  };
  const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

  it('is the canonical JSON of the envelope as GET /v1/events serves it', () => {
    // What a third party does: parse the API's JSON and canonicalize it.
    const served = JSON.parse(JSON.stringify(event));
    expect(text(leafInput(event))).toBe(canonicalJson(served));
    expect(text(leafInput(event))).toMatch(/^\{"data":\{"channel":"private-market",/);
  });

  it('matches the worked example of docs/merkle-leaf.md', () => {
    const doc = readFileSync(new URL('../../docs/merkle-leaf.md', import.meta.url), 'utf8');
    const input = leafInput(event);
    expect(doc).toContain(text(input));
    const hash = toHex(leafHash(input));
    expect(hash).toBe(toHex(naiveLeafHash(input)));
    expect(doc).toContain(hash);
  });

  it('covers an idempotency key when there is one, and nothing outside the envelope', () => {
    const keyed = { ...event, metadata: { ...event.metadata, idempotencyKey: 'k-1' } };
    expect(text(leafInput(keyed))).toContain('"idempotencyKey":"k-1"');
    expect(text(leafInput(event))).not.toContain('idempotencyKey');
    const padded = {
      ...event,
      extra: 'not served',
      metadata: { ...event.metadata, internal: 'not served' },
    } as RecordedEvent;
    expect(text(leafInput(padded))).toBe(text(leafInput(event)));
  });

  it('changes with every field a third party sees', () => {
    const base = toHex(leafHash(leafInput(event)));
    const variants: RecordedEvent[] = [
      { ...event, eventId: 'other' },
      { ...event, stream: 'program-other' },
      { ...event, revision: 1 },
      { ...event, position: 2 },
      { ...event, type: 'ProgramEnded' },
      { ...event, data: { ...(event.data as object), regulator: 'usps' } },
      { ...event, metadata: { ...event.metadata, recordedAt: '2005-12-09T14:03:27.121Z' } },
      { ...event, metadata: { ...event.metadata, recordedBy: 'someone' } },
      { ...event, metadata: { ...event.metadata, correlationId: 'c' } },
      { ...event, metadata: { ...event.metadata, causationId: 'x' } },
      { ...event, metadata: { ...event.metadata, schemaVersion: 2 } },
      { ...event, metadata: { ...event.metadata, prevHash: '1'.repeat(64) } },
      { ...event, metadata: { ...event.metadata, hash: '2'.repeat(64) } },
    ];
    const hashes = new Set(variants.map((variant) => toHex(leafHash(leafInput(variant)))));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(base)).toBe(false);
  });

  it('is written out exactly as the canonicalizer would write the envelope, whatever it holds', () => {
    // Strings with quotes, escapes, line separators, astral characters and lone surrogates;
    // numbers that are not integers or not finite: the member-by-member writing of leafInput
    // must give canonicalJson's bytes, or fail where it fails.
    const unit = fc.oneof(
      { arbitrary: fc.string({ maxLength: 3 }), weight: 8 },
      {
        arbitrary: fc.constantFrom('"', '\\', '\n', '\u2028', '\u{1f600}', 'é', '\u0000'),
        weight: 4,
      },
      { arbitrary: fc.constantFrom('\ud800', '\udc00'), weight: 1 },
    );
    const aString = fc.string({ unit, maxLength: 4 });
    const scalar = fc.oneof(
      aString,
      fc.double(),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 1.5e-7),
      fc.integer(),
      fc.constant(null),
    );
    const metadata = fc.record(
      {
        recordedAt: aString,
        recordedBy: aString,
        correlationId: aString,
        causationId: fc.oneof(aString, fc.constant(null)),
        idempotencyKey: aString,
        schemaVersion: scalar,
        prevHash: aString,
        hash: aString,
      },
      {
        requiredKeys: [
          'recordedAt',
          'recordedBy',
          'correlationId',
          'causationId',
          'prevHash',
          'hash',
          'schemaVersion',
        ],
      },
    );
    const anyEvent = fc.record({
      eventId: aString,
      stream: aString,
      revision: scalar,
      position: scalar,
      type: aString,
      data: fc.jsonValue(),
      metadata,
    }) as fc.Arbitrary<RecordedEvent>;
    fc.assert(
      fc.property(anyEvent, (e) => {
        const { eventId, stream, revision, position, type, data, metadata: m } = e;
        let expected: string;
        try {
          expected = canonicalJson({
            eventId,
            stream,
            revision,
            position,
            type,
            data,
            metadata: m,
          });
        } catch {
          expect(() => leafInput(e)).toThrow(TypeError);
          return;
        }
        expect(text(leafInput(e))).toBe(expected);
        expect(text(leafInput(e, canonicalJson(data)))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('hashes as RFC 6962 says: SHA-256 of 0x00 and the input', () => {
    expect(toHex(leafHash(new Uint8Array()))).toBe(ROOTS[1]);
    expect(toHex(leafHash(hex('00')))).toBe(NODE_HASHES[0]?.[1]);
  });
});
