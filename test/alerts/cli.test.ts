import { join } from 'node:path';
/**
 * `compliance-ledger subscriptions …` on the store file a server uses: a subscription added by the
 * CLI receives the server's deliveries, verified with the secret the CLI printed once.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  createTestFiles,
  expectRecorded,
  paths,
  startApi,
  type TestApi,
  tdpReleaseBody,
} from '../api/support.ts';
import { ledgerBinary } from '../support/ledger-binary.ts';
import { startReceiver, verifiedEvent } from './receiver.ts';

const files = createTestFiles();
const ledger = ledgerBinary(files.dir);
const store = ['--store', files.sqliteUrl];
let api: TestApi | undefined;
afterAll(async () => {
  await api?.close();
  files.remove();
});

describe('compliance-ledger subscriptions', () => {
  it('adds, lists, shows deliveries, retries and removes, with one-line errors and documented exit codes', async () => {
    const missing = await ledger(...store, 'subscriptions', 'list');
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/no ledger file at/);
    expect(
      (await ledger(...store, 'seed-example', '--key-dir', join(files.dir, 'checkpoint-key'))).code,
    ).toBe(0);
    const receiver = await startReceiver();

    const refused = await ledger(
      ...store,
      'subscriptions',
      'add',
      'http://example.com/hook',
      '--types',
      'ledger.status.changed',
    );
    expect(refused.code).toBe(4);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/plain http to example\.com; use https/);
    const badType = await ledger(
      ...store,
      'subscriptions',
      'add',
      receiver.url,
      '--types',
      'ledger.everything',
    );
    expect(badType.code).toBe(2);
    expect(JSON.parse((await ledger(...store, '--json', 'subscriptions', 'list')).stdout)).toEqual(
      [],
    );

    const added = await ledger(
      ...store,
      '--json',
      'subscriptions',
      'add',
      receiver.url,
      '--types',
      'ledger.status.changed',
      '--description',
      'office receiver',
    );
    expect(added.code, added.stderr).toBe(0);
    const { id, secret } = JSON.parse(added.stdout);
    expect(secret).toMatch(/^whsec_/);
    const listed = await ledger(...store, '--json', 'subscriptions', 'list');
    expect(JSON.parse(listed.stdout)).toMatchObject([
      { id, url: receiver.url, description: 'office receiver' },
    ]);
    expect(listed.stdout).not.toContain(secret);

    // The server on the same file sends to the subscription the CLI added.
    api = await startApi({ files, store: 'sqlite' });
    expectRecorded(await api.post(paths.tdpReleases(), tdpReleaseBody));
    await vi.waitFor(
      () =>
        expect(
          receiver.received.some((d) => verifiedEvent(secret, d).data?.status === 'expired'),
        ).toBe(true),
      { timeout: 15_000 },
    );
    await vi.waitFor(
      async () => {
        const log = JSON.parse(
          (await ledger(...store, '--json', 'subscriptions', 'deliveries', id)).stdout,
        );
        expect(log.every((d: { state: string }) => d.state === 'delivered')).toBe(true);
      },
      { timeout: 15_000 },
    );
    const log = JSON.parse(
      (await ledger(...store, '--json', 'subscriptions', 'deliveries', id)).stdout,
    );
    const latest = log[0];
    expect(latest).toMatchObject({ type: 'ledger.status.changed', attempts: 1, lastStatus: 200 });

    const seen = receiver.received.length;
    expect((await ledger(...store, 'subscriptions', 'retry', id, latest.id)).code).toBe(0);
    await vi.waitFor(() => expect(receiver.received).toHaveLength(seen + 1), { timeout: 15_000 });
    expect(receiver.received.at(-1)?.headers['webhook-id']).toBe(latest.id);
    expect((await ledger(...store, 'subscriptions', 'retry', id, 'msg_none')).code).toBe(3);

    expect((await ledger(...store, 'subscriptions', 'remove', id)).code).toBe(0);
    expect((await ledger(...store, 'subscriptions', 'remove', id)).code).toBe(3);
    expect((await ledger(...store, 'subscriptions', 'deliveries', id)).code).toBe(3);
    await receiver.close();
  }, 180_000);
});
