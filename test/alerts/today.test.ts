/**
 * "Today" is the office's: LEDGER_TIME_ZONE decides when a date boundary passes, for the alerts
 * and for every default date of the API.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordFoundingCase, startApi, type TestApi } from '../api/support.ts';
import { PROGRAM_ID } from '../support/founding-case.ts';
import { type Receiver, startReceiver, verifiedEvent } from './receiver.ts';

const opened: { apis: TestApi[]; receivers: Receiver[] } = { apis: [], receivers: [] };
afterEach(async () => {
  for (const api of opened.apis.splice(0)) await api.close();
  for (const r of opened.receivers.splice(0)) await r.close();
});

async function api(now: () => number, zone?: string) {
  const started = await startApi({ now, ...(zone && { env: { LEDGER_TIME_ZONE: zone } }) });
  opened.apis.push(started);
  return started;
}

describe('today in the office time zone', () => {
  it('answers the default date of status and deadlines as the office calendar says', async () => {
    const instant = Date.parse('2007-09-08T02:00:00Z'); // still 2007-09-07 in New York
    const newYork = await api(() => instant, 'America/New_York');
    const utc = await api(() => instant);
    for (const on of [newYork, utc]) await recordFoundingCase(on, { tdp: true });
    const status = async (on: TestApi) => (await on.get(`/v1/programs/${PROGRAM_ID}/status`)).data;
    expect(await status(newYork)).toMatchObject({ at: '2007-09-07', status: 'authorized' });
    expect(await status(utc)).toMatchObject({ at: '2007-09-08', status: 'expired' });
    const deadlines = await newYork.get('/v1/deadlines?withinDays=7');
    expect(deadlines.data).toMatchObject({ today: '2007-09-07', deadlines: [{ daysLeft: 1 }] });
  });

  it('announces the expiry at midnight in the office time zone, not at midnight UTC', async () => {
    const clock = { now: Date.parse('2007-09-08T02:00:00Z') };
    const receiver = await startReceiver();
    opened.receivers.push(receiver);
    const on = await api(() => clock.now, 'America/New_York');
    const sub = await on.post(
      '/v1/subscriptions',
      { url: receiver.url, types: ['ledger.status.changed'] },
      { as: 'admin' },
    );
    await recordFoundingCase(on, { tdp: true });
    const statuses = () =>
      receiver.received.map((d) => verifiedEvent(sub.data.secret, d).data?.status);
    await vi.waitFor(
      () => expect(statuses()).toEqual(['not-authorized', 'authorized', 'authorized']),
      {
        timeout: 10_000,
      },
    );
    clock.now = Date.parse('2007-09-08T03:59:00Z'); // 23:59 in New York, 03:59 UTC
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // two date checks, at least
    expect(statuses()).not.toContain('expired');
    clock.now = Date.parse('2007-09-08T04:00:00Z'); // midnight in New York
    await vi.waitFor(() => expect(statuses()).toContain('expired'), { timeout: 10_000 });
    const expired = receiver.received
      .map((d) => verifiedEvent(sub.data.secret, d))
      .find((e) => e.data?.status === 'expired');
    expect(expired?.data?.at).toBe('2007-09-08');
  });
});
