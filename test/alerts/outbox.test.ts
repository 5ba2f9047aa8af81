/**
 * The outbox contract on every database it lives in (memory, a SQLite file, a real PostgreSQL
 * server): written once per id, memory kept in the same transaction, claimed under a lease by one
 * owner at a time, retried and redelivered. On PostgreSQL, two instances claiming at once never
 * take the same delivery.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openMemoryOutbox } from '../../src/alerts/outbox/memory.ts';
import type { NewDelivery, Outbox, SubscriptionRecord } from '../../src/alerts/outbox/port.ts';
import { openPostgresOutbox } from '../../src/alerts/outbox/postgres.ts';
import { openSqliteOutbox } from '../../src/alerts/outbox/sqlite.ts';
import { postgresForSuite } from '../support/postgres-server.ts';

const pgServer = await postgresForSuite();
const dir = mkdtempSync(join(tmpdir(), 'ledger-outbox-'));
afterAll(async () => {
  await pgServer?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const subscription = (id: string): SubscriptionRecord => ({
  id,
  url: 'https://receiver.example/hook',
  types: ['ledger.status.changed'],
  programIds: null,
  description: null,
  secret: 'whsec_c2VjcmV0',
  createdAt: '2026-01-01T00:00:00.000Z',
  disabledAt: null,
  disabledReason: null,
});
const delivery = (id: string, subscriptionId: string, createdAt = 1_000): NewDelivery => ({
  id,
  subscriptionId,
  type: 'ledger.status.changed',
  body: `{"id":"${id}"}`,
  position: 7,
  createdAt,
});

let sqliteFiles = 0;
const kinds: [string, () => Promise<Outbox>][] = [
  ['memory', async () => openMemoryOutbox()],
  ['sqlite', async () => openSqliteOutbox(join(dir, `outbox-${++sqliteFiles}.sqlite`))],
];
if (pgServer)
  kinds.push(['postgres', async () => openPostgresOutbox(await pgServer.createLedgerDatabase())]);

describe.each(kinds)('outbox on %s', (_, open) => {
  it('writes a delivery once per id, with the memory, and leases it to one owner until the lease ends', async () => {
    const outbox = await open();
    await outbox.addSubscription(subscription('s1'));
    await outbox.commit([delivery('msg_a', 's1')], new Map([['position', '7']]));
    await outbox.commit(
      [{ ...delivery('msg_a', 's1'), body: 'changed' }],
      new Map([['position', '8']]),
    );
    expect(await outbox.memory()).toEqual(new Map([['position', '8']]));
    const [only] = await outbox.deliveries('s1');
    expect(only).toMatchObject({
      id: 'msg_a',
      body: '{"id":"msg_a"}',
      state: 'pending',
      attempts: 0,
    });

    expect(await outbox.claimDue('s1', 999, 'one', 5_000, 10)).toEqual([]); // not due yet
    expect((await outbox.claimDue('s1', 1_000, 'one', 5_000, 10)).map((d) => d.id)).toEqual([
      'msg_a',
    ]);
    expect(await outbox.claimDue('s1', 2_000, 'two', 5_000, 10)).toEqual([]); // leased
    expect((await outbox.claimDue('s1', 6_001, 'two', 5_000, 10)).map((d) => d.id)).toEqual([
      'msg_a',
    ]);

    await outbox.recordAttempt('msg_a', {
      attempt: {
        deliveryId: 'msg_a',
        attempt: 1,
        at: 6_001,
        status: 500,
        error: null,
        latencyMs: 3,
      },
      state: 'pending',
      nextAttemptAt: 20_000,
    });
    expect(await outbox.claimDue('s1', 19_999, 'two', 5_000, 10)).toEqual([]);
    expect(await outbox.redeliver('s1', 'msg_a', 10_000)).toBe(true);
    expect(await outbox.redeliver('s1', 'msg_none', 10_000)).toBe(false);
    expect((await outbox.claimDue('s1', 10_000, 'two', 5_000, 10)).map((d) => d.id)).toEqual([
      'msg_a',
    ]);
    await outbox.recordAttempt('msg_a', {
      attempt: {
        deliveryId: 'msg_a',
        attempt: 2,
        at: 10_001,
        status: 410,
        error: null,
        latencyMs: 4,
      },
      state: 'failed',
      nextAttemptAt: null,
      disableReason: 'gone',
    });
    expect((await outbox.attempts('msg_a')).map((a) => a.status)).toEqual([500, 410]);
    expect((await outbox.subscriptions())[0]).toMatchObject({ disabledReason: 'gone' });
    expect(await outbox.removeSubscription('s1')).toBe(true);
    expect(await outbox.deliveries('s1')).toEqual([]);
    expect(await outbox.removeSubscription('s1')).toBe(false);
    await outbox.close();
  });
});

describe.skipIf(!pgServer)('outbox on PostgreSQL with several instances', () => {
  it('gives each due delivery to exactly one of two instances claiming at the same time', async () => {
    const url = await (pgServer as NonNullable<typeof pgServer>).createLedgerDatabase();
    const [a, b] = [await openPostgresOutbox(url), await openPostgresOutbox(url)];
    await a.addSubscription(subscription('s1'));
    const ids = Array.from({ length: 200 }, (_, i) => `msg_${i}`);
    await a.commit(
      ids.map((id) => delivery(id, 's1')),
      new Map(),
    );
    const claimed: string[][] = [[], []];
    for (let round = 0; round < 20; round++) {
      const [fromA, fromB] = await Promise.all([
        a.claimDue('s1', 2_000, 'a', 60_000, 7),
        b.claimDue('s1', 2_000, 'b', 60_000, 7),
      ]);
      claimed[0]?.push(...fromA.map((d) => d.id));
      claimed[1]?.push(...fromB.map((d) => d.id));
    }
    const all = [...(claimed[0] ?? []), ...(claimed[1] ?? [])];
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(200);
    await a.close();
    await b.close();
  });
});
