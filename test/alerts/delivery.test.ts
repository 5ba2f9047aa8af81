/**
 * Delivery guarantees with a real receiver on loopback and an injected alert clock: retries until
 * accepted (the same webhook-id each time), 410 disables, a dead receiver holds only its own
 * subscription, manual redelivery, and the outbound rules (redirects, body cap, timeouts, URLs).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { send } from '../../src/alerts/send.ts';
import {
  expectProblem,
  paths,
  recordFoundingCase,
  startApi,
  type TestApi,
} from '../api/support.ts';
import { extensionNotice } from '../support/founding-case.ts';
import { type Receiver, startReceiver, verifiedEvent } from './receiver.ts';

const opened: { apis: TestApi[]; receivers: Receiver[] } = { apis: [], receivers: [] };
afterEach(async () => {
  for (const api of opened.apis.splice(0)) await api.close();
  for (const r of opened.receivers.splice(0)) await r.close();
});

async function receiver(script?: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(script);
  opened.receivers.push(r);
  return r;
}
async function api(clock?: { now: number }, env: Record<string, string> = {}) {
  const started = await startApi({ ...(clock && { now: () => clock.now }), env });
  opened.apis.push(started);
  return started;
}
async function subscribe(on: TestApi, url: string, types = ['ledger.letter.recorded']) {
  const created = await on.post('/v1/subscriptions', { url, types }, { as: 'admin' });
  expect(created.statusCode, created.body).toBe(201);
  return created.data as { id: string; secret: string };
}
const deliveries = async (on: TestApi, id: string) =>
  (await on.get(`/v1/subscriptions/${id}/deliveries`, { as: 'admin' })).data.items;

/** A second notice of the founding case with its own id: one more letter. */
const notice = (n: number) => ({ ...extensionNotice, noticeId: `usps-letter-${n}` });

describe('delivery', () => {
  it('retries a receiver answering 500 three times on the backoff schedule, then it accepts once, the same webhook-id every time', async () => {
    const clock = { now: Date.parse('2026-03-01T08:00:00Z') };
    const r = await receiver((n) => (n < 3 ? 500 : 200));
    const on = await api(clock);
    const sub = await subscribe(on, r.url);
    await recordFoundingCase(on);
    await vi.waitFor(() => expect(r.received).toHaveLength(1), { timeout: 10_000 });
    for (let n = 2; n <= 4; n++) {
      // Not due before the backoff has passed (at least 2.5 s for the first retry).
      await vi.waitFor(async () =>
        expect((await deliveries(on, sub.id))[0]).toMatchObject({ attempts: n - 1 }),
      );
      const [pending] = await deliveries(on, sub.id);
      expect(pending).toMatchObject({ state: 'pending', lastStatus: 500 });
      expect(pending.nextAttemptAt).toBeGreaterThan(clock.now);
      clock.now = pending.nextAttemptAt;
      await vi.waitFor(() => expect(r.received).toHaveLength(n), { timeout: 10_000 });
    }
    await vi.waitFor(async () => expect((await deliveries(on, sub.id))[0].state).toBe('delivered'));
    const [delivered] = await deliveries(on, sub.id);
    expect(delivered.attemptLog.map((a: { status: number }) => a.status)).toEqual([
      500, 500, 500, 200,
    ]);
    expect(delivered.nextAttemptAt).toBeNull();
    const ids = r.received.map((d) => d.headers['webhook-id']);
    expect(new Set(ids)).toEqual(new Set([delivered.id]));
    expect(r.received.map((d) => verifiedEvent(sub.secret, d).type)).toEqual(
      Array(4).fill('ledger.letter.recorded'),
    );
    expect(r.received.filter((d) => d.answered === 200)).toHaveLength(1);
  });

  it('disables a subscription whose receiver answers 410 and sends it nothing more', async () => {
    const gone = await receiver(() => 410);
    const healthy = await receiver();
    const on = await api();
    const goneSub = await subscribe(on, gone.url);
    await subscribe(on, healthy.url);
    await recordFoundingCase(on);
    await vi.waitFor(() => expect(healthy.received).toHaveLength(1), { timeout: 10_000 });
    await vi.waitFor(async () => {
      const list = await on.get('/v1/subscriptions', { as: 'admin' });
      const s = list.data.items.find((i: { id: string }) => i.id === goneSub.id);
      expect(s.disabledReason).toMatch(/410/);
    });
    await on.post(paths.program('notices'), notice(2));
    await vi.waitFor(() => expect(healthy.received).toHaveLength(2), { timeout: 10_000 });
    expect(gone.received).toHaveLength(1);
    expect((await deliveries(on, goneSub.id))[0]).toMatchObject({
      state: 'failed',
      lastStatus: 410,
    });
  });

  it('lets a dead receiver hold only its own subscription', async () => {
    const dead = await receiver(() => 'hang');
    const alive = await receiver();
    const on = await api(undefined, { LEDGER_ALERT_TIMEOUT_MS: '60000' });
    await subscribe(on, dead.url);
    await subscribe(on, alive.url);
    await recordFoundingCase(on);
    for (let n = 2; n <= 6; n++) await on.post(paths.program('notices'), notice(n));
    await vi.waitFor(() => expect(alive.received).toHaveLength(6), { timeout: 15_000 });
    expect(dead.received.every((d) => d.answered === null)).toBe(true);
    expect(dead.received.length).toBeLessThanOrEqual(2);
  });

  it('redelivers on an admin request with the same webhook-id', async () => {
    const r = await receiver();
    const on = await api();
    const sub = await subscribe(on, r.url);
    await recordFoundingCase(on);
    await vi.waitFor(() => expect(r.received).toHaveLength(1), { timeout: 10_000 });
    const [first] = await deliveries(on, sub.id);
    const retry = await on.post(
      `/v1/subscriptions/${sub.id}/deliveries/${first.id}/retry`,
      undefined,
      { as: 'admin' },
    );
    expect(retry.statusCode, retry.body).toBe(202);
    await vi.waitFor(() => expect(r.received).toHaveLength(2), { timeout: 10_000 });
    expect(r.received[1]?.headers['webhook-id']).toBe(first.id);
    expectProblem(
      await on.post(`/v1/subscriptions/${sub.id}/deliveries/msg_none/retry`, undefined, {
        as: 'admin',
      }),
      404,
    );
  });

  it('follows no redirect: a 302 is a failed attempt and the other address gets nothing', async () => {
    const elsewhere = await receiver();
    const redirecting = await receiver(() => ({ redirect: elsewhere.url }));
    const on = await api();
    const sub = await subscribe(on, redirecting.url);
    await recordFoundingCase(on);
    await vi.waitFor(async () => expect((await deliveries(on, sub.id))[0].lastStatus).toBe(302), {
      timeout: 10_000,
    });
    expect((await deliveries(on, sub.id))[0].state).toBe('pending');
    expect(elsewhere.received).toHaveLength(0);
  });
});

