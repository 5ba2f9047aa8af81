/**
 * Edits a ledger behind the store's back, as someone with access to its storage could, and
 * checks that verification through the store names the damaged event, on every store: memory,
 * SQLite, PostgreSQL (real server) and the KurrentDB double. How each store is edited, and what
 * a store's storage cannot hold, is in tamper-access.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLedger } from '../../src/cli/audit.ts';
import { keptCheckpointsOf, storeLedger } from '../../src/cli/integrity.ts';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import { sealEvent } from '../../src/core/event-hash.ts';
import type { EventStore, RecordedEvent } from '../../src/eventstore/port.ts';
import { generateSigningKey } from '../../src/integrity/checkpoint.ts';
import {
  type KeptCheckpoint,
  openLedgerCheckpoints,
} from '../../src/integrity/ledger-checkpoints.ts';
import {
  type LedgerReport,
  readLedger,
  type VerifyOptions,
  verifyLedger,
} from '../../src/integrity/verify-ledger.ts';
import { anEvent } from '../eventstore/contract.ts';
import { postgresForSuite } from '../support/postgres-server.ts';
import {
  esdbAccess,
  memoryAccess,
  postgresAccess,
  type RawLedger,
  sqliteAccess,
  type TamperableStore,
} from './tamper-access.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-tamper-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const pgServer = await postgresForSuite();
afterAll(() => pgServer?.destroy());

const stores: [string, TamperableStore][] = [
  memoryAccess(),
  sqliteAccess(() => dir),
  ...(pgServer ? [postgresAccess(pgServer)] : []),
  esdbAccess(),
].map((access) => [access.kind, access]);

const streams = ['specification-1118f', 'program-1118e', 'program-1118f'];
const ORIGIN = 'ledger.test/tamper';
const key = generateSigningKey(ORIGIN);

describe.each(stores)('tampering with a %s ledger', (_kind, access) => {
  /** The untouched ledger, in global order. */
  let events: RecordedEvent[];
  /** The checkpoint signed over all of it, as an auditor keeps it. */
  let signed: KeptCheckpoint;
  let strict: VerifyOptions;

  beforeAll(async () => {
    await access.seed(async (store) => {
      for (let round = 0; round < 4; round++) {
        for (const stream of streams) {
          await store.append(
            stream,
            [anEvent({ data: { letter: `Dear American Locker Group, round ${round}`, round } })],
            { expectedRevision: round === 0 ? 'no-stream' : round - 1 },
          );
        }
      }
      events = await store.readAll();
      const checkpoints = openLedgerCheckpoints(store, { key: () => key, origin: ORIGIN });
      signed = await (checkpoints as NonNullable<typeof checkpoints>).latest();
      // Positions are dense where the store numbers them; esdb's are commit offsets.
      strict = { densePositions: store.capabilities.densePositions, monotonicRecordedAt: true };
    });
  });

  async function verify(
    edit: (raw: RawLedger) => Promise<unknown>,
    options?: VerifyOptions,
  ): Promise<LedgerReport> {
    return opened(edit, (store) => verifyLedger(readLedger(store, 5), options));
  }

  async function opened<T>(
    edit: (raw: RawLedger) => Promise<unknown>,
    use: (store: EventStore) => Promise<T>,
  ): Promise<T> {
    const store = await access.copy(edit);
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }

  /** The n-th event of the untouched ledger (1-based). */
  const at = (n: number) => events[n - 1] as RecordedEvent;

  it('verifies the untouched ledger', async () => {
    expect(events).toHaveLength(12);
    expect(await verify(async () => {}, strict)).toEqual({ ok: true, events: 12, streams: 3 });
  });

  it('names an event whose data changed by one byte', async () => {
    const report = await verify(async (raw) => {
      const data = await raw.dataText(at(5).position);
      const edited = data.replace('Dear', 'Deer');
      expect(edited).not.toBe(data);
      await raw.setDataText(at(5).position, edited);
    }, strict);

    expect(report).toMatchObject({
      ok: false,
      events: 4,
      problem: { kind: 'hash-mismatch', position: at(5).position, stream: at(5).stream },
    });
  });

  it.skipIf(access.cannot.deleteEvent)('names where a deleted event is missing', async () => {
    const deleted = at(5);
    const nextOfStream = events.find(
      (event) => event.stream === deleted.stream && event.revision === deleted.revision + 1,
    ) as RecordedEvent;
    const revisionGap = {
      kind: 'revision-gap',
      position: nextOfStream.position,
      stream: deleted.stream,
      revision: deleted.revision + 1,
    };
    const edit = (raw: RawLedger) => raw.deleteEvent(deleted.position);

    expect(await verify(edit)).toMatchObject({ ok: false, problem: revisionGap });
    // Where positions are dense the gap itself is named first; esdb's are sparse anyway.
    expect(await verify(edit, strict)).toMatchObject({
      ok: false,
      problem: strict.densePositions
        ? { kind: 'position-gap', position: at(6).position, stream: at(6).stream }
        : revisionGap,
    });
  });

  it('names an event whose data text is not canonical, even with a hash made over that text', async () => {
    // The last event: its stream has nothing after it whose prevHash would also need forging.
    const last = at(12);
    const { hash: _ignored, ...metadata } = last.metadata;
    const hashOver = (dataText: string) =>
      createHash('sha256')
        .update(
          `{"data":${dataText},"eventId":${JSON.stringify(last.eventId)},"metadata":${canonicalJson(metadata)},` +
            `"revision":${last.revision},"stream":${JSON.stringify(last.stream)},"type":${JSON.stringify(last.type)}}`,
        )
        .digest('hex');
    expect(hashOver(canonicalJson(last.data))).toBe(last.metadata.hash);
    // The same members in another order: a verify that hashed the stored text, or what
    // JSON.stringify writes of it, would find this hash right.
    const reordered = `{"round":3,"letter":${JSON.stringify((last.data as { letter: string }).letter)}}`;
    expect(JSON.parse(reordered)).toEqual(last.data);
    expect(reordered).not.toBe(canonicalJson(last.data));

    const report = await verify(async (raw) => {
      await raw.setDataText(last.position, reordered);
      await raw.setHash(last.position, hashOver(reordered));
    }, strict);

    expect(report).toMatchObject({
      ok: false,
      events: 11,
      problem: { kind: 'hash-mismatch', position: last.position, stream: last.stream },
    });
  });

  it('names the first of two rows whose payloads were swapped', async () => {
    const report = await verify(async (raw) => {
      const [four, seven] = [
        await raw.dataText(at(4).position),
        await raw.dataText(at(7).position),
      ];
      await raw.setDataText(at(4).position, seven);
      await raw.setDataText(at(7).position, four);
    }, strict);

    expect(report).toMatchObject({
      ok: false,
      problem: { kind: 'hash-mismatch', position: at(4).position, stream: at(4).stream },
    });
  });

  it('names the first of two events of a stream whose order was swapped', async () => {
    const [first, later] = events.filter((event) => event.stream === at(4).stream) as [
      RecordedEvent,
      RecordedEvent,
    ];
    const report = await verify((raw) => raw.swapEvents(first.position, later.position), strict);

    expect(report).toMatchObject({
      ok: false,
      problem: { kind: 'revision-gap', position: first.position, stream: first.stream },
    });
  });

  it('names a forged event that carries a correct hash of its own', async () => {
    const stream = at(1).stream;
    const history = events.filter((event) => event.stream === stream);
    const forged = {
      ...sealEvent(
        stream,
        history.length,
        // Forks the chain after revision 0, as if later letters had never arrived.
        (history[0] as RecordedEvent).metadata.hash,
        at(12).metadata.recordedAt,
        anEvent({ data: { letter: 'USPS extends the window indefinitely' } }),
      ),
      position: at(12).position + 1,
    };
    const report = await verify((raw) => raw.insertEvent(forged), strict);

    expect(report).toMatchObject({
      ok: false,
      events: 12,
      problem: { kind: 'broken-chain', stream, eventId: forged.eventId },
    });
  });

  it.skipIf(access.cannot.invalidJson)(
    'names the row when an edit leaves data that is not JSON',
    async () => {
      const position = at(8).position;
      const verified = verify(async (raw) => {
        await raw.setDataText(position, (await raw.dataText(position)).slice(1));
      }, strict);

      await expect(verified).rejects.toThrow(
        `ledger row at position ${position} (stream ${at(8).stream}) holds invalid JSON in data`,
      );
    },
  );

  it.skipIf(access.cannot.dropLastLeaf)(
    'refuses appends on a ledger whose events lead its Merkle tree',
    async () => {
      await opened(
        (raw) => raw.dropLastLeaf(),
        async (store) => {
          await expect(
            store.append(at(2).stream, [anEvent()], { expectedRevision: 'any' }),
          ).rejects.toThrow(/the Merkle tree has 11 leaves but the ledger 12 events/);
          expect(await store.headPosition()).toBe(at(12).position);
        },
      );
    },
  );

  it('fails the audit from a checkpoint signed before an event changed', async () => {
    const audited = opened(
      (raw) => raw.setDataText(at(5).position, JSON.stringify({ letter: 'rewritten' })),
      (store) =>
        auditLedger(
          signed.note,
          key.verifierKey,
          storeLedger(store, keptCheckpointsOf(store, key.verifierKey)),
        ),
    );
    await expect(audited).rejects.toThrow(access.changedEventShowsAs);
  });
});
