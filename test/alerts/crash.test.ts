/**
 * A real server process SIGKILLed between an event and its delivery: after the restart the alert
 * goes out, with the same webhook-id the receiver saw before the kill. The process log never
 * holds the secret or a signature.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  createLedgerFiles,
  removeAllFiles,
  type ServerProcess,
  startServer,
  stopAllServers,
} from '../reliability/support.ts';
import {
  currentSpecification,
  extensionNotice,
  program,
  successorSpecification,
  tdpRelease,
} from '../support/founding-case.ts';
import { startReceiver, verifiedEvent } from './receiver.ts';

afterAll(async () => {
  await stopAllServers();
  removeAllFiles();
});

describe('alerts across a crash', () => {
  it('delivers after a SIGKILL and restart, with the same webhook-id, and never logs the secret', async () => {
    const files = createLedgerFiles({ admin: 'admin', recorder: 'recorder' });
    const admin = files.keys.admin?.key as string;
    const recorder = files.keys.recorder?.key as string;
    const env = { LEDGER_ALERT_TIMEOUT_MS: '1000', LOG_LEVEL: 'info' };
    const receiver = await startReceiver(() => 'hang');
    let server: ServerProcess = await startServer(files, { env });
    const created = await server.post(
      '/v1/subscriptions',
      { url: receiver.url, types: ['ledger.status.changed'] },
      { key: admin },
    );
    expect(created.status, created.text).toBe(201);
    const secret: string = created.json.secret;

    for (const [path, body] of [
      ['/v1/specifications', currentSpecification],
      ['/v1/specifications', successorSpecification],
      ['/v1/programs', program],
      [`/v1/programs/${program.programId}/notices`, extensionNotice],
    ] as const)
      expect((await server.post(path, body, { key: recorder })).status).toBe(201);
    const { specificationId: _, ...release } = tdpRelease;
    const tdp = await server.post(
      `/v1/specifications/${tdpRelease.specificationId}/tdp-releases`,
      release,
      { key: recorder },
    );
    expect(tdp.status).toBe(201);

    // The TDP release's alert (expired today, four months after 2007-05-08) reaches the receiver,
    // which holds it unanswered: the server dies before the delivery is done.
    const isTdpAlert = (d: (typeof receiver.received)[number]) =>
      verifiedEvent(secret, d).data?.position === tdp.json.position;
    await vi.waitFor(() => expect(receiver.received.some(isTdpAlert)).toBe(true), {
      timeout: 20_000,
    });
    const before = receiver.received.find(isTdpAlert);
    await server.stop('SIGKILL');
    const firstOutput = server.output();
    receiver.setScript(() => 200);
    receiver.release(503);

    server = await startServer(files, { env });
    await vi.waitFor(
      () => expect(receiver.received.some((d) => isTdpAlert(d) && d.answered === 200)).toBe(true),
      { timeout: 20_000 },
    );
    const after = receiver.received.filter((d) => isTdpAlert(d) && d.answered === 200);
    expect(after.map((d) => d.headers['webhook-id'])).toEqual([before?.headers['webhook-id']]);
    expect(verifiedEvent(secret, after[0] as (typeof after)[number]).data).toMatchObject({
      status: 'expired',
    });

    const log = await server.get(`/v1/subscriptions/${created.json.id}/deliveries`, { key: admin });
    const tdpDelivery = log.json.items.find(
      (d: { id: string }) => d.id === before?.headers['webhook-id'],
    );
    expect(tdpDelivery).toMatchObject({ state: 'delivered', lastStatus: 200 });
    await server.stop('SIGTERM');
    const output = firstOutput + server.output();
    expect(output).toContain('alert delivered');
    expect(output).not.toContain(secret);
    expect(output).not.toContain(secret.slice('whsec_'.length));
    for (const d of receiver.received)
      expect(output).not.toContain(d.headers['webhook-signature']?.slice(3));
    await receiver.close();
  });
});
