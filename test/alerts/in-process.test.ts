/**
 * Alerts end to end, in process on a SQLite file, with a real receiver on loopback that verifies
 * each delivery with `standardwebhooks` and parses it with the CloudEvents SDK. The alert clock is
 * injected: "today" moves as the test says.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createTestFiles,
  expectRecorded,
  paths,
  recordFoundingCase,
  startApi,
  type TestApi,
  type TestFiles,
  tdpReleaseBody,
} from '../api/support.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import { type Receiver, startReceiver, verifiedEvent } from './receiver.ts';

const at = (date: string) => Date.parse(`${date}T12:00:00Z`);
const opened: { api?: TestApi; files?: TestFiles; receivers: Receiver[] } = { receivers: [] };

afterEach(async () => {
  await opened.api?.close();
  for (const r of opened.receivers.splice(0)) await r.close();
  opened.files?.remove();
  opened.api = undefined;
});

async function start(files: TestFiles, clock: { now: number }) {
  opened.api = await startApi({ files, store: 'sqlite', now: () => clock.now });
  return opened.api;
}

async function subscribe(api: TestApi, receiver: Receiver, types: string[]) {
  const created = await api.post(
    '/v1/subscriptions',
    { url: receiver.url, types },
    { as: 'admin' },
  );
  expect(created.statusCode, created.body).toBe(201);
  expect(created.data.secret).toMatch(/^whsec_/);
  return created.data as { id: string; secret: string };
}

/** The verified events the receiver got, of `type`. */
const eventsOf = (receiver: Receiver, secret: string, type: string) =>
  receiver.received.map((d) => verifiedEvent(secret, d)).filter((e) => e.type === type);