describe('integrity alarm', () => {
  it('tells subscribers when a verify or checkpoint check failed, once per check and position', async () => {
    const r = await receiver();
    const on = await api();
    const sub = await subscribe(on, r.url, ['ledger.integrity.alarm']);
    const alarm = { check: 'verify', position: 12, detail: 'hash chain broken at position 12' };
    await on.app.alerts?.raiseIntegrityAlarm(alarm);
    await on.app.alerts?.raiseIntegrityAlarm(alarm);
    await vi.waitFor(() => expect(r.received).toHaveLength(1), { timeout: 10_000 });
    const told = verifiedEvent(sub.secret, r.received[0] as (typeof r.received)[number]);
    expect(told).toMatchObject({ type: 'ledger.integrity.alarm', subject: 'ledger', data: alarm });
    expect(await deliveries(on, sub.id)).toHaveLength(1);
  });
});

describe("the ledger's own integrity alarm", () => {
  it('reaches subscribers as ledger.integrity.alarm', async () => {
    const r = await receiver();
    const on = await api();
    const sub = await subscribe(on, r.url, ['ledger.integrity.alarm']);
    on.app.ledger.alarm.raise('tree size 7 signed with two roots');
    await vi.waitFor(() => expect(r.received).toHaveLength(1), { timeout: 10_000 });
    const told = verifiedEvent(sub.secret, r.received[0] as (typeof r.received)[number]);
    expect(told).toMatchObject({
      type: 'ledger.integrity.alarm',
      data: { check: 'checkpoint', detail: 'tree size 7 signed with two roots' },
    });
  });
});

describe('outbound safety', () => {
  it('refuses plain http to other hosts, URLs with credentials, and other schemes; allows https, loopback and admin-allowed hosts', async () => {
    const on = await api(undefined, { LEDGER_ALERT_ALLOWED_HOSTS: 'receiver.internal' });
    const add = (url: string) =>
      on.post('/v1/subscriptions', { url, types: ['ledger.status.changed'] }, { as: 'admin' });
    for (const url of [
      'http://example.com/hook',
      'https://user:pw@example.com/hook',
      'ftp://example.com/x',
      'not a url',
    ])
      expectProblem(await add(url), 422, 'url-refused');
    for (const url of [
      'https://example.com/hook',
      'http://127.0.0.1:9/hook',
      'http://localhost:9/x',
      'http://[::1]:9/x',
      'http://receiver.internal/x',
    ])
      expect((await add(url)).statusCode, url).toBe(201);
    expect((await on.get('/v1/subscriptions', { as: 'admin' })).data.items).toHaveLength(5);
    // Only admins manage subscriptions; nothing changes on a refusal.
    expectProblem(
      await on.post('/v1/subscriptions', {
        url: 'https://example.com',
        types: ['ledger.status.changed'],
      }),
      403,
    );
    expect((await on.get('/v1/subscriptions', { as: 'admin' })).body).not.toMatch(/whsec_/);
  });

  it('reads at most 16 KiB of an answer, and gives up on a receiver that does not answer in time', async () => {
    const big = await receiver(() => ({ bytes: 5 * 1024 * 1024 }));
    const answered = await send(big.url, {}, '{}', 5_000);
    expect(answered.status).toBe(200);
    expect(answered.body.length).toBe(16 * 1024);
    const silent = await receiver(() => 'hang');
    const timedOut = await send(silent.url, {}, '{}', 300);
    expect(timedOut).toMatchObject({ status: null, error: 'no answer within 300 ms' });
  });
});