describe('alerts end to end', () => {
  it('tells a receiver the founding case changed with the TDP release, warns as the deadline nears, and announces the expiry that midnight brings with no new event, once', async () => {
    const files = createTestFiles();
    opened.files = files;
    const clock = { now: at('2007-05-10') };
    const receiver = await startReceiver();
    opened.receivers.push(receiver);
    let api = await start(files, clock);
    const sub = await subscribe(api, receiver, [
      'ledger.status.changed',
      'ledger.deadline.approaching',
    ]);

    const { notice } = await recordFoundingCase(api);
    await vi.waitFor(
      () => expect(eventsOf(receiver, sub.secret, 'ledger.status.changed')).toHaveLength(2),
      { timeout: 10_000 },
    );
    const tdp = expectRecorded(await api.post(paths.tdpReleases(), tdpReleaseBody));

    await vi.waitFor(
      () => expect(eventsOf(receiver, sub.secret, 'ledger.status.changed')).toHaveLength(3),
      { timeout: 10_000 },
    );
    const changed = eventsOf(receiver, sub.secret, 'ledger.status.changed');
    expect(changed.map((e) => e.data?.status)).toEqual([
      'not-authorized',
      'authorized',
      'authorized',
    ]);
    const released = changed[2];
    expect(released?.specversion).toBe('1.0');
    expect(released?.subject).toBe(PROGRAM_ID);
    expect(released?.source).toBe('compliance-ledger.local/ledger');
    expect(released?.datacontenttype).toBe('application/json');
    expect(released?.id).toBe(receiver.received.at(-1)?.headers['webhook-id']);
    expect(receiver.received.at(-1)?.headers['content-type']).toBe('application/cloudevents+json');
    expect(released?.data).toMatchObject({
      programId: PROGRAM_ID,
      status: 'authorized',
      until: '2007-09-08',
      lastAuthorizedDay: '2007-09-07',
      position: tdp.position,
      previous: { status: 'authorized', until: null },
    });
    expect(released?.data?.basisEventIds).toEqual(
      expect.arrayContaining([notice?.eventId, tdp.eventId]),
    );

    // 121 days left on 2007-05-10: no threshold yet. 38 on 2007-08-01: the 90-day one.
    expect(eventsOf(receiver, sub.secret, 'ledger.deadline.approaching')).toHaveLength(0);
    clock.now = at('2007-08-01');
    await vi.waitFor(
      () => expect(eventsOf(receiver, sub.secret, 'ledger.deadline.approaching')).toHaveLength(1),
      { timeout: 10_000 },
    );
    // 6 days left: the 7-day threshold only (30 was passed over in between).
    clock.now = at('2007-09-02');
    await vi.waitFor(
      () => expect(eventsOf(receiver, sub.secret, 'ledger.deadline.approaching')).toHaveLength(2),
      { timeout: 10_000 },
    );
    const warnings = eventsOf(receiver, sub.secret, 'ledger.deadline.approaching');
    expect(warnings.map((w) => [w.data?.thresholdDays, w.data?.daysLeft, w.data?.until])).toEqual([
      [90, 38, '2007-09-08'],
      [7, 6, '2007-09-08'],
    ]);
    expect(warnings[0]?.data?.letterEventId).toBe(notice?.eventId);

    const eventsBefore = await api.eventCount();
    clock.now = at('2007-09-08');
    await vi.waitFor(
      () => expect(eventsOf(receiver, sub.secret, 'ledger.status.changed')).toHaveLength(4),
      { timeout: 10_000 },
    );
    const expired = eventsOf(receiver, sub.secret, 'ledger.status.changed')[3];
    expect(expired?.data).toMatchObject({
      status: 'expired',
      at: '2007-09-08',
      previous: { status: 'authorized', until: '2007-09-08' },
      position: tdp.position,
    });
    expect(await api.eventCount()).toBe(eventsBefore);

    // A restart on the same day finds the boundary already passed: nothing is said again.
    await api.close();
    api = await start(files, clock);
    const log = await api.get(`/v1/subscriptions/${sub.id}/deliveries`, { as: 'admin' });
    expect(log.statusCode).toBe(200);
    expect(
      log.data.items.filter((d: { type: string }) => d.type === 'ledger.status.changed'),
    ).toHaveLength(4);
    expect(new Set(receiver.received.map((d) => d.headers['webhook-id'])).size).toBe(
      receiver.received.length,
    );
  });

  it('tells of a shipment outside an authorization when recorded, and when a later letter turns an earlier shipment into one', async () => {
    const files = createTestFiles();
    opened.files = files;
    const clock = { now: at('2007-10-15') };
    const receiver = await startReceiver();
    opened.receivers.push(receiver);
    const api = await start(files, clock);
    const sub = await subscribe(api, receiver, ['ledger.violation.recorded']);
    await recordFoundingCase(api);
    // Before the TDP release is known, supply on 2007-10-01 is authorized: no violation.
    const early = expectRecorded(
      await api.post(paths.program('shipments'), {
        shipmentId: 'sh-1',
        shippedOn: '2007-10-01',
        units: 3,
      }),
    );
    const tdp = expectRecorded(await api.post(paths.tdpReleases(), tdpReleaseBody));
    const late = expectRecorded(
      await api.post(paths.program('shipments'), {
        shipmentId: 'sh-2',
        shippedOn: '2007-10-02',
        units: 4,
      }),
    );
    await vi.waitFor(() => expect(receiver.received).toHaveLength(2), { timeout: 10_000 });
    const told = receiver.received.map((d) => verifiedEvent(sub.secret, d));
    expect(
      told.map((e) => [
        e.type,
        e.subject,
        e.data?.shipmentId,
        e.data?.madeByEventId,
        e.data?.position,
      ]),
    ).toEqual([
      ['ledger.violation.recorded', PROGRAM_ID, 'sh-1', tdp.eventId, tdp.position],
      ['ledger.violation.recorded', PROGRAM_ID, 'sh-2', late.eventId, late.position],
    ]);
    expect(told[0]?.data).toMatchObject({
      shipmentEventId: early.eventId,
      status: 'expired',
      asKnownWhenRecorded: { compliant: true },
    });
  });
});
